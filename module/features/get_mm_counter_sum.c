// SPDX-License-Identifier: GPL-2.0
/* get_mm_counter_sum(): an exact RSS counter, its per-CPU parts summed. */
#include <linux/mm.h>

unsigned long cowlab_feature_test(struct mm_struct *mm)
{
	return get_mm_counter_sum(mm, MM_ANONPAGES);
}
