// SPDX-License-Identifier: GPL-2.0
/* folio_test_ksm(), from 5.18 (PageKsm() went in 6.15). */
#include <linux/page-flags.h>
#include <linux/mm.h>

bool cowlab_feature_test(struct page *page)
{
	return folio_test_ksm(page_folio(page));
}
