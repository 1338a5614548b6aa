/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/stats.c: the process table's lifetime rules
 * (fork, exit, exec, reset), attribution to the mm's owner, and the
 * recycling of exited entries oldest first, across the wrap-around of the
 * exit numbering.  Included at the end of stats.c when built with
 * COWLAB_KUNIT=1.
 *
 * Every test builds a small table of its own and drives it with fake
 * tasks whose tgids no process has (above PID_MAX_LIMIT).  KUnit runs a
 * module's suites before the module's init on 6.1 and after it on 6.12: in
 * the second case the suite stops the probes and tracepoints first, and
 * starts them again with a fresh table when it ends.
 *
 * cowlab_stats_count() remembers, per CPU, the last mm it counted for,
 * until cowlab_stats_invalidate(): each test starts and ends with it, since
 * a test's fake mm may land where an earlier test's was, and a test that
 * gives an mm another owner between two counts calls it in between (in
 * the kernel, that change happens at an exit, which calls it).
 */
#ifndef COWLAB_STATS_KUNIT_H
#define COWLAB_STATS_KUNIT_H

#include <kunit/test.h>
#include <linux/ctype.h>
#include <linux/threads.h>

#define COWLAB_KUNIT_TGID(n)	(PID_MAX_LIMIT + 1 + (n))
#define COWLAB_KUNIT_NTASKS	32
/* Page records for the tests when the module has not set max_pages yet. */
#define COWLAB_KUNIT_MAX_PAGES	(1024UL * 1024)

static struct {
	bool live;			/* the module was counting */
	unsigned int pool_size;
} cowlab_stats_kunit_saved;

static void cowlab_stats_kunit_zero_globals(void)
{
	atomic_set(&cowlab_exit_seq, 0);
	atomic_long_set(&cowlab_dropped, 0);
	atomic_long_set(&cowlab_events_dropped, 0);
	atomic_long_set(&cowlab_unattributed, 0);
}

/*
 * Not live, the module has not set the page records' cap yet: give the
 * tests room, and take it back after (the module's init sets it).
 */
static int cowlab_stats_kunit_suite_init(struct kunit_suite *suite)
{
	cowlab_stats_kunit_saved.live = cowlab_pool;
	if (!cowlab_stats_kunit_saved.live)
		return cowlab_pages_init(COWLAB_KUNIT_MAX_PAGES);
	cowlab_stats_kunit_saved.pool_size = cowlab_pool_size;
	cowlab_probes_exit();
	cowlab_tracepoints_exit();
	cowlab_stats_exit();
	/* What the fault path remembers points into the freed table. */
	cowlab_stats_invalidate();
	return 0;
}

static void cowlab_stats_kunit_suite_exit(struct kunit_suite *suite)
{
	cowlab_stats_kunit_zero_globals();
	cowlab_stats_invalidate();
	if (!cowlab_stats_kunit_saved.live) {
		cowlab_pages_init(0);
		return;
	}
	if (cowlab_stats_init(cowlab_stats_kunit_saved.pool_size) ||
	    cowlab_tracepoints_init() || cowlab_probes_init())
		pr_err("KUnit: could not start counting again\n");
}

/* Each test: a table of its own, freed (with its page records) after. */
static void cowlab_stats_kunit_exit(struct kunit *test)
{
	unsigned int i;

	if (cowlab_pool)
		cowlab_stats_exit();
	cowlab_stats_invalidate();
	for (i = 0; i < COWLAB_KUNIT_NTASKS; i++)
		cowlab_pages_forget(COWLAB_KUNIT_TGID(i));
	cowlab_stats_kunit_zero_globals();
}

static void cowlab_kunit_table(struct kunit *test, unsigned int size)
{
	cowlab_stats_kunit_zero_globals();
	cowlab_stats_invalidate();
	KUNIT_ASSERT_EQ(test, cowlab_stats_init(size), 0);
}

/* A fake process: what stats.c reads of a task, and nothing more. */
static struct task_struct *cowlab_kunit_task(struct kunit *test, int n,
					     struct task_struct *parent)
{
	struct task_struct *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct signal_struct *sig = kunit_kzalloc(test, sizeof(*sig),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sig);
	t->pid = COWLAB_KUNIT_TGID(n);
	t->tgid = t->pid;
	t->group_leader = t;
	t->signal = sig;
	atomic_set(&sig->live, 1);
	RCU_INIT_POINTER(t->real_parent, parent ? parent : t);
	snprintf(t->comm, sizeof(t->comm), "kunit-%d", n);
	return t;
}

/* The last thread of @t's process exits. */
static void cowlab_kunit_exit_task(struct task_struct *t)
{
	atomic_set(&t->signal->live, 0);
	cowlab_stats_task_exit(t);
}

/* Find @tgid's entry: true with *@snap filled, false if not tracked. */
static bool cowlab_kunit_find(pid_t tgid, struct cowlab_proc_snap *snap)
{
	unsigned int idx;

	for (idx = 0; idx < cowlab_stats_capacity(); idx++)
		if (!cowlab_stats_get(idx, snap) && snap->tgid == tgid)
			return true;
	return false;
}

static bool cowlab_kunit_tracked(struct task_struct *t)
{
	struct cowlab_proc_snap snap;

	return cowlab_kunit_find(t->tgid, &snap);
}

static unsigned int cowlab_kunit_ntracked(void)
{
	struct cowlab_stats_totals totals;

	cowlab_stats_totals(&totals);
	return totals.tracked;
}

/* Make @owner (NULL: none) the owner of @mm. */
static void cowlab_kunit_set_owner(struct mm_struct *mm,
				   struct task_struct *owner)
{
#ifdef CONFIG_MEMCG
	rcu_assign_pointer(mm->owner, owner);
#endif
}

/* A fake mm, owned by @owner: all that stats.c reads of an mm. */
static struct mm_struct *cowlab_kunit_mm(struct kunit *test,
					 struct task_struct *owner)
{
	struct mm_struct *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mm);
	cowlab_kunit_set_owner(mm, owner);
	return mm;
}

/* Count @n write-protect reuses in a new mm owned by @owner (NULL: none). */
static void cowlab_kunit_count(struct kunit *test, struct task_struct *owner,
			       unsigned int n)
{
	struct mm_struct *mm = cowlab_kunit_mm(test, owner);

	while (n--)
		cowlab_stats_count(mm, 0x400000, COWLAB_EV_WP_REUSE);
}

/* @tgid's page record at @addr, 0 for none. */
static u32 cowlab_kunit_rec_at(pid_t tgid, unsigned long addr)
{
	struct cowlab_pages_cursor cur = { .pages = cowlab_pages_get(tgid) };
	u32 all = cowlab_pages_rec(&cur, addr);

	cowlab_pages_release(cur.pages);
	return all;
}

static unsigned int cowlab_kunit_events(struct task_struct *t,
					enum cowlab_event ev)
{
	struct cowlab_proc_snap snap;

	if (!cowlab_kunit_find(t->tgid, &snap))
		return UINT_MAX;
	return snap.events[ev];
}

static void cowlab_kunit_need_owner(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_MEMCG))
		kunit_skip(test, "no mm->owner without CONFIG_MEMCG");
}

static void cowlab_stats_fork_tracks_child(struct kunit *test)
{
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;
	unsigned int ev;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_FALSE(test, snap.exited);
	KUNIT_EXPECT_STREQ(test, snap.comm, "kunit-1");
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++)
		KUNIT_EXPECT_EQ(test, snap.events[ev], 0U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(parent));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
}

/* Threads and kernel threads are not processes of their own. */
static void cowlab_stats_fork_ignores_threads(struct kunit *test)
{
	struct task_struct *parent, *thread, *kthread;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	thread = cowlab_kunit_task(test, 1, parent);
	thread->tgid = parent->tgid;
	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	cowlab_stats_fork(parent, thread);
	cowlab_stats_fork(parent, kthread);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_dropped), 0L);
}

/* Only the exit of the last thread marks the process exited, once. */
static void cowlab_stats_task_exit_last_thread(struct kunit *test)
{
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	cowlab_stats_task_exit(child);		/* other threads live on */
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_FALSE(test, snap.exited);
	cowlab_kunit_exit_task(child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
	KUNIT_EXPECT_EQ(test, atomic_read(&cowlab_exit_seq), 1);
	cowlab_stats_task_exit(child);
	KUNIT_EXPECT_EQ(test, atomic_read(&cowlab_exit_seq), 1);
	/* An untracked process exiting changes nothing. */
	cowlab_kunit_exit_task(parent);
	KUNIT_EXPECT_EQ(test, atomic_read(&cowlab_exit_seq), 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
}

static void cowlab_stats_exec_renames(struct kunit *test)
{
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	strscpy(child->comm, "new name", sizeof(child->comm));
	cowlab_stats_exec(child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_STREQ(test, snap.comm, "new name");
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	/* exec of an untracked process tracks nothing. */
	cowlab_stats_exec(parent);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
}

/*
 * A pid is reused once pid_max wraps, while the exited process that had it
 * may still be listed: the newcomer is a new process, live, from zero.
 */
static void cowlab_stats_fork_reused_pid(struct kunit *test)
{
	struct task_struct *parent, *old, *new;
	struct cowlab_proc_snap snap;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	old = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, old);
	if (IS_ENABLED(CONFIG_MEMCG))
		cowlab_kunit_count(test, old, 4);
	cowlab_kunit_exit_task(old);
	new = cowlab_kunit_task(test, 1, old);
	strscpy(new->comm, "reused", sizeof(new->comm));
	cowlab_stats_fork(old, new);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(new->tgid, &snap));
	KUNIT_EXPECT_FALSE(test, snap.exited);
	KUNIT_EXPECT_STREQ(test, snap.comm, "reused");
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 0U);
}

/*
 * A thread that lags behind exit_group(): the process is marked exited
 * (signal->live is 0), but the thread still faults before exit_mm().  Its
 * events add to the exiting process's counts; only a fork may take the
 * entry over for a reused pid.
 */
static void cowlab_stats_count_after_group_exit_keeps_counts(struct kunit *test)
{
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;
	struct mm_struct *mm;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	mm = cowlab_kunit_mm(test, child);
	cowlab_stats_count(mm, 0x400000, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, 0x401000, COWLAB_EV_COW_COPY);
	cowlab_kunit_exit_task(child);
	cowlab_stats_invalidate();
	cowlab_stats_count(mm, 0x402000, COWLAB_EV_COW_COPY);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_COW_COPY], 3U);
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
	/* The records went at the exit, and the late fault made none. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(child->tgid, 0x400000), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(child->tgid, 0x402000), 0U);
}

/* Events count for the mm's owner, tracked from its first event. */
static void cowlab_stats_count_attributes_to_owner(struct kunit *test)
{
	struct task_struct *parent, *owner, *kthread;
	struct cowlab_proc_snap snap;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	cowlab_kunit_count(test, owner, 3);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(owner->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 3U);
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_STREQ(test, snap.comm, "kunit-1");
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(parent));

	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	cowlab_kunit_count(test, kthread, 1);
	cowlab_kunit_count(test, NULL, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_unattributed), 2L);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(kthread));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
}

static void cowlab_stats_reset_one_and_all(struct kunit *test)
{
	struct task_struct *parent, *a, *b;
	struct cowlab_proc_snap snap;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	a = cowlab_kunit_task(test, 1, parent);
	b = cowlab_kunit_task(test, 2, parent);
	cowlab_stats_fork(parent, a);
	cowlab_stats_fork(parent, b);
	cowlab_kunit_count(test, a, 2);
	cowlab_kunit_count(test, b, 5);

	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(a->tgid), 0);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(a->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 0U);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(b->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 5U);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(parent->tgid), -ESRCH);

	/* Reset all: counters zeroed, exited processes forgotten. */
	cowlab_kunit_count(test, a, 1);
	cowlab_kunit_exit_task(b);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(0), 0);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(a->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 0U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(b));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 1U);
}

/*
 * Each class counts for the mm's owner, and the 4 KiB ones note their page
 * in its records, at exactly that page; the THP ones note none.
 */
static void cowlab_stats_count_notes_pages(struct kunit *test)
{
	unsigned long a = 0x7f0000200000UL, huge = 0x7f0000600000UL;
	struct task_struct *parent, *owner;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	u32 all;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	mm = cowlab_kunit_mm(test, owner);
	cowlab_stats_count(mm, a, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, a, COWLAB_EV_WP_REUSE);
	cowlab_stats_count(mm, a + PAGE_SIZE, COWLAB_EV_COW_ZERO);
	cowlab_stats_count(mm, a + 2 * PAGE_SIZE, COWLAB_EV_UNSHARE);
	cowlab_stats_count(mm, huge, COWLAB_EV_THP_REUSE);
	cowlab_stats_count(mm, huge, COWLAB_EV_THP_SPLIT);

	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_COW_COPY), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_COW_ZERO), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_WP_REUSE), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_UNSHARE), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_THP_REUSE),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_THP_SPLIT),
			1U);

	cowlab_rec_decode(cowlab_kunit_rec_at(owner->tgid, a), &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	cowlab_rec_decode(cowlab_kunit_rec_at(owner->tgid, a + PAGE_SIZE),
			  &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
	all = cowlab_kunit_rec_at(owner->tgid, a + 2 * PAGE_SIZE);
	KUNIT_EXPECT_NE(test, all, 0U);
	cowlab_rec_decode(all, &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid,
						  a + 3 * PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, a - PAGE_SIZE),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, huge), 0U);
	/* Nothing for anyone else. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(parent->tgid, a), 0U);
}

/* Unmapping drops the page records of the range, for the mm's owner. */
static void cowlab_stats_zap_drops_records(struct kunit *test)
{
	unsigned long a = 0x7f0000200000UL, pg = PAGE_SIZE;
	struct task_struct *parent, *owner, *kthread;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	struct cowlab_pages *p;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	mm = cowlab_kunit_mm(test, owner);
	cowlab_stats_count(mm, a, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, a + pg, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, a + 2 * pg, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, a + PMD_SIZE, COWLAB_EV_COW_COPY);

	cowlab_stats_zap(mm, a + pg, a + 2 * pg);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(owner->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, a + pg), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(owner->tgid, a + 2 * pg), 0U);
	cowlab_stats_zap(mm, a + 2 * pg, a + PMD_SIZE + pg);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(owner->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, a + 2 * pg), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, a + PMD_SIZE),
			0U);

	/* No owner (the mm at exit), or a kernel thread: no records found. */
	cowlab_kunit_set_owner(mm, NULL);
	cowlab_stats_zap(mm, 0, ULONG_MAX);
	cowlab_kunit_set_owner(mm, kthread);
	cowlab_stats_zap(mm, 0, ULONG_MAX);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(owner->tgid, a), 0U);

	/* An owner with no records: none made for it. */
	cowlab_kunit_set_owner(mm, parent);
	cowlab_stats_zap(mm, 0, ULONG_MAX);
	p = cowlab_pages_get(parent->tgid);
	KUNIT_EXPECT_NULL(test, p);
	cowlab_pages_release(p);

	cowlab_kunit_set_owner(mm, owner);
	cowlab_stats_zap(mm, 0, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, a), 0U);
	/* A new event there is a new page: not copied by the earlier ones. */
	cowlab_stats_count(mm, a + pg, COWLAB_EV_WP_REUSE);
	cowlab_rec_decode(cowlab_kunit_rec_at(owner->tgid, a + pg), &rec);
	KUNIT_EXPECT_FALSE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	/* The counters are the process's history: they stay. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_COW_COPY), 4U);
}

/*
 * The fault path remembers the last mm it counted for, per CPU: a second
 * count on the same CPU goes where the first went, without looking the
 * owner up, until cowlab_stats_invalidate() or an exit anywhere.
 */
static void cowlab_stats_count_remembers_owner(struct kunit *test)
{
	struct task_struct *parent, *a, *b, *other;
	unsigned long addr = 0x400000;
	struct cowlab_hot *h;
	long gen;
	struct mm_struct *mm;
	struct cowlab_page_rec rec;
	bool same_mm, same_gen;
	pid_t tgid;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	a = cowlab_kunit_task(test, 1, parent);
	b = cowlab_kunit_task(test, 2, parent);
	other = cowlab_kunit_task(test, 3, parent);
	cowlab_stats_fork(parent, other);
	mm = cowlab_kunit_mm(test, a);

	/* One CPU throughout, as in a fault. */
	preempt_disable();
	cowlab_stats_count(mm, addr, COWLAB_EV_WP_REUSE);
	h = this_cpu_ptr(&cowlab_hot);
	same_mm = h->mm == mm;
	gen = atomic_long_read(&cowlab_gen);
	same_gen = h->gen == (unsigned long)gen;
	tgid = h->tgid;
	cowlab_kunit_set_owner(mm, b);
	cowlab_stats_count(mm, addr, COWLAB_EV_WP_REUSE);
	preempt_enable();
	KUNIT_EXPECT_TRUE(test, same_mm);
	KUNIT_EXPECT_TRUE(test, same_gen);
	KUNIT_EXPECT_EQ(test, tgid, a->tgid);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(a, COWLAB_EV_WP_REUSE), 2U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(b));
	cowlab_rec_decode(cowlab_kunit_rec_at(a->tgid, addr), &rec);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 2U);

	/* Invalidated: the next count, on any CPU, looks the owner up. */
	cowlab_stats_invalidate();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen + 1);
	cowlab_stats_count(mm, addr, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(a, COWLAB_EV_WP_REUSE), 2U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(b, COWLAB_EV_WP_REUSE), 1U);
	cowlab_rec_decode(cowlab_kunit_rec_at(b->tgid, addr), &rec);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	KUNIT_EXPECT_FALSE(test, rec.copied);

	/* The owner changes back at the exit of another process. */
	cowlab_kunit_set_owner(mm, a);
	cowlab_kunit_exit_task(other);
	cowlab_stats_count(mm, addr, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(a, COWLAB_EV_COW_COPY), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(b, COWLAB_EV_COW_COPY), 0U);
	cowlab_rec_decode(cowlab_kunit_rec_at(a->tgid, addr), &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 2U);
}

/* Exit (of the last thread), exec and reset forget what CPUs remember. */
static void cowlab_stats_invalidate_on_exit_exec_reset(struct kunit *test)
{
	struct task_struct *parent, *child;
	long gen;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	gen = atomic_long_read(&cowlab_gen);
	cowlab_stats_fork(parent, cowlab_kunit_task(test, 2, parent));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen);
	cowlab_stats_exec(child);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen + 1);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(child->tgid), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen + 2);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(0), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen + 3);
	cowlab_kunit_exit_task(child);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_gen), gen + 4);
}

/*
 * Reset and exec drop a process's records; the next event, even on a CPU
 * that remembers the process, starts a fresh record in a fresh table.
 */
static void cowlab_stats_records_restart(struct kunit *test)
{
	struct task_struct *parent, *owner;
	unsigned long addr = 0x400000;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	u32 after_reset, after_exec;
	int ret;

	cowlab_kunit_need_owner(test);
	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, owner);
	mm = cowlab_kunit_mm(test, owner);

	preempt_disable();
	cowlab_stats_count(mm, addr, COWLAB_EV_COW_COPY);
	cowlab_stats_count(mm, addr, COWLAB_EV_COW_COPY);
	ret = cowlab_stats_reset(owner->tgid);
	cowlab_stats_count(mm, addr, COWLAB_EV_WP_REUSE);
	after_reset = cowlab_kunit_rec_at(owner->tgid, addr);
	cowlab_stats_exec(owner);
	cowlab_stats_count(mm, addr + PAGE_SIZE, COWLAB_EV_COW_ZERO);
	after_exec = cowlab_kunit_rec_at(owner->tgid, addr + PAGE_SIZE);
	preempt_enable();

	KUNIT_EXPECT_EQ(test, ret, 0);
	cowlab_rec_decode(after_reset, &rec);
	KUNIT_EXPECT_FALSE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	cowlab_rec_decode(after_exec, &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
	/* The reuse before the exec went with the old records. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(owner->tgid, addr), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_COW_COPY), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_WP_REUSE), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(owner, COWLAB_EV_COW_ZERO), 1U);
}

/* A table full of live processes drops new ones, and their events. */
static void cowlab_stats_fork_full_of_live(struct kunit *test)
{
	struct task_struct *parent, *t[17];
	unsigned int i;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 17; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(parent, t[i]);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 16U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[16]));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_dropped), 1L);
	if (IS_ENABLED(CONFIG_MEMCG)) {
		cowlab_kunit_count(test, t[16], 2);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_events_dropped),
				2L);
	}
	/* Once one exits, its entry is recycled for the next newcomer. */
	cowlab_kunit_exit_task(t[3]);
	cowlab_stats_fork(parent, t[16]);
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(t[16]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[3]));
}

/*
 * Fill a 16-entry table, exit processes @order[0..@nexit) in that order,
 * then fork newcomers one at a time and check after each fork which of the
 * exited ones are still listed (@left[i]: the bitmap, by order index).
 */
static void cowlab_kunit_evictions(struct kunit *test, const int *order,
				   unsigned int nexit, const u32 *left,
				   unsigned int nforks)
{
	struct task_struct *parent, *t[16], *newcomer;
	unsigned int i, j;

	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 16; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(parent, t[i]);
	}
	for (i = 0; i < nexit; i++)
		cowlab_kunit_exit_task(t[order[i]]);
	for (i = 0; i < nforks; i++) {
		newcomer = cowlab_kunit_task(test, 17 + i, parent);
		cowlab_stats_fork(parent, newcomer);
		KUNIT_EXPECT_TRUE_MSG(test, cowlab_kunit_tracked(newcomer),
				      "newcomer %u", i);
		for (j = 0; j < nexit; j++)
			KUNIT_EXPECT_EQ_MSG(test,
					    (int)cowlab_kunit_tracked(t[order[j]]),
					    (int)!!(left[i] & BIT(j)),
					    "after newcomer %u: exited #%u (task %d)",
					    i, j, order[j]);
	}
	/* The live ones were never candidates. */
	for (i = 0; i < 16; i++)
		if (atomic_read(&t[i]->signal->live))
			KUNIT_EXPECT_TRUE_MSG(test, cowlab_kunit_tracked(t[i]),
					      "live task %u", i);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_dropped), 0L);
}

/*
 * The oldest exits go first, an eighth of the table (2 of 16) at a time,
 * whatever their place in the table.
 */
static void cowlab_stats_evict_oldest_first(struct kunit *test)
{
	static const int order[] = { 3, 7, 1, 12, 5 };
	/* Which of order[] are left after each newcomer (bit j: order[j]). */
	static const u32 left[] = {
		0x1c,	/* 3 and 7 recycled, one entry spare */
		0x1c,	/* the spare entry used */
		0x10,	/* 1 and 12 recycled */
		0x10,
		0x00,	/* 5: the last exited one */
	};

	cowlab_kunit_table(test, 16);
	cowlab_kunit_evictions(test, order, ARRAY_SIZE(order), left,
			       ARRAY_SIZE(left));
}

/*
 * Exit numbers wrap around u32 (0 is skipped: it means live); the oldest
 * still go first across the wrap, two at a time.
 */
static void cowlab_stats_evict_across_seq_wrap(struct kunit *test)
{
	static const int order[] = { 0, 1, 2, 3, 4 };
	static const u32 left[] = {
		0x1c,	/* numbered 0xfffffffe, 0xffffffff: recycled */
		0x1c,
		0x10,	/* numbered 1 (after the skipped 0) and 2 */
		0x10,
		0x00,	/* numbered 3 */
	};

	cowlab_kunit_table(test, 16);
	atomic_set(&cowlab_exit_seq, (int)(U32_MAX - 2));
	cowlab_kunit_evictions(test, order, ARRAY_SIZE(order), left,
			       ARRAY_SIZE(left));
	KUNIT_EXPECT_EQ(test, (u32)atomic_read(&cowlab_exit_seq), 3U);
}

/*
 * The exit ring: an entry taken over by a fork of its reused pid leaves a
 * stale slot behind, which recycling skips; the entry's second exit is
 * where it stands in the order.  A reset empties the ring: exits after it
 * are recycled in their own order.
 */
static void cowlab_stats_evict_stale_slots_and_reset(struct kunit *test)
{
	struct task_struct *parent, *t[16], *again, *n1, *n2, *n3;
	unsigned int i;

	cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 16; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(parent, t[i]);
	}
	cowlab_kunit_exit_task(t[4]);		/* slot 1: goes stale */
	again = cowlab_kunit_task(test, 5, parent);	/* t[4]'s pid */
	cowlab_stats_fork(parent, again);
	cowlab_kunit_exit_task(t[9]);		/* slot 2 */
	cowlab_kunit_exit_task(again);		/* slot 3 */
	cowlab_kunit_exit_task(t[2]);		/* slot 4 */
	n1 = cowlab_kunit_task(test, 17, parent);
	cowlab_stats_fork(parent, n1);
	/* The stale slot skipped; t[9] and t[4]'s pid recycled; t[2] left. */
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(n1));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[9]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(again));
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(t[2]));
	/* A reset forgets t[2]; later exits go in their own order. */
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(0), 0);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[2]));
	n2 = cowlab_kunit_task(test, 18, parent);
	cowlab_stats_fork(parent, n2);		/* a free entry */
	n3 = cowlab_kunit_task(test, 19, parent);
	cowlab_stats_fork(parent, n3);		/* ... and another */
	cowlab_kunit_exit_task(t[7]);
	cowlab_kunit_exit_task(t[0]);
	cowlab_kunit_exit_task(t[11]);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(), 16U);	/* full */
	n1 = cowlab_kunit_task(test, 22, parent);
	cowlab_stats_fork(parent, n1);
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(n1));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[7]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(t[0]));
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(t[11]));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&cowlab_dropped), 0L);
}

/* The exit that wraps the numbering to 0 gets 1: the entry is exited. */
static void cowlab_stats_task_exit_seq_skips_zero(struct kunit *test)
{
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	cowlab_kunit_table(test, 16);
	atomic_set(&cowlab_exit_seq, (int)U32_MAX);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(parent, child);
	cowlab_kunit_exit_task(child);
	KUNIT_EXPECT_EQ(test, (u32)atomic_read(&cowlab_exit_seq), 1U);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
}

/* cowlab_stats_get() walks the whole table and says where it ends. */
static void cowlab_stats_get_bounds(struct kunit *test)
{
	struct cowlab_proc_snap snap;

	cowlab_kunit_table(test, 16);
	KUNIT_EXPECT_EQ(test, cowlab_stats_capacity(), 16U);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(0, &snap), -ENOENT);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(15, &snap), -ENOENT);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(16, &snap), -ERANGE);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(UINT_MAX, &snap), -ERANGE);
}

/*
 * The stats file's memory figures: the pool, a power-of-two hash and the
 * exit ring.
 */
static void cowlab_stats_totals_memory(struct kunit *test)
{
	static const unsigned int sizes[] = { 16, 17, 100, 4096, 5000 };
	struct cowlab_stats_totals t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t buckets = roundup_pow_of_two(sizes[i]);

		cowlab_kunit_table(test, sizes[i]);
		cowlab_stats_totals(&t);
		KUNIT_EXPECT_EQ(test, t.capacity, sizes[i]);
		KUNIT_EXPECT_EQ(test, t.tracked, 0U);
		KUNIT_EXPECT_EQ(test, t.entry_bytes, sizeof(struct cowlab_proc));
		KUNIT_EXPECT_EQ(test, t.memory_bytes,
				sizes[i] * sizeof(struct cowlab_proc) +
				buckets * sizeof(struct cowlab_bucket) +
				2 * sizes[i] * sizeof(struct cowlab_exited));
		cowlab_stats_exit();
	}
}

/* The class names are the procs file's column names: one word each. */
static void cowlab_event_names_are_columns(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < COWLAB_NR_EVENTS; i++) {
		const char *name = cowlab_event_names[i];

		KUNIT_ASSERT_NOT_NULL_MSG(test, name, "event %u", i);
		KUNIT_EXPECT_GT(test, strlen(name), 0UL);
		for (j = 0; name[j]; j++)
			KUNIT_EXPECT_TRUE_MSG(test, islower(name[j]) ||
					      name[j] == '_', "%s", name);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, name, cowlab_event_names[j]);
	}
}

static struct kunit_case cowlab_stats_test_cases[] = {
	KUNIT_CASE(cowlab_stats_fork_tracks_child),
	KUNIT_CASE(cowlab_stats_fork_ignores_threads),
	KUNIT_CASE(cowlab_stats_task_exit_last_thread),
	KUNIT_CASE(cowlab_stats_exec_renames),
	KUNIT_CASE(cowlab_stats_fork_reused_pid),
	KUNIT_CASE(cowlab_stats_count_attributes_to_owner),
	KUNIT_CASE(cowlab_stats_count_after_group_exit_keeps_counts),
	KUNIT_CASE(cowlab_stats_reset_one_and_all),
	KUNIT_CASE(cowlab_stats_count_notes_pages),
	KUNIT_CASE(cowlab_stats_zap_drops_records),
	KUNIT_CASE(cowlab_stats_count_remembers_owner),
	KUNIT_CASE(cowlab_stats_invalidate_on_exit_exec_reset),
	KUNIT_CASE(cowlab_stats_records_restart),
	KUNIT_CASE(cowlab_stats_fork_full_of_live),
	KUNIT_CASE(cowlab_stats_evict_oldest_first),
	KUNIT_CASE(cowlab_stats_evict_across_seq_wrap),
	KUNIT_CASE(cowlab_stats_evict_stale_slots_and_reset),
	KUNIT_CASE(cowlab_stats_task_exit_seq_skips_zero),
	KUNIT_CASE(cowlab_stats_get_bounds),
	KUNIT_CASE(cowlab_stats_totals_memory),
	KUNIT_CASE(cowlab_event_names_are_columns),
	{}
};

static struct kunit_suite cowlab_stats_test_suite = {
	.name = "cowlab_stats",
	.suite_init = cowlab_stats_kunit_suite_init,
	.suite_exit = cowlab_stats_kunit_suite_exit,
	.exit = cowlab_stats_kunit_exit,
	.test_cases = cowlab_stats_test_cases,
};

kunit_test_suite(cowlab_stats_test_suite);

#endif /* COWLAB_STATS_KUNIT_H */
