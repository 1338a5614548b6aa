/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/account.c: what the fault path remembers per CPU
 * (struct cowlab_fault_cache).  How events are counted and attributed is
 * tested with the process table, in stats_kunit.h, through the same
 * interface the probes call.  Included at the end of account.c when built
 * with CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * The test makes a page set, a table and an accounting of its own, and a
 * fake process whose tgid no process has (above PID_MAX_LIMIT).
 */
#ifndef COWLAB_ACCOUNT_KUNIT_H
#define COWLAB_ACCOUNT_KUNIT_H

#include <kunit/test.h>
#include <linux/threads.h>

struct cowlab_account_kunit {
	struct cowlab_pageset *pages;
	struct cowlab_stats *stats;
	struct cowlab_account *acct;
};

static int cowlab_account_kunit_init(struct kunit *test)
{
	struct cowlab_account_kunit *k;

	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	test->priv = k;
	k->pages = cowlab_pageset_create(64 * COWLAB_BLOCK_PAGES, 0);
	if (IS_ERR(k->pages))
		return PTR_ERR(k->pages);
	k->stats = cowlab_stats_create(16, k->pages);
	if (IS_ERR(k->stats))
		return PTR_ERR(k->stats);
	k->acct = cowlab_account_create(k->stats, k->pages);
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

	if (!IS_ENABLED(CONFIG_MEMCG))
		kunit_skip(test, "no mm->owner without CONFIG_MEMCG");
	a = cowlab_account_kunit_proc(test, 1);
	b = cowlab_account_kunit_proc(test, 2);
	mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mm);
#ifdef CONFIG_MEMCG
	rcu_assign_pointer(mm->owner, a);
#endif

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

	if (!IS_ENABLED(CONFIG_MEMCG))
		kunit_skip(test, "no mm->owner without CONFIG_MEMCG");
	a = cowlab_account_kunit_proc(test, 3);
	mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	orphan = kunit_kzalloc(test, sizeof(*orphan), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_ASSERT_NOT_NULL(test, orphan);
#ifdef CONFIG_MEMCG
	rcu_assign_pointer(mm->owner, a);
#endif

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

static struct kunit_case cowlab_account_test_cases[] = {
	KUNIT_CASE(cowlab_account_fault_fills_cache),
	KUNIT_CASE(cowlab_account_events_counts_n),
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
