/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cowcheck's BPF side and user side share: the event classes (in the
 * column order of cowlab's procs table), the per-process counters, the
 * loss counters, and the map sizes.  The includer provides __u32/__u64
 * (vmlinux.h on the BPF side, <linux/types.h> on the user side).
 */
#ifndef COWCHECK_H
#define COWCHECK_H

/* The classes of docs/debugfs.md, in the column order of procs. */
enum cowcheck_event {
	COWCHECK_EV_COW_COPY,	/* an existing page copied for a write */
	COWCHECK_EV_COW_ZERO,	/* the shared zero page replaced for a write */
	COWCHECK_EV_WP_REUSE,	/* write-protected PTE made writable in place */
	COWCHECK_EV_UNSHARE,	/* unshare fault copied the page */
	COWCHECK_EV_THP_REUSE,	/* write-protected huge PMD made writable */
	COWCHECK_EV_THP_SPLIT,	/* write fault split a shared anon THP's PMD */
	COWCHECK_EV_THP_ZERO,	/* a new THP replaced the huge zero page */
	COWCHECK_EV_FILE_COPY,	/* a private file page copied, first written */
	COWCHECK_EV_COW_KSM,	/* a KSM page copied for a write */
	COWCHECK_EV_HUGE_COPY,	/* a private hugetlb page copied */
	COWCHECK_EV_HUGE_REUSE,	/* a private hugetlb page made writable */
	COWCHECK_NR_EVENTS,
	COWCHECK_EV_NONE = COWCHECK_NR_EVENTS,
};

/* Value of the counts map, keyed by the owning process's tgid. */
struct cowcheck_counts {
	__u64 ev[COWCHECK_NR_EVENTS];
};

/*
 * Counted by the BPF side in the global array stats[]: first the things
 * that make the table incomplete (each one a reason the user side fails),
 * then the ones that only inform.
 */
enum cowcheck_stat {
	COWCHECK_ST_INFLIGHT_LOST,	/* fault not tracked: no room in inflight */
	COWCHECK_ST_COUNTS_LOST,	/* event not counted: no room in counts */
	COWCHECK_ST_UNATTRIBUTED,	/* event whose mm had no owner */
	COWCHECK_NR_LOSSES,
	/* a fault's end not seen: counted at the task's next fault or exit */
	COWCHECK_ST_LATE = COWCHECK_NR_LOSSES,
	COWCHECK_NR_STATS,
};

/* Tasks inside a write-protect fault at once; processes with events. */
#define COWCHECK_MAX_INFLIGHT	8192
#define COWCHECK_MAX_PROCS	32768

#endif /* COWCHECK_H */
