/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/pages.c: the four-byte per-page record (three
 * saturating event counters and a "copied" flag), the blocks of records
 * that cover one PMD each, and the per-process records' lifetime.
 * Included at the end of pages.c when built with COWLAB_KUNIT=1.
 *
 * The record tests use tgids above PID_MAX_LIMIT, which no process has, and
 * forget them before they end.  Per-process figures (a table's record count
 * and blocks) are exact always; global ones only when the module is not
 * live (see cowlab_pages_kunit_init()).
 */
#ifndef COWLAB_PAGES_KUNIT_H
#define COWLAB_PAGES_KUNIT_H

#include <kunit/test.h>
#include <linux/threads.h>

#define COWLAB_KUNIT_TGID	(PID_MAX_LIMIT + 100)
#define COWLAB_KUNIT_TGID2	(PID_MAX_LIMIT + 101)
/* A PMD-aligned address: the first page of block COWLAB_KUNIT_IDX. */
#define COWLAB_KUNIT_B		0x40000000UL
#define COWLAB_KUNIT_IDX	(COWLAB_KUNIT_B >> PMD_SHIFT)

/* A note with nothing remembered, as a fault on a cold CPU makes it. */
static void cowlab_pages_note(pid_t tgid, unsigned long addr,
			      enum cowlab_event ev)
{
	struct cowlab_pages_hot h = { };

	cowlab_pages_note_hot(&h, tgid, addr, ev);
}

#define P			PAGE_SIZE

/* The record after events @evs[0..@n), from none. */
static u32 cowlab_kunit_recs(const enum cowlab_event *evs, unsigned int n)
{
	u32 all = 0;

	while (n--)
		all = cowlab_rec_update(all, *evs++);
	return all;
}

static void cowlab_kunit_expect_rec(struct kunit *test, u32 all, bool copied,
				    unsigned int copy, unsigned int zero,
				    unsigned int reuse)
{
	struct cowlab_page_rec rec;

	memset(&rec, 0xa5, sizeof(rec));
	cowlab_rec_decode(all, &rec);
	KUNIT_EXPECT_EQ_MSG(test, rec.copied, copied, "record %#x", all);
	KUNIT_EXPECT_EQ_MSG(test, rec.events[COWLAB_EV_COW_COPY], copy,
			    "record %#x", all);
	KUNIT_EXPECT_EQ_MSG(test, rec.events[COWLAB_EV_COW_ZERO], zero,
			    "record %#x", all);
	KUNIT_EXPECT_EQ_MSG(test, rec.events[COWLAB_EV_WP_REUSE], reuse,
			    "record %#x", all);
}

static void cowlab_rec_decode_empty(struct kunit *test)
{
	cowlab_kunit_expect_rec(test, 0, false, 0, 0, 0);
}

static void cowlab_rec_update_copy_sets_copied(struct kunit *test)
{
	static const enum cowlab_event evs[] = { COWLAB_EV_COW_COPY };

	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(evs, 1), true, 1, 0, 0);
}

static void cowlab_rec_update_zero_sets_copied(struct kunit *test)
{
	static const enum cowlab_event evs[] = {
		COWLAB_EV_COW_ZERO, COWLAB_EV_COW_COPY, COWLAB_EV_COW_ZERO,
	};

	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(evs, 1), true, 0, 1, 0);
	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(evs, 3), true, 1, 2, 0);
}

/* An unshare copies too: it sets copied, and has no counter of its own. */
static void cowlab_rec_update_unshare_sets_copied(struct kunit *test)
{
	static const enum cowlab_event evs[] = {
		COWLAB_EV_UNSHARE, COWLAB_EV_WP_REUSE, COWLAB_EV_UNSHARE,
	};
	u32 all = cowlab_kunit_recs(evs, 1);

	/* Not 0: a page only unshared still has a record. */
	KUNIT_EXPECT_NE(test, all, 0U);
	cowlab_kunit_expect_rec(test, all, true, 0, 0, 0);
	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(evs, 3), true, 0, 0, 1);
}

/* A reuse installs no page: it neither sets copied nor clears it. */
static void cowlab_rec_update_reuse_keeps_copied(struct kunit *test)
{
	static const enum cowlab_event reuse[] = {
		COWLAB_EV_WP_REUSE, COWLAB_EV_WP_REUSE,
	};
	static const enum cowlab_event copy_reuse[] = {
		COWLAB_EV_COW_COPY, COWLAB_EV_WP_REUSE, COWLAB_EV_WP_REUSE,
	};
	u32 all = cowlab_kunit_recs(reuse, 1);

	KUNIT_EXPECT_NE(test, all, 0U);
	cowlab_kunit_expect_rec(test, all, false, 0, 0, 1);
	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(reuse, 2), false,
				0, 0, 2);
	cowlab_kunit_expect_rec(test, cowlab_kunit_recs(copy_reuse, 3), true,
				1, 0, 2);
}

struct cowlab_saturation_case {
	const char *desc;
	enum cowlab_event ev;
};

static const struct cowlab_saturation_case cowlab_saturation_cases[] = {
	{ "cow_copy", COWLAB_EV_COW_COPY },
	{ "cow_zero", COWLAB_EV_COW_ZERO },
	{ "wp_reuse", COWLAB_EV_WP_REUSE },
};

static void cowlab_saturation_case_desc(const struct cowlab_saturation_case *c,
					char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_saturation, cowlab_saturation_cases,
		  cowlab_saturation_case_desc);

/*
 * A counter stops at 255 and never carries into its neighbours or into
 * the flags: a reuse counter at its maximum leaves "copied" unset.
 */
static void cowlab_rec_update_saturates(struct kunit *test)
{
	const struct cowlab_saturation_case *c = test->param_value;
	struct cowlab_page_rec rec;
	unsigned int i, ev;
	u32 all = 0;

	for (i = 0; i < 254; i++)
		all = cowlab_rec_update(all, c->ev);
	cowlab_rec_decode(all, &rec);
	KUNIT_EXPECT_EQ(test, rec.events[c->ev], 254U);
	for (i = 0; i < 300; i++)
		all = cowlab_rec_update(all, c->ev);
	cowlab_rec_decode(all, &rec);
	KUNIT_EXPECT_EQ(test, rec.events[c->ev], 255U);
	KUNIT_EXPECT_EQ(test, rec.copied, c->ev != COWLAB_EV_WP_REUSE);
	for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
		if (ev != c->ev)
			KUNIT_EXPECT_EQ_MSG(test, rec.events[ev], 0U,
					    "counter %u", ev);
}

/* Every counter at its maximum, and copied: all fits the four bytes. */
static void cowlab_rec_update_all_at_max(struct kunit *test)
{
	u32 all = 0;
	unsigned int i;

	for (i = 0; i < 300; i++) {
		all = cowlab_rec_update(all, COWLAB_EV_COW_COPY);
		all = cowlab_rec_update(all, COWLAB_EV_COW_ZERO);
		all = cowlab_rec_update(all, COWLAB_EV_WP_REUSE);
		all = cowlab_rec_update(all, COWLAB_EV_UNSHARE);
	}
	cowlab_kunit_expect_rec(test, all, true, 255, 255, 255);
	cowlab_kunit_expect_rec(test, cowlab_rec_update(all, COWLAB_EV_COW_COPY),
				true, 255, 255, 255);
}

/* ---- per-process records ---- */

struct cowlab_pages_kunit_saved {
	unsigned long blocks_max;
	long dropped;
};

/*
 * KUnit runs a module's suites before its init on 6.1 (max_pages not set
 * yet) and after it on 6.12, with the probes counting: make room for the
 * test's records either way, and know which of the two it is.
 */
static int cowlab_pages_kunit_init(struct kunit *test)
{
	struct cowlab_pages_kunit_saved *saved =
		kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	unsigned long want;

	if (!saved)
		return -ENOMEM;
	/* Not live yet: the tables need the module's workqueue to be freed. */
	if (!cowlab_pages_wq && cowlab_pages_init(0))
		return -ENOMEM;
	saved->blocks_max = cowlab_blocks_max;
	saved->dropped = atomic_long_read(&cowlab_pages_dropped);
	want = max(DIV_ROUND_UP(1UL << 20, COWLAB_BLOCK_PAGES),
		   (unsigned long)atomic_long_read(&cowlab_blocks) + 64);
	if (cowlab_blocks_max < want)
		WRITE_ONCE(cowlab_blocks_max, want);
	test->priv = saved;
	return 0;
}

/* Is the module initialised, its probes counting real faults? */
static bool cowlab_pages_kunit_live(struct kunit *test)
{
	struct cowlab_pages_kunit_saved *saved = test->priv;

	return saved->blocks_max != 0;
}

/* Leave nothing behind, and nothing on its way out through RCU. */
static void cowlab_pages_kunit_exit(struct kunit *test)
{
	struct cowlab_pages_kunit_saved *saved = test->priv;

	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	cowlab_pages_forget(COWLAB_KUNIT_TGID2);
	cowlab_pages_sync();
	WRITE_ONCE(cowlab_blocks_max, saved->blocks_max);
	if (!cowlab_pages_kunit_live(test))
		atomic_long_set(&cowlab_pages_dropped, saved->dropped);
}

/* The record of @tgid at @addr, 0 for none. */
static u32 cowlab_kunit_rec_at(pid_t tgid, unsigned long addr)
{
	struct cowlab_pages_cursor cur = { .pages = cowlab_pages_get(tgid) };
	u32 all = cowlab_pages_rec(&cur, addr);

	cowlab_pages_release(cur.pages);
	return all;
}

static unsigned long cowlab_kunit_nblocks(struct cowlab_pages *p)
{
	struct cowlab_page_block *b;
	unsigned long idx, n = 0;

	xa_for_each(&p->blocks, idx, b)
		n++;
	return n;
}

/* Has @tgid a record table?  (Takes no reference.) */
static bool cowlab_kunit_has_table(pid_t tgid)
{
	struct cowlab_pages *p = cowlab_pages_get(tgid);

	cowlab_pages_release(p);
	return p;
}

static long cowlab_kunit_nr(pid_t tgid)
{
	struct cowlab_pages *p = cowlab_pages_get(tgid);
	long nr = p ? atomic_long_read(&p->nr) : -1;

	cowlab_pages_release(p);
	return nr;
}

static void cowlab_pages_note_records_copy(struct kunit *test)
{
	unsigned long addr = 0x7f0000123000UL;
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages_cursor cur = { };
	struct cowlab_pages *p;

	KUNIT_ASSERT_FALSE(test, cowlab_kunit_has_table(COWLAB_KUNIT_TGID));
	cowlab_pages_totals(&t0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, addr + 0x10, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cur.pages = p;
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, addr), true,
				1, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, addr + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, addr - P), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	/* More events at the page: one record still. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, addr, COWLAB_EV_WP_REUSE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, addr + P - 1, COWLAB_EV_COW_COPY);
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, addr), true,
				2, 0, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	cowlab_pages_release(p);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test)) {	/* nothing else counts */
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked + 1);
		KUNIT_EXPECT_EQ(test, t.blocks, t0.blocks + 1);
		KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped);
	}
}

/* Huge-page events have no per-page record: not even a table is made. */
static void cowlab_pages_note_ignores_thp_events(struct kunit *test)
{
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages_hot h = { };
	struct cowlab_pages *p;

	cowlab_pages_totals(&t0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x200000, COWLAB_EV_THP_REUSE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x200000, COWLAB_EV_THP_SPLIT);
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, 0x200000,
			      COWLAB_EV_THP_REUSE);
	KUNIT_EXPECT_NULL(test, h.pages);
	KUNIT_EXPECT_NULL(test, h.block);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_NULL(test, p);
	/* On failure, leave nothing behind for kmemleak to blame on cowlab. */
	cowlab_pages_release(p);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test)) {
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked);
		KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped);
		KUNIT_EXPECT_EQ(test, t.memory_bytes, t0.memory_bytes);
	}
}

/*
 * The huge zero page replaced by a THP: every page of its block is a copy,
 * with no per-page event (it is one event per 2 MiB, in procs only).  The
 * blocks around it keep no record.
 */
static void cowlab_pages_note_thp_zero_copies_block(struct kunit *test)
{
	struct cowlab_pages_cursor cur = { };
	struct cowlab_pages *p;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { };
	unsigned int i;

	cowlab_pages_note(COWLAB_KUNIT_TGID, COWLAB_KUNIT_B,
			  COWLAB_EV_THP_ZERO);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cur.pages = p;
	for (i = 0; i < COWLAB_BLOCK_PAGES; i++)
		cowlab_kunit_expect_rec(test,
					cowlab_pages_rec(&cur, COWLAB_KUNIT_B + i * P),
					true, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, COWLAB_KUNIT_B - P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, COWLAB_KUNIT_B + PMD_SIZE),
			0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr),
			(long)COWLAB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	cowlab_pages_events(p, COWLAB_KUNIT_B, COWLAB_KUNIT_B + PMD_SIZE, ev);
	for (i = 0; i <= COWLAB_EV_WP_REUSE; i++)
		KUNIT_EXPECT_EQ_MSG(test, ev[i], 0ULL, "event %u", i);
	/* A later write fault at one page counts there, and keeps copied. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, COWLAB_KUNIT_B + 7 * P,
			  COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, COWLAB_KUNIT_B + 7 * P),
				true, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr),
			(long)COWLAB_BLOCK_PAGES);
	cowlab_pages_release(p);
}

/* Per-VMA sums cover [start, end): the page at end is not included. */
static void cowlab_pages_events_sums_range(struct kunit *test)
{
	unsigned long start = 0x10000000, end = start + 4 * P;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };
	struct cowlab_pages *p;

	cowlab_pages_note(COWLAB_KUNIT_TGID, start - P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start, COWLAB_EV_WP_REUSE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start + P, COWLAB_EV_UNSHARE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start + 2 * P, COWLAB_EV_COW_ZERO);
	cowlab_pages_note(COWLAB_KUNIT_TGID, end - P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, end, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_events(p, start, end, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 2ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 1ULL);
	/* Sums add to what is there; an empty range adds nothing. */
	cowlab_pages_events(p, start, start + P, ev);
	cowlab_pages_events(p, end, end, ev);
	cowlab_pages_release(p);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 3ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 2ULL);
}

/* Sums over several blocks, one of them missing, and up to a boundary. */
static void cowlab_pages_events_across_blocks(struct kunit *test)
{
	unsigned long b = COWLAB_KUNIT_B;
	u64 ev[COWLAB_EV_WP_REUSE + 1];
	struct cowlab_pages *p;

	cowlab_pages_note(COWLAB_KUNIT_TGID, b - 2 * P, COWLAB_EV_WP_REUSE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b - P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_ZERO);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE - P,
			  COWLAB_EV_WP_REUSE);
	/* Nothing in the block at b + PMD_SIZE. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + 2 * PMD_SIZE,
			  COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + 2 * PMD_SIZE + P,
			  COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 3UL);

	memset(ev, 0, sizeof(ev));
	cowlab_pages_events(p, b - P, b + 2 * PMD_SIZE + P, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 2ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 1ULL);

	/* Exactly one block. */
	memset(ev, 0, sizeof(ev));
	cowlab_pages_events(p, b, b + PMD_SIZE, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 0ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 1ULL);

	/* Ending at the boundary: the block after it is not looked at. */
	memset(ev, 0, sizeof(ev));
	cowlab_pages_events(p, b - 2 * P, b, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 0ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 1ULL);

	/* The last page of one block and the first of the next. */
	memset(ev, 0, sizeof(ev));
	cowlab_pages_events(p, b - P, b + P, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 0ULL);

	/* Only the missing block. */
	memset(ev, 0, sizeof(ev));
	cowlab_pages_events(p, b + PMD_SIZE, b + 2 * PMD_SIZE, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 0ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 0ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 0ULL);
	cowlab_pages_release(p);
}

/* A cursor follows the addresses across blocks, forwards and back. */
static void cowlab_pages_rec_across_blocks(struct kunit *test)
{
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_cursor cur = { };
	struct cowlab_pages *p;

	/* No records: nothing, whatever the address. */
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, b), 0U);

	cowlab_pages_note(COWLAB_KUNIT_TGID, b - P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_ZERO);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + 2 * PMD_SIZE,
			  COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cur.pages = p;

	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, b - P), true,
				1, 0, 0);
	KUNIT_EXPECT_EQ(test, cur.idx, COWLAB_KUNIT_IDX - 1);
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, b), true, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, cur.idx, COWLAB_KUNIT_IDX);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, b + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, b + PMD_SIZE - P), 0U);
	/* A block with no records at all. */
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cur.idx, COWLAB_KUNIT_IDX + 1);
	KUNIT_EXPECT_NULL(test, cur.block);
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, b + 2 * PMD_SIZE),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cur.idx, COWLAB_KUNIT_IDX + 2);
	/* Back down. */
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, b - P), true,
				1, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_pages_rec(&cur, b - 2 * P), 0U);
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, b), true, 0, 1, 0);
	cowlab_pages_release(p);
}

/* Zap clears [start, end) of one block, partly, and nothing else. */
static void cowlab_pages_zap_clears_range(struct kunit *test)
{
	unsigned long base = 0x10000000;
	struct cowlab_pages_totals t0, t;

	cowlab_pages_totals(&t0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, base, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, base + P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, base + 2 * P, COWLAB_EV_COW_ZERO);
	cowlab_pages_note(COWLAB_KUNIT_TGID, base + 3 * P, COWLAB_EV_UNSHARE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, base + 5 * P, COWLAB_EV_WP_REUSE);
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 5L);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked + 5);

	cowlab_pages_zap(COWLAB_KUNIT_TGID, base + P, base + 4 * P);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base),
				true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base + P),
			0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base + 3 * P), 0U);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID,
						    base + 5 * P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked + 2);

	/* Zapping again, or where nothing is, counts nothing twice. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID, base + P, base + 4 * P);
	cowlab_pages_zap(COWLAB_KUNIT_TGID, base + 6 * P, base + 100 * P);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);
	/* Empty and reversed ranges clear nothing. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID, base, base);
	cowlab_pages_zap(COWLAB_KUNIT_TGID, base + P, base);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);
	/* [start, end): the page at end stays. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID, base + 4 * P, base + 5 * P);
	KUNIT_EXPECT_NE(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base + 5 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);

	/* A page faulted in again after the zap is a new page. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, base + P, COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, base + P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 3L);

	/* A process with no records: nothing made for it. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID2, 0, ULONG_MAX);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(COWLAB_KUNIT_TGID2));
}

/* Zap across block boundaries: two blocks, three, whole and partial. */
static void cowlab_pages_zap_across_blocks(struct kunit *test)
{
	static const long offs[] = { -3, -2, -1, 0, 1, 2 };
	unsigned long b = COWLAB_KUNIT_B, mid = b + PMD_SIZE / 2;
	struct cowlab_pages_totals t0, t;
	unsigned int i;

	cowlab_pages_totals(&t0);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		cowlab_pages_note(COWLAB_KUNIT_TGID, b + offs[i] * (long)P,
				  COWLAB_EV_COW_COPY);
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 6L);

	/* The last two pages of one block and the first of the next. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID, b - 2 * P, b + P);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		bool gone = offs[i] >= -2 && offs[i] < 1;

		KUNIT_EXPECT_EQ_MSG(test,
				    cowlab_kunit_rec_at(COWLAB_KUNIT_TGID,
							b + offs[i] * (long)P) == 0,
				    gone, "page %ld", offs[i]);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 3L);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked + 3);

	/* Exactly one block: its neighbours' pages at the edges stay. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, mid, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE - P,
			  COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	/* Now: b-3P, b, b+P, b+2P, mid, b+PMD-P, b+PMD. */
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 7L);
	cowlab_pages_zap(COWLAB_KUNIT_TGID, b, b + PMD_SIZE);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b - 3 * P),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, mid), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b + PMD_SIZE - P),
			0U);
	KUNIT_EXPECT_NE(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);

	/* Three blocks: the end of one, all of the next, part of a third. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, b - P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, mid, COWLAB_EV_COW_ZERO);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE + P,
			  COWLAB_EV_WP_REUSE);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE + 2 * P,
			  COWLAB_EV_COW_COPY);
	/* Now: b-3P, b-P, mid, b+PMD, b+PMD+P, b+PMD+2P. */
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 6L);
	cowlab_pages_zap(COWLAB_KUNIT_TGID, b - 2 * P, b + PMD_SIZE + 2 * P);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b - 3 * P),
			0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b - P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, mid), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b + PMD_SIZE + P),
			0U);
	KUNIT_EXPECT_NE(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID,
					    b + PMD_SIZE + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 2L);

	/* Everything. */
	cowlab_pages_zap(COWLAB_KUNIT_TGID, 0, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, b - 3 * P),
			0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID,
					    b + PMD_SIZE + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 0L);
	cowlab_pages_totals(&t);
	if (!cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_EQ(test, t.tracked, t0.tracked);
}

/*
 * The stats file's figure: a new block costs exactly one block, a record
 * in an existing block nothing, a new process's table its own size; all
 * of it comes back once the records are forgotten and RCU has run.
 */
static void cowlab_pages_totals_memory(struct kunit *test)
{
	struct cowlab_pages_totals t0, t1, t2, t3, t4;
	size_t block = sizeof(struct cowlab_page_block);
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages *p;

	KUNIT_EXPECT_EQ(test, block, COWLAB_BLOCK_PAGES * sizeof(u32));
	cowlab_pages_totals(&t0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_COPY);
	cowlab_pages_totals(&t1);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + P, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE - P,
			  COWLAB_EV_WP_REUSE);
	cowlab_pages_totals(&t2);
	cowlab_pages_note(COWLAB_KUNIT_TGID, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_pages_totals(&t3);

	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX));
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 4L);
	cowlab_pages_release(p);
	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	cowlab_pages_sync();
	cowlab_pages_totals(&t4);

	if (cowlab_pages_kunit_live(test))
		return;
	KUNIT_EXPECT_EQ(test, t1.memory_bytes,
			t0.memory_bytes + sizeof(struct cowlab_pages) + block);
	KUNIT_EXPECT_EQ(test, t1.blocks, t0.blocks + 1);
	KUNIT_EXPECT_EQ(test, t2.memory_bytes, t1.memory_bytes);
	KUNIT_EXPECT_EQ(test, t2.blocks, t1.blocks);
	KUNIT_EXPECT_EQ(test, t2.tracked, t0.tracked + 3);
	KUNIT_EXPECT_EQ(test, t3.memory_bytes, t2.memory_bytes + block);
	KUNIT_EXPECT_EQ(test, t3.blocks, t2.blocks + 1);
	KUNIT_EXPECT_EQ(test, t3.tracked, t0.tracked + 4);
	KUNIT_EXPECT_EQ(test, t4.memory_bytes, t0.memory_bytes);
	KUNIT_EXPECT_EQ(test, t4.blocks, t0.blocks);
	KUNIT_EXPECT_EQ(test, t4.tracked, t0.tracked);
}

/*
 * The fault path's memory: a second note in the same block uses the block
 * it remembers, without looking it up.  Swapping in a block of the test's
 * own shows which one a note writes to.
 */
static void cowlab_pages_note_hot_remembers_block(struct kunit *test)
{
	struct cowlab_page_block *mine, *first;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_hot h = { };
	struct cowlab_pages *p;

	mine = kunit_kzalloc(test, sizeof(*mine), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mine);
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b + P, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX);
	first = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_PTR_EQ(test, h.block, first);
	cowlab_kunit_expect_rec(test, first->rec[1].all, true, 1, 0, 0);

	/* Same block: the remembered one is written, no look-up. */
	h.block = mine;
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b + 2 * P,
			      COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_PTR_EQ(test, h.block, mine);
	cowlab_kunit_expect_rec(test, mine->rec[2].all, true, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, first->rec[2].all, 0U);

	/* Another block: looked up (created), and remembered. */
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b + PMD_SIZE + 3 * P,
			      COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX + 1);
	KUNIT_EXPECT_PTR_EQ(test, h.block,
			    xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_NOT_NULL(test, h.block);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);

	/* Back: looked up again, the real block this time. */
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b + 3 * P,
			      COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX);
	KUNIT_EXPECT_PTR_EQ(test, h.block, first);
	cowlab_kunit_expect_rec(test, first->rec[3].all, true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, mine->rec[3].all, 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	cowlab_pages_release(p);
}

/* A reader's reference keeps a forgotten record readable (KASAN checks). */
static void cowlab_pages_forget_keeps_readers_safe(struct kunit *test)
{
	struct cowlab_pages_cursor cur = { };
	struct cowlab_pages *p;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };

	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(COWLAB_KUNIT_TGID));
	/* Let a grace period pass: only the reference holds the table now. */
	synchronize_rcu();
	cur.pages = p;
	cowlab_kunit_expect_rec(test, cowlab_pages_rec(&cur, 0x5000), true,
				1, 0, 0);
	cowlab_pages_events(p, 0, 0x6000, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 1ULL);
	cowlab_pages_release(p);
	/* A later event starts a fresh record. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, 0x5000),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID), 1L);
}

/*
 * A forgotten table still reachable through a fault path's memory takes
 * no new block: it is on its way out, and the block would be lost.
 */
static void cowlab_pages_dead_table_takes_no_block(struct kunit *test)
{
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages_hot h = { };
	struct cowlab_pages *p;

	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	cowlab_pages_totals(&t0);
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, b + PMD_SIZE,
			      COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_NULL(test, h.block);
	KUNIT_EXPECT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	/* Nor did the note make a new table for the tgid. */
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(COWLAB_KUNIT_TGID));
	/* Before the release, which lets RCU free the table's block. */
	cowlab_pages_totals(&t);
	cowlab_pages_release(p);
	if (cowlab_pages_kunit_live(test)) {
		KUNIT_EXPECT_GE(test, t.dropped, t0.dropped + 1);
	} else {
		KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped + 1);
		KUNIT_EXPECT_EQ(test, t.blocks, t0.blocks);
	}
}

/*
 * At the cap, notes needing a new block are dropped and counted; notes in
 * an existing block always record.  The cap is set to 0, below any count,
 * so that live faults (6.12 runs the suites with the probes counting)
 * cannot make room; they can only add drops of their own, so the drop
 * count is exact only when not live.
 */
static void cowlab_pages_note_full_drops(struct kunit *test)
{
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages_hot h = { };
	struct cowlab_pages *p;

	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, 0x1000,
			      COWLAB_EV_COW_COPY);
	cowlab_pages_totals(&t0);
	WRITE_ONCE(cowlab_blocks_max, 0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x2000, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, PMD_SIZE + 0x1000,
			  COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x1000, COWLAB_EV_COW_COPY);
	/* Through the fault path's memory: dropped, then looked up again. */
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, 2 * PMD_SIZE,
			      COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_NULL(test, h.block);
	KUNIT_EXPECT_EQ(test, h.idx, 2UL);
	cowlab_pages_note_hot(&h, COWLAB_KUNIT_TGID, 0x3000,
			      COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_NOT_NULL(test, h.block);
	KUNIT_EXPECT_EQ(test, h.idx, 0UL);
	cowlab_pages_totals(&t);
	if (cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_GE(test, t.dropped, t0.dropped + 2);
	else
		KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped + 2);

	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 3L);
	cowlab_pages_release(p);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, 0x1000),
				true, 2, 0, 0);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, 0x2000),
				true, 1, 0, 0);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, 0x3000),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID,
					    PMD_SIZE + 0x1000), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID, 2 * PMD_SIZE),
			0U);

	/* Room for exactly one more block: the one after it is dropped. */
	if (cowlab_pages_kunit_live(test))
		return;
	WRITE_ONCE(cowlab_blocks_max, atomic_long_read(&cowlab_blocks) + 1);
	cowlab_pages_note(COWLAB_KUNIT_TGID2, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID2, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_pages_note(COWLAB_KUNIT_TGID2, 0x2000, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(COWLAB_KUNIT_TGID2), 2L);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(COWLAB_KUNIT_TGID2, PMD_SIZE), 0U);
	cowlab_pages_totals(&t);
	KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped + 3);
	KUNIT_EXPECT_EQ(test, t.blocks, t0.blocks + 1);
}

/* max_pages is rounded up to whole blocks. */
static void cowlab_pages_init_rounds_up(struct kunit *test)
{
	static const struct {
		unsigned long max_pages, blocks;
	} cases[] = {
		{ 0, 0 },
		{ 1, 1 },
		{ COWLAB_BLOCK_PAGES, 1 },
		{ COWLAB_BLOCK_PAGES + 1, 2 },
		{ 1UL << 21, (1UL << 21) / COWLAB_BLOCK_PAGES },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ(test, cowlab_pages_init(cases[i].max_pages), 0);
		KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(cowlab_blocks_max),
				    cases[i].blocks, "max_pages %lu",
				    cases[i].max_pages);
	}
}

static struct kunit_case cowlab_pages_test_cases[] = {
	KUNIT_CASE(cowlab_rec_decode_empty),
	KUNIT_CASE(cowlab_rec_update_copy_sets_copied),
	KUNIT_CASE(cowlab_rec_update_zero_sets_copied),
	KUNIT_CASE(cowlab_rec_update_unshare_sets_copied),
	KUNIT_CASE(cowlab_rec_update_reuse_keeps_copied),
	KUNIT_CASE_PARAM(cowlab_rec_update_saturates,
			 cowlab_saturation_gen_params),
	KUNIT_CASE(cowlab_rec_update_all_at_max),
	KUNIT_CASE(cowlab_pages_note_records_copy),
	KUNIT_CASE(cowlab_pages_note_ignores_thp_events),
	KUNIT_CASE(cowlab_pages_note_thp_zero_copies_block),
	KUNIT_CASE(cowlab_pages_events_sums_range),
	KUNIT_CASE(cowlab_pages_events_across_blocks),
	KUNIT_CASE(cowlab_pages_rec_across_blocks),
	KUNIT_CASE(cowlab_pages_zap_clears_range),
	KUNIT_CASE(cowlab_pages_zap_across_blocks),
	KUNIT_CASE(cowlab_pages_totals_memory),
	KUNIT_CASE(cowlab_pages_note_hot_remembers_block),
	KUNIT_CASE(cowlab_pages_forget_keeps_readers_safe),
	KUNIT_CASE(cowlab_pages_dead_table_takes_no_block),
	KUNIT_CASE(cowlab_pages_note_full_drops),
	KUNIT_CASE(cowlab_pages_init_rounds_up),
	{}
};

static struct kunit_suite cowlab_pages_test_suite = {
	.name = "cowlab_pages",
	.init = cowlab_pages_kunit_init,
	.exit = cowlab_pages_kunit_exit,
	.test_cases = cowlab_pages_test_cases,
};

kunit_test_suite(cowlab_pages_test_suite);

#undef P

#endif /* COWLAB_PAGES_KUNIT_H */
