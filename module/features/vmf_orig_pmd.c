// SPDX-License-Identifier: GPL-2.0
/*
 * struct vm_fault's orig_pmd (5.14); before it, do_huge_pmd_wp_page() took
 * the PMD as its second argument.
 */
#include <linux/mm.h>

pmd_t cowlab_feature_test(struct vm_fault *vmf)
{
	return vmf->orig_pmd;
}
