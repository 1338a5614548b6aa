// SPDX-License-Identifier: GPL-2.0
/* MMF_HAS_PINNED in mm->flags (5.15), which replaced mm->has_pinned. */
#include <linux/mm.h>
#include <linux/sched/coredump.h>

int cowlab_feature_test(void)
{
	return MMF_HAS_PINNED;
}
