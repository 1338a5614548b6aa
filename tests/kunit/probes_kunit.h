/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/probes.c: how what a probe saw becomes an event
 * class (a 4 KiB copy at ptep_clear_flush(), a huge PMD fault's window),
 * and the windows in flight that the probes open and look up
 * (module/inflight.c, whose interface the probes are the only users of).
 * Included at the end of probes.c when built with
 * CONFIG_COWLAB_KUNIT_TEST=y, so that static functions are in reach (like
 * mm/damon/tests/).
 */
#ifndef COWLAB_PROBES_KUNIT_H
#define COWLAB_PROBES_KUNIT_H

#include <kunit/test.h>

struct cowlab_classify_case {
	const char *desc;
	enum cowlab_event (*classify)(unsigned int flags);
	unsigned int flags;
	enum cowlab_event want;
};

#define CL_COPY	cowlab_classify_copy
#define CL_PMD	cowlab_classify_pmd
#define CL_F(x)	COWLAB_F_##x
#define CL_EV(x)	COWLAB_EV_##x

static const struct cowlab_classify_case cowlab_classify_cases[] = {
	/* ptep_clear_flush() from wp_page_copy(): what the old PTE was. */
	{ "copy", CL_COPY, 0, CL_EV(COW_COPY) },
	{ "copy of the zero page", CL_COPY, CL_F(ZERO), CL_EV(COW_ZERO) },
	{ "copy of a ksm page", CL_COPY, CL_F(KSM), CL_EV(COW_KSM) },
	{ "unshare copy", CL_COPY, CL_F(UNSHARE), CL_EV(UNSHARE) },
	{ "unshare copy of the zero page", CL_COPY, CL_F(UNSHARE) | CL_F(ZERO),
	  CL_EV(UNSHARE) },
	{ "unshare copy of a ksm page", CL_COPY, CL_F(UNSHARE) | CL_F(KSM),
	  CL_EV(UNSHARE) },
	/* do_huge_pmd_wp_page(): reuse in place, or split and fall back. */
	{ "pmd nothing seen", CL_PMD, 0, CL_EV(NONE) },
	{ "pmd reused", CL_PMD, CL_F(REUSED), CL_EV(THP_REUSE) },
	{ "pmd reused anon thp", CL_PMD, CL_F(REUSED) | CL_F(ANON_THP), CL_EV(THP_REUSE) },
	{ "pmd reused then fallback", CL_PMD,
	  CL_F(REUSED) | CL_F(ANON_THP) | CL_F(FALLBACK), CL_EV(THP_REUSE) },
	{ "pmd anon thp split", CL_PMD, CL_F(ANON_THP) | CL_F(FALLBACK), CL_EV(THP_SPLIT) },
	{ "pmd huge zero page fallback", CL_PMD, CL_F(FALLBACK), CL_EV(NONE) },
	{ "pmd anon thp no fallback", CL_PMD, CL_F(ANON_THP), CL_EV(NONE) },
	{ "pmd unshare split", CL_PMD, CL_F(UNSHARE) | CL_F(ANON_THP) | CL_F(FALLBACK),
	  CL_EV(NONE) },
	{ "pmd unshare reused", CL_PMD, CL_F(UNSHARE) | CL_F(REUSED), CL_EV(NONE) },
};

#undef CL_COPY
#undef CL_PMD
#undef CL_F
#undef CL_EV

static void cowlab_classify_case_desc(const struct cowlab_classify_case *c,
				      char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_classify, cowlab_classify_cases,
		  cowlab_classify_case_desc);

static void cowlab_classify_flag_table(struct kunit *test)
{
	const struct cowlab_classify_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, c->classify(c->flags), c->want,
			    "flags %#x", c->flags);
}

/* Every flag combination, both kinds: the classes stay where they belong. */
static void cowlab_classify_all_flag_combinations(struct kunit *test)
{
	unsigned int all = COWLAB_F_UNSHARE | COWLAB_F_ZERO | COWLAB_F_KSM |
			   COWLAB_F_REUSED | COWLAB_F_ANON_THP |
			   COWLAB_F_FALLBACK;
	unsigned int flags;

	for (flags = 0; flags <= all; flags++) {
		enum cowlab_event copy = cowlab_classify_copy(flags);
		enum cowlab_event pmd = cowlab_classify_pmd(flags);
		bool unshare = flags & COWLAB_F_UNSHARE;

		/* A 4 KiB copy is always counted, as a 4 KiB class ... */
		KUNIT_EXPECT_TRUE_MSG(test, copy == COWLAB_EV_COW_COPY ||
				      copy == COWLAB_EV_COW_ZERO ||
				      copy == COWLAB_EV_COW_KSM ||
				      copy == COWLAB_EV_UNSHARE,
				      "copy flags %#x: %d", flags, copy);
		/* ... and a huge PMD fault only yields a THP one. */
		KUNIT_EXPECT_TRUE_MSG(test, pmd == COWLAB_EV_NONE ||
				      pmd == COWLAB_EV_THP_REUSE ||
				      pmd == COWLAB_EV_THP_SPLIT,
				      "pmd flags %#x: %d", flags, pmd);
		/* Unshare faults are counted as unshare, or not at all. */
		if (unshare) {
			KUNIT_EXPECT_EQ_MSG(test, copy, COWLAB_EV_UNSHARE,
					    "copy flags %#x", flags);
			KUNIT_EXPECT_EQ_MSG(test, pmd, COWLAB_EV_NONE,
					    "pmd flags %#x", flags);
		} else {
			KUNIT_EXPECT_NE_MSG(test, copy, COWLAB_EV_UNSHARE,
					    "copy flags %#x", flags);
		}
	}
}

/*
 * A probe's caller is told apart by its return address: inside one of its
 * site's ranges (a function and its .cold part), each [start, start + len).
 * The hugetlb site is how ptep_clear_flush() and ptep_set_access_flags()
 * tell huge_copy and huge_reuse from the 4 KiB classes.
 */
static void cowlab_site_has_ranges(struct kunit *test)
{
	struct cowlab_site site = {
		.names = { "hugetlb_wp" },
		.ranges = { { 0x1000, 0x100 }, { 0x8000, 0x10 } },
		.nranges = 2,
	};

	KUNIT_EXPECT_TRUE(test, cowlab_site_has(&site, 0x1000));
	KUNIT_EXPECT_TRUE(test, cowlab_site_has(&site, 0x10ff));
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0x1100));
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0xfff));
	KUNIT_EXPECT_TRUE(test, cowlab_site_has(&site, 0x800f));
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0x8010));
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0));
	/* Only the ranges found count. */
	site.nranges = 1;
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0x8000));
	site.nranges = 0;
	KUNIT_EXPECT_FALSE(test, cowlab_site_has(&site, 0x1000));
}

/*
 * huge_copy and huge_reuse are absent exactly where no hugetlb COW
 * function was found (a kernel without hugetlbfs), with a reason; read
 * only: the live module's site is not touched.
 */
static void cowlab_event_impossible_hugetlb(struct kunit *test)
{
	bool none = !READ_ONCE(cowlab_hugetlb_site.nranges);

	KUNIT_EXPECT_EQ(test, !!cowlab_event_impossible(COWLAB_EV_HUGE_COPY),
			none);
	KUNIT_EXPECT_EQ(test, !!cowlab_event_impossible(COWLAB_EV_HUGE_REUSE),
			none);
	KUNIT_EXPECT_NULL(test, cowlab_event_impossible(COWLAB_EV_COW_COPY));
	KUNIT_EXPECT_NULL(test, cowlab_event_impossible(COWLAB_EV_WP_REUSE));
}

/* ---- windows in flight (inflight.c), for the test's own task ---- */

/*
 * Close @w if it was opened.  The tests only use EXPECT after a push, so
 * that every window is closed before the test's faults go: a slot left
 * behind would point into freed memory.
 */
static void cowlab_kunit_pop(struct cowlab_window *w)
{
	if (!w->slot)
		return;
	cowlab_inflight_pop(w);
	w->slot = NULL;
}

/* A task with no window open has none of either kind. */
static void cowlab_inflight_none(struct kunit *test)
{
	struct mm_struct *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm,
						     0x200000,
						     COWLAB_F_REUSED));
}

/*
 * A THP fault inside a GUP call: the task owns two slots, an unshare
 * window and a PMD window.  The PMD probe finds its fault past the unshare
 * window, each kind is answered for, and closing either window leaves the
 * other one found.
 */
static void cowlab_inflight_pmd_inside_unshare(struct kunit *test)
{
	struct cowlab_window *gup, *thp, *thp2;
	struct mm_struct *mm, *mm2;

	mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	mm2 = kunit_kzalloc(test, sizeof(*mm2), GFP_KERNEL);
	gup = kunit_kzalloc(test, 3 * sizeof(*gup), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_ASSERT_NOT_NULL(test, mm2);
	KUNIT_ASSERT_NOT_NULL(test, gup);
	thp = gup + 1;
	thp2 = gup + 2;
	gup->kind = COWLAB_WINDOW_UNSHARE;
	thp->kind = COWLAB_WINDOW_PMD;
	thp->mm = mm;
	thp->address = 0x200000;
	thp->flags = COWLAB_F_ANON_THP;
	thp2->kind = COWLAB_WINDOW_PMD;
	thp2->mm = mm2;
	thp2->address = 0x600000;

	/* The GUP call opens its window: no PMD fault to mark yet. */
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_push(gup));
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm,
						     0x200000,
						     COWLAB_F_REUSED));
	KUNIT_EXPECT_EQ(test, gup->flags, 0);

	/* The THP fault inside it: a second slot. */
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_push(thp));
	KUNIT_EXPECT_NOT_NULL(test, thp->slot);
	KUNIT_EXPECT_PTR_NE(test, thp->slot, gup->slot);
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_PTR_EQ(test,
			    cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm, 0x200000,
						 COWLAB_F_REUSED), thp);
	KUNIT_EXPECT_EQ(test, thp->flags, COWLAB_F_ANON_THP | COWLAB_F_REUSED);
	KUNIT_EXPECT_EQ(test, gup->flags, 0);
	/* Another mm, another address, another kind: not this fault. */
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm2,
						     0x200000,
						     COWLAB_F_FALLBACK));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm,
						     0x400000,
						     COWLAB_F_FALLBACK));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_UNSHARE, mm,
						     0x200000, COWLAB_F_ZERO));
	KUNIT_EXPECT_EQ(test, thp->flags, COWLAB_F_ANON_THP | COWLAB_F_REUSED);
	KUNIT_EXPECT_EQ(test, gup->flags, 0);

	/* The THP fault returns: the GUP window is still open. */
	cowlab_kunit_pop(thp);
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm,
						     0x200000,
						     COWLAB_F_FALLBACK));
	KUNIT_EXPECT_EQ(test, thp->flags, COWLAB_F_ANON_THP | COWLAB_F_REUSED);

	/* Another THP fault; this time the GUP window closes first. */
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_push(thp2));
	KUNIT_EXPECT_PTR_EQ(test,
			    cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm2, 0x600000,
						 COWLAB_F_REUSED), thp2);
	cowlab_kunit_pop(gup);
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_TRUE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_PTR_EQ(test,
			    cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm2, 0x600000,
						 COWLAB_F_FALLBACK), thp2);
	KUNIT_EXPECT_EQ(test, thp2->flags, COWLAB_F_REUSED | COWLAB_F_FALLBACK);
	cowlab_kunit_pop(thp2);
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE));
	KUNIT_EXPECT_FALSE(test, cowlab_inflight_inside(COWLAB_WINDOW_PMD));
	KUNIT_EXPECT_NULL(test, cowlab_inflight_mark(COWLAB_WINDOW_PMD, mm2,
						     0x600000,
						     COWLAB_F_REUSED));
	/* Whatever failed above, no window is left open. */
	cowlab_kunit_pop(gup);
	cowlab_kunit_pop(thp);
	cowlab_kunit_pop(thp2);
}

static struct kunit_case cowlab_classify_test_cases[] = {
	KUNIT_CASE_PARAM(cowlab_classify_flag_table, cowlab_classify_gen_params),
	KUNIT_CASE(cowlab_classify_all_flag_combinations),
	KUNIT_CASE(cowlab_site_has_ranges),
	KUNIT_CASE(cowlab_event_impossible_hugetlb),
	KUNIT_CASE(cowlab_inflight_none),
	KUNIT_CASE(cowlab_inflight_pmd_inside_unshare),
	{}
};

static struct kunit_suite cowlab_classify_test_suite = {
	.name = "cowlab_classify",
	.test_cases = cowlab_classify_test_cases,
};

kunit_test_suite(cowlab_classify_test_suite);

#endif /* COWLAB_PROBES_KUNIT_H */
