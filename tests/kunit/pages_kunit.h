/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/pages.c: the packed per-page record (pfn of the
 * page a COW break installed, three saturating event counters) and the
 * per-process records' lifetime.  Included at the end of pages.c when built
 * with COWLAB_KUNIT=1.
 *
 * The record tests use tgids above PID_MAX_LIMIT, which no process has, and
 * forget them before they end.
 */
#ifndef COWLAB_PAGES_KUNIT_H
#define COWLAB_PAGES_KUNIT_H

#include <kunit/test.h>
#include <linux/threads.h>

#define COWLAB_KUNIT_TGID	(PID_MAX_LIMIT + 100)
#define COWLAB_KUNIT_PFN_MAX	((1UL << PFN_BITS) - 1)

static void cowlab_kunit_rec(unsigned long v, struct cowlab_page_rec *rec)
{
	cowlab_page_decode(xa_mk_value(v), rec);
}

static void cowlab_page_decode_empty(struct kunit *test)
{
	struct cowlab_page_rec rec;

	memset(&rec, 0xff, sizeof(rec));
	cowlab_kunit_rec(0, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 0U);
}

static void cowlab_page_update_copy_sets_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;

	cowlab_kunit_rec(cowlab_page_update(0, COWLAB_EV_COW_COPY, 0x1234),
			 &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x1234UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 0U);
}

/* Each COW break installs a new page: the record follows the last one. */
static void cowlab_page_update_copy_replaces_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v;

	v = cowlab_page_update(0, COWLAB_EV_COW_ZERO, 0x111);
	v = cowlab_page_update(v, COWLAB_EV_COW_COPY, 0x222);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x222UL);
	v = cowlab_page_update(v, COWLAB_EV_COW_COPY, 0x333);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x333UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 2U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 0U);
}

static void cowlab_page_update_zero_replaces_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v;

	v = cowlab_page_update(0, COWLAB_EV_COW_COPY, 0x222);
	v = cowlab_page_update(v, COWLAB_EV_COW_ZERO, 0x444);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x444UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 1U);
}

/* A reuse installs no page: the copied page is still the one mapped. */
static void cowlab_page_update_reuse_keeps_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v;

	v = cowlab_page_update(0, COWLAB_EV_COW_COPY, 0x555);
	v = cowlab_page_update(v, COWLAB_EV_WP_REUSE, 0);
	v = cowlab_page_update(v, COWLAB_EV_WP_REUSE, 0x999);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x555UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 2U);
}

/* An unshare copies too: new pfn, no counter of its own in the record. */
static void cowlab_page_update_unshare_replaces_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v;

	v = cowlab_page_update(0, COWLAB_EV_COW_COPY, 0x555);
	v = cowlab_page_update(v, COWLAB_EV_UNSHARE, 0x666);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x666UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 0U);
}

/* Bits of a pfn above the pfn field never reach the counters. */
static void cowlab_page_update_masks_pfn(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v;

	v = cowlab_page_update(0, COWLAB_EV_COW_COPY, (1UL << PFN_BITS) | 5);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 5UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO], 0U);
	v = cowlab_page_update(v, COWLAB_EV_COW_COPY, COWLAB_KUNIT_PFN_MAX);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, COWLAB_KUNIT_PFN_MAX);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 2U);
}

struct cowlab_saturation_case {
	const char *desc;
	enum cowlab_event ev;
	unsigned int max;
};

static const struct cowlab_saturation_case cowlab_saturation_cases[] = {
	{ "cow_copy", COWLAB_EV_COW_COPY, (1U << COPY_BITS) - 1 },
	{ "cow_zero", COWLAB_EV_COW_ZERO, (1U << ZERO_BITS) - 1 },
	{ "wp_reuse", COWLAB_EV_WP_REUSE, (1U << REUSE_BITS) - 1 },
};

static void cowlab_saturation_case_desc(const struct cowlab_saturation_case *c,
					char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_saturation, cowlab_saturation_cases,
		  cowlab_saturation_case_desc);

/* A counter stops at its maximum and never carries into its neighbours. */
static void cowlab_page_update_saturates(struct kunit *test)
{
	const struct cowlab_saturation_case *c = test->param_value;
	unsigned long pfn = c->ev == COWLAB_EV_WP_REUSE ? 0 : 0x777;
	struct cowlab_page_rec rec;
	unsigned long v = 0;
	unsigned int i, ev;

	if (c->ev == COWLAB_EV_WP_REUSE)
		v = cowlab_page_update(0, COWLAB_EV_COW_COPY, 0x777);
	for (i = 0; i < c->max + 10; i++)
		v = cowlab_page_update(v, c->ev, pfn);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.events[c->ev], c->max);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0x777UL);
	for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++) {
		if (ev == c->ev)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, rec.events[ev],
				    ev == COWLAB_EV_COW_COPY &&
				    c->ev == COWLAB_EV_WP_REUSE ? 1U : 0U,
				    "counter %u", ev);
	}
}

/* Everything at its maximum still fits an xarray value entry. */
static void cowlab_page_update_fits_xarray_value(struct kunit *test)
{
	struct cowlab_page_rec rec;
	unsigned long v = 0;
	unsigned int i;

	for (i = 0; i < 300; i++) {
		v = cowlab_page_update(v, COWLAB_EV_COW_COPY,
				       COWLAB_KUNIT_PFN_MAX);
		v = cowlab_page_update(v, COWLAB_EV_COW_ZERO,
				       COWLAB_KUNIT_PFN_MAX);
		v = cowlab_page_update(v, COWLAB_EV_WP_REUSE, 0);
	}
	KUNIT_EXPECT_LE(test, v, (unsigned long)LONG_MAX);
	KUNIT_EXPECT_TRUE(test, xa_is_value(xa_mk_value(v)));
	KUNIT_EXPECT_EQ(test, xa_to_value(xa_mk_value(v)), v);
	cowlab_kunit_rec(v, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, COWLAB_KUNIT_PFN_MAX);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY],
			(1U << COPY_BITS) - 1);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_ZERO],
			(1U << ZERO_BITS) - 1);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE],
			(1U << REUSE_BITS) - 1);
}

/* ---- per-process records ---- */

/*
 * KUnit runs a module's suites before its init on 6.1 (max_pages not set
 * yet) and after it on 6.12, with the probes counting: make room for the
 * test's records either way, and know which of the two it is.
 */
static int cowlab_pages_kunit_init(struct kunit *test)
{
	unsigned long *saved_max = kunit_kzalloc(test, sizeof(*saved_max),
						 GFP_KERNEL);

	if (!saved_max)
		return -ENOMEM;
	*saved_max = cowlab_pages_max;
	if (cowlab_pages_max < (1UL << 20))
		cowlab_pages_max = 1UL << 20;
	test->priv = saved_max;
	return 0;
}

/* Is the module initialised, its probes counting real faults? */
static bool cowlab_pages_kunit_live(struct kunit *test)
{
	return *(unsigned long *)test->priv != 0;
}

static void cowlab_pages_kunit_exit(struct kunit *test)
{
	unsigned long *saved_max = test->priv;

	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	cowlab_pages_max = *saved_max;
}

static void cowlab_pages_note_records_copy(struct kunit *test)
{
	unsigned long addr = 0x7f0000123000UL, count, count0, dropped;
	struct cowlab_page_rec rec;
	struct cowlab_pages *p;
	void *entry;

	KUNIT_ASSERT_NULL(test, cowlab_pages_get(COWLAB_KUNIT_TGID));
	cowlab_pages_totals(&count0, &dropped);
	cowlab_pages_note(COWLAB_KUNIT_TGID, addr + 0x10, COWLAB_EV_COW_COPY,
			  0xabc);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	entry = cowlab_pages_lookup(p, addr >> PAGE_SHIFT);
	KUNIT_ASSERT_NOT_NULL(test, entry);
	cowlab_page_decode(entry, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0xabcUL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 1U);
	KUNIT_EXPECT_NULL(test, cowlab_pages_lookup(p, (addr >> PAGE_SHIFT) + 1));
	cowlab_pages_release(p);
	cowlab_pages_totals(&count, &dropped);
	if (!cowlab_pages_kunit_live(test))	/* nothing else counts */
		KUNIT_EXPECT_EQ(test, count, count0 + 1);
}

/* Huge-page events have no per-page record. */
static void cowlab_pages_note_ignores_thp_events(struct kunit *test)
{
	struct cowlab_pages *p;

	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x200000, COWLAB_EV_THP_REUSE, 1);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x200000, COWLAB_EV_THP_SPLIT, 1);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_NULL(test, p);
	/* On failure, leave nothing behind for kmemleak to blame on cowlab. */
	cowlab_pages_release(p);
	cowlab_pages_forget(COWLAB_KUNIT_TGID);
}

/* Per-VMA sums cover [start, end): the page at end is not included. */
static void cowlab_pages_events_sums_range(struct kunit *test)
{
	unsigned long start = 0x10000000, end = start + 4 * PAGE_SIZE;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };
	struct cowlab_pages *p;

	cowlab_pages_note(COWLAB_KUNIT_TGID, start - PAGE_SIZE,
			  COWLAB_EV_COW_COPY, 1);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start, COWLAB_EV_COW_COPY, 2);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start, COWLAB_EV_WP_REUSE, 0);
	cowlab_pages_note(COWLAB_KUNIT_TGID, start + 2 * PAGE_SIZE,
			  COWLAB_EV_COW_ZERO, 3);
	cowlab_pages_note(COWLAB_KUNIT_TGID, end - PAGE_SIZE,
			  COWLAB_EV_COW_COPY, 4);
	cowlab_pages_note(COWLAB_KUNIT_TGID, end, COWLAB_EV_COW_COPY, 5);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_events(p, start, end, ev);
	cowlab_pages_release(p);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 2ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_ZERO], 1ULL);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_WP_REUSE], 1ULL);
}

/* A reader's reference keeps a forgotten record readable (KASAN checks). */
static void cowlab_pages_forget_keeps_readers_safe(struct kunit *test)
{
	struct cowlab_page_rec rec;
	struct cowlab_pages *p;
	void *entry;

	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_COW_COPY, 7);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_forget(COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_NULL(test, cowlab_pages_get(COWLAB_KUNIT_TGID));
	entry = cowlab_pages_lookup(p, 0x5);
	KUNIT_ASSERT_NOT_NULL(test, entry);
	cowlab_page_decode(entry, &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 7UL);
	cowlab_pages_release(p);
	/* A later event starts a fresh record. */
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_WP_REUSE, 0);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_page_decode(cowlab_pages_lookup(p, 0x5), &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 0UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 0U);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_WP_REUSE], 1U);
	cowlab_pages_release(p);
}

/*
 * At max_pages, new pages are dropped and counted; known pages update.  The
 * cap is set to 0, below any count, so that live faults (6.12 runs the
 * suites with the probes counting) cannot make room; they can only add
 * drops of their own, so the drop count is exact only when not live.
 */
static void cowlab_pages_note_full_drops(struct kunit *test)
{
	unsigned long count, dropped, dropped0;
	struct cowlab_page_rec rec;
	struct cowlab_pages *p;

	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x1000, COWLAB_EV_COW_COPY, 1);
	cowlab_pages_totals(&count, &dropped0);
	cowlab_pages_max = 0;
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x2000, COWLAB_EV_COW_COPY, 2);
	cowlab_pages_note(COWLAB_KUNIT_TGID, 0x1000, COWLAB_EV_COW_COPY, 3);
	cowlab_pages_totals(&count, &dropped);
	if (cowlab_pages_kunit_live(test))
		KUNIT_EXPECT_GE(test, dropped, dropped0 + 1);
	else
		KUNIT_EXPECT_EQ(test, dropped, dropped0 + 1);
	p = cowlab_pages_get(COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, cowlab_pages_lookup(p, 0x2));
	cowlab_page_decode(cowlab_pages_lookup(p, 0x1), &rec);
	KUNIT_EXPECT_EQ(test, rec.pfn, 3UL);
	KUNIT_EXPECT_EQ(test, rec.events[COWLAB_EV_COW_COPY], 2U);
	cowlab_pages_release(p);
	if (!cowlab_pages_kunit_live(test))
		atomic_long_set(&cowlab_pages_dropped, dropped0);
}

static struct kunit_case cowlab_pages_test_cases[] = {
	KUNIT_CASE(cowlab_page_decode_empty),
	KUNIT_CASE(cowlab_page_update_copy_sets_pfn),
	KUNIT_CASE(cowlab_page_update_copy_replaces_pfn),
	KUNIT_CASE(cowlab_page_update_zero_replaces_pfn),
	KUNIT_CASE(cowlab_page_update_reuse_keeps_pfn),
	KUNIT_CASE(cowlab_page_update_unshare_replaces_pfn),
	KUNIT_CASE(cowlab_page_update_masks_pfn),
	KUNIT_CASE_PARAM(cowlab_page_update_saturates,
			 cowlab_saturation_gen_params),
	KUNIT_CASE(cowlab_page_update_fits_xarray_value),
	KUNIT_CASE(cowlab_pages_note_records_copy),
	KUNIT_CASE(cowlab_pages_note_ignores_thp_events),
	KUNIT_CASE(cowlab_pages_events_sums_range),
	KUNIT_CASE(cowlab_pages_forget_keeps_readers_safe),
	KUNIT_CASE(cowlab_pages_note_full_drops),
	{}
};

static struct kunit_suite cowlab_pages_test_suite = {
	.name = "cowlab_pages",
	.init = cowlab_pages_kunit_init,
	.exit = cowlab_pages_kunit_exit,
	.test_cases = cowlab_pages_test_cases,
};

kunit_test_suite(cowlab_pages_test_suite);

#endif /* COWLAB_PAGES_KUNIT_H */
