// SPDX-License-Identifier: GPL-2.0
/* mm_flags_test(): mm->flags became a bitmap behind accessors (6.18). */
#include <linux/mm.h>

bool cowlab_feature_test(struct mm_struct *mm)
{
	return mm_flags_test(MMF_HAS_PINNED, mm);
}
