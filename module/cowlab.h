/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cowlab's files share: the event classes, and each file's interface.
 * See docs/debugfs.md for what the classes mean to users.
 */
#ifndef COWLAB_H
#define COWLAB_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>
#include <linux/pgtable.h>
#include <linux/sched.h>

struct dentry;
struct mm_struct;

/* The classes of COW events, in the column order of the procs table. */
enum cowlab_event {
	COWLAB_EV_COW_COPY,	/* existing page copied for a write */
	COWLAB_EV_COW_ZERO,	/* shared zero page replaced for a write */
	COWLAB_EV_WP_REUSE,	/* write-protected page made writable, no copy */
	COWLAB_EV_UNSHARE,	/* FAULT_FLAG_UNSHARE fault copied the page */
	COWLAB_EV_THP_REUSE,	/* write-protected huge PMD made writable */
	COWLAB_EV_THP_SPLIT,	/* shared anon THP: PMD split, 4 KiB fault follows */
	COWLAB_EV_THP_ZERO,	/* huge zero page replaced by a new THP */
	COWLAB_EV_FILE_COPY,	/* private file page copied on a first write */
	COWLAB_EV_COW_KSM,	/* KSM page copied for a write */
	COWLAB_EV_HUGE_COPY,	/* hugetlb page copied (hugetlb_wp) */
	COWLAB_EV_HUGE_REUSE,	/* hugetlb page made writable, no copy */
	COWLAB_EV_FORK_COPY,	/* page maybe pinned, copied by fork for the child */
	COWLAB_NR_EVENTS,
	COWLAB_EV_NONE = COWLAB_NR_EVENTS,
};

extern const char *const cowlab_event_names[COWLAB_NR_EVENTS];

/*
 * The windows a task can be inside of, open from a kretprobe's entry to
 * its return, for the inner probes that need to know (inflight.c).
 */
enum cowlab_window_kind {
	COWLAB_WINDOW_PMD,	/* do_huge_pmd_wp_page() */
	COWLAB_WINDOW_UNSHARE,	/* GUP without FOLL_WRITE, or break_ksm() */
};

/* What a probe saw of a copy (ptep_clear_flush()) or a huge PMD fault. */
#define COWLAB_F_UNSHARE	BIT(0)	/* FAULT_FLAG_UNSHARE */
#define COWLAB_F_ZERO		BIT(1)	/* the page copied was the zero page */
#define COWLAB_F_KSM		BIT(2)	/* the page copied was a KSM page */
#define COWLAB_F_REUSED		BIT(3)	/* the PMD was made writable in place */
#define COWLAB_F_ANON_THP	BIT(4)	/* the PMD mapped an anon THP */
#define COWLAB_F_FALLBACK	BIT(5)	/* returned VM_FAULT_FALLBACK */

/* account.c: the fault path's accounting, what the probe handlers call. */
struct cowlab_account;
struct cowlab_stats;
struct cowlab_pageset;
struct cowlab_siteset;

struct cowlab_account *cowlab_account_create(struct cowlab_stats *s,
					     struct cowlab_pageset *pages,
					     struct cowlab_siteset *sites);
void cowlab_account_destroy(struct cowlab_account *a);
void cowlab_account_fault(struct cowlab_account *a, struct mm_struct *mm,
			  unsigned long addr, enum cowlab_event ev);
void cowlab_account_events(struct cowlab_account *a, struct mm_struct *mm,
			   enum cowlab_event ev, unsigned int n);
void cowlab_account_unmap(struct cowlab_account *a, struct mm_struct *mm,
			  unsigned long start, unsigned long end);

/* history.c: a process's events over time, and what its fork shared. */
#define COWLAB_HISTORY_BUCKETS	26
#define COWLAB_FORK_UNKNOWN	U32_MAX	/* not forked under cowlab */

/* The classes that make a new page: a timeline's `copy` column. */
#define COWLAB_EV_COPY_MASK						\
	(BIT(COWLAB_EV_COW_COPY) | BIT(COWLAB_EV_COW_ZERO) |		\
	 BIT(COWLAB_EV_UNSHARE) | BIT(COWLAB_EV_THP_ZERO) |		\
	 BIT(COWLAB_EV_FILE_COPY) | BIT(COWLAB_EV_COW_KSM) |		\
	 BIT(COWLAB_EV_HUGE_COPY) | BIT(COWLAB_EV_FORK_COPY))

/* The classes that copy a page shared at fork: exposure's copies. */
#define COWLAB_EV_FORK_COPIES_MASK					\
	(BIT(COWLAB_EV_COW_COPY) | BIT(COWLAB_EV_UNSHARE))

struct cowlab_history_bucket {
	atomic_t copy;			/* events in COWLAB_EV_COPY_MASK */
	atomic_t nocopy;		/* the others */
};

/*
 * A process's history since its fork (or its reset): its events in
 * COWLAB_HISTORY_BUCKETS buckets of 1 << @shift jiffies from @start, the
 * width doubling (pairs of buckets merged) when time runs past the last;
 * and at a fork under cowlab, how many anon pages it shared with its
 * parent and how many the parent had copied until then.  Allocated
 * beside the process's entry (stats.c), 256 bytes.
 */
struct cowlab_history {
	u64 since_ns;			/* CLOCK_MONOTONIC, at @start */
	unsigned long start;		/* jiffies */
	unsigned int shift;
	raw_spinlock_t lock;		/* a merge of buckets */
	u32 fork_shared;		/* or COWLAB_FORK_UNKNOWN */
	u32 parent_base;		/* the parent's fork copies at the fork */
	struct cowlab_history_bucket b[COWLAB_HISTORY_BUCKETS];
	struct rcu_head rcu;
};

/* A copy of one, for a reader. */
struct cowlab_history_snap {
	u64 since_ns;
	u64 width_ns;
	unsigned int n;			/* buckets up to the last with events */
	u32 copy[COWLAB_HISTORY_BUCKETS];
	u32 nocopy[COWLAB_HISTORY_BUCKETS];
};

struct cowlab_history *cowlab_history_new(u64 since_ns);
void cowlab_history_free(struct cowlab_history *h);
void cowlab_history_grow(struct cowlab_history *h, unsigned long t,
			 enum cowlab_event ev, unsigned int n);
void cowlab_history_snap(struct cowlab_history *h,
			 struct cowlab_history_snap *snap);

struct cowlab_history_totals {
	unsigned long histories;	/* allocated */
	unsigned long dropped;		/* not allocated: no memory */
	size_t bytes;			/* one */
	size_t memory_bytes;		/* all of them, as allocated */
	unsigned long tick_ns;		/* the narrowest bucket */
};

void cowlab_history_totals(struct cowlab_history_totals *t);

static __always_inline bool cowlab_event_copies(enum cowlab_event ev)
{
	return (COWLAB_EV_COPY_MASK >> ev) & 1;
}

/*
 * Count @n events @ev in @h, now: in its bucket, or (past the last one)
 * after a merge.  Never sleeps.
 */
static __always_inline void cowlab_history_note(struct cowlab_history *h,
						enum cowlab_event ev,
						unsigned int n)
{
	unsigned long t = jiffies - h->start;
	unsigned long i = t >> READ_ONCE(h->shift);

	if (unlikely(i >= COWLAB_HISTORY_BUCKETS)) {
		cowlab_history_grow(h, t, ev, n);
		return;
	}
	atomic_add(n, cowlab_event_copies(ev) ? &h->b[i].copy :
						&h->b[i].nocopy);
}

/* Of a process's counters @events, the copies of pages a fork shared. */
static inline u32 cowlab_fork_copies_of(const u32 *events)
{
	u32 n = 0;
	unsigned int ev;

	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++)
		if ((COWLAB_EV_FORK_COPIES_MASK >> ev) & 1)
			n += events[ev];
	return n;
}

/* stats.c: the table of processes, their counters and their lifetime. */
struct cowlab_proc_snap {
	pid_t tgid;
	pid_t ppid;
	bool exited;
	char comm[TASK_COMM_LEN];
	u32 events[COWLAB_NR_EVENTS];
	u64 since_ns;			/* of its history; 0: none */
	u32 fork_shared;		/* or COWLAB_FORK_UNKNOWN */
	u32 parent_base;
};

/*
 * A process's entry.  stats.c owns it; the fault path counts into it with
 * cowlab_stats_proc_count(), inline: a COW fault pays no call for it.
 */
struct cowlab_proc {
	struct cowlab_proc *next;	/* in a bucket, or in the free list */
	pid_t tgid;			/* 0 while free */
	pid_t ppid;
	u32 exit_seq;			/* 0 while live, else exit order */
	atomic_t events[COWLAB_NR_EVENTS];
	char comm[TASK_COMM_LEN];
	struct cowlab_history *history;	/* NULL: none (no memory) */
};

/*
 * Count @n events @ev in @p, and in its history: true if its process is
 * live (not exited).  Under RCU (the history is freed after a grace
 * period).
 */
static __always_inline bool cowlab_stats_proc_count(struct cowlab_proc *p,
						    enum cowlab_event ev,
						    unsigned int n)
{
	struct cowlab_history *h = READ_ONCE(p->history);

	atomic_add(n, &p->events[ev]);
	if (h)
		cowlab_history_note(h, ev, n);
	return !READ_ONCE(p->exit_seq);
}

struct cowlab_stats *cowlab_stats_create(unsigned int max_procs,
					 struct cowlab_pageset *pages,
					 struct cowlab_siteset *sites);
void cowlab_stats_destroy(struct cowlab_stats *s);
unsigned long cowlab_stats_gen(struct cowlab_stats *s);
const atomic_long_t *cowlab_stats_gen_counter(struct cowlab_stats *s);
struct cowlab_proc *cowlab_stats_attach(struct cowlab_stats *s,
					struct task_struct *owner);
void cowlab_stats_event_unattributed(struct cowlab_stats *s, unsigned int n);
void cowlab_stats_event_dropped(struct cowlab_stats *s, unsigned int n);
void cowlab_stats_fork(struct cowlab_stats *s, struct task_struct *parent,
		       struct task_struct *child);
void cowlab_stats_task_exit(struct cowlab_stats *s, struct task_struct *p);
void cowlab_stats_exec(struct cowlab_stats *s, struct task_struct *p);
int cowlab_stats_reset(struct cowlab_stats *s, pid_t tgid);
int cowlab_stats_get(struct cowlab_stats *s, unsigned int idx,
		     struct cowlab_proc_snap *snap);
int cowlab_stats_find(struct cowlab_stats *s, pid_t tgid,
		      struct cowlab_proc_snap *snap);
void cowlab_stats_fork_shared(struct cowlab_stats *s,
			      struct task_struct *parent,
			      struct task_struct *child);
int cowlab_stats_timeline(struct cowlab_stats *s, pid_t tgid,
			  struct cowlab_history_snap *snap);

struct cowlab_stats_totals {
	unsigned int tracked;
	unsigned int capacity;
	unsigned long dropped;
	unsigned long events_dropped;
	unsigned long unattributed;
	size_t entry_bytes;
	size_t memory_bytes;
};

void cowlab_stats_totals(struct cowlab_stats *s, struct cowlab_stats_totals *t);

/* pages.c: per-process record of the pages COW events touched. */
struct cowlab_pages;
struct cowlab_page_block;

/* Records per block: one PTE table's worth of addresses. */
#define COWLAB_BLOCK_PAGES	PTRS_PER_PTE

struct cowlab_page_rec {
	bool copied;			/* a COW break installed the page */
	unsigned int events[COWLAB_EV_WP_REUSE + 1];
};

/*
 * Where a walk stands in a process's records.  Only good inside one RCU
 * read-side section: start it afresh with cowlab_pages_cursor_reset().
 */
struct cowlab_pages_cursor {
	struct cowlab_pages *pages;	/* NULL: no records */
	struct cowlab_page_block *block;	/* at @idx, or NULL */
	unsigned long idx;
	bool valid;			/* @block is the block at @idx */
};

static inline void cowlab_pages_cursor_reset(struct cowlab_pages_cursor *cur)
{
	cur->valid = false;
}

struct cowlab_pages_totals {
	unsigned long tracked;		/* records in use */
	unsigned long dropped;		/* events not recorded, of which: */
	unsigned long dropped_set;	/* the set's budget was spent */
	unsigned long dropped_user;	/* the user's share was spent */
	unsigned long dropped_nomem;	/* no memory (or NMI context) */
	unsigned long blocks;
	unsigned long blocks_freed;	/* emptied by unmaps, and freed */
	unsigned long user_max_pages;
	size_t memory_bytes;
};

/* One user's share of the records. */
struct cowlab_user_snap {
	unsigned long uid;
	unsigned long pages;		/* in blocks held */
	unsigned long dropped;		/* events refused: share spent */
	unsigned long procs;		/* processes with records */
	pid_t short_tgid;		/* the one that lost most events, or 0 */
	unsigned long short_dropped;
};

/*
 * What the fault path remembers of one process's records.  The caller
 * sets @tgid and zeroes the rest when it changes process.
 */
struct cowlab_pages_cache {
	pid_t tgid;
	unsigned long gen;		/* of the set, when filled */
	struct cowlab_pages *pages;	/* NULL: look up */
	struct cowlab_page_block *block;	/* at @idx, NULL: look up */
	unsigned long idx;
};

struct cowlab_pageset *cowlab_pageset_create(unsigned long max_pages,
					     unsigned long user_pages);
void cowlab_pageset_destroy(struct cowlab_pageset *ps);
void cowlab_pages_note(struct cowlab_pageset *ps,
		       struct cowlab_pages_cache *c, unsigned long addr,
		       enum cowlab_event ev);
void cowlab_pages_zap(struct cowlab_pageset *ps, pid_t tgid,
		      unsigned long start, unsigned long end);
void cowlab_pages_forget(struct cowlab_pageset *ps, pid_t tgid);
void cowlab_pages_forget_all(struct cowlab_pageset *ps);
struct cowlab_pages *cowlab_pages_get(struct cowlab_pageset *ps, pid_t tgid);
void cowlab_pages_release(struct cowlab_pages *p);
u32 cowlab_pages_rec(struct cowlab_pages_cursor *cur, unsigned long addr);
void cowlab_rec_decode(u32 all, struct cowlab_page_rec *rec);
void cowlab_pages_events(struct cowlab_pages *p, unsigned long start,
			 unsigned long end, u64 *events);
void cowlab_pages_totals(struct cowlab_pageset *ps,
			 struct cowlab_pages_totals *t);
bool cowlab_pages_user_next(struct cowlab_pageset *ps, unsigned long *key,
			    bool first, struct cowlab_user_snap *snap);

/* sites.c: where each process's COW events came from. */
#define COWLAB_SITES_TASKS	4	/* task rows a process */
/* Rows of one process at most: 64 addresses, the tasks, other per class. */
#define COWLAB_SITE_LINES	(64 + COWLAB_SITES_TASKS + COWLAB_NR_EVENTS)

enum cowlab_site_kind {
	COWLAB_SITE_ADDR,		/* a user instruction pointer */
	COWLAB_SITE_TASK,		/* another task wrote: its comm */
	COWLAB_SITE_OTHER,		/* no row was free */
};

/* One row of a process's sites, copied out of its table. */
struct cowlab_site_row {
	enum cowlab_site_kind kind;
	unsigned long ip;		/* COWLAB_SITE_ADDR */
	char comm[TASK_COMM_LEN];	/* COWLAB_SITE_TASK */
	unsigned int ev;
	u32 count;
};

struct cowlab_sites_totals {
	unsigned long tables;		/* processes with a table */
	unsigned long dropped;		/* events no table could be had for */
	size_t table_bytes;		/* one table */
	size_t memory_bytes;		/* all of them, as allocated */
	bool on;			/* the sites parameter */
};

/* A NULL set records nothing (the KUnit suites of the other files). */
struct cowlab_siteset *cowlab_siteset_create(void);
void cowlab_siteset_destroy(struct cowlab_siteset *ss);
void cowlab_sites_note(struct cowlab_siteset *ss, pid_t tgid,
		       struct mm_struct *mm, enum cowlab_event ev,
		       unsigned int n);
void cowlab_sites_forget(struct cowlab_siteset *ss, pid_t tgid);
void cowlab_sites_forget_all(struct cowlab_siteset *ss);
void cowlab_sites_exec(struct cowlab_siteset *ss, pid_t tgid);
bool cowlab_sites_kept(struct cowlab_siteset *ss, pid_t tgid);
int cowlab_sites_snap(struct cowlab_siteset *ss, pid_t tgid,
		      struct cowlab_site_row *rows);
void cowlab_sites_totals(struct cowlab_siteset *ss,
			 struct cowlab_sites_totals *t);
bool cowlab_sites_switch(bool on);

/* Is recording on?  The switch itself, for the fault path to read inline. */
extern bool cowlab_sites_on;

static __always_inline bool cowlab_sites_recording(void)
{
	return READ_ONCE(cowlab_sites_on);
}

/* walk.c: page-table walk for VMA snapshots. */
struct vm_area_struct;

enum cowlab_page_state {
	COWLAB_PAGE_ABSENT,
	COWLAB_PAGE_SHARED,
	COWLAB_PAGE_EXCLUSIVE,
	COWLAB_PAGE_COPIED,
	COWLAB_PAGE_ZERO,
	COWLAB_NR_PAGE_STATES,
};

typedef int (*cowlab_walk_fn)(void *arg, unsigned long addr,
			      unsigned long npages, enum cowlab_page_state st);

int cowlab_walk_range(struct vm_area_struct *vma, unsigned long start,
		      unsigned long end, struct cowlab_pages *pages,
		      cowlab_walk_fn fn, void *arg);

/* inflight.c: windows in flight, per task. */
struct cowlab_inflight_slot;

/*
 * One open window: a huge PMD fault (@mm, @address and what the inner
 * probes saw in @flags), or a GUP call or break_ksm() whose copies are
 * unshares.  It lives in the kretprobe instance's data.
 */
struct cowlab_window {
	struct cowlab_inflight_slot *slot;
	struct mm_struct *mm;
	unsigned long address;
	u8 kind;
	u8 flags;
};

bool cowlab_inflight_push(struct cowlab_window *w);
unsigned long cowlab_inflight_dropped(void);
void cowlab_inflight_pop(struct cowlab_window *w);
/* Mark current's open window of @kind at @mm/@address with @flags. */
struct cowlab_window *cowlab_inflight_mark(enum cowlab_window_kind kind,
					   struct mm_struct *mm,
					   unsigned long address,
					   unsigned int flags);
/* Is current inside a window of @kind? */
bool cowlab_inflight_inside(enum cowlab_window_kind kind);

/* forkcopy.c: pages copied at fork, held until the child is known. */
struct cowlab_fork_call {
	struct vm_area_struct *dst, *src;	/* copy_page_range()'s */
};

bool cowlab_fork_watched(struct vm_area_struct *src);
void cowlab_fork_compare(struct vm_area_struct *dst,
			 struct vm_area_struct *src);
void cowlab_fork_apply(struct cowlab_account *a, struct task_struct *child);
void cowlab_fork_forget(void);
unsigned long cowlab_fork_dropped(void);

/* probes.c: the kprobe table. */
int cowlab_probes_init(struct cowlab_account *a);
void cowlab_probes_exit(void);
bool cowlab_event_available(enum cowlab_event ev);
struct seq_file;
void cowlab_probes_show(struct seq_file *m);
void cowlab_classes_show(struct seq_file *m);

/* tracepoints.c: process fork / exit / exec. */
int cowlab_tracepoints_init(struct cowlab_stats *s, struct cowlab_account *a);
void cowlab_tracepoints_exit(void);

/* vmas.c: the vmas and pages files. */
extern const struct file_operations cowlab_vmas_fops;
extern const struct file_operations cowlab_pages_fops;
void cowlab_vmas_exit(void);

/* parse.c: what users write to the files. */
#define COWLAB_CONTROL_WRITE_MAX	64	/* a control write is shorter */
#define COWLAB_PID_WRITE_MAX		16	/* a pid write is shorter */
enum cowlab_control_cmd {
	COWLAB_CTL_RESET,		/* "reset", "reset PID" */
	COWLAB_CTL_SITES_ON,		/* "sites on" */
	COWLAB_CTL_SITES_OFF,		/* "sites off" */
};

int cowlab_parse_control(const char *buf, size_t len, pid_t *tgid);
int cowlab_parse_pid(const char *buf, size_t len, pid_t *nr);
int cowlab_parse_pid_user(const char __user *ubuf, size_t len, pid_t *nr);

/* debugfs.c: the files. */
int cowlab_debugfs_init(struct cowlab_stats *s, struct cowlab_pageset *pages,
			struct cowlab_siteset *sites);
void cowlab_debugfs_exit(void);

#endif /* COWLAB_H */
