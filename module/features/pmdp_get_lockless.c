// SPDX-License-Identifier: GPL-2.0
/* pmdp_get_lockless() (6.4), which replaced pmd_read_atomic(). */
#include <linux/mm.h>
#include <linux/pgtable.h>

pmd_t cowlab_feature_test(pmd_t *pmdp)
{
	return pmdp_get_lockless(pmdp);
}
