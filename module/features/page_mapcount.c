// SPDX-License-Identifier: GPL-2.0
/* page_mapcount(), removed in 6.10 (per-page counts moved into mm/). */
#include <linux/mm.h>

int cowlab_feature_test(struct page *page)
{
	return page_mapcount(page);
}
