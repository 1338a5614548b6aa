// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the course demos' copy-on-write model
 * (userspace/demos/model.c), the source of their "# expect" lines: each
 * demo's steps replayed on the model, every checkpoint compared exactly
 * with userspace/demos/README.md, "Checkpoints by demo" (and, for --huge,
 * the lines that README gives per kernel), with the kernel's THP answers
 * scripted.  No kernel, no cowlab, no fork: the model alone.  KTAP out.
 *
 * A checkpoint is written as the README writes it:
 *   "+a +b +c r/s/x/z/k"   cow_copy, cow_zero, wp_reuse since the
 *                          previous checkpoint; resident, shared,
 *                          exclusive, zero, copied
 *   "... thp +r +s +z"     --huge: thp_reuse, thp_split, thp_zero too
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"		/* demo_die(), which the test provides */
#include "ktap.h"
#include "model.h"

#define PARENT_PID	100
#define CHILD_PID	101

/* model.c's internal errors: a demo would stop; the test does too. */
static void __noreturn bail(const char *fmt, va_list ap)
{
	printf("Bail out! model died: ");
	vprintf(fmt, ap);
	printf("\n");
	exit(1);
}

void demo_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bail(fmt, ap);
}

void demo_die_errno(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bail(fmt, ap);
}

/*
 * The kernel's THP answers, scripted: thp_fault_alloc is what the
 * scenario's OP_THP steps say the kernel installed so far.
 */
static unsigned long long kernel_thps;

static bool fake_fault_allocs(unsigned long long *count)
{
	*count = kernel_thps;
	return true;
}

static struct thp_rules rules = { .fault_allocs = fake_fault_allocs };

enum op_kind {
	OP_END,
	OP_WRITE,	/* @who writes pages [first, first + n) of @rg */
	OP_READ,	/* ... reads them */
	OP_FORK,	/* fork(): every region */
	OP_EXIT,	/* @who exits or execs: every region */
	OP_THP,		/* the kernel installs @n THPs at the next faults */
	OP_CHECK,	/* checkpoint of @rg: want[WHO_PARENT], want[WHO_CHILD] */
	OP_RESYNC,	/* model_thp_resync(@rg) returns @n */
};

struct op {
	enum op_kind kind;
	int rg;
	enum demo_who who;
	unsigned long first, n;
	bool check_ev;
	enum demo_event ev;	/* OP_WRITE, OP_READ: the last page's */
	const char *want[WHO_NR];	/* NULL: the process does not live */
};

/* n: up to the last page */
#define EVERY		~0UL
#define W(w, f, k)	{ .kind = OP_WRITE, .who = (w), .first = (f), .n = (k) }
#define R(w, f, k)	{ .kind = OP_READ, .who = (w), .first = (f), .n = (k) }
#define W_EV(w, f, k, e) { .kind = OP_WRITE, .who = (w), .first = (f), \
			   .n = (k), .check_ev = true, .ev = (e) }
#define R_EV(w, f, k, e) { .kind = OP_READ, .who = (w), .first = (f), \
			   .n = (k), .check_ev = true, .ev = (e) }
#define W2(w, r, f, k)	{ .kind = OP_WRITE, .rg = (r), .who = (w), \
			  .first = (f), .n = (k) }
#define FORK		{ .kind = OP_FORK }
#define EXIT(w)		{ .kind = OP_EXIT, .who = (w) }
#define THP(k)		{ .kind = OP_THP, .n = (k) }
#define CHECK(p, c)	{ .kind = OP_CHECK, .want = { (p), (c) } }
#define CHECK2(r, p, c)	{ .kind = OP_CHECK, .rg = (r), .want = { (p), (c) } }
#define RESYNC(k)	{ .kind = OP_RESYNC, .n = (k) }
#define END		{ .kind = OP_END }

#define P	WHO_PARENT
#define C	WHO_CHILD

struct scenario {
	const char *desc;
	unsigned long pages;
	int nr_regions;
	bool shared[2];		/* region 1 of shared_private is private */
	bool huge;
	bool huge_zero;		/* --huge: use_zero_page */
	const struct op *ops;
};

/* cow --steps 6: the child writes buffer[k * 1000], the parent buffer[0] */
static const struct op cow_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	FORK, CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	W_EV(C, 0, 1, EV_COW_COPY), W_EV(P, 0, 1, EV_WP_REUSE),
	CHECK("+0 +0 +1 2560/2559/1/0/0", "+1 +0 +0 2560/2559/1/0/1"),
	/* k = 1..4: 1000, 2000, 3000, 4000: page 0 again */
	W_EV(C, 0, 1, EV_NONE), W_EV(P, 0, 1, EV_NONE),
	CHECK("+0 +0 +0 2560/2559/1/0/0", "+0 +0 +0 2560/2559/1/0/1"),
	W(C, 0, 1), W(P, 0, 1),
	CHECK("+0 +0 +0 2560/2559/1/0/0", "+0 +0 +0 2560/2559/1/0/1"),
	W(C, 0, 1), W(P, 0, 1),
	CHECK("+0 +0 +0 2560/2559/1/0/0", "+0 +0 +0 2560/2559/1/0/1"),
	W(C, 0, 1), W(P, 0, 1),
	CHECK("+0 +0 +0 2560/2559/1/0/0", "+0 +0 +0 2560/2559/1/0/1"),
	/* k = 5: 5000, page 1 */
	W_EV(C, 1, 1, EV_COW_COPY), W_EV(P, 0, 1, EV_NONE),
	CHECK("+0 +0 +0 2560/2558/2/0/0", "+1 +0 +0 2560/2558/2/0/2"),
	EXIT(C), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

static const struct op nofork_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0", NULL),
	R_EV(P, 0, 1, EV_ZERO_MAP), CHECK("+0 +0 +0 1/0/0/1/0", NULL),
	R_EV(P, 0, 1, EV_NONE), CHECK("+0 +0 +0 1/0/0/1/0", NULL),
	END
};

static const struct op p_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	FORK, CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	R_EV(C, 0, 1, EV_NONE), R_EV(P, 0, 1, EV_NONE),
	CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	R(C, 0, 1), R(P, 0, 1),
	CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	EXIT(C), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

static const struct op fork_msg_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 1/0/1/0/0", NULL),
	FORK, CHECK("+0 +0 +0 1/1/0/0/0", "+0 +0 +0 1/1/0/0/0"),
	R(C, 0, 1), CHECK("+0 +0 +0 1/1/0/0/0", "+0 +0 +0 1/1/0/0/0"),
	W_EV(C, 0, 1, EV_COW_COPY),
	CHECK("+0 +0 +0 1/0/1/0/0", "+1 +0 +0 1/0/1/0/1"),
	EXIT(C), CHECK("+0 +0 +0 1/0/1/0/0", NULL),
	END
};

static const struct op two_pages_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2/0/2/0/0", NULL),
	FORK, CHECK("+0 +0 +0 2/2/0/0/0", "+0 +0 +0 2/2/0/0/0"),
	W(C, 0, 1), CHECK("+0 +0 +0 2/1/1/0/0", "+1 +0 +0 2/1/1/0/1"),
	EXIT(C), CHECK("+0 +0 +0 2/0/2/0/0", NULL),
	END
};

static const struct op fork_exec_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	FORK, CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	W(C, 0, 1280),
	CHECK("+0 +0 +0 2560/1280/1280/0/0", "+1280 +0 +0 2560/1280/1280/0/1280"),
	EXIT(C), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	W_EV(P, 0, EVERY, EV_WP_REUSE), CHECK("+0 +0 +2560 2560/0/2560/0/0", NULL),
	CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

/* vfork: the child borrows the parent's address space, no model fork */
static const struct op vfork_exec_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	W_EV(P, 0, EVERY, EV_NONE), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

static const struct op fork_faults_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0", NULL),
	W_EV(P, 0, EVERY, EV_NEW), CHECK("+0 +0 +0 1024/0/1024/0/0", NULL),
	FORK, CHECK("+0 +0 +0 1024/1024/0/0/0", "+0 +0 +0 1024/1024/0/0/0"),
	R_EV(C, 0, EVERY, EV_NONE),
	CHECK("+0 +0 +0 1024/1024/0/0/0", "+0 +0 +0 1024/1024/0/0/0"),
	W_EV(C, 0, EVERY, EV_COW_COPY),
	CHECK("+0 +0 +0 1024/0/1024/0/0", "+1024 +0 +0 1024/0/1024/0/1024"),
	W_EV(P, 0, EVERY, EV_WP_REUSE),
	CHECK("+0 +0 +1024 1024/0/1024/0/0", "+0 +0 +0 1024/0/1024/0/1024"),
	EXIT(C), CHECK("+0 +0 +0 1024/0/1024/0/0", NULL),
	END
};

static const struct op zero_fill_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0", NULL),
	R_EV(P, 0, EVERY, EV_ZERO_MAP), CHECK("+0 +0 +0 2560/0/0/2560/0", NULL),
	W_EV(P, 0, EVERY, EV_COW_ZERO), CHECK("+0 +2560 +0 2560/0/2560/0/2560", NULL),
	END
};

static const struct op threads_fork_ops[] = {
	W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	W_EV(P, 0, EVERY, EV_NONE), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	FORK, CHECK("+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	W(C, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0", "+2560 +0 +0 2560/0/2560/0/2560"),
	W(P, 0, EVERY), CHECK("+0 +0 +2560 2560/0/2560/0/0", "+0 +0 +0 2560/0/2560/0/2560"),
	EXIT(C), CHECK("+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

/* region 0 MAP_SHARED, region 1 MAP_PRIVATE */
#define BOTH(w)		W2(w, 0, 0, EVERY), W2(w, 1, 0, EVERY)
static const struct op shared_private_ops[] = {
	BOTH(P),
	CHECK2(0, "+0 +0 +0 2560/0/2560/0/0", NULL),
	CHECK2(1, "+0 +0 +0 2560/0/2560/0/0", NULL),
	FORK,
	CHECK2(0, "+0 +0 +0 2560/0/2560/0/0", "+0 +0 +0 0/0/0/0/0"),
	CHECK2(1, "+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	BOTH(C),
	CHECK2(0, "+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	CHECK2(1, "+0 +0 +0 2560/0/2560/0/0", "+2560 +0 +0 2560/0/2560/0/2560"),
	CHECK2(0, "+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	CHECK2(1, "+0 +0 +0 2560/0/2560/0/0", "+0 +0 +0 2560/0/2560/0/2560"),
	BOTH(P),
	CHECK2(0, "+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	CHECK2(1, "+0 +0 +2560 2560/0/2560/0/0", "+0 +0 +0 2560/0/2560/0/2560"),
	CHECK2(0, "+0 +0 +0 2560/2560/0/0/0", "+0 +0 +0 2560/2560/0/0/0"),
	CHECK2(1, "+0 +0 +0 2560/0/2560/0/0", "+0 +0 +0 2560/0/2560/0/2560"),
	EXIT(C),
	CHECK2(0, "+0 +0 +0 2560/0/2560/0/0", NULL),
	CHECK2(1, "+0 +0 +0 2560/0/2560/0/0", NULL),
	END
};

/*
 * --huge, every THP the demo could get granted (THP(n) before the fault
 * that takes it), the huge zero page in use.
 */
static const struct op zero_fill_huge_7x_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0 thp +0 +0 +0", NULL),
	/* 5 blocks: the huge zero page, no THP allocated */
	R_EV(P, 0, EVERY, EV_NONE),
	CHECK("+0 +0 +0 2560/0/0/2560/0 thp +0 +0 +0", NULL),
	/* 7.x: a write over the huge zero page maps a new THP */
	THP(5), W_EV(P, 0, EVERY, EV_NONE),
	CHECK("+0 +0 +0 2560/0/2560/0/2560 thp +0 +0 +5", NULL),
	RESYNC(0),
	END
};

static const struct op zero_fill_huge_6x_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0 thp +0 +0 +0", NULL),
	R(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/0/2560/0 thp +0 +0 +0", NULL),
	/* 6.12 and older: the PMD is split, each 4 KiB zero page replaced */
	W_EV(P, 0, EVERY, EV_COW_ZERO),
	CHECK("+0 +2560 +0 2560/0/2560/0/2560 thp +0 +0 +0", NULL),
	RESYNC(0),
	END
};

static const struct op nofork_huge_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0 thp +0 +0 +0", NULL),
	R_EV(P, 0, 1, EV_ZERO_MAP),
	CHECK("+0 +0 +0 512/0/0/512/0 thp +0 +0 +0", NULL),
	END
};

static const struct op cow_huge_ops[] = {
	THP(5), W(P, 0, EVERY), CHECK("+0 +0 +0 2560/0/2560/0/0 thp +0 +0 +0", NULL),
	FORK,
	CHECK("+0 +0 +0 2560/2560/0/0/0 thp +0 +0 +0",
	      "+0 +0 +0 2560/2560/0/0/0 thp +0 +0 +0"),
	/* both split their PMD and copy page 0: the THP is mapped elsewhere */
	W_EV(C, 0, 1, EV_COW_COPY), W_EV(P, 0, 1, EV_COW_COPY),
	CHECK("+1 +0 +0 2560/2559/1/0/1 thp +0 +1 +0",
	      "+1 +0 +0 2560/2559/1/0/1 thp +0 +1 +0"),
	RESYNC(0),
	END
};

static const struct op fork_faults_huge_ops[] = {
	CHECK("+0 +0 +0 0/0/0/0/0 thp +0 +0 +0", NULL),
	THP(2), W(P, 0, EVERY), CHECK("+0 +0 +0 1024/0/1024/0/0 thp +0 +0 +0", NULL),
	FORK,
	CHECK("+0 +0 +0 1024/1024/0/0/0 thp +0 +0 +0",
	      "+0 +0 +0 1024/1024/0/0/0 thp +0 +0 +0"),
	R(C, 0, EVERY),
	CHECK("+0 +0 +0 1024/1024/0/0/0 thp +0 +0 +0",
	      "+0 +0 +0 1024/1024/0/0/0 thp +0 +0 +0"),
	W(C, 0, EVERY),
	CHECK("+0 +0 +0 1024/0/1024/0/0 thp +0 +0 +0",
	      "+1024 +0 +0 1024/0/1024/0/1024 thp +0 +2 +0"),
	/* the child copied every page: each THP is the parent's alone */
	W(P, 0, EVERY),
	CHECK("+0 +0 +0 1024/0/1024/0/0 thp +2 +0 +0",
	      "+0 +0 +0 1024/0/1024/0/1024 thp +0 +0 +0"),
	END
};

/* No THP granted: 4 KiB faults; THPs installed elsewhere are reported. */
static const struct op huge_fallback_ops[] = {
	W_EV(P, 0, 1, EV_NEW), CHECK("+0 +0 +0 1/0/1/0/0 thp +0 +0 +0", NULL),
	W(P, 1, 511), CHECK("+0 +0 +0 512/0/512/0/0 thp +0 +0 +0", NULL),
	THP(3), RESYNC(3), RESYNC(0),
	END
};

static const struct scenario scenarios[] = {
	{ "cow --steps 6", 2560, 1, {}, false, false, cow_ops },
	{ "nofork --steps 2", 2560, 1, {}, false, false, nofork_ops },
	{ "p --steps 2", 2560, 1, {}, false, false, p_ops },
	{ "fork_msg", 1, 1, {}, false, false, fork_msg_ops },
	{ "two_pages", 2, 1, {}, false, false, two_pages_ops },
	{ "fork_exec", 2560, 1, {}, false, false, fork_exec_ops },
	{ "vfork_exec", 2560, 1, {}, false, false, vfork_exec_ops },
	{ "fork_faults", 1024, 1, {}, false, false, fork_faults_ops },
	{ "zero_fill", 2560, 1, {}, false, false, zero_fill_ops },
	{ "threads_fork", 2560, 1, {}, false, false, threads_fork_ops },
	{ "shared_private", 2560, 2, { true, false }, false, false,
	  shared_private_ops },
	{ "zero_fill --huge, 7.x: a THP over the huge zero page", 2560, 1, {},
	  true, true, zero_fill_huge_7x_ops },
	{ "zero_fill --huge, 6.12 and older: the huge zero page split", 2560, 1,
	  {}, true, true, zero_fill_huge_6x_ops },
	{ "nofork --huge: one read maps the huge zero page", 2560, 1, {}, true,
	  true, nofork_huge_ops },
	{ "cow --huge: both split their PMD and copy page 0", 2560, 1, {}, true,
	  true, cow_huge_ops },
	{ "fork_faults --huge: the parent reuses its 2 THPs", 1024, 1, {}, true,
	  true, fork_faults_huge_ops },
	{ "--huge, no THP granted: 4 KiB faults, resync counts the others", 512,
	  1, {}, true, true, huge_fallback_ops },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A view in the README's notation. */
static void format_view(char *buf, size_t size, const struct model_view *v,
			bool huge)
{
	int n;

	n = snprintf(buf, size, "+%lu +%lu +%lu %lu/%lu/%lu/%lu/%lu",
		     v->ev[EV_COW_COPY], v->ev[EV_COW_ZERO],
		     v->ev[EV_WP_REUSE], v->resident, v->shared,
		     v->exclusive, v->zero, v->copied);
	if (huge && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " thp +%lu +%lu +%lu",
			 v->ev[EV_THP_REUSE], v->ev[EV_THP_SPLIT],
			 v->ev[EV_THP_ZERO]);
}

/* One checkpoint of one region; returns the number of mismatches. */
static int check(const struct scenario *s, int step, int rg, struct model *m,
		 const struct op *op)
{
	static const pid_t pids[WHO_NR] = { PARENT_PID, CHILD_PID };
	struct model_view v;
	char have[160];
	int w, bad = 0;

	for (w = 0; w < WHO_NR; w++) {
		const char *who = w == WHO_PARENT ? "parent" : "child";

		if (!model_take(m, w, &v)) {
			if (op->want[w]) {
				ktap_diag("%s: checkpoint %d region %d: no %s, expected %s",
					  s->desc, step, rg, who, op->want[w]);
				bad++;
			}
			continue;
		}
		format_view(have, sizeof(have), &v, s->huge);
		if (!op->want[w] || strcmp(have, op->want[w])) {
			ktap_diag("%s: checkpoint %d region %d %s: expected %s, model %s",
				  s->desc, step, rg, who,
				  op->want[w] ? op->want[w] : "none", have);
			bad++;
		}
		if (v.pid != pids[w]) {
			ktap_diag("%s: checkpoint %d %s: pid %d, expected %d",
				  s->desc, step, who, v.pid, pids[w]);
			bad++;
		}
		/* README.md, "Output": the invariants of every line */
		if (v.resident != v.shared + v.exclusive + v.zero ||
		    v.copied > v.exclusive) {
			ktap_diag("%s: checkpoint %d %s: %s breaks resident = shared + exclusive + zero, copied <= exclusive",
				  s->desc, step, who, have);
			bad++;
		}
	}
	return bad;
}

static void run(const struct scenario *s)
{
	struct region r[2];
	struct model *m[2];
	const struct op *op;
	enum demo_event ev;
	int i, step = 0, bad = 0;
	unsigned long n;
	unsigned long long missed;

	kernel_thps = 1000;	/* what the machine installed before */
	rules.pmd = s->huge;
	rules.huge_zero = s->huge_zero;
	for (i = 0; i < s->nr_regions; i++) {
		/* only the start's alignment matters: 2 MiB, as region_map() */
		r[i] = (struct region){
			.name = i ? "second" : "first",
			.start = (char *)(0x7f0000000000UL + i * 0x40000000UL),
			.pages = s->pages,
			.len = s->pages * DEMO_PAGE_SIZE,
			.shared = s->shared[i],
			.huge = s->huge,
		};
		m[i] = model_new(&r[i], &rules, PARENT_PID);
	}
	for (op = s->ops; op->kind != OP_END; op++) {
		switch (op->kind) {
		case OP_WRITE:
		case OP_READ:
			n = op->n == ~0UL ? s->pages - op->first : op->n;
			ev = op->kind == OP_WRITE ?
			     model_write_range(m[op->rg], op->who, op->first, n) :
			     model_read_range(m[op->rg], op->who, op->first, n);
			if (op->check_ev && ev != op->ev) {
				ktap_diag("%s: before checkpoint %d: %s of pages %lu-%lu by %s: event %d, expected %d",
					  s->desc, step,
					  op->kind == OP_WRITE ? "write" : "read",
					  op->first, op->first + n - 1,
					  op->who == WHO_PARENT ? "parent" : "child",
					  ev, op->ev);
				bad++;
			}
			break;
		case OP_FORK:
			for (i = 0; i < s->nr_regions; i++)
				model_fork(m[i], CHILD_PID);
			break;
		case OP_EXIT:
			for (i = 0; i < s->nr_regions; i++)
				model_exit(m[i], op->who);
			break;
		case OP_THP:
			kernel_thps += op->n;
			break;
		case OP_CHECK:
			bad += check(s, step, op->rg, m[op->rg], op);
			/* a checkpoint is a step once every region is seen */
			if (op->rg == s->nr_regions - 1)
				step++;
			break;
		case OP_RESYNC:
			missed = model_thp_resync(m[op->rg]);
			if (missed != op->n) {
				ktap_diag("%s: model_thp_resync %llu, expected %lu",
					  s->desc, missed, op->n);
				bad++;
			}
			break;
		case OP_END:
			break;
		}
	}
	for (i = 0; i < s->nr_regions; i++)
		model_free(m[i]);
	ktap_result(!bad, "model: %s: %d checkpoints%s", s->desc, step,
		    bad ? ", mismatches above" : " as README.md lists them");
}

/* The words the demos' sentences use, one per event. */
static void event_words(void)
{
	int ev, bad = 0;

	for (ev = 0; ev < EV_NR; ev++) {
		const char *s = model_event_str(ev);

		if (!s || !*s || !strcmp(s, "?")) {
			ktap_diag("event %d has no words", ev);
			bad++;
		}
	}
	if (strcmp(model_event_str(EV_COW_COPY),
		   "page still shared, copied (cow_copy)") ||
	    strcmp(model_event_str(EV_WP_REUSE),
		   "no one else maps it, reused in place (wp_reuse)") ||
	    strcmp(model_event_str(EV_NR), "?")) {
		ktap_diag("cow's sentences changed (docs/lab.md quotes them)");
		bad++;
	}
	ktap_result(!bad, "model: every event has the words docs/lab.md quotes");
}

int main(void)
{
	size_t i;

	ktap_plan(ARRAY_SIZE(scenarios) + 1);
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		run(&scenarios[i]);
	event_words();
	return ktap_finish();
}
