/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/stats.c: the process table's lifetime rules
 * (fork, exit, exec, reset), attribution to the mm's owner (its page
 * records in the share of the faulting task's user), and the
 * recycling of exited entries oldest first, across the wrap-around of the
 * exit numbering.  Included at the end of stats.c when built with
 * CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * Every test builds a small table of its own, with page records of its
 * own (cowlab_kunit_table()), and drives it with fake tasks whose tgids no
 * process has (above PID_MAX_LIMIT); the exit frees them.  Nothing here
 * touches the module's table, its probes or its tracepoints: KUnit runs a
 * module's suites after the module's init from 6.3 on, with debugfs up
 * and the probes counting into the module's table meanwhile (and before
 * the init on 6.1).
 *
 * Events are counted the way the probes count them, through an accounting
 * of the test's own over each table (cowlab_kunit_fault(), account.c).  It
 * remembers, per CPU, the last mm it counted for, until the table's
 * generation changes (cowlab_stats_invalidate()): a test that gives an mm
 * another owner between two counts calls it in between (in the kernel,
 * that change happens at an exit, which calls it).
 */
#ifndef COWLAB_STATS_KUNIT_H
#define COWLAB_STATS_KUNIT_H

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/threads.h>

#define COWLAB_KUNIT_TGID(n)	(PID_MAX_LIMIT + 1 + (n))
/* Page records for the tests: 2048 blocks, 1024 for one user. */
#define COWLAB_KUNIT_MAX_PAGES	(1024UL * 1024)
/*
 * The real uid of the fake processes, unless a test says otherwise: not
 * what their page records count as (that is the faulting task's user).
 */
#define COWLAB_KUNIT_UID	1000
#define COWLAB_KUNIT_NTABLES	2

/*
 * What a test has made: up to two tables, each with its page records and
 * the accounting over both.
 */
struct cowlab_stats_kunit {
	struct cowlab_stats *s[COWLAB_KUNIT_NTABLES];
	struct cowlab_pageset *ps[COWLAB_KUNIT_NTABLES];
	struct cowlab_account *acct[COWLAB_KUNIT_NTABLES];
};

/* The running test's (KUnit runs one test at a time). */
static struct cowlab_stats_kunit *cowlab_kunit_made;

static int cowlab_stats_kunit_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct cowlab_stats_kunit),
				   GFP_KERNEL);
	cowlab_kunit_made = test->priv;
	return test->priv ? 0 : -ENOMEM;
}

/* Free table @i of the test, its page records and its accounting. */
static void cowlab_kunit_table_free_n(struct kunit *test, unsigned int i)
{
	struct cowlab_stats_kunit *k = test->priv;

	cowlab_account_destroy(k->acct[i]);
	cowlab_stats_destroy(k->s[i]);
	cowlab_pageset_destroy(k->ps[i]);
	k->acct[i] = NULL;
	k->s[i] = NULL;
	k->ps[i] = NULL;
}

static void cowlab_kunit_table_free(struct kunit *test)
{
	cowlab_kunit_table_free_n(test, 0);
}

static void cowlab_stats_kunit_exit(struct kunit *test)
{
	unsigned int i;

	if (!test->priv)
		return;
	for (i = 0; i < COWLAB_KUNIT_NTABLES; i++)
		cowlab_kunit_table_free_n(test, i);
	cowlab_kunit_made = NULL;
}

/*
 * A new table @i of @size processes, whose page records may hold
 * @max_pages, @user_pages for one user (0: half), instead of any before.
 */
static struct cowlab_stats *cowlab_kunit_table_n(struct kunit *test,
						 unsigned int i,
						 unsigned int size,
						 unsigned long max_pages,
						 unsigned long user_pages)
{
	struct cowlab_stats_kunit *k = test->priv;

	cowlab_kunit_table_free_n(test, i);
	k->ps[i] = cowlab_pageset_create(max_pages, user_pages);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, k->ps[i]);
	k->s[i] = cowlab_stats_create(size, k->ps[i], NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, k->s[i]);
	k->acct[i] = cowlab_account_create(k->s[i], k->ps[i], NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, k->acct[i]);
	return k->s[i];
}

/* The accounting over the test's table @s. */
static struct cowlab_account *cowlab_kunit_account(struct cowlab_stats *s)
{
	unsigned int i;

	for (i = 0; i < COWLAB_KUNIT_NTABLES; i++)
		if (cowlab_kunit_made->s[i] == s)
			return cowlab_kunit_made->acct[i];
	return NULL;
}

/* @ev at @addr of @mm, counted into @s the way the probes count it. */
static void cowlab_kunit_fault(struct cowlab_stats *s, struct mm_struct *mm,
			       unsigned long addr, enum cowlab_event ev)
{
	cowlab_account_fault(cowlab_kunit_account(s), mm, addr, ev);
}

/* [@start, @end) of @mm unmapped, the way the unmap probe sees it. */
static void cowlab_kunit_zap(struct cowlab_stats *s, struct mm_struct *mm,
			     unsigned long start, unsigned long end)
{
	cowlab_account_unmap(cowlab_kunit_account(s), mm, start, end);
}

/* The test's table: @size processes, room for every page record. */
static struct cowlab_stats *cowlab_kunit_table(struct kunit *test,
					       unsigned int size)
{
	return cowlab_kunit_table_n(test, 0, size, COWLAB_KUNIT_MAX_PAGES, 0);
}

/*
 * A fake process of user @uid: what stats.c reads of a task, and nothing
 * more.
 */
static struct task_struct *cowlab_kunit_task_as(struct kunit *test, int n,
						struct task_struct *parent,
						uid_t uid)
{
	struct task_struct *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct signal_struct *sig = kunit_kzalloc(test, sizeof(*sig),
						  GFP_KERNEL);
	struct cred *cred = kunit_kzalloc(test, sizeof(*cred), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sig);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cred);
	t->pid = COWLAB_KUNIT_TGID(n);
	t->tgid = t->pid;
	t->group_leader = t;
	t->signal = sig;
	atomic_set(&sig->live, 1);
	RCU_INIT_POINTER(t->real_parent, parent ? parent : t);
	cred->uid = KUIDT_INIT(uid);
	RCU_INIT_POINTER(t->real_cred, cred);
	snprintf(t->comm, sizeof(t->comm), "kunit-%d", n);
	return t;
}

static struct task_struct *cowlab_kunit_task(struct kunit *test, int n,
					     struct task_struct *parent)
{
	return cowlab_kunit_task_as(test, n, parent, COWLAB_KUNIT_UID);
}

/* The last thread of @t's process exits. */
static void cowlab_kunit_exit_task(struct cowlab_stats *s,
				   struct task_struct *t)
{
	atomic_set(&t->signal->live, 0);
	cowlab_stats_task_exit(s, t);
}

/* Find @tgid's entry: true with *@snap filled, false if not tracked. */
static bool cowlab_kunit_find(struct cowlab_stats *s, pid_t tgid,
			      struct cowlab_proc_snap *snap)
{
	unsigned int idx;
	int ret;

	for (idx = 0; (ret = cowlab_stats_get(s, idx, snap)) != -ERANGE; idx++)
		if (!ret && snap->tgid == tgid)
			return true;
	return false;
}

static bool cowlab_kunit_tracked(struct cowlab_stats *s, struct task_struct *t)
{
	struct cowlab_proc_snap snap;

	return cowlab_kunit_find(s, t->tgid, &snap);
}

static unsigned int cowlab_kunit_ntracked(struct cowlab_stats *s)
{
	struct cowlab_stats_totals totals;

	cowlab_stats_totals(s, &totals);
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
static void cowlab_kunit_count(struct kunit *test, struct cowlab_stats *s,
			       struct task_struct *owner, unsigned int n)
{
	struct mm_struct *mm = cowlab_kunit_mm(test, owner);

	while (n--)
		cowlab_kunit_fault(s, mm, 0x400000, COWLAB_EV_WP_REUSE);
}

/* @tgid's page record at @addr in @s's records, 0 for none. */
static u32 cowlab_kunit_rec_at(struct cowlab_stats *s, pid_t tgid,
			       unsigned long addr)
{
	struct cowlab_pages_cursor cur = {
		.pages = cowlab_pages_get(s->pages, tgid),
	};
	u32 all;

	rcu_read_lock();
	all = cowlab_pages_rec(&cur, addr);
	rcu_read_unlock();
	cowlab_pages_release(cur.pages);
	return all;
}

static unsigned int cowlab_kunit_events(struct cowlab_stats *s,
					struct task_struct *t,
					enum cowlab_event ev)
{
	struct cowlab_proc_snap snap;

	if (!cowlab_kunit_find(s, t->tgid, &snap))
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
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;
	unsigned int ev;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_FALSE(test, snap.exited);
	KUNIT_EXPECT_STREQ(test, snap.comm, "kunit-1");
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++)
		KUNIT_EXPECT_EQ(test, snap.events[ev], 0U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, parent));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
}

/* Threads and kernel threads are not processes of their own. */
static void cowlab_stats_fork_ignores_threads(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *thread, *kthread;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	thread = cowlab_kunit_task(test, 1, parent);
	thread->tgid = parent->tgid;
	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	cowlab_stats_fork(s, parent, thread);
	cowlab_stats_fork(s, parent, kthread);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->dropped), 0L);
}

/* Only the exit of the last thread marks the process exited, once. */
static void cowlab_stats_task_exit_last_thread(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	cowlab_stats_task_exit(s, child);	/* other threads live on */
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_FALSE(test, snap.exited);
	cowlab_kunit_exit_task(s, child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->exit_seq), 1);
	cowlab_stats_task_exit(s, child);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->exit_seq), 1);
	/* An untracked process exiting changes nothing. */
	cowlab_kunit_exit_task(s, parent);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->exit_seq), 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
}

static void cowlab_stats_exec_renames(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	strscpy(child->comm, "new name", sizeof(child->comm));
	cowlab_stats_exec(s, child);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_STREQ(test, snap.comm, "new name");
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	/* exec of an untracked process tracks nothing. */
	cowlab_stats_exec(s, parent);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
}

/*
 * A pid is reused once pid_max wraps, while the exited process that had it
 * may still be listed: the newcomer is a new process, live, from zero.
 */
static void cowlab_stats_fork_reused_pid(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *old, *new;
	struct cowlab_proc_snap snap;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	old = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, old);
	if (IS_ENABLED(CONFIG_MEMCG))
		cowlab_kunit_count(test, s, old, 4);
	cowlab_kunit_exit_task(s, old);
	new = cowlab_kunit_task(test, 1, old);
	strscpy(new->comm, "reused", sizeof(new->comm));
	cowlab_stats_fork(s, old, new);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, new->tgid, &snap));
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
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;
	struct mm_struct *mm;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	mm = cowlab_kunit_mm(test, child);
	cowlab_kunit_fault(s, mm, 0x400000, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, 0x401000, COWLAB_EV_COW_COPY);
	cowlab_kunit_exit_task(s, child);
	cowlab_stats_invalidate(s);
	cowlab_kunit_fault(s, mm, 0x402000, COWLAB_EV_COW_COPY);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_COW_COPY], 3U);
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
	/* The records went at the exit, and the late fault made none. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, child->tgid, 0x400000),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, child->tgid, 0x402000),
			0U);
}

/* Events count for the mm's owner, tracked from its first event. */
static void cowlab_stats_count_attributes_to_owner(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *owner, *kthread;
	struct cowlab_proc_snap snap;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	cowlab_kunit_count(test, s, owner, 3);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, owner->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 3U);
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, snap.ppid, parent->tgid);
	KUNIT_EXPECT_STREQ(test, snap.comm, "kunit-1");
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, parent));

	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	cowlab_kunit_count(test, s, kthread, 1);
	cowlab_kunit_count(test, s, NULL, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->unattributed), 2L);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, kthread));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
}

static void cowlab_stats_reset_one_and_all(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *a, *b;
	struct cowlab_proc_snap snap;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	a = cowlab_kunit_task(test, 1, parent);
	b = cowlab_kunit_task(test, 2, parent);
	cowlab_stats_fork(s, parent, a);
	cowlab_stats_fork(s, parent, b);
	cowlab_kunit_count(test, s, a, 2);
	cowlab_kunit_count(test, s, b, 5);

	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, a->tgid), 0);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, a->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 0U);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, b->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 5U);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, parent->tgid), -ESRCH);

	/* Reset all: counters zeroed, exited processes forgotten. */
	cowlab_kunit_count(test, s, a, 1);
	cowlab_kunit_exit_task(s, b);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, 0), 0);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, a->tgid, &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_WP_REUSE], 0U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, b));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 1U);
}

/*
 * Each class counts for the mm's owner, and the 4 KiB ones note their page
 * in its records, at exactly that page; the THP ones note none; a hugetlb
 * copy notes its whole block.
 */
static void cowlab_stats_count_notes_pages(struct kunit *test)
{
	struct cowlab_stats *s;
	unsigned long a = 0x7f0000200000UL, huge = 0x7f0000600000UL;
	unsigned long hcopy = 0x7f0000a00000UL, hreuse = 0x7f0000e00000UL, pg;
	struct task_struct *parent, *owner;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	u32 all;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	mm = cowlab_kunit_mm(test, owner);
	cowlab_kunit_fault(s, mm, a, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, a, COWLAB_EV_WP_REUSE);
	cowlab_kunit_fault(s, mm, a + PAGE_SIZE, COWLAB_EV_COW_ZERO);
	cowlab_kunit_fault(s, mm, a + 2 * PAGE_SIZE, COWLAB_EV_UNSHARE);
	cowlab_kunit_fault(s, mm, huge, COWLAB_EV_THP_REUSE);
	cowlab_kunit_fault(s, mm, huge, COWLAB_EV_THP_SPLIT);

	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_COPY),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_ZERO),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_WP_REUSE),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_UNSHARE),
			1U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_events(s, owner, COWLAB_EV_THP_REUSE), 1U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_events(s, owner, COWLAB_EV_THP_SPLIT), 1U);

	cowlab_rec_decode(cowlab_kunit_rec_at(s, owner->tgid, a), &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	cowlab_rec_decode(cowlab_kunit_rec_at(s, owner->tgid, a + PAGE_SIZE),
			  &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
	all = cowlab_kunit_rec_at(s, owner->tgid, a + 2 * PAGE_SIZE);
	KUNIT_EXPECT_NE(test, all, 0U);
	cowlab_rec_decode(all, &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid,
						  a + 3 * PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(s, owner->tgid, a - PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, huge), 0U);
	/* Nothing for anyone else. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, parent->tgid, a), 0U);

	/*
	 * hugetlb: a huge page copied counts once and makes every page of
	 * its 2 MiB block copied, with no per-page counter; a huge page
	 * reused counts once and notes nothing.
	 */
	cowlab_kunit_fault(s, mm, hcopy, COWLAB_EV_HUGE_COPY);
	cowlab_kunit_fault(s, mm, hreuse, COWLAB_EV_HUGE_REUSE);
	cowlab_kunit_fault(s, mm, hreuse, COWLAB_EV_HUGE_REUSE);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_events(s, owner, COWLAB_EV_HUGE_COPY), 1U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_events(s, owner, COWLAB_EV_HUGE_REUSE), 2U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_COPY),
			1U);
	for (pg = hcopy; pg < hcopy + PMD_SIZE; pg += PAGE_SIZE) {
		cowlab_rec_decode(cowlab_kunit_rec_at(s, owner->tgid, pg), &rec);
		KUNIT_EXPECT_TRUE_MSG(test, rec.copied, "page %#lx", pg);
		KUNIT_EXPECT_EQ_MSG(test, rec.events[COWLAB_EV_COW_COPY], 0U,
				    "page %#lx", pg);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid,
						  hcopy + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, hreuse), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, parent->tgid, hcopy), 0U);
}

/* The blocks of page records @s holds, and those zaps freed. */
static void cowlab_kunit_expect_blocks(struct kunit *test,
				       struct cowlab_stats *s,
				       unsigned long blocks,
				       unsigned long freed)
{
	struct cowlab_pages_totals pt;

	cowlab_pages_totals(s->pages, &pt);
	KUNIT_EXPECT_EQ(test, pt.blocks, blocks);
	KUNIT_EXPECT_EQ(test, pt.blocks_freed, freed);
}

/*
 * Unmapping drops the page records of the range, for the mm's owner, and
 * frees the blocks it empties.
 */
static void cowlab_stats_zap_drops_records(struct kunit *test)
{
	unsigned long a = 0x7f0000200000UL, pg = PAGE_SIZE;
	struct task_struct *parent, *owner, *kthread;
	struct cowlab_page_rec rec;
	struct cowlab_stats *s;
	struct mm_struct *mm;
	struct cowlab_pages *p;
	u32 late;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	kthread = cowlab_kunit_task(test, 2, parent);
	kthread->flags |= PF_KTHREAD;
	mm = cowlab_kunit_mm(test, owner);
	cowlab_kunit_fault(s, mm, a, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, a + pg, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, a + 2 * pg, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, a + PMD_SIZE, COWLAB_EV_COW_COPY);

	cowlab_kunit_expect_blocks(test, s, 2, 0);

	cowlab_kunit_zap(s, mm, a + pg, a + 2 * pg);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(s, owner->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, a + pg), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(s, owner->tgid, a + 2 * pg),
			0U);
	cowlab_kunit_expect_blocks(test, s, 2, 0);
	cowlab_kunit_zap(s, mm, a + 2 * pg, a + PMD_SIZE + pg);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(s, owner->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, a + 2 * pg),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, a + PMD_SIZE),
			0U);
	cowlab_kunit_expect_blocks(test, s, 1, 1);

	/* No owner (the mm at exit), or a kernel thread: no records found. */
	cowlab_kunit_set_owner(mm, NULL);
	cowlab_kunit_zap(s, mm, 0, ULONG_MAX);
	cowlab_kunit_set_owner(mm, kthread);
	cowlab_kunit_zap(s, mm, 0, ULONG_MAX);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(s, owner->tgid, a), 0U);
	cowlab_kunit_expect_blocks(test, s, 1, 1);

	/* An owner with no records: none made for it. */
	cowlab_kunit_set_owner(mm, parent);
	cowlab_kunit_zap(s, mm, 0, ULONG_MAX);
	p = cowlab_pages_get(s->pages, parent->tgid);
	KUNIT_EXPECT_NULL(test, p);
	cowlab_pages_release(p);

	cowlab_kunit_set_owner(mm, owner);
	cowlab_kunit_zap(s, mm, 0, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, a), 0U);
	cowlab_kunit_expect_blocks(test, s, 0, 2);
	/* A new event there is a new page: not copied by the earlier ones. */
	cowlab_kunit_fault(s, mm, a + pg, COWLAB_EV_WP_REUSE);
	cowlab_rec_decode(cowlab_kunit_rec_at(s, owner->tgid, a + pg), &rec);
	KUNIT_EXPECT_FALSE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	cowlab_kunit_expect_blocks(test, s, 1, 2);

	/*
	 * On one CPU, as faults and unmaps of one process come: the block the
	 * fault path remembers is emptied and freed between two counts; the
	 * second puts its record into a fresh block, not the freed one.
	 */
	preempt_disable();
	cowlab_kunit_fault(s, mm, a + 5 * pg, COWLAB_EV_COW_COPY);
	cowlab_kunit_zap(s, mm, a, a + PMD_SIZE);
	cowlab_kunit_fault(s, mm, a + 6 * pg, COWLAB_EV_COW_ZERO);
	preempt_enable();
	late = cowlab_kunit_rec_at(s, owner->tgid, a + 6 * pg);
	cowlab_rec_decode(late, &rec);
	KUNIT_EXPECT_NE(test, late, 0U);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, a + 5 * pg),
			0U);
	cowlab_kunit_expect_blocks(test, s, 1, 3);
	/* The counters are the process's history: they stay. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_COPY),
			5U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_ZERO),
			1U);
}

/*
 * The fault path remembers the last mm it counted for, per CPU: a second
 * count on the same CPU goes where the first went, without looking the
 * owner up, until cowlab_stats_invalidate() or an exit anywhere.
 */
static void cowlab_stats_count_remembers_owner(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *a, *b, *other;
	unsigned long addr = 0x400000;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	long gen;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	a = cowlab_kunit_task(test, 1, parent);
	b = cowlab_kunit_task(test, 2, parent);
	other = cowlab_kunit_task(test, 3, parent);
	cowlab_stats_fork(s, parent, other);
	mm = cowlab_kunit_mm(test, a);

	/* One CPU throughout, as in a fault. */
	preempt_disable();
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_WP_REUSE);
	gen = atomic_long_read(&s->gen);
	cowlab_kunit_set_owner(mm, b);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_WP_REUSE);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, a, COWLAB_EV_WP_REUSE),
			2U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, b));
	cowlab_rec_decode(cowlab_kunit_rec_at(s, a->tgid, addr), &rec);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 2U);

	/* Invalidated: the next count, on any CPU, looks the owner up. */
	cowlab_stats_invalidate(s);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen + 1);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, a, COWLAB_EV_WP_REUSE),
			2U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, b, COWLAB_EV_WP_REUSE),
			1U);
	cowlab_rec_decode(cowlab_kunit_rec_at(s, b->tgid, addr), &rec);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	KUNIT_EXPECT_FALSE(test, rec.copied);

	/* The owner changes back at the exit of another process. */
	cowlab_kunit_set_owner(mm, a);
	cowlab_kunit_exit_task(s, other);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, a, COWLAB_EV_COW_COPY),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, b, COWLAB_EV_COW_COPY),
			0U);
	cowlab_rec_decode(cowlab_kunit_rec_at(s, a->tgid, addr), &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 2U);
}

/* Exit (of the last thread), exec and reset forget what CPUs remember. */
static void cowlab_stats_invalidate_on_exit_exec_reset(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	long gen;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	gen = atomic_long_read(&s->gen);
	cowlab_stats_fork(s, parent, cowlab_kunit_task(test, 2, parent));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen);
	cowlab_stats_exec(s, child);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen + 1);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, child->tgid), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen + 2);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen + 3);
	cowlab_kunit_exit_task(s, child);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->gen), gen + 4);
}

/*
 * Reset and exec drop a process's records; the next event, even on a CPU
 * that remembers the process, starts a fresh record in a fresh table.
 */
static void cowlab_stats_records_restart(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *owner;
	unsigned long addr = 0x400000;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	u32 after_reset, after_exec;
	int ret;

	cowlab_kunit_need_owner(test);
	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	owner = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, owner);
	mm = cowlab_kunit_mm(test, owner);

	preempt_disable();
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_COW_COPY);
	ret = cowlab_stats_reset(s, owner->tgid);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_WP_REUSE);
	after_reset = cowlab_kunit_rec_at(s, owner->tgid, addr);
	cowlab_stats_exec(s, owner);
	cowlab_kunit_fault(s, mm, addr + PAGE_SIZE, COWLAB_EV_COW_ZERO);
	after_exec = cowlab_kunit_rec_at(s, owner->tgid, addr + PAGE_SIZE);
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
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s, owner->tgid, addr), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_COPY),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_WP_REUSE),
			1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, owner, COWLAB_EV_COW_ZERO),
			1U);
}

/* A table full of live processes drops new ones, and their events. */
static void cowlab_stats_fork_full_of_live(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *t[17];
	unsigned int i;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 17; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(s, parent, t[i]);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 16U);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[16]));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->dropped), 1L);
	if (IS_ENABLED(CONFIG_MEMCG)) {
		cowlab_kunit_count(test, s, t[16], 2);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&s->events_dropped),
				2L);
	}
	/* Once one exits, its entry is recycled for the next newcomer. */
	cowlab_kunit_exit_task(s, t[3]);
	cowlab_stats_fork(s, parent, t[16]);
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s, t[16]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[3]));
}

/*
 * Fill a 16-entry table, exit processes @order[0..@nexit) in that order,
 * then fork newcomers one at a time and check after each fork which of the
 * exited ones are still listed (@left[i]: the bitmap, by order index).
 */
static void cowlab_kunit_evictions(struct kunit *test, struct cowlab_stats *s,
				   const int *order, unsigned int nexit,
				   const u32 *left, unsigned int nforks)
{
	struct task_struct *parent, *t[16], *newcomer;
	unsigned int i, j;

	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 16; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(s, parent, t[i]);
	}
	for (i = 0; i < nexit; i++)
		cowlab_kunit_exit_task(s, t[order[i]]);
	for (i = 0; i < nforks; i++) {
		newcomer = cowlab_kunit_task(test, 17 + i, parent);
		cowlab_stats_fork(s, parent, newcomer);
		KUNIT_EXPECT_TRUE_MSG(test, cowlab_kunit_tracked(s, newcomer),
				      "newcomer %u", i);
		for (j = 0; j < nexit; j++) {
			bool listed = cowlab_kunit_tracked(s, t[order[j]]);

			KUNIT_EXPECT_EQ_MSG(test, listed,
					    (bool)(left[i] & BIT(j)),
					    "after newcomer %u: exited #%u (task %d)",
					    i, j, order[j]);
		}
	}
	/* The live ones were never candidates. */
	for (i = 0; i < 16; i++)
		if (atomic_read(&t[i]->signal->live))
			KUNIT_EXPECT_TRUE_MSG(test,
					      cowlab_kunit_tracked(s, t[i]),
					      "live task %u", i);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->dropped), 0L);
}

/*
 * The oldest exits go first, an eighth of the table (2 of 16) at a time,
 * whatever their place in the table.
 */
static void cowlab_stats_evict_oldest_first(struct kunit *test)
{
	struct cowlab_stats *s;
	static const int order[] = { 3, 7, 1, 12, 5 };
	/* Which of order[] are left after each newcomer (bit j: order[j]). */
	static const u32 left[] = {
		0x1c,	/* 3 and 7 recycled, one entry spare */
		0x1c,	/* the spare entry used */
		0x10,	/* 1 and 12 recycled */
		0x10,
		0x00,	/* 5: the last exited one */
	};

	s = cowlab_kunit_table(test, 16);
	cowlab_kunit_evictions(test, s, order, ARRAY_SIZE(order), left,
			       ARRAY_SIZE(left));
}

/*
 * Exit numbers wrap around u32 (0 is skipped: it means live); the oldest
 * still go first across the wrap, two at a time.
 */
static void cowlab_stats_evict_across_seq_wrap(struct kunit *test)
{
	struct cowlab_stats *s;
	static const int order[] = { 0, 1, 2, 3, 4 };
	static const u32 left[] = {
		0x1c,	/* numbered 0xfffffffe, 0xffffffff: recycled */
		0x1c,
		0x10,	/* numbered 1 (after the skipped 0) and 2 */
		0x10,
		0x00,	/* numbered 3 */
	};

	s = cowlab_kunit_table(test, 16);
	atomic_set(&s->exit_seq, (int)(U32_MAX - 2));
	cowlab_kunit_evictions(test, s, order, ARRAY_SIZE(order), left,
			       ARRAY_SIZE(left));
	KUNIT_EXPECT_EQ(test, (u32)atomic_read(&s->exit_seq), 3U);
}

/*
 * The exit ring: an entry taken over by a fork of its reused pid leaves a
 * stale slot behind, which recycling skips; the entry's second exit is
 * where it stands in the order.  A reset empties the ring: exits after it
 * are recycled in their own order.
 */
static void cowlab_stats_evict_stale_slots_and_reset(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *t[16], *again, *n1, *n2, *n3;
	unsigned int i;

	s = cowlab_kunit_table(test, 16);
	parent = cowlab_kunit_task(test, 0, NULL);
	for (i = 0; i < 16; i++) {
		t[i] = cowlab_kunit_task(test, i + 1, parent);
		cowlab_stats_fork(s, parent, t[i]);
	}
	cowlab_kunit_exit_task(s, t[4]);		/* slot 1: goes stale */
	again = cowlab_kunit_task(test, 5, parent);	/* t[4]'s pid */
	cowlab_stats_fork(s, parent, again);
	cowlab_kunit_exit_task(s, t[9]);		/* slot 2 */
	cowlab_kunit_exit_task(s, again);		/* slot 3 */
	cowlab_kunit_exit_task(s, t[2]);		/* slot 4 */
	n1 = cowlab_kunit_task(test, 17, parent);
	cowlab_stats_fork(s, parent, n1);
	/* The stale slot skipped; t[9] and t[4]'s pid recycled; t[2] left. */
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s, n1));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[9]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, again));
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s, t[2]));
	/* A reset forgets t[2]; later exits go in their own order. */
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s, 0), 0);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[2]));
	n2 = cowlab_kunit_task(test, 18, parent);
	cowlab_stats_fork(s, parent, n2);		/* a free entry */
	n3 = cowlab_kunit_task(test, 19, parent);
	cowlab_stats_fork(s, parent, n3);		/* ... and another */
	cowlab_kunit_exit_task(s, t[7]);
	cowlab_kunit_exit_task(s, t[0]);
	cowlab_kunit_exit_task(s, t[11]);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s), 16U);	/* full */
	n1 = cowlab_kunit_task(test, 22, parent);
	cowlab_stats_fork(s, parent, n1);
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s, n1));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[7]));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s, t[0]));
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s, t[11]));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->dropped), 0L);
}

/* The exit that wraps the numbering to 0 gets 1: the entry is exited. */
static void cowlab_stats_task_exit_seq_skips_zero(struct kunit *test)
{
	struct cowlab_stats *s;
	struct task_struct *parent, *child;
	struct cowlab_proc_snap snap;

	s = cowlab_kunit_table(test, 16);
	atomic_set(&s->exit_seq, (int)U32_MAX);
	parent = cowlab_kunit_task(test, 0, NULL);
	child = cowlab_kunit_task(test, 1, parent);
	cowlab_stats_fork(s, parent, child);
	cowlab_kunit_exit_task(s, child);
	KUNIT_EXPECT_EQ(test, (u32)atomic_read(&s->exit_seq), 1U);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s, child->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
}

/* cowlab_stats_get(s, ) walks the whole table and says where it ends. */
static void cowlab_stats_get_bounds(struct kunit *test)
{
	struct cowlab_stats_totals t;
	struct cowlab_stats *s;
	struct cowlab_proc_snap snap;

	s = cowlab_kunit_table(test, 16);
	cowlab_stats_totals(s, &t);
	KUNIT_EXPECT_EQ(test, t.capacity, 16U);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(s, 0, &snap), -ENOENT);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(s, 15, &snap), -ENOENT);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(s, 16, &snap), -ERANGE);
	KUNIT_EXPECT_EQ(test, cowlab_stats_get(s, UINT_MAX, &snap), -ERANGE);
}

/*
 * The stats file's memory figures: the pool, a power-of-two hash and the
 * exit ring.
 */
static void cowlab_stats_totals_memory(struct kunit *test)
{
	struct cowlab_stats *s;
	static const unsigned int sizes[] = { 16, 17, 100, 4096, 5000 };
	struct cowlab_stats_totals t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t buckets = roundup_pow_of_two(sizes[i]);

		s = cowlab_kunit_table(test, sizes[i]);
		cowlab_stats_totals(s, &t);
		KUNIT_EXPECT_EQ(test, t.capacity, sizes[i]);
		KUNIT_EXPECT_EQ(test, t.tracked, 0U);
		KUNIT_EXPECT_EQ(test, t.entry_bytes,
				sizeof(struct cowlab_proc));
		KUNIT_EXPECT_EQ(test, t.memory_bytes,
				sizes[i] * sizeof(struct cowlab_proc) +
				buckets * sizeof(struct cowlab_bucket) +
				2 * sizes[i] * sizeof(struct cowlab_exited));
		cowlab_kunit_table_free(test);
	}
}

/*
 * Two tables, each with its page records, see exactly their own events:
 * the same process counted into both, on one CPU (what the fault path
 * remembers is the table's own), forked, exited and reset in one of them.
 * Each holds exactly the test's fake process and nothing of the guest's
 * processes, whose faults the module's own table counts meanwhile when
 * the module is live (6.3 and later run the suites after its init).
 */
static void cowlab_stats_tables_independent(struct kunit *test)
{
	struct task_struct *parent, *p, *q;
	unsigned long a = 0x7f0000200000UL;
	struct cowlab_stats_totals t;
	struct cowlab_proc_snap snap;
	struct cowlab_stats *s1, *s2;
	struct cowlab_page_rec rec;
	struct mm_struct *mm;
	unsigned int idx, n;
	long gen2;
	int ret;

	cowlab_kunit_need_owner(test);
	s1 = cowlab_kunit_table_n(test, 0, 16, COWLAB_KUNIT_MAX_PAGES, 0);
	s2 = cowlab_kunit_table_n(test, 1, 16, COWLAB_KUNIT_MAX_PAGES, 0);
	KUNIT_ASSERT_PTR_NE(test, s1->pages, s2->pages);
	parent = cowlab_kunit_task(test, 0, NULL);
	p = cowlab_kunit_task(test, 1, parent);
	q = cowlab_kunit_task(test, 2, parent);
	cowlab_stats_fork(s1, parent, p);
	mm = cowlab_kunit_mm(test, p);

	preempt_disable();
	cowlab_kunit_fault(s1, mm, a, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s1, mm, a, COWLAB_EV_COW_COPY);
	cowlab_kunit_fault(s2, mm, a, COWLAB_EV_WP_REUSE);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s1, p, COWLAB_EV_COW_COPY),
			2U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s1, p, COWLAB_EV_WP_REUSE),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s2, p, COWLAB_EV_COW_COPY),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s2, p, COWLAB_EV_WP_REUSE),
			1U);
	cowlab_rec_decode(cowlab_kunit_rec_at(s1, p->tgid, a), &rec);
	KUNIT_EXPECT_TRUE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 2U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 0U);
	cowlab_rec_decode(cowlab_kunit_rec_at(s2, p->tgid, a), &rec);
	KUNIT_EXPECT_FALSE(test, rec.copied);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);

	/* Exactly the test's process in each, nothing else. */
	cowlab_stats_totals(s1, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 1U);
	KUNIT_EXPECT_EQ(test, t.dropped + t.events_dropped + t.unattributed,
			0UL);
	cowlab_stats_totals(s2, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 1U);
	KUNIT_EXPECT_EQ(test, t.dropped + t.events_dropped + t.unattributed,
			0UL);
	for (n = 0, idx = 0; (ret = cowlab_stats_get(s2, idx, &snap)) != -ERANGE;
	     idx++) {
		if (ret)
			continue;
		n++;
		KUNIT_EXPECT_EQ_MSG(test, snap.tgid, p->tgid, "entry %u", idx);
	}
	KUNIT_EXPECT_EQ(test, n, 1U);

	/* Fork, exit and reset in one table leave the other alone. */
	gen2 = atomic_long_read(&s2->gen);
	cowlab_stats_fork(s2, parent, q);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_tracked(s1, q));
	KUNIT_EXPECT_TRUE(test, cowlab_kunit_tracked(s2, q));
	cowlab_kunit_exit_task(s1, p);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s1, p->tgid, &snap));
	KUNIT_EXPECT_TRUE(test, snap.exited);
	KUNIT_ASSERT_TRUE(test, cowlab_kunit_find(s2, p->tgid, &snap));
	KUNIT_EXPECT_FALSE(test, snap.exited);
	KUNIT_EXPECT_EQ(test, atomic_read(&s1->exit_seq), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s2->exit_seq), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s2->gen), gen2);
	/* The exit took s1's records of the process, not s2's. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s1, p->tgid, a), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(s2, p->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(s2, 0), 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s1, p, COWLAB_EV_COW_COPY),
			2U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s2, p, COWLAB_EV_WP_REUSE),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(s2, p->tgid, a), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s1), 1U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_ntracked(s2), 2U);
}

/* Run as user @uid until cowlab_kunit_unbecome(), as a faulting task. */
static const struct cred *cowlab_kunit_become(struct kunit *test,
					      struct cred **mine, uid_t uid)
{
	*mine = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, *mine);
	(*mine)->uid = KUIDT_INIT(uid);
	return override_creds(*mine);
}

/* Right where override_creds() takes a reference (6.12) and not (6.14). */
static void cowlab_kunit_unbecome(const struct cred *old, struct cred *mine)
{
	revert_creds(old);
	put_cred(mine);
}

/*
 * Page records count in the share of the user the faulting task runs as
 * (current_uid()), not the mm owner's (the fake owners run as
 * COWLAB_KUNIT_UID): with 4 blocks and 2 a user, a process that made a
 * block as the KUnit thread's user and then runs as uid 2000 gets 2 more
 * blocks, is refused a third (that user's dropped), and is uid 2000's
 * process by its newest block.  The process counters are exact
 * regardless.
 */
static void cowlab_stats_count_charges_faulting_user(struct kunit *test)
{
	const uid_t me = from_kuid(&init_user_ns, current_uid());
	static const unsigned long uid = 2000;
	struct cowlab_pages_totals pt;
	struct task_struct *parent, *p;
	const struct cred *old;
	struct cowlab_user_snap u;
	unsigned long addr = 0x400000, key = 0;
	struct cowlab_stats *s;
	struct mm_struct *mm;
	struct cred *mine;
	unsigned int i;

	cowlab_kunit_need_owner(test);
	KUNIT_ASSERT_NE(test, (unsigned long)me, uid);
	KUNIT_ASSERT_NE(test, me, (uid_t)COWLAB_KUNIT_UID);
	s = cowlab_kunit_table_n(test, 0, 16, 4 * COWLAB_BLOCK_PAGES,
				 2 * COWLAB_BLOCK_PAGES);
	parent = cowlab_kunit_task(test, 0, NULL);
	p = cowlab_kunit_task(test, 1, parent);
	mm = cowlab_kunit_mm(test, p);
	cowlab_kunit_fault(s, mm, addr, COWLAB_EV_COW_COPY);
	old = cowlab_kunit_become(test, &mine, uid);
	for (i = 1; i <= 3; i++)
		cowlab_kunit_fault(s, mm, addr + i * PMD_SIZE,
				   COWLAB_EV_COW_COPY);
	cowlab_kunit_unbecome(old, mine);

	KUNIT_EXPECT_EQ(test, cowlab_kunit_events(s, p, COWLAB_EV_COW_COPY),
			4U);
	for (i = 0; i <= 3; i++) {
		u32 all = cowlab_kunit_rec_at(s, p->tgid, addr + i * PMD_SIZE);

		KUNIT_EXPECT_EQ_MSG(test, all != 0, i < 3, "block %u", i);
	}
	cowlab_pages_totals(s->pages, &pt);
	KUNIT_EXPECT_EQ(test, pt.blocks, 3UL);
	KUNIT_EXPECT_EQ(test, pt.dropped, 1UL);
	KUNIT_EXPECT_EQ(test, pt.dropped_user, 1UL);
	KUNIT_EXPECT_EQ(test, pt.dropped_set, 0UL);

	/* Two rows, in uid order: none for the owner's uid. */
	KUNIT_ASSERT_TRUE(test, cowlab_pages_user_next(s->pages, &key, true,
						       &u));
	KUNIT_EXPECT_EQ(test, u.uid, (unsigned long)me);
	KUNIT_EXPECT_EQ(test, u.pages, 1UL * COWLAB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, u.dropped, 0UL);
	KUNIT_EXPECT_EQ(test, u.procs, 0UL);
	KUNIT_EXPECT_EQ(test, u.short_tgid, 0);
	KUNIT_ASSERT_TRUE(test, cowlab_pages_user_next(s->pages, &key, false,
						       &u));
	KUNIT_EXPECT_EQ(test, u.uid, uid);
	KUNIT_EXPECT_EQ(test, u.pages, 2UL * COWLAB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, u.dropped, 1UL);
	KUNIT_EXPECT_EQ(test, u.procs, 1UL);
	KUNIT_EXPECT_EQ(test, u.short_tgid, p->tgid);
	KUNIT_EXPECT_EQ(test, u.short_dropped, 1UL);
	KUNIT_EXPECT_FALSE(test, cowlab_pages_user_next(s->pages, &key, false,
							&u));
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
	KUNIT_CASE(cowlab_stats_tables_independent),
	KUNIT_CASE(cowlab_stats_count_charges_faulting_user),
	KUNIT_CASE(cowlab_event_names_are_columns),
	{}
};

static struct kunit_suite cowlab_stats_test_suite = {
	.name = "cowlab_stats",
	.init = cowlab_stats_kunit_init,
	.exit = cowlab_stats_kunit_exit,
	.test_cases = cowlab_stats_test_cases,
};

kunit_test_suite(cowlab_stats_test_suite);

#endif /* COWLAB_STATS_KUNIT_H */
