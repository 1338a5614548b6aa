// SPDX-License-Identifier: GPL-2.0
/* pmd_devmap(): device-mapped huge PMDs, removed with the devmap bit (7.x). */
#include <linux/mm.h>
#include <linux/pgtable.h>

int cowlab_feature_test(pmd_t pmd)
{
	return pmd_devmap(pmd);
}
