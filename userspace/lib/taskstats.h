/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small taskstats (genetlink) client for the tests: delay accounting's
 * per-task wpcopy_count, the kernel's own count of wp_page_copy() calls
 * (taskstats version 13, Linux 5.19+). Raw netlink sockets, no libnl.
 */
#ifndef COWLAB_TASKSTATS_H
#define COWLAB_TASKSTATS_H

#include <sys/types.h>

/*
 * Write 1 to /proc/sys/kernel/task_delayacct. Only tasks forked after this
 * are accounted. Returns 0 or -errno (-ENOENT before 5.14, which has no
 * such sysctl; there accounting is on unless booted with nodelayacct).
 */
int taskstats_enable(void);

/*
 * The wpcopy_count of task @tid (a thread id; for a single-threaded
 * process, its pid). Returns 0 with *@count set; -EOPNOTSUPP when the
 * running kernel's struct taskstats has no wpcopy_count (version < 13);
 * -ESRCH when the task does not exist; another -errno on failure.
 */
int taskstats_wpcopy(pid_t tid, unsigned long long *count);

#endif /* COWLAB_TASKSTATS_H */
