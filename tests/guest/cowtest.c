// SPDX-License-Identifier: GPL-2.0
/*
 * cowtest: exact per-process COW counts, THP off and on.
 *
 * Each case drives worker processes (testlib.h) and compares two reads of
 * /sys/kernel/debug/cowlab/procs taken around the measured writes.  The
 * expected deltas follow from what the workers were told to do; every
 * counter of both workers is checked, so a stray fault fails the case.
 *
 * Where kernels legitimately differ, the kernel's own witnesses say what
 * happened and cowlab must agree exactly:
 *   - delay accounting's wpcopy_count (5.19+): every wp_page_copy() call
 *     of a task.  For a worker writing anon memory that has an anon_vma,
 *     its growth equals cow_copy + cow_zero + unshare, in every interval.
 *   - /proc/vmstat thp_fault_alloc: a write over the huge zero page that
 *     installed a whole new THP (7.x) instead of splitting the PMD.
 *   - pagemap PFNs and /proc/kpagecount: whether a page was copied, and
 *     whether it is still shared.
 *   - the classes file: a class the kernel cannot have (unshare on 5.10).
 *
 * Usage: cowtest [-p PAGES] [-k WRITES]    (cowlab must be loaded)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sys/prctl.h>

#include "ktap.h"
#include "taskstats.h"
#include "testlib.h"

#define NR_TESTS	12

static unsigned long npages = 1024;	/* 4 MiB: two THPs when THP is on */
static unsigned long kwrites = 100;
static bool have_wpcopy;		/* the kernel has wpcopy_count */

struct expect {
	long long ev[NR_EV];
};

/* A process's cowlab counts and, where there is one, its wpcopy_count. */
struct snap {
	struct counts c;
	unsigned long long wp;
};

/* Read @pid's counts; false (and said why) if that failed. */
static bool take(pid_t pid, struct snap *s)
{
	int ret;

	if (!snap_ok(pid, &s->c))
		return false;
	if (!have_wpcopy)
		return true;
	ret = taskstats_wpcopy(pid, &s->wp);
	if (ret) {
		ktap_diag("pid %d: taskstats: %s", pid, strerror(-ret));
		s->c.valid = false;
		return false;
	}
	return true;
}

static long long ev_delta(const struct snap *b, const struct snap *a, int ev)
{
	if (b->c.absent[ev] || a->c.absent[ev])
		return 0;
	return a->c.ev[ev] - b->c.ev[ev];
}

/* What cowlab says was copied: the calls of wp_page_copy() it saw. */
static long long copies_delta(const struct snap *b, const struct snap *a)
{
	return ev_delta(b, a, EV_COW_COPY) + ev_delta(b, a, EV_COW_ZERO) +
	       ev_delta(b, a, EV_UNSHARE);
}

/* Compare after - before with @want for @pid; print every mismatch. */
static bool check_counts(const char *who, pid_t pid, const struct snap *b,
			 const struct snap *a, const struct expect *want)
{
	bool ok = true;
	int i;

	/* A failed read was reported when it happened: no deltas from it. */
	if (!b->c.valid || !a->c.valid)
		return false;
	for (i = 0; i < NR_EV; i++) {
		long long d = ev_delta(b, a, i);

		if (b->c.absent[i] || a->c.absent[i]) {
			if (!want->ev[i])
				continue;
			ktap_diag("%s pid %d: %s expected +%lld, but it is not counted here: %s",
				  who, pid, ev_names[i], want->ev[i],
				  classes[i].reason);
			ok = false;
			continue;
		}
		if (d == want->ev[i])
			continue;
		ktap_diag("%s pid %d: %s grew by %lld, expected %lld", who,
			  pid, ev_names[i], d, want->ev[i]);
		ok = false;
	}
	return ok;
}

/*
 * check_counts(), for a worker that faulted on its own anon memory only,
 * which has an anon_vma: its wpcopy_count must also have grown by what
 * cowlab counted as copies.
 */
static bool check_delta(const char *who, pid_t pid, const struct snap *b,
			const struct snap *a, const struct expect *want)
{
	bool ok = check_counts(who, pid, b, a, want);
	long long copies = copies_delta(b, a);

	if (!b->c.valid || !a->c.valid || !have_wpcopy)
		return ok;
	if (a->wp - b->wp != (unsigned long long)copies) {
		ktap_diag("%s pid %d: wpcopy_count grew by %llu, cowlab's cow_copy + cow_zero + unshare by %lld",
			  who, pid, a->wp - b->wp, copies);
		ok = false;
	}
	return ok;
}

/* Distinct 2 MiB blocks touched by pages first + i * stride, i < count. */
static long long thp_blocks(unsigned long first, unsigned long count,
			    unsigned long stride)
{
	unsigned long i, last = ~0UL;
	long long n = 0;

	for (i = 0; i < count; i++) {
		unsigned long b = (first + i * stride) * PAGE / HPAGE;

		if (b != last)
			n++;
		last = b;
	}
	return n;
}

/* Is the region at @addr of @pid backed by @kb kB of THPs? */
static bool thp_backed_kb(pid_t pid, unsigned long addr, long kb)
{
	long have = smaps_field(pid, addr, "AnonHugePages");

	if (have != kb) {
		ktap_diag("region %#lx of pid %d: AnonHugePages %ld kB, want %ld kB",
			  addr, pid, have, kb);
		return false;
	}
	return true;
}

static bool thp_backed(pid_t pid, unsigned long addr)
{
	return thp_backed_kb(pid, addr, npages * PAGE / 1024);
}

/*
 * kpageflags of @n pages of @pid at @addr, each with @set bits set and
 * @clear bits clear?  Pages not present match only if @set is 0 and
 * @clear is ~0.
 */
static bool kpageflags_are(pid_t pid, unsigned long addr, unsigned long n,
			   unsigned long long set, unsigned long long clear)
{
	long long pfn[1] = { -1 }, fl[1] = { 0 };
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned long a = addr + i * PAGE;

		if (pagemap_pfns(pid, a, 1, pfn) ||
		    kpage_values("kpageflags", pfn, 1, fl)) {
			ktap_diag("pid %d %#lx: pagemap/kpageflags unreadable",
				  pid, a);
			return false;
		}
		if (pfn[0] < 0 && !set && clear == ~0ULL)
			continue;
		if (pfn[0] < 0 || (fl[0] & set) != set || (fl[0] & clear)) {
			ktap_diag("pid %d %#lx: pfn %lld kpageflags %#llx, want %#llx set, %#llx clear",
				  pid, a, pfn[0], fl[0], set, clear);
			return false;
		}
	}
	return true;
}

#define HUGE_ZERO	((1ULL << KPF_ZERO_PAGE) | (1ULL << KPF_THP))

/* The first page of each of @blocks 2 MiB blocks at @addr. */
static bool huge_zero_mapped(pid_t pid, unsigned long addr, long long blocks)
{
	long long i;

	for (i = 0; i < blocks; i++)
		if (!kpageflags_are(pid, addr + i * HPAGE, 1, HUGE_ZERO, 0))
			return false;
	return true;
}

/* Does a read of THP memory map the huge zero page? */
static bool huge_zero_in_use(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page",
			"r");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

/*
 * Cases 1 and 2: N private pages, fork, the child writes K pages, then the
 * child exits and the parent writes the same K pages.
 */
static void test_fork_write(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	unsigned long stride = npages / kwrites, addr;
	struct snap pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
	struct worker p, c;
	struct expect ep = { 0 }, ec = { 0 };
	long long blocks = thp_blocks(0, kwrites, stride);
	bool ok;

	if (worker_start(&p, &c))
		exit(2);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	if (thp && !thp_backed(p.pid, addr)) {
		ktap_result(0, "child_write_copies (%s)", mode);
		ktap_result(0, "parent_write_after_child_exit_reuses (%s)", mode);
		goto out;
	}
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	ktap_diag("parent pid %d, child pid %d, region %#lx-%#lx (%lu pages)",
		  p.pid, c.pid, addr, addr + npages * PAGE, npages);
	ktap_diag("child writes %lu pages (every %luth): expect child cow_copy +%lu, thp_split +%lld, parent +0",
		  kwrites, stride, kwrites, thp ? blocks : 0);

	ok = take(p.pid, &pb) && take(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 2), NULL);
	ok = ok && take(p.pid, &pa) && take(c.pid, &ca);
	ec.ev[EV_COW_COPY] = kwrites;
	ec.ev[EV_THP_SPLIT] = thp ? blocks : 0;
	ok = ok && check_delta("child", c.pid, &cb, &ca, &ec);
	ok = check_delta("parent", p.pid, &pb, &pa, &ep) && ok;
	ktap_result(ok, "child_write_copies (%s)", mode);

	/* The child exits: the parent's pages are its own again. */
	worker_exit(&c);
	ok = worker_cmd(&p, CMD(.op = OP_WAIT), NULL) == 0;
	if (!ok)
		ktap_diag("child worker did not exit cleanly");
	/* Its row stays, marked exited, with its totals. */
	if (!snap_ok(c.pid, &cb.c) || strcmp(cb.c.state, "exited") ||
	    cb.c.ev[EV_COW_COPY] != ca.c.ev[EV_COW_COPY]) {
		ktap_diag("exited child %d: state %s, cow_copy %lld (want exited, %lld)",
			  c.pid, cb.c.state, cb.c.ev[EV_COW_COPY],
			  ca.c.ev[EV_COW_COPY]);
		ok = false;
	}
	worker_warm(&p);
	memset(&ep, 0, sizeof(ep));
	if (thp)
		ep.ev[EV_THP_REUSE] = blocks;
	else
		ep.ev[EV_WP_REUSE] = kwrites;
	ktap_diag("parent writes the same %lu pages: expect %s +%lld, cow_copy +0",
		  kwrites, thp ? "thp_reuse" : "wp_reuse",
		  thp ? blocks : (long long)kwrites);
	ok = ok && take(p.pid, &pb);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 3), NULL);
	ok = ok && take(p.pid, &pa) &&
	     check_delta("parent", p.pid, &pb, &pa, &ep);
	ktap_result(ok, "parent_write_after_child_exit_reuses (%s)", mode);
out:
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * What a write over huge zero pages did, from thp_fault_alloc's growth
 * @allocs (7.x, do_huge_zero_wp_pmd(): a whole new THP per 2 MiB; 6.12 and
 * older: the PMD is split, and each written 4 KiB zero page is replaced):
 * fill in @e for @blocks blocks with @writes pages written in each.
 */
static bool huge_zero_expect(long long allocs, long long blocks,
			     long long writes, struct expect *e)
{
	if (allocs < 0 || allocs > blocks) {
		ktap_diag("thp_fault_alloc grew by %lld for %lld huge zero pages written",
			  allocs, blocks);
		return false;
	}
	ktap_diag("oracle: thp_fault_alloc +%lld: %lld of %lld huge zero pages replaced by a new THP, %lld split",
		  allocs, allocs, blocks, blocks - allocs);
	e->ev[EV_THP_ZERO] = allocs;
	e->ev[EV_COW_ZERO] = (blocks - allocs) * writes;
	return true;
}

/* Case 3: read N untouched pages (zero page), then write them. */
static void test_zero_page(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	long long blocks = npages / 512, t0, t1;
	struct snap b = { 0 }, a = { 0 };
	struct expect e = { 0 };
	struct worker p, c;
	unsigned long addr;
	bool ok;

	if (thp && !huge_zero_in_use()) {
		ktap_skip_test("use_zero_page is off: a read maps no huge zero page",
			       "zero_page_write_replaces (%s)", mode);
		return;
	}
	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	/*
	 * An anon_vma first (a write, undone): without one, a write fault
	 * under the per-VMA lock retries, and wpcopy_count counts it twice.
	 */
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = 1, .value = 1), NULL);
	worker_cmd(&p, CMD(.op = OP_DONTNEED, .count = npages), NULL);
	worker_cmd(&p, CMD(.op = OP_READ, .count = npages, .stride = 1), NULL);
	worker_warm(&p);
	ok = !thp || huge_zero_mapped(p.pid, addr, blocks);
	ktap_diag("pid %d reads then writes %lu pages at %#lx: expect %s",
		  p.pid, npages, addr, thp ?
		  "per 2 MiB thp_zero +1 or cow_zero +512, as thp_fault_alloc says" :
		  "cow_zero +1 per page");
	ok = take(p.pid, &b) && ok;
	t0 = vmstat_value("thp_fault_alloc");
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	t1 = vmstat_value("thp_fault_alloc");
	if (thp) {
		ok = huge_zero_expect(t1 - t0, blocks, 512, &e) && ok;
		ok = thp_backed_kb(p.pid, addr, e.ev[EV_THP_ZERO] * 2048) && ok;
	} else {
		e.ev[EV_COW_ZERO] = npages;
	}
	ok = take(p.pid, &a) && check_delta("process", p.pid, &b, &a, &e) && ok;
	ktap_result(ok, "zero_page_write_replaces (%s)", mode);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * Both ways a write over the huge zero page can go, in one region of two
 * 2 MiB blocks, each first read (the huge zero page mapped), then written
 * with plain stores (under TCG a read-modify-write faults as a read
 * first).  Block 0 as it is: the kernel replaces it by a new THP (7.x) or
 * splits it (6.12 and older), as thp_fault_alloc tells.  Block 1 after an
 * explicit split (MADV_DONTNEED of its last page): 4 KiB zero pages, each
 * written one a cow_zero, on every kernel.
 */
static void test_huge_zero(void)
{
	const unsigned long writes = 64, stride = 512 / writes;
	struct snap b = { 0 }, a = { 0 };
	struct expect e = { 0 };
	struct worker p, c;
	unsigned long addr;
	long long t0, t1;
	bool ok;

	if (!huge_zero_in_use()) {
		ktap_skip_test("use_zero_page is off: a read maps no huge zero page",
			       "huge_zero_page_store (thp=on)");
		ktap_skip_test("use_zero_page is off: a read maps no huge zero page",
			       "huge_zero_page_store_after_split (thp=on)");
		return;
	}
	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = 1024, .flags = W_THP), &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = 1, .value = 1), NULL);
	worker_cmd(&p, CMD(.op = OP_DONTNEED, .count = 1024), NULL);
	worker_cmd(&p, CMD(.op = OP_READ, .count = 2, .stride = 512), NULL);
	worker_cmd(&p, CMD(.op = OP_DONTNEED, .first = 1023, .count = 1), NULL);
	worker_warm(&p);
	ktap_diag("pid %d, region %#lx: block 0 the huge zero page, block 1 split to 4 KiB zero pages",
		  p.pid, addr);
	ok = huge_zero_mapped(p.pid, addr, 1) &&
	     kpageflags_are(p.pid, addr + 512 * PAGE, 511,
			    1ULL << KPF_ZERO_PAGE, 1ULL << KPF_THP) &&
	     kpageflags_are(p.pid, addr + 1023 * PAGE, 1, 0, ~0ULL);

	ktap_diag("%lu stores into block 0 (every %luth page)", writes, stride);
	ok = take(p.pid, &b) && ok;
	t0 = vmstat_value("thp_fault_alloc");
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = writes, .stride = stride,
			   .value = 1), NULL);
	t1 = vmstat_value("thp_fault_alloc");
	ok = huge_zero_expect(t1 - t0, 1, writes, &e) && ok;
	/* Replaced whole: a THP, not zero; split: 4 KiB pages. */
	if (e.ev[EV_THP_ZERO])
		ok = kpageflags_are(p.pid, addr, 1, 1ULL << KPF_THP,
				    1ULL << KPF_ZERO_PAGE) && ok;
	else
		ok = kpageflags_are(p.pid, addr, 1, 0,
				    HUGE_ZERO) && ok;
	ok = take(p.pid, &a) && check_delta("process", p.pid, &b, &a, &e) && ok;
	ktap_result(ok, "huge_zero_page_store (thp=on)");

	ktap_diag("%lu stores into block 1: expect cow_zero +%lu, thp_fault_alloc +0",
		  writes - 1, writes - 1);
	memset(&e, 0, sizeof(e));
	ok = take(p.pid, &b);
	t0 = vmstat_value("thp_fault_alloc");
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = 512, .count = writes - 1,
			   .stride = stride, .value = 1), NULL);
	t1 = vmstat_value("thp_fault_alloc");
	if (t1 != t0) {
		ktap_diag("thp_fault_alloc grew by %lld over 4 KiB zero pages",
			  t1 - t0);
		ok = false;
	}
	e.ev[EV_COW_ZERO] = writes - 1;
	ok = take(p.pid, &a) && check_delta("process", p.pid, &b, &a, &e) && ok;
	ktap_result(ok, "huge_zero_page_store_after_split (thp=on)");
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * A read-only pin of pages still shared after fork (process_vm_readv()
 * pins the target's pages with FOLL_PIN), by a third process: with
 * FAULT_FLAG_UNSHARE (5.19+) each page needs an unshare fault in the
 * target, done remotely by the reader, counted for the target; the
 * reader's wpcopy_count counts the copies.  Without it (classes says
 * unshare is absent) nothing is copied: the pages stay shared.
 */
static void test_unshare(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	struct snap pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
	struct snap rb = { 0 }, ra = { 0 };
	struct expect ep = { 0 }, ec = { 0 }, none = { 0 };
	struct worker p, c, r, rc;
	unsigned long addr, raddr;
	bool ok, copies, counted;
	long n, byte, shared;

	if (load_classes())
		exit(2);
	counted = class_counted(EV_UNSHARE);
	copies = classes[EV_UNSHARE].status != CLASS_ABSENT;
	if (worker_start(&p, &c) || worker_start(&r, &rc))
		exit(2);
	worker_forked(&rc);
	worker_cmd(&r, CMD(.op = OP_MAP, .pages = npages, .flags = W_NOTHP),
		   &raddr);
	worker_cmd(&r, CMD(.op = OP_WRITE, .count = npages, .stride = 1),
		   NULL);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	worker_warm(&r);
	if (copies)
		ktap_diag("pid %d reads %lu pages of child %d at %#lx through process_vm_readv: expect child unshare +%lu, nothing else",
			  r.pid, npages, c.pid, addr, npages);
	else
		ktap_diag("pid %d reads %lu pages of child %d at %#lx through process_vm_readv: expect nothing copied (%s)",
			  r.pid, npages, c.pid, addr,
			  classes[EV_UNSHARE].reason);
	shared = kpagecount_is(c.pid, addr, npages, 2);
	ok = shared == (long)npages;
	if (!ok)
		ktap_diag("before: %ld of %lu pages of the child mapped twice",
			  shared, npages);
	ok = take(p.pid, &pb) && take(c.pid, &cb) && take(r.pid, &rb) && ok;
	n = worker_cmd(&r, CMD(.op = OP_VMREAD, .pid = c.pid, .addr = addr,
			       .count = npages), NULL);
	/* What the child's first page holds arrived in the reader's. */
	byte = worker_cmd(&r, CMD(.op = OP_CHECK), NULL);
	if (n != (long)(npages * PAGE) || byte != 1) {
		ktap_diag("process_vm_readv: %ld of %lu bytes, first %ld",
			  n, npages * PAGE, byte);
		ok = false;
	}
	ok = take(p.pid, &pa) && take(c.pid, &ca) && take(r.pid, &ra) && ok;
	/* The oracle: the child's pages are its own now, or still shared. */
	shared = kpagecount_is(c.pid, addr, npages, 2);
	if (shared != (long)(copies ? 0 : npages)) {
		ktap_diag("after: %ld of %lu pages of the child still mapped twice, want %lu",
			  shared, npages, copies ? 0 : npages);
		ok = false;
	}
	if (copies && !counted) {
		ktap_diag("unshare copies, but cowlab cannot count them: %s",
			  classes[EV_UNSHARE].reason);
		ok = false;
	}
	ec.ev[EV_UNSHARE] = counted ? npages : 0;
	ok = check_counts("child", c.pid, &cb, &ca, &ec) && ok;
	ok = check_delta("parent", p.pid, &pb, &pa, &ep) && ok;
	ok = check_counts("reader", r.pid, &rb, &ra, &none) && ok;
	/*
	 * The reader faulted for the child (a remote fault): its own
	 * wpcopy_count counts the copies, the child's stays.
	 */
	if (have_wpcopy && ca.c.valid && cb.c.valid && ra.c.valid &&
	    rb.c.valid && (ca.wp != cb.wp || ra.wp - rb.wp !=
			   (unsigned long long)copies_delta(&cb, &ca))) {
		ktap_diag("wpcopy_count grew by %llu in the reader, %llu in the child; cowlab's cow_copy + cow_zero + unshare of the child by %lld",
			  ra.wp - rb.wp, ca.wp - cb.wp, copies_delta(&cb, &ca));
		ok = false;
	}
	ktap_result(ok, "remote_ro_pin_unshares (%s)", mode);
	worker_exit(&r);
	waitpid(r.pid, NULL, 0);
	worker_exit(&c);
	worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * A THP shared after fork, split in the child by a write in each 2 MiB
 * block; then the parent exits and the child writes K more pages of it:
 * pages of a large folio that only the child maps now.  6.15+ reuses them
 * (__wp_can_reuse_large_anon_folio()); 6.12 and older copy.  The oracle:
 * a copied page has a new PFN (and wpcopy_count counts the copy).
 */
static void test_large_folio_reuse(void)
{
	unsigned long stride = npages / kwrites, first, addr, i;
	long long blocks = npages / 512, copied = 0;
	long long *pfn_b = calloc(kwrites, sizeof(*pfn_b));
	long long *pfn_a = calloc(kwrites, sizeof(*pfn_a));
	struct snap cb = { 0 }, ca = { 0 };
	struct expect ec = { 0 };
	struct worker p, c;
	bool ok, pm_ok = true;

	if (!pfn_b || !pfn_a || worker_start(&p, &c))
		exit(2);
	/* Pages that the splitting writes (first of each block) leave. */
	for (first = 1; first < stride; first++) {
		for (i = 0; i < kwrites; i++)
			if ((first + i * stride) % 512 == 0)
				break;
		if (i == kwrites)
			break;
	}
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages, .flags = W_THP),
		   &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	if (first == stride)
		ktap_diag("no page every %lu misses the first of each block",
			  stride);
	if (first == stride || !thp_backed(p.pid, addr)) {
		ktap_result(0, "child_write_after_parent_exit (thp=on)");
		goto out;
	}
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&c);
	ktap_diag("child %d writes the first page of each of %lld blocks: expect thp_split +%lld, cow_copy +%lld",
		  c.pid, blocks, blocks, blocks);
	ok = take(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = blocks, .stride = 512,
			   .value = 2), NULL);
	ok = ok && take(c.pid, &ca);
	ec.ev[EV_THP_SPLIT] = blocks;
	ec.ev[EV_COW_COPY] = blocks;
	ok = ok && check_delta("child", c.pid, &cb, &ca, &ec);

	/* The parent goes: the child is the folios' only mapper. */
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
	worker_warm(&c);
	/* The pages to write: still pages of a THP, mapped by PTEs. */
	for (i = 0; pm_ok && i < kwrites; i++) {
		unsigned long a = addr + (first + i * stride) * PAGE;

		pm_ok = !pagemap_pfns(c.pid, a, 1, &pfn_b[i]) &&
			kpageflags_are(c.pid, a, 1, 1ULL << KPF_THP, 0);
	}
	ok = take(c.pid, &cb) && ok;
	worker_cmd(&c, CMD(.op = OP_WRITE, .first = first, .count = kwrites,
			   .stride = stride, .value = 3), NULL);
	ok = take(c.pid, &ca) && ok;
	for (i = 0; pm_ok && i < kwrites; i++) {
		pm_ok = !pagemap_pfns(c.pid, addr + (first + i * stride) * PAGE,
				      1, &pfn_a[i]) && pfn_a[i] >= 0;
		copied += pfn_a[i] != pfn_b[i];
	}
	if (!pm_ok) {
		ktap_diag("child %d: pagemap or kpageflags not as expected",
			  c.pid);
		ok = false;
	}
	ktap_diag("oracle: %lld of %lu writes copied (new PFN), %lld reused the large folio's page",
		  copied, kwrites, kwrites - copied);
	memset(&ec, 0, sizeof(ec));
	ec.ev[EV_COW_COPY] = copied;
	ec.ev[EV_WP_REUSE] = kwrites - copied;
	ok = pm_ok && check_delta("child", c.pid, &cb, &ca, &ec) && ok;
	ktap_result(ok, "child_write_after_parent_exit (thp=on)");
	worker_exit(&c);
	waitpid(c.pid, NULL, 0);
	free(pfn_a);
	free(pfn_b);
	return;
out:
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
	free(pfn_a);
	free(pfn_b);
}

/* Case 4: a MAP_SHARED anonymous region written by both after fork. */
static void test_shared(void)
{
	struct snap pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
	struct expect none = { 0 };
	struct worker p, c;
	unsigned long addr;
	bool ok;

	if (worker_start(&p, &c))
		exit(2);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages, .flags = W_SHARED),
		   &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	ktap_diag("MAP_SHARED region %#lx, parent %d and child %d write %lu pages each: expect no COW",
		  addr, p.pid, c.pid, kwrites);
	ok = take(p.pid, &pb) && take(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = 2,
			   .value = 7), NULL);
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = 1, .count = kwrites,
			   .stride = 2, .value = 9), NULL);
	ok = ok && take(p.pid, &pa) && take(c.pid, &ca);
	ok = ok && check_delta("child", c.pid, &cb, &ca, &none);
	ok = check_delta("parent", p.pid, &pb, &pa, &none) && ok;
	/* And the memory really is shared. */
	if (worker_cmd(&p, CMD(.op = OP_CHECK, .first = 0), NULL) != 7 ||
	    worker_cmd(&c, CMD(.op = OP_CHECK, .first = 1), NULL) != 9) {
		ktap_diag("writes were not visible across the MAP_SHARED region");
		ok = false;
	}
	ktap_result(ok, "map_shared_write_no_cow");
	worker_exit(&c);
	worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * Delay accounting on, before any worker is forked (a task forked while it
 * is off is not accounted); is there a wpcopy_count to ask?
 */
static void setup_wpcopy(void)
{
	unsigned long long v;
	int en = taskstats_enable(), ret = taskstats_wpcopy(getpid(), &v);

	if (ret == -EOPNOTSUPP) {
		ktap_diag("no wpcopy_count in this kernel's taskstats (5.19+): counts checked without it");
		return;
	}
	if (ret || en) {
		fprintf(stderr, "cowtest: delay accounting: %s\n",
			strerror(-(en ? en : ret)));
		exit(2);
	}
	have_wpcopy = true;
	ktap_diag("delay accounting on: each worker's wpcopy_count must grow by its cow_copy + cow_zero + unshare");
}

int main(int argc, char **argv)
{
	const char *mode;
	int opt;

	while ((opt = getopt(argc, argv, "p:k:")) != -1) {
		switch (opt) {
		case 'p':
			npages = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			kwrites = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: cowtest [-p PAGES] [-k WRITES]\n");
			return 2;
		}
	}
	if (npages < 256 || npages % 512 || !kwrites || kwrites >= npages) {
		fprintf(stderr, "cowtest: need PAGES >= 256, a multiple of 512, and 0 < WRITES < PAGES\n");
		return 2;
	}
	if (access(COWLAB_DEBUGFS "/procs", R_OK)) {
		fprintf(stderr, "cowtest: %s/procs: %s (is cowlab loaded?)\n",
			COWLAB_DEBUGFS, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Orphaned workers (their parent worker exited) are ours to reap. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ktap_plan(NR_TESTS);
	setup_wpcopy();
	if (load_classes()) {
		fprintf(stderr, "cowtest: classes unreadable\n");
		return 2;
	}
	test_fork_write(false);
	test_zero_page(false);
	test_unshare(false);
	mode = thp_mode();
	if (!strcmp(mode, "never")) {
		static const char *const names[] = {
			"child_write_copies", "parent_write_after_child_exit_reuses",
			"zero_page_write_replaces", "remote_ro_pin_unshares",
			"child_write_after_parent_exit", "huge_zero_page_store",
			"huge_zero_page_store_after_split",
		};
		unsigned int i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			ktap_skip_test("THP disabled in sysfs", "%s (thp=on)",
				       names[i]);
	} else {
		test_fork_write(true);
		test_zero_page(true);
		test_unshare(true);
		test_large_folio_reuse();
		test_huge_zero();
	}
	test_shared();
	return ktap_finish();
}
