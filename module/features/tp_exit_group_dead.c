// SPDX-License-Identifier: GPL-2.0
/* sched_process_exit passes group_dead to its probes (6.16). */
#include <linux/sched.h>
#include <trace/events/sched.h>

#pragma GCC diagnostic error "-Wincompatible-pointer-types"

static void cowlab_probe(void *data, struct task_struct *p, bool group_dead)
{
}

int cowlab_feature_test(void)
{
	return register_trace_sched_process_exit(cowlab_probe, NULL);
}
