/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/history.c: a process's events over time, as
 * docs/debugfs.md ("timeline") describes them: buckets one tick wide at
 * first, pairs merged and the width doubled when time runs past the last
 * one, every event kept, copies and the others apart.  Included at the end
 * of history.c when built with CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * Time is made up: a test moves the history's start back by the number of
 * ticks it wants "now" to be, so no test waits.
 */
#ifndef COWLAB_HISTORY_KUNIT_H
#define COWLAB_HISTORY_KUNIT_H

#include <kunit/test.h>

/* Count @n events @ev in @h, @t ticks after its start. */
static void cowlab_history_kunit_at(struct cowlab_history *h, unsigned long t,
				    enum cowlab_event ev, unsigned int n)
{
	/* jiffies may tick meanwhile: make the start follow it. */
	h->start = jiffies - t;
	cowlab_history_note(h, ev, n);
}

static struct cowlab_history *cowlab_history_kunit_new(struct kunit *test)
{
	struct cowlab_history *h = cowlab_history_new(ktime_get_ns());

	KUNIT_ASSERT_NOT_NULL(test, h);
	return h;
}

/* One tick wide, bucket = tick; copies and the others in their columns. */
static void cowlab_history_kunit_ticks(struct kunit *test)
{
	struct cowlab_history *h = cowlab_history_kunit_new(test);
	struct cowlab_history_snap snap;

	cowlab_history_kunit_at(h, 0, COWLAB_EV_COW_COPY, 5);
	cowlab_history_kunit_at(h, 3, COWLAB_EV_WP_REUSE, 2);
	cowlab_history_kunit_at(h, 3, COWLAB_EV_FORK_COPY, 512);
	cowlab_history_kunit_at(h, 25, COWLAB_EV_THP_SPLIT, 1);
	cowlab_history_snap(h, &snap);
	KUNIT_EXPECT_EQ(test, snap.width_ns, (u64)TICK_NSEC);
	KUNIT_EXPECT_EQ(test, snap.n, 26U);
	KUNIT_EXPECT_EQ(test, snap.copy[0], 5U);
	KUNIT_EXPECT_EQ(test, snap.copy[3], 512U);
	KUNIT_EXPECT_EQ(test, snap.nocopy[3], 2U);
	KUNIT_EXPECT_EQ(test, snap.nocopy[25], 1U);
	KUNIT_EXPECT_EQ(test, snap.copy[1] + snap.nocopy[1], 0U);
	cowlab_history_free(h);
}

/* Past the last bucket: pairs merge, the width doubles, nothing is lost. */
static void cowlab_history_kunit_merge(struct kunit *test)
{
	struct cowlab_history *h = cowlab_history_kunit_new(test);
	struct cowlab_history_snap snap;
	unsigned int i;
	u64 sum = 0;

	for (i = 0; i < COWLAB_HISTORY_BUCKETS; i++)
		cowlab_history_kunit_at(h, i, COWLAB_EV_COW_COPY, i + 1);
	/* Tick 26: one merge, width 2; it lands in bucket 13. */
	cowlab_history_kunit_at(h, 26, COWLAB_EV_COW_ZERO, 100);
	cowlab_history_snap(h, &snap);
	KUNIT_EXPECT_EQ(test, snap.width_ns, 2ULL * TICK_NSEC);
	KUNIT_EXPECT_EQ(test, snap.n, 14U);
	KUNIT_EXPECT_EQ(test, snap.copy[0], 1U + 2U);
	KUNIT_EXPECT_EQ(test, snap.copy[1], 3U + 4U);
	KUNIT_EXPECT_EQ(test, snap.copy[12], 25U + 26U);
	KUNIT_EXPECT_EQ(test, snap.copy[13], 100U);
	/* Tick 105: 105 >> 2 = 26 still past, so width 8: bucket 13. */
	cowlab_history_kunit_at(h, 105, COWLAB_EV_WP_REUSE, 7);
	cowlab_history_snap(h, &snap);
	KUNIT_EXPECT_EQ(test, snap.width_ns, 8ULL * TICK_NSEC);
	KUNIT_EXPECT_EQ(test, snap.copy[0], 1U + 2U + 3U + 4U + 5U + 6U + 7U + 8U);
	KUNIT_EXPECT_EQ(test, snap.copy[3], 25U + 26U + 100U);
	KUNIT_EXPECT_EQ(test, snap.nocopy[13], 7U);
	KUNIT_EXPECT_EQ(test, snap.n, 14U);
	for (i = 0; i < COWLAB_HISTORY_BUCKETS; i++)
		sum += snap.copy[i] + snap.nocopy[i];
	KUNIT_EXPECT_EQ(test, sum, 26ULL * 27 / 2 + 100 + 7);
	cowlab_history_free(h);
}

/* A process seen long after its fork: one event far out, all in order. */
static void cowlab_history_kunit_late(struct kunit *test)
{
	struct cowlab_history *h = cowlab_history_kunit_new(test);
	struct cowlab_history_snap snap;
	unsigned long t = 1UL << 30;

	cowlab_history_kunit_at(h, t, COWLAB_EV_COW_COPY, 1);
	cowlab_history_snap(h, &snap);
	/* 2^30 >> 26 = 16 < 26 <= 2^30 >> 25 = 32. */
	KUNIT_EXPECT_EQ(test, snap.width_ns, (u64)TICK_NSEC << 26);
	KUNIT_EXPECT_EQ(test, snap.n, 17U);
	KUNIT_EXPECT_EQ(test, snap.copy[16], 1U);
	cowlab_history_free(h);
}

/* The start is on a tick, no later than asked, and never in the future. */
static void cowlab_history_kunit_since(struct kunit *test)
{
	u64 now = ktime_get_ns();
	struct cowlab_history *h = cowlab_history_new(now - 10 * TICK_NSEC);
	struct cowlab_history *f = cowlab_history_new(now + NSEC_PER_SEC);

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_LE(test, h->since_ns, now - 9 * TICK_NSEC);
	KUNIT_EXPECT_GE(test, h->since_ns, now - 11 * TICK_NSEC);
	KUNIT_EXPECT_LE(test, f->since_ns, ktime_get_ns());
	KUNIT_EXPECT_EQ(test, h->fork_shared, COWLAB_FORK_UNKNOWN);
	cowlab_history_free(h);
	cowlab_history_free(f);
}

static struct kunit_case cowlab_history_test_cases[] = {
	KUNIT_CASE(cowlab_history_kunit_ticks),
	KUNIT_CASE(cowlab_history_kunit_merge),
	KUNIT_CASE(cowlab_history_kunit_late),
	KUNIT_CASE(cowlab_history_kunit_since),
	{}
};

static struct kunit_suite cowlab_history_test_suite = {
	.name = "cowlab_history",
	.test_cases = cowlab_history_test_cases,
};

kunit_test_suites(&cowlab_history_test_suite);

#endif /* COWLAB_HISTORY_KUNIT_H */
