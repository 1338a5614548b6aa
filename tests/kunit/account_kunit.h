/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/account.c: what the fault path remembers per CPU
 * (struct cowlab_fault_cache).  How events are counted and attributed is
 * tested with the process table, in stats_kunit.h, through the same
 * interface the probes call.  Included at the end of account.c when built
 * with CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * The test makes a page set, sites, a table and an accounting of its own,
 * and fake processes whose tgids no process has (above PID_MAX_LIMIT).
 */
#ifndef COWLAB_ACCOUNT_KUNIT_H
#define COWLAB_ACCOUNT_KUNIT_H

#include <kunit/test.h>
#include <linux/threads.h>

struct cowlab_account_kunit {
	struct cowlab_siteset *sites;
	struct cowlab_pageset *pages;
	struct cowlab_stats *stats;
	struct cowlab_account *acct;
	bool sites_were_on;		/* the switch, before the test */
};

static int cowlab_account_kunit_init(struct kunit *test)
{
	struct cowlab_account_kunit *k;

	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	test->priv = k;
	/* Recording on, as a user switches it (off by default). */
	k->sites_were_on = cowlab_sites_switch(true);
	k->sites = cowlab_siteset_create();
	if (IS_ERR(k->sites))
		return PTR_ERR(k->sites);
	k->pages = cowlab_pageset_create(64 * COWLAB_BLOCK_PAGES, 0);
	if (IS_ERR(k->pages))
		return PTR_ERR(k->pages);
	k->stats = cowlab_stats_create(16, k->pages, k->sites);
	if (IS_ERR(k->stats))
		return PTR_ERR(k->stats);
	k->acct = cowlab_account_create(k->stats, k->pages, k->sites);
	return PTR_ERR_OR_ZERO(k->acct);
}

static void cowlab_account_kunit_exit(struct kunit *test)
{
	struct cowlab_account_kunit *k = test->priv;

	if (!k)
		return;
	cowlab_account_destroy(k->acct);
	cowlab_stats_destroy(k->stats);
	cowlab_pageset_destroy(k->pages);
	cowlab_siteset_destroy(k->sites);
	cowlab_sites_switch(k->sites_were_on);
}

/* A process of its own (a group leader, its own parent), fake tgid @n. */
static struct task_struct *cowlab_account_kunit_proc(struct kunit *test,
						     int n)
{
	struct task_struct *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->tgid = PID_MAX_LIMIT + 1 + n;
	t->pid = t->tgid;
	t->group_leader = t;
	RCU_INIT_POINTER(t->real_parent, t);
	strscpy(t->comm, "kunit-acct", sizeof(t->comm));
	return t;
}

/* An mm owned by @owner (kunit_skip() without CONFIG_MEMCG: no owner). */
static struct mm_struct *cowlab_account_kunit_mm(struct kunit *test,
						 struct task_struct *owner)
{
	struct mm_struct *mm;

	if (!IS_ENABLED(CONFIG_MEMCG))
		kunit_skip(test, "no mm->owner without CONFIG_MEMCG");
	mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mm);
#ifdef CONFIG_MEMCG
	rcu_assign_pointer(mm->owner, owner);
#endif
	return mm;
}

/*
 * A count fills this CPU's cache with the mm, the table's generation, the
 * process's entry and its records; the next count on the CPU trusts it,
 * whoever owns the mm meanwhile, until the generation changes.
 */
static void cowlab_account_fault_fills_cache(struct kunit *test)
{
	struct cowlab_account_kunit *k = test->priv;
	struct task_struct *a, *b;
	struct cowlab_fault_cache c1, c2, c3;
	struct mm_struct *mm;
	unsigned long gen1, gen3;

	a = cowlab_account_kunit_proc(test, 1);
	b = cowlab_account_kunit_proc(test, 2);
	mm = cowlab_account_kunit_mm(test, a);

	/* One CPU throughout, as in a fault. */
	preempt_disable();
	cowlab_account_fault(k->acct, mm, 0x400000, COWLAB_EV_WP_REUSE);
	c1 = *this_cpu_ptr(k->acct->cache);
	gen1 = cowlab_stats_gen(k->stats);
#ifdef CONFIG_MEMCG
	rcu_assign_pointer(mm->owner, b);
#endif
	cowlab_account_fault(k->acct, mm, 0x401000, COWLAB_EV_WP_REUSE);
	c2 = *this_cpu_ptr(k->acct->cache);
	/* A reset of the process: the table's generation goes up. */
	cowlab_stats_reset(k->stats, a->tgid);
	cowlab_account_fault(k->acct, mm, 0x402000, COWLAB_EV_WP_REUSE);
	c3 = *this_cpu_ptr(k->acct->cache);
	gen3 = cowlab_stats_gen(k->stats);
	preempt_enable();

	KUNIT_EXPECT_PTR_EQ(test, c1.mm, mm);
	KUNIT_EXPECT_EQ(test, c1.gen, gen1);
	KUNIT_EXPECT_NOT_NULL(test, c1.proc);
	KUNIT_EXPECT_EQ(test, c1.pages.tgid, a->tgid);
	/* Trusted: the same entry, the same process's records. */
	KUNIT_EXPECT_PTR_EQ(test, c2.proc, c1.proc);
	KUNIT_EXPECT_EQ(test, c2.gen, gen1);
	KUNIT_EXPECT_EQ(test, c2.pages.tgid, a->tgid);
	/* Filled again, for the owner now. */
	KUNIT_EXPECT_GT(test, gen3, gen1);
	KUNIT_EXPECT_EQ(test, c3.gen, gen3);
	KUNIT_EXPECT_PTR_NE(test, c3.proc, c1.proc);
	KUNIT_EXPECT_EQ(test, c3.pages.tgid, b->tgid);
}

/* @tgid's events in @s's table, or false if it has no entry. */
static bool cowlab_account_kunit_snap(struct cowlab_stats *s, pid_t tgid,
				      struct cowlab_proc_snap *snap)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (!cowlab_stats_get(s, i, snap) && snap->tgid == tgid)
			return true;
	return false;
}

/*
 * N events at once (fork's copies past its runs): N counted for the
 * owner, no page record made; with no owner, N unattributed.  One event
 * with its address, for comparison, makes one record.
 */
static void cowlab_account_events_counts_n(struct kunit *test)
{
	struct cowlab_account_kunit *k = test->priv;
	struct cowlab_stats_totals t;
	struct cowlab_pages_totals pt;
	struct cowlab_proc_snap snap;
	struct mm_struct *mm, *orphan;
	struct task_struct *a;

	a = cowlab_account_kunit_proc(test, 3);
	mm = cowlab_account_kunit_mm(test, a);
	orphan = kunit_kzalloc(test, sizeof(*orphan), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, orphan);

	preempt_disable();
	cowlab_account_events(k->acct, mm, COWLAB_EV_FORK_COPY, 5);
	cowlab_account_events(k->acct, orphan, COWLAB_EV_FORK_COPY, 3);
	preempt_enable();
	cowlab_pages_totals(k->pages, &pt);
	KUNIT_EXPECT_EQ(test, pt.tracked, 0UL);
	preempt_disable();
	cowlab_account_fault(k->acct, mm, 0x400000, COWLAB_EV_FORK_COPY);
	preempt_enable();

	KUNIT_ASSERT_TRUE(test, cowlab_account_kunit_snap(k->stats, a->tgid,
							  &snap));
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_FORK_COPY], 6U);
	KUNIT_EXPECT_EQ(test, snap.events[COWLAB_EV_COW_COPY], 0U);
	cowlab_stats_totals(k->stats, &t);
	KUNIT_EXPECT_EQ(test, t.unattributed, 3UL);
	KUNIT_EXPECT_EQ(test, t.events_dropped, 0UL);
	cowlab_pages_totals(k->pages, &pt);
	KUNIT_EXPECT_EQ(test, pt.tracked, 1UL);
}

/*
 * Every event counted is noted in the owner's sites (here a task row: this
 * KUnit thread is not in the mm), exiting or not; the process table says
 * when they go: exec folds addresses only, a reset forgets them, and so
 * does a fork that reuses the pid.
 */
static void cowlab_account_fault_notes_sites(struct kunit *test)
{
	struct cowlab_account_kunit *k = test->priv;
	struct cowlab_site_row *rows;
	struct task_struct *a, *child;
	struct mm_struct *mm;

	a = cowlab_account_kunit_proc(test, 3);
	mm = cowlab_account_kunit_mm(test, a);
	rows = kunit_kcalloc(test, COWLAB_SITE_LINES, sizeof(*rows),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	preempt_disable();
	cowlab_account_fault(k->acct, mm, 0x400000, COWLAB_EV_COW_COPY);
	cowlab_account_fault(k->acct, mm, 0x401000, COWLAB_EV_COW_COPY);
	cowlab_account_fault(k->acct, mm, 0x402000, COWLAB_EV_COW_ZERO);
	/* N at once (fork's copies past its runs): N in one row. */
	cowlab_account_events(k->acct, mm, COWLAB_EV_FORK_COPY, 5);
	preempt_enable();
	KUNIT_ASSERT_EQ(test, cowlab_sites_snap(k->sites, a->tgid, rows), 3);
	KUNIT_EXPECT_EQ(test, rows[0].kind, COWLAB_SITE_TASK);
	KUNIT_EXPECT_EQ(test, rows[0].ev, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, rows[0].count, 2);
	KUNIT_EXPECT_EQ(test, rows[1].ev, COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_EQ(test, rows[1].count, 1);
	KUNIT_EXPECT_EQ(test, rows[2].ev, COWLAB_EV_FORK_COPY);
	KUNIT_EXPECT_EQ(test, rows[2].count, 5);

	cowlab_stats_exec(k->stats, a);
	KUNIT_EXPECT_EQ(test, cowlab_sites_snap(k->sites, a->tgid, rows), 3);
	KUNIT_EXPECT_EQ(test, cowlab_stats_reset(k->stats, a->tgid), 0);
	KUNIT_EXPECT_EQ(test, cowlab_sites_snap(k->sites, a->tgid, rows),
			-ENOENT);

	preempt_disable();
	cowlab_account_fault(k->acct, mm, 0x400000, COWLAB_EV_COW_COPY);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, cowlab_sites_snap(k->sites, a->tgid, rows), 1);
	/* A new process with a's pid: what a did is not its history. */
	child = cowlab_account_kunit_proc(test, 3);
	cowlab_stats_fork(k->stats, a, child);
	KUNIT_EXPECT_EQ(test, cowlab_sites_snap(k->sites, a->tgid, rows),
			-ENOENT);
}

static struct kunit_case cowlab_account_test_cases[] = {
	KUNIT_CASE(cowlab_account_fault_fills_cache),
	KUNIT_CASE(cowlab_account_events_counts_n),
	KUNIT_CASE(cowlab_account_fault_notes_sites),
	{}
};

static struct kunit_suite cowlab_account_test_suite = {
	.name = "cowlab_account",
	.init = cowlab_account_kunit_init,
	.exit = cowlab_account_kunit_exit,
	.test_cases = cowlab_account_test_cases,
};

kunit_test_suite(cowlab_account_test_suite);

#endif /* COWLAB_ACCOUNT_KUNIT_H */
