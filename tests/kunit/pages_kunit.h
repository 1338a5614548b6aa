/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/pages.c: the four-byte per-page record (three
 * saturating event counters and a "copied" flag), the blocks of records
 * that cover one PMD each, the per-process records' lifetime, blocks freed
 * when an unmap empties them, and the budgets (the set's, and each user's
 * share).  Included at the end of pages.c when built with
 * CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * Each test has a page set of its own (cowlab_pages_kunit_init()), never
 * the module's, so every figure is exact whether or not the module is live
 * and counting (KUnit runs the suites after the module's init from 6.3 on,
 * before it on 6.1).  Nothing else uses a test's set: the checks in
 * cowlab_kunit_check_set() hold whenever the test is not inside a call,
 * and the exit checks them, then that forgetting everything gives every
 * block back.
 */
#ifndef COWLAB_PAGES_KUNIT_H
#define COWLAB_PAGES_KUNIT_H

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/threads.h>

#define COWLAB_KUNIT_TGID	(PID_MAX_LIMIT + 100)
#define COWLAB_KUNIT_TGID2	(PID_MAX_LIMIT + 101)
#define COWLAB_KUNIT_TGID3	(PID_MAX_LIMIT + 102)
#define COWLAB_KUNIT_TGID4	(PID_MAX_LIMIT + 103)
#define COWLAB_KUNIT_TGID5	(PID_MAX_LIMIT + 104)
/* Users the test's notes run as (any uid will do: the set is ours). */
#define COWLAB_KUNIT_UID	1000
#define COWLAB_KUNIT_UID2	2000
/* A PMD-aligned address: the first page of block COWLAB_KUNIT_IDX. */
#define COWLAB_KUNIT_B		0x40000000UL
#define COWLAB_KUNIT_IDX	(COWLAB_KUNIT_B >> PMD_SHIFT)
/* The test's set: 2048 blocks, 1024 for one user; no test comes near. */
#define COWLAB_KUNIT_MAX_PAGES	(1024UL * 1024)
/* Blocks, in the pages that budgets are given in. */
#define COWLAB_KUNIT_BLOCKS(n)	((n) * (unsigned long)COWLAB_BLOCK_PAGES)

#define P			PAGE_SIZE

/* Start @h afresh for process @tgid, as a fault does. */
static void cowlab_kunit_cache(struct cowlab_pages_cache *h, pid_t tgid)
{
	memset(h, 0, sizeof(*h));
	h->tgid = tgid;
}

/* A note with nothing remembered, as a fault on a cold CPU makes it. */
static void cowlab_kunit_note(struct cowlab_pageset *ps, pid_t tgid,
			      unsigned long addr, enum cowlab_event ev)
{
	struct cowlab_pages_cache h;

	cowlab_kunit_cache(&h, tgid);
	cowlab_pages_note(ps, &h, addr, ev);
}

/*
 * The same, by a task running as user @uid: a new block counts in the
 * share of the faulting task's real uid (current_uid()), so the note runs
 * with the KUnit thread's credentials overridden.  The same calls are
 * right where override_creds() takes a reference (6.12) and where it does
 * not (6.14 on).
 */
static void cowlab_kunit_note_as(struct kunit *test,
				 struct cowlab_pageset *ps, pid_t tgid,
				 uid_t uid, unsigned long addr,
				 enum cowlab_event ev)
{
	struct cred *cred = prepare_creds();
	const struct cred *old;

	KUNIT_ASSERT_NOT_NULL(test, cred);
	cred->uid = KUIDT_INIT(uid);
	old = override_creds(cred);
	cowlab_kunit_note(ps, tgid, addr, ev);
	revert_creds(old);
	put_cred(cred);
}

/* The uid the KUnit thread's own notes count as (a kernel thread: 0). */
static uid_t cowlab_kunit_me(void)
{
	return from_kuid(&init_user_ns, current_uid());
}

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
	all = cowlab_rec_update(all, COWLAB_EV_COW_COPY);
	cowlab_kunit_expect_rec(test, all, true, 255, 255, 255);
}

/* ---- per-process records, in a page set of the test's own ---- */

/* Records in use in @b: what its count must say. */
static int cowlab_kunit_block_recs(struct cowlab_page_block *b)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < COWLAB_BLOCK_PAGES; i++)
		n += READ_ONCE(b->rec[i].all) != 0;
	return n;
}

/*
 * What holds of @ps between calls, once the tables already forgotten are
 * freed: each block in a table counts exactly its records and has some
 * (an emptied one is taken out) and a user, each table counts the records
 * of its blocks, the set and every user count exactly the blocks they
 * hold, and the drops add up.
 */
static void cowlab_kunit_check_set(struct kunit *test,
				   struct cowlab_pageset *ps)
{
	unsigned long tgid, idx, key, blocks = 0, ublocks;
	struct cowlab_page_block *b;
	struct cowlab_pages *p;
	struct cowlab_user *u;

	cowlab_pages_sync(ps);
	xa_for_each(&ps->by_tgid, tgid, p) {
		long recs = 0;

		xa_for_each(&p->blocks, idx, b) {
			int n = cowlab_kunit_block_recs(b);

			KUNIT_EXPECT_EQ_MSG(test, atomic_read(&b->nr), n,
					    "tgid %lu block %lu", tgid, idx);
			KUNIT_EXPECT_GT_MSG(test, n, 0,
					    "tgid %lu block %lu: empty, kept",
					    tgid, idx);
			KUNIT_EXPECT_NOT_NULL_MSG(test, b->user,
						  "tgid %lu block %lu", tgid,
						  idx);
			recs += n;
			blocks++;
		}
		KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&p->nr), recs,
				    "tgid %lu", tgid);
	}
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&ps->blocks),
			blocks);
	xa_for_each(&ps->users, key, u) {
		ublocks = 0;
		xa_for_each(&ps->by_tgid, tgid, p)
			xa_for_each(&p->blocks, idx, b)
				ublocks += b->user == u;
		KUNIT_EXPECT_EQ_MSG(test,
				    (unsigned long)atomic_long_read(&u->blocks),
				    ublocks, "uid %lu", key);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->dropped),
			atomic_long_read(&ps->dropped_set) +
			atomic_long_read(&ps->dropped_user) +
			atomic_long_read(&ps->dropped_nomem));
}

static int cowlab_pages_kunit_init(struct kunit *test)
{
	struct cowlab_pageset *ps;

	ps = cowlab_pageset_create(COWLAB_KUNIT_MAX_PAGES, 0);
	if (IS_ERR(ps))
		return PTR_ERR(ps);
	test->priv = ps;
	return 0;
}

/* Check the set, forget everything, check that it all came back, free. */
static void cowlab_pages_kunit_exit(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	struct cowlab_pages_totals t;
	struct cowlab_user *u;
	unsigned long key;

	if (IS_ERR_OR_NULL(ps))
		return;
	cowlab_kunit_check_set(test, ps);
	cowlab_pages_forget_all(ps);
	cowlab_pages_sync(ps);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 0UL);
	KUNIT_EXPECT_EQ(test, t.tracked, 0UL);
	KUNIT_EXPECT_EQ(test, t.memory_bytes, (size_t)0);
	xa_for_each(&ps->users, key, u)
		KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&u->blocks), 0L,
				    "uid %lu", key);
	cowlab_pageset_destroy(ps);
	test->priv = NULL;
}

/* Give the test a set of @max_pages, @user_pages for one user, instead. */
static struct cowlab_pageset *cowlab_kunit_resize(struct kunit *test,
						  unsigned long max_pages,
						  unsigned long user_pages)
{
	struct cowlab_pageset *ps;

	cowlab_pageset_destroy(test->priv);
	test->priv = NULL;
	ps = cowlab_pageset_create(max_pages, user_pages);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ps);
	test->priv = ps;
	return ps;
}

/* The record of @p at @addr, 0 for none (@p may be NULL). */
static u32 cowlab_kunit_rec(struct cowlab_pages *p, unsigned long addr)
{
	struct cowlab_pages_cursor cur = { .pages = p };
	u32 all;

	rcu_read_lock();
	all = cowlab_pages_rec(&cur, addr);
	rcu_read_unlock();
	return all;
}

/* The record of @tgid at @addr, 0 for none. */
static u32 cowlab_kunit_rec_at(struct cowlab_pageset *ps, pid_t tgid,
			       unsigned long addr)
{
	struct cowlab_pages *p = cowlab_pages_get(ps, tgid);
	u32 all = cowlab_kunit_rec(p, addr);

	cowlab_pages_release(p);
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
static bool cowlab_kunit_has_table(struct cowlab_pageset *ps, pid_t tgid)
{
	struct cowlab_pages *p = cowlab_pages_get(ps, tgid);

	cowlab_pages_release(p);
	return p;
}

static long cowlab_kunit_nr(struct cowlab_pageset *ps, pid_t tgid)
{
	struct cowlab_pages *p = cowlab_pages_get(ps, tgid);
	long nr = p ? atomic_long_read(&p->nr) : -1;

	cowlab_pages_release(p);
	return nr;
}

/* Events @tgid's table counts as not recorded, -1 for no table. */
static long cowlab_kunit_dropped(struct cowlab_pageset *ps, pid_t tgid)
{
	struct cowlab_pages *p = cowlab_pages_get(ps, tgid);
	long d = p ? atomic_long_read(&p->dropped) : -1;

	cowlab_pages_release(p);
	return d;
}

/*
 * The users row of @uid: true with *@u filled, false if it has none.  The
 * rows must come in uid order, each once (a broken walk fails the test
 * rather than loop).
 */
static bool cowlab_kunit_user(struct kunit *test, struct cowlab_pageset *ps,
			      uid_t uid, struct cowlab_user_snap *u)
{
	unsigned long key = 0, last = 0;
	bool first = true;

	while (cowlab_pages_user_next(ps, &key, first, u)) {
		KUNIT_EXPECT_EQ(test, u->uid, key);
		if (!first && key <= last) {
			KUNIT_FAIL(test, "users: uid %lu after uid %lu", key,
				   last);
			return false;
		}
		if (u->uid == uid)
			return true;
		first = false;
		last = key;
	}
	return false;
}

/* The users row of @uid must say exactly this. */
static void cowlab_kunit_expect_user(struct kunit *test,
				     struct cowlab_pageset *ps, uid_t uid,
				     unsigned long blocks,
				     unsigned long dropped,
				     unsigned long procs, pid_t short_tgid,
				     unsigned long short_dropped)
{
	struct cowlab_user_snap u;

	memset(&u, 0xa5, sizeof(u));
	KUNIT_ASSERT_TRUE_MSG(test, cowlab_kunit_user(test, ps, uid, &u),
			      "no row for uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.uid, (unsigned long)uid, "uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.pages, COWLAB_KUNIT_BLOCKS(blocks),
			    "uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.dropped, dropped, "uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.procs, procs, "uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.short_tgid, short_tgid, "uid %u", uid);
	KUNIT_EXPECT_EQ_MSG(test, u.short_dropped, short_dropped, "uid %u",
			    uid);
}

/* The set's records, blocks and blocks freed must be exactly these. */
static void cowlab_kunit_expect_totals(struct kunit *test,
				       struct cowlab_pageset *ps,
				       unsigned long tracked,
				       unsigned long blocks,
				       unsigned long freed)
{
	struct cowlab_pages_totals t;

	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, tracked);
	KUNIT_EXPECT_EQ(test, t.blocks, blocks);
	KUNIT_EXPECT_EQ(test, t.blocks_freed, freed);
}

/* The set's drop counters must say exactly this. */
static void cowlab_kunit_expect_drops(struct kunit *test,
				      struct cowlab_pageset *ps,
				      unsigned long set, unsigned long user,
				      unsigned long nomem)
{
	struct cowlab_pages_totals t;

	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.dropped_set, set);
	KUNIT_EXPECT_EQ(test, t.dropped_user, user);
	KUNIT_EXPECT_EQ(test, t.dropped_nomem, nomem);
	KUNIT_EXPECT_EQ(test, t.dropped, set + user + nomem);
}

/*
 * A private file page copied on its first write, and a KSM page copied:
 * both install a page (copied), with no counter of their own, and a note
 * of one makes a record at exactly its page.
 */
static void cowlab_rec_update_file_and_ksm_copies(struct kunit *test)
{
	static const enum cowlab_event evs[] = {
		COWLAB_EV_FILE_COPY, COWLAB_EV_COW_KSM,
	};
	u32 reused = cowlab_rec_update(0, COWLAB_EV_WP_REUSE), all;
	struct cowlab_pageset *ps = test->priv;
	pid_t tgid = COWLAB_KUNIT_TGID;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs); i++) {
		all = cowlab_rec_update(0, evs[i]);
		KUNIT_EXPECT_NE_MSG(test, all, 0U, "event %d", evs[i]);
		cowlab_kunit_expect_rec(test, all, true, 0, 0, 0);
		cowlab_kunit_expect_rec(test, cowlab_rec_update(reused, evs[i]),
					true, 0, 0, 1);
		cowlab_kunit_note(ps, tgid, (i + 1) * P, evs[i]);
		all = cowlab_kunit_rec_at(ps, tgid, (i + 1) * P);
		cowlab_kunit_expect_rec(test, all, true, 0, 0, 0);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, 0), 0U);
}

/*
 * hugetlb: a huge page copied installs pages (copied) with no counter of
 * its own, a reused one leaves a record as it was; a reuse after the copy
 * keeps copied.
 */
static void cowlab_rec_update_huge_copy_and_reuse(struct kunit *test)
{
	u32 reused = cowlab_rec_update(0, COWLAB_EV_WP_REUSE);
	u32 copied = cowlab_rec_update(0, COWLAB_EV_HUGE_COPY);

	cowlab_kunit_expect_rec(test, copied, true, 0, 0, 0);
	cowlab_kunit_expect_rec(test, cowlab_rec_update(reused,
							COWLAB_EV_HUGE_COPY),
				true, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_rec_update(0, COWLAB_EV_HUGE_REUSE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_rec_update(reused, COWLAB_EV_HUGE_REUSE),
			reused);
	KUNIT_EXPECT_EQ(test, cowlab_rec_update(copied, COWLAB_EV_HUGE_REUSE),
			copied);
	KUNIT_EXPECT_TRUE(test, cowlab_ev_installs(COWLAB_EV_HUGE_COPY));
	KUNIT_EXPECT_FALSE(test, cowlab_ev_installs(COWLAB_EV_HUGE_REUSE));
}

static void cowlab_pages_note_records_copy(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long addr = 0x7f0000123000UL;
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages *p;

	KUNIT_ASSERT_FALSE(test, cowlab_kunit_has_table(ps, COWLAB_KUNIT_TGID));
	cowlab_pages_totals(ps, &t0);
	KUNIT_EXPECT_EQ(test, t0.tracked, 0UL);
	KUNIT_EXPECT_EQ(test, t0.blocks, 0UL);
	KUNIT_EXPECT_EQ(test, t0.memory_bytes, (size_t)0);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, addr + 0x10,
			  COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, addr), true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, addr + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, addr - P), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	/* More events at the page: one record still. */
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, addr, COWLAB_EV_WP_REUSE);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, addr + P - 1,
			  COWLAB_EV_COW_COPY);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, addr), true, 2, 0, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	cowlab_pages_release(p);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 1UL);
	KUNIT_EXPECT_EQ(test, t.blocks, 1UL);
	KUNIT_EXPECT_EQ(test, t.dropped, 0UL);
	KUNIT_EXPECT_EQ(test, t.memory_bytes,
			sizeof(struct cowlab_page_block) +
			sizeof(struct cowlab_pages));
}

/*
 * Huge-page events that keep their pages (a THP reused or split, a
 * hugetlb page reused) have no per-page record: not even a table is made.
 */
static void cowlab_pages_note_ignores_thp_events(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	struct cowlab_pages_totals t;
	struct cowlab_user_snap u;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;
	unsigned long key = 0;

	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, 0x200000,
			  COWLAB_EV_THP_REUSE);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, 0x200000,
			  COWLAB_EV_THP_SPLIT);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, 0x200000,
			  COWLAB_EV_HUGE_REUSE);
	cowlab_kunit_cache(&h, COWLAB_KUNIT_TGID);
	cowlab_pages_note(ps, &h, 0x400000, COWLAB_EV_HUGE_REUSE);
	KUNIT_EXPECT_NULL(test, h.pages);
	cowlab_pages_note(ps, &h, 0x200000, COWLAB_EV_THP_REUSE);
	KUNIT_EXPECT_NULL(test, h.pages);
	KUNIT_EXPECT_NULL(test, h.block);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_NULL(test, p);
	/* On failure, leave nothing behind for kmemleak to blame on cowlab. */
	cowlab_pages_release(p);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 0UL);
	KUNIT_EXPECT_EQ(test, t.dropped, 0UL);
	KUNIT_EXPECT_EQ(test, t.memory_bytes, (size_t)0);
	/* Nor a share for the user. */
	KUNIT_EXPECT_FALSE(test, cowlab_pages_user_next(ps, &key, true, &u));
}

/*
 * The events that install a whole block of pages at once: the huge zero
 * page replaced by a THP, a 2 MiB hugetlb page copied (noted at its start,
 * cowlab_hugetlb_start()).
 */
static const enum cowlab_event cowlab_block_events[] = {
	COWLAB_EV_THP_ZERO, COWLAB_EV_HUGE_COPY,
};

static void cowlab_block_event_desc(const enum cowlab_event *ev, char *desc)
{
	strscpy(desc, cowlab_event_names[*ev], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_block_event, cowlab_block_events,
		  cowlab_block_event_desc);

/*
 * Such an event at a PMD-aligned address: every page of its block is a
 * copy, with no per-page event (it is one event per 2 MiB, in procs only).
 * The blocks around it keep no record.
 */
static void cowlab_pages_note_block_event_copies_block(struct kunit *test)
{
	const enum cowlab_event *evp = test->param_value;
	struct cowlab_pageset *ps = test->priv;
	const unsigned long b0 = COWLAB_KUNIT_B;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { };
	struct cowlab_page_block *b;
	struct cowlab_pages *p;
	unsigned int i;

	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, COWLAB_KUNIT_B, *evp);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < COWLAB_BLOCK_PAGES; i++)
		cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b0 + i * P),
					true, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, COWLAB_KUNIT_B - P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, COWLAB_KUNIT_B + PMD_SIZE),
			0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr),
			(long)COWLAB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	b = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->nr), (int)COWLAB_BLOCK_PAGES);
	cowlab_pages_events(p, COWLAB_KUNIT_B, COWLAB_KUNIT_B + PMD_SIZE, ev);
	for (i = 0; i <= COWLAB_EV_WP_REUSE; i++)
		KUNIT_EXPECT_EQ_MSG(test, ev[i], 0ULL, "event %u", i);
	/* A later write fault at one page counts there, and keeps copied. */
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, COWLAB_KUNIT_B + 7 * P,
			  COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b0 + 7 * P), true,
				0, 0, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr),
			(long)COWLAB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->nr), (int)COWLAB_BLOCK_PAGES);
	cowlab_pages_release(p);
}

/* Per-VMA sums cover [start, end): the page at end is not included. */
static void cowlab_pages_events_sums_range(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long start = 0x10000000, end = start + 4 * P;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages *p;

	cowlab_kunit_note(ps, tgid, start - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, start, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, start, COWLAB_EV_WP_REUSE);
	cowlab_kunit_note(ps, tgid, start + P, COWLAB_EV_UNSHARE);
	cowlab_kunit_note(ps, tgid, start + 2 * P, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, tgid, end - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, end, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, tgid);
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
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	u64 ev[COWLAB_EV_WP_REUSE + 1];
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages *p;

	cowlab_kunit_note(ps, tgid, b - 2 * P, COWLAB_EV_WP_REUSE);
	cowlab_kunit_note(ps, tgid, b - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE - P, COWLAB_EV_WP_REUSE);
	/* Nothing in the block at b + PMD_SIZE. */
	cowlab_kunit_note(ps, tgid, b + 2 * PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + 2 * PMD_SIZE + P, COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(ps, tgid);
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

/*
 * A cursor follows the addresses across blocks, forwards and back, inside
 * one RCU read-side section (what it remembers is only good there).
 */
static void cowlab_pages_rec_across_blocks(struct kunit *test)
{
	static const long at[] = {
		-1, 0, 1, COWLAB_BLOCK_PAGES - 1, COWLAB_BLOCK_PAGES,
		2 * COWLAB_BLOCK_PAGES, -1, -2, 0,
	};
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B, idx[ARRAY_SIZE(at)];
	struct cowlab_pages_cursor cur = { };
	bool block[ARRAY_SIZE(at)];
	u32 r[ARRAY_SIZE(at)], none;
	struct cowlab_pages *p;
	unsigned int i;

	/* No records: nothing, whatever the address. */
	rcu_read_lock();
	none = cowlab_pages_rec(&cur, b);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, none, 0U);

	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, b - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, b, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, b + 2 * PMD_SIZE,
			  COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cur.pages = p;
	cowlab_pages_cursor_reset(&cur);
	rcu_read_lock();
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		r[i] = cowlab_pages_rec(&cur, b + at[i] * (long)P);
		idx[i] = cur.idx;
		block[i] = cur.block;
	}
	rcu_read_unlock();
	cowlab_pages_release(p);

	cowlab_kunit_expect_rec(test, r[0], true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, idx[0], COWLAB_KUNIT_IDX - 1);
	cowlab_kunit_expect_rec(test, r[1], true, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, idx[1], COWLAB_KUNIT_IDX);
	KUNIT_EXPECT_EQ(test, r[2], 0U);
	KUNIT_EXPECT_EQ(test, r[3], 0U);
	/* A block with no records at all. */
	KUNIT_EXPECT_EQ(test, r[4], 0U);
	KUNIT_EXPECT_EQ(test, idx[4], COWLAB_KUNIT_IDX + 1);
	KUNIT_EXPECT_FALSE(test, block[4]);
	cowlab_kunit_expect_rec(test, r[5], false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, idx[5], COWLAB_KUNIT_IDX + 2);
	/* Back down. */
	cowlab_kunit_expect_rec(test, r[6], true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, r[7], 0U);
	cowlab_kunit_expect_rec(test, r[8], true, 0, 1, 0);
}

/* Zap clears [start, end) of one block, partly, and nothing else. */
static void cowlab_pages_zap_clears_range(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long base = 0x10000000;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_totals t;

	cowlab_kunit_note(ps, tgid, base, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, base + P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, base + 2 * P, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, tgid, base + 3 * P, COWLAB_EV_UNSHARE);
	cowlab_kunit_note(ps, tgid, base + 5 * P, COWLAB_EV_WP_REUSE);
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(ps, tgid), 5L);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 5UL);

	cowlab_pages_zap(ps, tgid, base + P, base + 4 * P);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, base),
				true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, base + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, base + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, base + 3 * P), 0U);
	cowlab_kunit_expect_rec(test,
				cowlab_kunit_rec_at(ps, tgid, base + 5 * P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 2UL);

	/* Zapping again, or where nothing is, counts nothing twice. */
	cowlab_pages_zap(ps, tgid, base + P, base + 4 * P);
	cowlab_pages_zap(ps, tgid, base + 6 * P, base + 100 * P);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	/* Empty and reversed ranges clear nothing. */
	cowlab_pages_zap(ps, tgid, base, base);
	cowlab_pages_zap(ps, tgid, base + P, base);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, tgid, base), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	/* [start, end): the page at end stays. */
	cowlab_pages_zap(ps, tgid, base + 4 * P, base + 5 * P);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, tgid, base + 5 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);

	/* A page faulted in again after the zap is a new page. */
	cowlab_kunit_note(ps, tgid, base + P, COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, base + P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 3L);

	/* A process with no records: nothing made for it. */
	cowlab_pages_zap(ps, COWLAB_KUNIT_TGID2, 0, ULONG_MAX);
	KUNIT_EXPECT_FALSE(test,
			   cowlab_kunit_has_table(ps, COWLAB_KUNIT_TGID2));
	cowlab_kunit_expect_totals(test, ps, 3UL, 1UL, 0UL);
}

/*
 * @tgid has the blocks in @mask (bit i: block @first + i), the set no
 * others, and @freed were freed by zaps.
 */
static void cowlab_kunit_expect_blocks(struct kunit *test,
				       struct cowlab_pageset *ps, pid_t tgid,
				       unsigned long first, unsigned int mask,
				       unsigned long freed)
{
	struct cowlab_pages *p = cowlab_pages_get(ps, tgid);
	struct cowlab_pages_totals t;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p),
			(unsigned long)hweight32(mask));
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    (bool)xa_load(&p->blocks, first + i),
				    (bool)(mask & BIT(i)), "block %lu",
				    first + i);
	cowlab_pages_release(p);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, (unsigned long)hweight32(mask));
	KUNIT_EXPECT_EQ(test, t.blocks_freed, freed);
}

/*
 * Zap across block boundaries: two blocks, three, whole and partial.  A
 * block the zap empties goes; the others stay.
 */
static void cowlab_pages_zap_across_blocks(struct kunit *test)
{
	static const long offs[] = { -3, -2, -1, 0, 1, 2 };
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B, mid = b + PMD_SIZE / 2;
	unsigned long i0 = COWLAB_KUNIT_IDX - 1;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_totals t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		cowlab_kunit_note(ps, tgid, b + offs[i] * (long)P,
				  COWLAB_EV_COW_COPY);
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(ps, tgid), 6L);
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0x3, 0);

	/* The last two pages of one block and the first of the next. */
	cowlab_pages_zap(ps, tgid, b - 2 * P, b + P);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		bool gone = offs[i] >= -2 && offs[i] < 1;
		u32 all = cowlab_kunit_rec_at(ps, tgid, b + offs[i] * (long)P);

		KUNIT_EXPECT_EQ_MSG(test, all == 0, gone, "page %ld", offs[i]);
	}
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 3L);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 3UL);
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0x3, 0);

	/* Exactly one block: its neighbours' pages at the edges stay. */
	cowlab_kunit_note(ps, tgid, b, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, mid, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	/* Now: b-3P, b, b+P, b+2P, mid, b+PMD-P, b+PMD. */
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(ps, tgid), 7L);
	cowlab_pages_zap(ps, tgid, b, b + PMD_SIZE);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, tgid, b - 3 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, mid), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b + PMD_SIZE - P),
			0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, tgid, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	/* The block it emptied went. */
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0x5, 1);

	/* Three blocks: the end of one, all of the next, part of a third. */
	cowlab_kunit_note(ps, tgid, b - P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, mid, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE + P, COWLAB_EV_WP_REUSE);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE + 2 * P, COWLAB_EV_COW_COPY);
	/* Now: b-3P, b-P, mid, b+PMD, b+PMD+P, b+PMD+2P. */
	KUNIT_ASSERT_EQ(test, cowlab_kunit_nr(ps, tgid), 6L);
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0x7, 1);
	cowlab_pages_zap(ps, tgid, b - 2 * P, b + PMD_SIZE + 2 * P);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, tgid, b - 3 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b - P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, mid), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b + PMD_SIZE + P),
			0U);
	KUNIT_EXPECT_NE(test,
			cowlab_kunit_rec_at(ps, tgid,
					    b + PMD_SIZE + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 2L);
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0x5, 2);

	/* Everything. */
	cowlab_pages_zap(ps, tgid, 0, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, b - 3 * P), 0U);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(ps, tgid,
					    b + PMD_SIZE + 2 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, tgid), 0L);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.tracked, 0UL);
	cowlab_kunit_expect_blocks(test, ps, tgid, i0, 0, 4);
}

/*
 * The stats file's figure: a new block costs exactly one block, a record
 * in an existing block nothing, a new process's table its own size; all
 * of it comes back once the records are forgotten and RCU has run.
 */
static void cowlab_pages_totals_memory(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	struct cowlab_pages_totals t0, t1, t2, t3, t4;
	size_t block = sizeof(struct cowlab_page_block);
	unsigned long b = COWLAB_KUNIT_B;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages *p;

	/* Four bytes a record, and docs/debugfs.md's 2,080 bytes a block. */
	KUNIT_EXPECT_EQ(test, sizeof(((struct cowlab_page_block *)0)->rec),
			COWLAB_BLOCK_PAGES * sizeof(u32));
	if (IS_ENABLED(CONFIG_X86_64))
		KUNIT_EXPECT_EQ(test, block, (size_t)2080);
	cowlab_pages_totals(ps, &t0);
	cowlab_kunit_note(ps, tgid, b, COWLAB_EV_COW_COPY);
	cowlab_pages_totals(ps, &t1);
	cowlab_kunit_note(ps, tgid, b + P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE - P, COWLAB_EV_WP_REUSE);
	cowlab_pages_totals(ps, &t2);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_pages_totals(ps, &t3);

	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX));
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 4L);
	cowlab_pages_release(p);
	cowlab_pages_forget(ps, tgid);
	cowlab_pages_sync(ps);
	cowlab_pages_totals(ps, &t4);

	KUNIT_EXPECT_EQ(test, t0.memory_bytes, (size_t)0);
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
static void cowlab_pages_note_remembers_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	struct cowlab_page_block *mine, *first;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;

	mine = kunit_kzalloc(test, sizeof(*mine), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mine);
	cowlab_kunit_cache(&h, COWLAB_KUNIT_TGID);
	cowlab_pages_note(ps, &h, b + P, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX);
	KUNIT_EXPECT_EQ(test, h.gen,
			(unsigned long)atomic_long_read(&ps->gen));
	first = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_PTR_EQ(test, h.block, first);
	cowlab_kunit_expect_rec(test, first->rec[1].all, true, 1, 0, 0);

	/* Same block: the remembered one is written, no look-up. */
	h.block = mine;
	cowlab_pages_note(ps, &h, b + 2 * P, COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_PTR_EQ(test, h.block, mine);
	cowlab_kunit_expect_rec(test, mine->rec[2].all, true, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mine->nr), 1);
	KUNIT_EXPECT_EQ(test, first->rec[2].all, 0U);

	/* Another block: looked up (created), and remembered. */
	cowlab_pages_note(ps, &h, b + PMD_SIZE + 3 * P, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX + 1);
	KUNIT_EXPECT_PTR_EQ(test, h.block,
			    xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_NOT_NULL(test, h.block);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);

	/* Back: looked up again, the real block this time. */
	cowlab_pages_note(ps, &h, b + 3 * P, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, h.idx, COWLAB_KUNIT_IDX);
	KUNIT_EXPECT_PTR_EQ(test, h.block, first);
	cowlab_kunit_expect_rec(test, first->rec[3].all, true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, mine->rec[3].all, 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	/* The table counted the record in mine, which is not in it. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 4L);
	atomic_long_dec(&p->nr);
	cowlab_pages_release(p);
}

/* A reader's reference keeps a forgotten record readable (KASAN checks). */
static void cowlab_pages_forget_keeps_readers_safe(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	const pid_t tgid = COWLAB_KUNIT_TGID;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };
	struct cowlab_pages *p;

	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(ps, COWLAB_KUNIT_TGID));
	/* Let a grace period pass: only the reference holds the table now. */
	synchronize_rcu();
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, 0x5000), true,
				1, 0, 0);
	cowlab_pages_events(p, 0, 0x6000, ev);
	KUNIT_EXPECT_EQ(test, ev[COWLAB_EV_COW_COPY], 1ULL);
	cowlab_pages_release(p);
	/* A later event starts a fresh record. */
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID, 0x5000, COWLAB_EV_WP_REUSE);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, 0x5000),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, COWLAB_KUNIT_TGID), 1L);
}

/*
 * Forgetting a process bumps the set's generation: a fault path that
 * remembers its table looks it up again, and records into a new one.
 */
static void cowlab_pages_forget_drops_remembered_table(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages *old, *p;
	struct cowlab_pages_cache h;
	long gen;

	cowlab_kunit_cache(&h, COWLAB_KUNIT_TGID);
	cowlab_pages_note(ps, &h, b, COWLAB_EV_COW_COPY);
	old = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, old);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, old);
	gen = atomic_long_read(&ps->gen);
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen + 1);
	/* Forgetting what is not there changes nothing. */
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID);
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen + 1);

	cowlab_pages_note(ps, &h, b + P, COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, old);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);
	KUNIT_EXPECT_EQ(test, h.gen, (unsigned long)gen + 1);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + P), false,
				0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	/* The forgotten table got nothing more. */
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(old, b + P), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&old->nr), 1L);
	cowlab_pages_release(p);
	cowlab_pages_release(old);
}

/*
 * A forgotten table still reachable through a fault path's memory takes
 * no new block: it is on its way out, and the block would be lost.
 */
static void cowlab_pages_dead_table_takes_no_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;

	cowlab_kunit_cache(&h, COWLAB_KUNIT_TGID);
	cowlab_pages_note(ps, &h, b, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, COWLAB_KUNIT_TGID);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID);
	/*
	 * A fault that read the generation before the forget bumped it
	 * still trusts the table it remembers.
	 */
	h.gen = atomic_long_read(&ps->gen);
	cowlab_pages_totals(ps, &t0);
	cowlab_pages_note(ps, &h, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);
	KUNIT_EXPECT_NULL(test, h.block);
	KUNIT_EXPECT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1));
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->dropped), 1L);
	/* Nor did the note make a new table for the tgid. */
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(ps, COWLAB_KUNIT_TGID));
	/* Before the release, which lets RCU free the table's block. */
	cowlab_pages_totals(ps, &t);
	cowlab_pages_release(p);
	KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped + 1);
	KUNIT_EXPECT_EQ(test, t.dropped_set, t0.dropped_set);
	KUNIT_EXPECT_EQ(test, t.dropped_user, t0.dropped_user);
	KUNIT_EXPECT_EQ(test, t.blocks, t0.blocks);
}

/*
 * At the set's cap, notes needing a new block are dropped and counted;
 * notes in an existing block always record.  A set of two blocks, and a
 * user's share as large, so that the set's budget is what refuses.
 */
static void cowlab_pages_note_full_drops(struct kunit *test)
{
	struct cowlab_pageset *ps;
	struct cowlab_pages_totals t0, t;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(2),
				 COWLAB_KUNIT_BLOCKS(2));
	cowlab_kunit_cache(&h, tgid);
	cowlab_pages_note(ps, &h, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID2, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_pages_totals(ps, &t0);
	KUNIT_EXPECT_EQ(test, t0.blocks, 2UL);
	KUNIT_EXPECT_EQ(test, t0.dropped, 0UL);
	cowlab_kunit_note(ps, tgid, 0x2000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, PMD_SIZE + 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, 0x1000, COWLAB_EV_COW_COPY);
	/* Through the fault path's memory: dropped, then looked up again. */
	cowlab_pages_note(ps, &h, 2 * PMD_SIZE, COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_NULL(test, h.block);
	KUNIT_EXPECT_EQ(test, h.idx, 2UL);
	cowlab_pages_note(ps, &h, 0x3000, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_NOT_NULL(test, h.block);
	KUNIT_EXPECT_EQ(test, h.idx, 0UL);
	cowlab_kunit_expect_drops(test, ps, 2, 0, 0);

	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 3L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->dropped), 2L);
	cowlab_pages_release(p);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, 0x1000),
				true, 2, 0, 0);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, 0x2000),
				true, 1, 0, 0);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec_at(ps, tgid, 0x3000),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(ps, tgid, PMD_SIZE + 0x1000), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, tgid, 2 * PMD_SIZE), 0U);

	/* Room for exactly one more block: the one after it is dropped. */
	cowlab_pages_forget(ps, COWLAB_KUNIT_TGID2);
	cowlab_pages_sync(ps);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID2, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID2, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, COWLAB_KUNIT_TGID2, 0x2000, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, COWLAB_KUNIT_TGID2), 2L);
	KUNIT_EXPECT_EQ(test,
			cowlab_kunit_rec_at(ps, COWLAB_KUNIT_TGID2,
					    PMD_SIZE), 0U);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.dropped, t0.dropped + 3);
	KUNIT_EXPECT_EQ(test, t.blocks, t0.blocks);
}

/* ---- item 5: emptied blocks freed, budgets per set and per user ---- */

/*
 * A zap that clears the last record of a block takes the block out and
 * frees it (after a grace period): the set's and the user's block counts
 * go down, blocks_freed up, the generation too.  A fault there afterwards
 * installs a fresh block.
 */
static void cowlab_pages_zap_frees_empty_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_page_block *blk, *keep;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_totals t0, t;
	struct cowlab_pages *p;
	long gen;

	cowlab_kunit_note(ps, tgid, b + P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + 7 * P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE, COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	blk = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	keep = xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_EXPECT_EQ(test, atomic_read(&blk->nr), 2);
	cowlab_pages_totals(ps, &t0);
	KUNIT_EXPECT_EQ(test, t0.blocks, 2UL);
	KUNIT_EXPECT_EQ(test, t0.blocks_freed, 0UL);
	cowlab_kunit_expect_user(test, ps, cowlab_kunit_me(), 2, 0, 1, 0, 0);
	gen = atomic_long_read(&ps->gen);

	/* The last two records, with the pages around them. */
	cowlab_pages_zap(ps, tgid, b, b + 8 * P);
	KUNIT_EXPECT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX));
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1),
			    keep);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 1UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen + 1);
	cowlab_kunit_expect_totals(test, ps, 1UL, 1UL, 1UL);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.memory_bytes,
			t0.memory_bytes - sizeof(struct cowlab_page_block));
	cowlab_kunit_expect_user(test, ps, cowlab_kunit_me(), 1, 0, 1, 0, 0);

	/* A fault there afterwards: a fresh block, with only its record. */
	cowlab_kunit_note(ps, tgid, b + 3 * P, COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX));
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + 3 * P), true,
				0, 1, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b + 7 * P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	cowlab_pages_release(p);
	cowlab_kunit_expect_totals(test, ps, 2UL, 2UL, 1UL);
	cowlab_kunit_expect_drops(test, ps, 0, 0, 0);
	cowlab_kunit_expect_user(test, ps, cowlab_kunit_me(), 2, 0, 1, 0, 0);
}

/*
 * A zap of part of a block keeps the block, whatever it clears, as long
 * as one record is left; the generation stays (no fault need look up).
 */
static void cowlab_pages_zap_partial_keeps_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_page_block *blk;
	struct cowlab_pages *p;
	long gen;

	cowlab_kunit_note(ps, tgid, b, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + P, COWLAB_EV_COW_COPY);
	cowlab_kunit_note(ps, tgid, b + 2 * P, COWLAB_EV_COW_ZERO);
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE - P, COWLAB_EV_WP_REUSE);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	blk = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	gen = atomic_long_read(&ps->gen);

	cowlab_pages_zap(ps, tgid, b + P, b + 3 * P);
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX), blk);
	KUNIT_EXPECT_EQ(test, atomic_read(&blk->nr), 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 2L);
	/* Where the block has no record, and where there is no block. */
	cowlab_pages_zap(ps, tgid, b + 10 * P, b + 20 * P);
	cowlab_pages_zap(ps, tgid, b - PMD_SIZE, b);
	cowlab_pages_zap(ps, tgid, b + PMD_SIZE, b + 2 * PMD_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX), blk);
	KUNIT_EXPECT_EQ(test, atomic_read(&blk->nr), 2);
	/* Down to the last record. */
	cowlab_pages_zap(ps, tgid, b, b + PMD_SIZE - P);
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&p->blocks, COWLAB_KUNIT_IDX), blk);
	KUNIT_EXPECT_EQ(test, atomic_read(&blk->nr), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + PMD_SIZE - P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen);
	cowlab_pages_release(p);
	cowlab_kunit_expect_totals(test, ps, 1UL, 1UL, 0UL);
}

/*
 * A reader inside an RCU read-side section may still be reading a block
 * that a zap frees: it is freed only after a grace period (KASAN sees a
 * read of freed memory otherwise).
 */
static void cowlab_pages_zap_free_waits_for_readers(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_pages_cursor cur = { };
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages *p;
	u32 before, after;
	bool in_table;

	cowlab_kunit_note(ps, tgid, b + 5 * P, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	cur.pages = p;
	rcu_read_lock();
	before = cowlab_pages_rec(&cur, b + 5 * P);
	cowlab_pages_zap(ps, tgid, b, b + PMD_SIZE);
	in_table = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	/* Through the cursor: the block it remembers, out of the table. */
	after = cowlab_pages_rec(&cur, b + 5 * P);
	rcu_read_unlock();
	cowlab_pages_release(p);
	cowlab_kunit_expect_rec(test, before, true, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, after, 0U);
	KUNIT_EXPECT_FALSE(test, in_table);
	cowlab_kunit_expect_blocks(test, ps, tgid, COWLAB_KUNIT_IDX, 0, 1);
}

/*
 * The fault path's memory of a block that a zap freed: the generation
 * went up, so the next note looks the block up again (none: a fresh one)
 * instead of writing into freed memory (KASAN would see it: the grace
 * period has passed).
 */
static void cowlab_pages_note_forgets_freed_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;
	unsigned long gen;

	cowlab_kunit_cache(&h, tgid);
	cowlab_pages_note(ps, &h, b + P, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, h.block, xa_load(&p->blocks,
						   COWLAB_KUNIT_IDX));
	gen = h.gen;
	cowlab_pages_zap(ps, tgid, b, b + PMD_SIZE);
	cowlab_pages_sync(ps);	/* the block is freed now */
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&ps->gen),
			gen + 1);
	cowlab_pages_note(ps, &h, b + 2 * P, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, h.gen, gen + 1);
	KUNIT_EXPECT_PTR_EQ(test, h.pages, p);
	KUNIT_EXPECT_NOT_NULL(test, h.block);
	KUNIT_EXPECT_PTR_EQ(test, h.block, xa_load(&p->blocks,
						   COWLAB_KUNIT_IDX));
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + 2 * P), false,
				0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b + P), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 1L);
	cowlab_pages_release(p);
	cowlab_kunit_expect_blocks(test, ps, tgid, COWLAB_KUNIT_IDX, 1, 1);
}

/*
 * Put block @blk of @p where an unmap that emptied it leaves it for an
 * instant: its last record, at @slot, cleared and counted out, and the
 * block marked dying, not yet taken out of the table.
 */
static void cowlab_kunit_make_dying(struct kunit *test, struct cowlab_pages *p,
				    struct cowlab_page_block *blk,
				    unsigned int slot)
{
	KUNIT_ASSERT_EQ(test, atomic_read(&blk->nr), 1);
	KUNIT_ASSERT_NE(test, xchg(&blk->rec[slot].all, 0), 0U);
	atomic_set(&blk->nr, COWLAB_BLOCK_DYING);
	atomic_long_dec(&p->nr);
}

/*
 * A note that finds its block dying puts a new one in its place (and
 * frees the dying one: the block counts stay), and records there: through
 * the fault path's memory and through a look-up alike.  Nothing dropped.
 */
static void cowlab_pages_note_replaces_dying_block(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	unsigned long b = COWLAB_KUNIT_B;
	struct cowlab_page_block *blk, *fresh[2], *in_cache;
	int old_nr[2], fresh_nr[2];
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_pages_totals t;
	struct cowlab_pages_cache h;
	struct cowlab_pages *p;
	u32 old_rec[2];
	long gen;

	cowlab_kunit_cache(&h, tgid);
	cowlab_pages_note(ps, &h, b + P, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	blk = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_PTR_EQ(test, h.block, blk);
	cowlab_kunit_make_dying(test, p, blk, 1);
	gen = atomic_long_read(&ps->gen);

	/* The fault path remembers the dying block; the grace period waits. */
	rcu_read_lock();
	cowlab_pages_note(ps, &h, b + 2 * P, COWLAB_EV_COW_ZERO);
	fresh[0] = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	in_cache = h.block;
	old_rec[0] = READ_ONCE(blk->rec[2].all);
	old_nr[0] = atomic_read(&blk->nr);
	fresh_nr[0] = fresh[0] ? atomic_read(&fresh[0]->nr) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_NOT_NULL(test, fresh[0]);
	KUNIT_EXPECT_PTR_NE(test, fresh[0], blk);
	KUNIT_EXPECT_PTR_EQ(test, in_cache, fresh[0]);
	KUNIT_EXPECT_EQ(test, old_rec[0], 0U);
	KUNIT_EXPECT_EQ(test, old_nr[0], COWLAB_BLOCK_DYING);
	KUNIT_EXPECT_EQ(test, fresh_nr[0], 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen + 1);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + 2 * P), true,
				0, 1, 0);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b + P), 0U);

	/* A block of the next 2 MiB, dying, found by a cold look-up. */
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE, COWLAB_EV_COW_COPY);
	blk = xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	cowlab_kunit_make_dying(test, p, blk, 0);
	rcu_read_lock();
	cowlab_kunit_note(ps, tgid, b + PMD_SIZE + 9 * P, COWLAB_EV_WP_REUSE);
	fresh[1] = xa_load(&p->blocks, COWLAB_KUNIT_IDX + 1);
	old_rec[1] = READ_ONCE(blk->rec[9].all);
	old_nr[1] = atomic_read(&blk->nr);
	fresh_nr[1] = fresh[1] ? atomic_read(&fresh[1]->nr) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_NOT_NULL(test, fresh[1]);
	KUNIT_EXPECT_PTR_NE(test, fresh[1], blk);
	KUNIT_EXPECT_EQ(test, old_rec[1], 0U);
	KUNIT_EXPECT_EQ(test, old_nr[1], COWLAB_BLOCK_DYING);
	KUNIT_EXPECT_EQ(test, fresh_nr[1], 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ps->gen), gen + 2);
	cowlab_kunit_expect_rec(test, cowlab_kunit_rec(p, b + PMD_SIZE + 9 * P),
				false, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec(p, b + PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->nr), 2L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nblocks(p), 2UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&p->dropped), 0L);
	cowlab_pages_release(p);
	cowlab_pages_sync(ps);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 2UL);
	KUNIT_EXPECT_EQ(test, t.tracked, 2UL);
	cowlab_kunit_expect_drops(test, ps, 0, 0, 0);
	cowlab_kunit_expect_user(test, ps, cowlab_kunit_me(), 2, 0, 1, 0, 0);
}

/*
 * The dying block that a note replaced was emptied by an unmap and is
 * freed: pages_blocks_freed counts it, as it counts a block the unmap
 * takes out itself (docs/debugfs.md: "blocks of records freed because
 * unmapping emptied them").
 */
static void cowlab_pages_dying_block_replaced_counts_freed(struct kunit *test)
{
	struct cowlab_pageset *ps = test->priv;
	pid_t tgid = COWLAB_KUNIT_TGID;
	struct cowlab_page_block *blk;
	struct cowlab_pages_totals t;
	struct cowlab_pages *p;

	cowlab_kunit_note(ps, tgid, COWLAB_KUNIT_B, COWLAB_EV_COW_COPY);
	p = cowlab_pages_get(ps, tgid);
	KUNIT_ASSERT_NOT_NULL(test, p);
	blk = xa_load(&p->blocks, COWLAB_KUNIT_IDX);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	cowlab_kunit_make_dying(test, p, blk, 0);
	cowlab_kunit_note(ps, tgid, COWLAB_KUNIT_B + P, COWLAB_EV_COW_COPY);
	cowlab_pages_release(p);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 1UL);
	KUNIT_EXPECT_EQ(test, t.blocks_freed, 1UL);
}

/*
 * One user's share: a set of 4 blocks, 2 for one user.  User A's two
 * processes get 2 blocks between them and are then refused (the set's
 * dropped_user, the user's dropped and the process's own), while a note
 * in a block they hold still records.  A block freed by a zap, or by the
 * exit of a process, is A's to use again.  User B still gets its 2
 * blocks; only then is the set full, and refuses with dropped_set.
 */
static void cowlab_pages_user_share(struct kunit *test)
{
	const pid_t a1 = COWLAB_KUNIT_TGID, a2 = COWLAB_KUNIT_TGID2;
	const pid_t b1 = COWLAB_KUNIT_TGID3;
	const uid_t ua = COWLAB_KUNIT_UID, ub = COWLAB_KUNIT_UID2;
	struct cowlab_pages_totals t;
	struct cowlab_pageset *ps;

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(4),
				 COWLAB_KUNIT_BLOCKS(2));
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.user_max_pages, COWLAB_KUNIT_BLOCKS(2));

	cowlab_kunit_note_as(test, ps, a1, ua, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a2, ua, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_expect_user(test, ps, ua, 2, 0, 2, 0, 0);
	cowlab_kunit_expect_drops(test, ps, 0, 0, 0);
	/* A's share is spent, not the set's. */
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a2, ua, 5 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a2, ua, 6 * PMD_SIZE,
			     COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, a1, PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, a2, 5 * PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, a1), 1L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, a2), 2L);
	cowlab_kunit_expect_drops(test, ps, 0, 3, 0);
	cowlab_kunit_expect_user(test, ps, ua, 2, 3, 2, a2, 2);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 2UL);
	/* A block it holds takes more records. */
	cowlab_kunit_note_as(test, ps, a2, ua, 0x5000, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, a2), 2L);
	cowlab_kunit_expect_drops(test, ps, 0, 3, 0);

	/* A1's block emptied by an unmap: A may have one more, no more. */
	cowlab_pages_zap(ps, a1, 0, PMD_SIZE);
	cowlab_kunit_expect_user(test, ps, ua, 1, 3, 2, a2, 2);
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, a1, PMD_SIZE), 0U);
	cowlab_kunit_expect_user(test, ps, ua, 2, 3, 2, a2, 2);
	cowlab_kunit_note_as(test, ps, a1, ua, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, a1, 2 * PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, a1), 2L);
	cowlab_kunit_expect_drops(test, ps, 0, 4, 0);

	/* A2 exits: once its table is freed, its block is A's again. */
	cowlab_pages_forget(ps, a2);
	cowlab_pages_sync(ps);
	cowlab_kunit_expect_user(test, ps, ua, 1, 4, 1, a1, 2);
	cowlab_kunit_note_as(test, ps, a1, ua, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, a1, 2 * PMD_SIZE), 0U);
	cowlab_kunit_expect_user(test, ps, ua, 2, 4, 1, a1, 2);

	/* B is not refused: the set has room for its share. */
	cowlab_kunit_note_as(test, ps, b1, ub, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, b1, ub, PMD_SIZE, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, b1, 0x1000), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, b1, PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, b1), 0L);
	cowlab_kunit_expect_user(test, ps, ub, 2, 0, 1, 0, 0);
	cowlab_kunit_expect_drops(test, ps, 0, 4, 0);
	/* Now the set is full: the set's budget refuses, not B's share. */
	cowlab_kunit_note_as(test, ps, b1, ub, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, b1), 1L);
	cowlab_kunit_expect_user(test, ps, ub, 2, 0, 1, b1, 1);
	cowlab_kunit_expect_user(test, ps, ua, 2, 4, 1, a1, 2);
	cowlab_kunit_expect_drops(test, ps, 1, 4, 0);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 4UL);
}

/*
 * A block counts in the share of the user the faulting task runs as then,
 * whatever the process ran as before: a server that forks as root and
 * then drops to another user is charged as that user from then on, and
 * is that user's process in procs (by its newest block).
 */
static void cowlab_pages_block_counts_in_faulting_user(struct kunit *test)
{
	const uid_t ua = COWLAB_KUNIT_UID, ub = COWLAB_KUNIT_UID2;
	const pid_t a1 = COWLAB_KUNIT_TGID;
	struct cowlab_pageset *ps;
	struct cowlab_pages *p;
	struct cowlab_page_block *blk[2];

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(8),
				 COWLAB_KUNIT_BLOCKS(1));
	cowlab_kunit_note_as(test, ps, a1, ua, 0x1000, COWLAB_EV_COW_COPY);
	/* A's share (one block) is spent: refused as A, not as B. */
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ub, PMD_SIZE + P,
			     COWLAB_EV_COW_COPY);
	/* Into a block it holds: no new block, nothing charged. */
	cowlab_kunit_note_as(test, ps, a1, ua, 0x2000, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, a1, PMD_SIZE), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, a1, PMD_SIZE + P), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, a1), 3L);
	cowlab_kunit_expect_drops(test, ps, 0, 1, 0);
	p = cowlab_pages_get(ps, a1);
	KUNIT_ASSERT_NOT_NULL(test, p);
	blk[0] = xa_load(&p->blocks, 0);
	blk[1] = xa_load(&p->blocks, 1);
	KUNIT_ASSERT_NOT_NULL(test, blk[0]);
	KUNIT_ASSERT_NOT_NULL(test, blk[1]);
	KUNIT_EXPECT_PTR_EQ(test, blk[0]->user, xa_load(&ps->users, ua));
	KUNIT_EXPECT_PTR_EQ(test, blk[1]->user, xa_load(&ps->users, ub));
	cowlab_pages_release(p);
	/* a1 is B's process now; the event it lost is B's process's. */
	cowlab_kunit_expect_user(test, ps, ua, 1, 1, 0, 0, 0);
	cowlab_kunit_expect_user(test, ps, ub, 1, 0, 1, a1, 1);
	/* An unmap gives A its block back. */
	cowlab_pages_zap(ps, a1, 0, PMD_SIZE);
	cowlab_kunit_expect_user(test, ps, ua, 0, 1, 0, 0, 0);
	cowlab_kunit_expect_user(test, ps, ub, 1, 0, 1, a1, 1);
}

/*
 * The set's budget refuses with dropped_set, whoever asks: a user whose
 * share is not spent is not counted as short (its dropped stays), but its
 * process is (docs/debugfs.md: short_pid is "the live process of this
 * user that lost the most events (any cause)"), even one that never got a
 * block: it asked for one as that user, so it is in that user's procs.
 */
static void cowlab_pages_set_budget(struct kunit *test)
{
	const uid_t ua = COWLAB_KUNIT_UID, ub = COWLAB_KUNIT_UID2;
	const pid_t a1 = COWLAB_KUNIT_TGID, b1 = COWLAB_KUNIT_TGID2;
	struct cowlab_pages_totals t;
	struct cowlab_pageset *ps;

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(2),
				 COWLAB_KUNIT_BLOCKS(2));
	cowlab_kunit_note_as(test, ps, a1, ua, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ua, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, b1, ub, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ua, 0x2000, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, a1, 2 * PMD_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_rec_at(ps, b1, 0x1000), 0U);
	KUNIT_EXPECT_NE(test, cowlab_kunit_rec_at(ps, a1, 0x2000), 0U);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_nr(ps, a1), 3L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, a1), 1L);
	KUNIT_EXPECT_EQ(test, cowlab_kunit_dropped(ps, b1), 1L);
	cowlab_kunit_expect_drops(test, ps, 2, 0, 0);
	cowlab_kunit_expect_user(test, ps, ua, 2, 0, 1, a1, 1);
	cowlab_kunit_expect_user(test, ps, ub, 0, 0, 1, b1, 1);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 2UL);
	KUNIT_EXPECT_EQ(test, t.tracked, 3UL);
}

/*
 * Reset (forget_all) forgets every record and zeroes every drop counter,
 * the users' too; the users' rows stay (docs/debugfs.md), and counting
 * starts again from zero.
 */
static void cowlab_pages_forget_all_zeroes_drops(struct kunit *test)
{
	const uid_t ua = COWLAB_KUNIT_UID, ub = COWLAB_KUNIT_UID2;
	const pid_t a1 = COWLAB_KUNIT_TGID, b1 = COWLAB_KUNIT_TGID2;
	struct cowlab_pages_totals t;
	struct cowlab_pageset *ps;

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(2),
				 COWLAB_KUNIT_BLOCKS(1));
	cowlab_kunit_note_as(test, ps, a1, ua, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, b1, ub, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, b1, ub, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_pages_zap(ps, a1, 0, PMD_SIZE);
	cowlab_kunit_expect_drops(test, ps, 1, 1, 0);
	cowlab_kunit_expect_user(test, ps, ua, 0, 1, 1, a1, 1);
	cowlab_kunit_expect_user(test, ps, ub, 1, 0, 1, b1, 1);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks_freed, 1UL);

	cowlab_pages_forget_all(ps);
	cowlab_kunit_expect_drops(test, ps, 0, 0, 0);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks_freed, 0UL);
	KUNIT_EXPECT_EQ(test, t.tracked, 0UL);
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(ps, a1));
	KUNIT_EXPECT_FALSE(test, cowlab_kunit_has_table(ps, b1));
	cowlab_pages_sync(ps);
	cowlab_kunit_expect_user(test, ps, ua, 0, 0, 0, 0, 0);
	cowlab_kunit_expect_user(test, ps, ub, 0, 0, 0, 0, 0);
	cowlab_pages_totals(ps, &t);
	KUNIT_EXPECT_EQ(test, t.blocks, 0UL);

	/* From zero again. */
	cowlab_kunit_note_as(test, ps, a1, ua, 0x1000, COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, a1, ua, PMD_SIZE, COWLAB_EV_COW_COPY);
	cowlab_kunit_expect_drops(test, ps, 0, 1, 0);
	cowlab_kunit_expect_user(test, ps, ua, 1, 1, 1, a1, 1);
	cowlab_kunit_expect_user(test, ps, ub, 0, 0, 0, 0, 0);
}

/*
 * cowlab_pages_user_next() lists the users in uid order, whatever order
 * they came in, each with its blocks (in pages), the events refused for
 * its share, its processes (by their latest request for a block) and the
 * one that lost most; then says there is no more.  uid 1000's TGID2 lost
 * every event it had (its user's share was spent before its first block):
 * it is the one that lost most, and one of uid 1000's two processes.
 */
static void cowlab_pages_user_next_lists_users(struct kunit *test)
{
	static const struct {
		uid_t uid;
		unsigned long blocks, dropped, procs;
		pid_t short_tgid;
		unsigned long short_dropped;
	} want[] = {
		{ 0, 2, 1, 1, COWLAB_KUNIT_TGID3, 1 },
		{ 5, 1, 0, 1, 0, 0 },
		{ 1000, 2, 3, 2, COWLAB_KUNIT_TGID2, 2 },
		{ 70000, 1, 0, 1, 0, 0 },
	};
	struct cowlab_user_snap u[ARRAY_SIZE(want) + 1];
	struct cowlab_pageset *ps;
	unsigned long key = 0;
	unsigned int i, n = 0;
	bool more;

	ps = cowlab_kunit_resize(test, COWLAB_KUNIT_BLOCKS(8),
				 COWLAB_KUNIT_BLOCKS(2));
	/* uid 1000: two blocks, then three events refused, two of TGID2's. */
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID, 1000, 0,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID, 1000, PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID, 1000, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID2, 1000, 0,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID2, 1000, PMD_SIZE,
			     COWLAB_EV_COW_ZERO);
	/* uid 70000: one block. */
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID4, 70000, 0,
			     COWLAB_EV_WP_REUSE);
	/* uid 0: two blocks, one event refused. */
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID3, 0, 0,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID3, 0, PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID3, 0, 2 * PMD_SIZE,
			     COWLAB_EV_COW_COPY);
	/* uid 5: one block, all of it (a huge zero page replaced). */
	cowlab_kunit_note_as(test, ps, COWLAB_KUNIT_TGID5, 5, 0,
			     COWLAB_EV_THP_ZERO);

	memset(u, 0xa5, sizeof(u));
	for (more = cowlab_pages_user_next(ps, &key, true, &u[0]);
	     more && n < ARRAY_SIZE(u);
	     more = cowlab_pages_user_next(ps, &key, false, &u[n]))
		n++;
	KUNIT_ASSERT_EQ(test, n, (unsigned int)ARRAY_SIZE(want));
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, u[i].uid, (unsigned long)want[i].uid,
				    "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, u[i].pages,
				    COWLAB_KUNIT_BLOCKS(want[i].blocks),
				    "uid %u", want[i].uid);
		KUNIT_EXPECT_EQ_MSG(test, u[i].dropped, want[i].dropped,
				    "uid %u", want[i].uid);
		KUNIT_EXPECT_EQ_MSG(test, u[i].procs, want[i].procs,
				    "uid %u", want[i].uid);
		KUNIT_EXPECT_EQ_MSG(test, u[i].short_tgid, want[i].short_tgid,
				    "uid %u", want[i].uid);
		KUNIT_EXPECT_EQ_MSG(test, u[i].short_dropped,
				    want[i].short_dropped, "uid %u",
				    want[i].uid);
	}
	/* After the last, and after one in the middle. */
	key = 70000;
	KUNIT_EXPECT_FALSE(test, cowlab_pages_user_next(ps, &key, false,
							&u[0]));
	key = 6;
	KUNIT_EXPECT_TRUE(test, cowlab_pages_user_next(ps, &key, false, &u[0]));
	KUNIT_EXPECT_EQ(test, u[0].uid, 1000UL);
	KUNIT_EXPECT_EQ(test, key, 1000UL);
	cowlab_kunit_expect_drops(test, ps, 0, 4, 0);
}

/*
 * A set's budget and share are rounded up to whole blocks; a share of 0
 * is half the set's, one larger than the set is the set's.
 */
static void cowlab_pageset_create_rounds_up(struct kunit *test)
{
	static const struct {
		unsigned long max_pages, user_pages, blocks, user_blocks;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 1, 1, 1, 1 },
		{ COWLAB_BLOCK_PAGES, 0, 1, 1 },
		{ COWLAB_BLOCK_PAGES + 1, 0, 2, 1 },
		{ 4 * COWLAB_BLOCK_PAGES, 0, 4, 2 },
		{ 4 * COWLAB_BLOCK_PAGES, 1, 4, 1 },
		{ 4 * COWLAB_BLOCK_PAGES, COWLAB_BLOCK_PAGES + 1, 4, 2 },
		{ 4 * COWLAB_BLOCK_PAGES, 9 * COWLAB_BLOCK_PAGES, 4, 4 },
		{ 1UL << 21, 0, (1UL << 21) / COWLAB_BLOCK_PAGES,
		  (1UL << 20) / COWLAB_BLOCK_PAGES },
		{ 1UL << 30, 0, (1UL << 30) / COWLAB_BLOCK_PAGES,
		  (1UL << 29) / COWLAB_BLOCK_PAGES },
	};
	struct cowlab_pages_totals t;
	struct cowlab_pageset *ps;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ps = cowlab_kunit_resize(test, cases[i].max_pages,
					 cases[i].user_pages);
		KUNIT_EXPECT_EQ_MSG(test, ps->blocks_max, cases[i].blocks,
				    "max_pages %lu", cases[i].max_pages);
		KUNIT_EXPECT_EQ_MSG(test, ps->user_blocks_max,
				    cases[i].user_blocks,
				    "max_pages %lu user_pages %lu",
				    cases[i].max_pages, cases[i].user_pages);
		cowlab_pages_totals(ps, &t);
		KUNIT_EXPECT_EQ_MSG(test, t.user_max_pages,
				    COWLAB_KUNIT_BLOCKS(cases[i].user_blocks),
				    "max_pages %lu user_pages %lu",
				    cases[i].max_pages, cases[i].user_pages);
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
	KUNIT_CASE(cowlab_rec_update_file_and_ksm_copies),
	KUNIT_CASE(cowlab_rec_update_huge_copy_and_reuse),
	KUNIT_CASE(cowlab_pages_note_records_copy),
	KUNIT_CASE(cowlab_pages_note_ignores_thp_events),
	KUNIT_CASE_PARAM(cowlab_pages_note_block_event_copies_block,
			 cowlab_block_event_gen_params),
	KUNIT_CASE(cowlab_pages_events_sums_range),
	KUNIT_CASE(cowlab_pages_events_across_blocks),
	KUNIT_CASE(cowlab_pages_rec_across_blocks),
	KUNIT_CASE(cowlab_pages_zap_clears_range),
	KUNIT_CASE(cowlab_pages_zap_across_blocks),
	KUNIT_CASE(cowlab_pages_totals_memory),
	KUNIT_CASE(cowlab_pages_note_remembers_block),
	KUNIT_CASE(cowlab_pages_forget_keeps_readers_safe),
	KUNIT_CASE(cowlab_pages_forget_drops_remembered_table),
	KUNIT_CASE(cowlab_pages_dead_table_takes_no_block),
	KUNIT_CASE(cowlab_pages_note_full_drops),
	KUNIT_CASE(cowlab_pages_zap_frees_empty_block),
	KUNIT_CASE(cowlab_pages_zap_partial_keeps_block),
	KUNIT_CASE(cowlab_pages_zap_free_waits_for_readers),
	KUNIT_CASE(cowlab_pages_note_forgets_freed_block),
	KUNIT_CASE(cowlab_pages_note_replaces_dying_block),
	KUNIT_CASE(cowlab_pages_dying_block_replaced_counts_freed),
	KUNIT_CASE(cowlab_pages_user_share),
	KUNIT_CASE(cowlab_pages_block_counts_in_faulting_user),
	KUNIT_CASE(cowlab_pages_set_budget),
	KUNIT_CASE(cowlab_pages_forget_all_zeroes_drops),
	KUNIT_CASE(cowlab_pages_user_next_lists_users),
	/* Ten sets made and freed, an rcu_barrier() each: seconds under TCG. */
#ifdef KUNIT_CASE_SLOW
	KUNIT_CASE_SLOW(cowlab_pageset_create_rounds_up),
#else
	KUNIT_CASE(cowlab_pageset_create_rounds_up),
#endif
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
