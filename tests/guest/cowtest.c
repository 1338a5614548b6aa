// SPDX-License-Identifier: GPL-2.0
/*
 * cowtest: exact per-process COW counts, THP off and on.
 *
 * Each case drives worker processes (testlib.h) and compares two reads of
 * /sys/kernel/debug/cowlab/procs taken around the measured writes.  The
 * expected deltas follow from what the workers were told to do; every
 * counter of both workers is checked, so a stray fault fails the case.
 *
 * Usage: cowtest [-p PAGES] [-k WRITES]    (cowlab must be loaded)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sys/uio.h>

#include "ktap.h"
#include "testlib.h"

static unsigned long npages = 1024;	/* 4 MiB: two THPs when THP is on */
static unsigned long kwrites = 100;

struct expect {
	long long ev[NR_EV];
};

/* Compare after - before with @want for @pid; print every mismatch. */
static bool check_delta(const char *who, pid_t pid, const struct counts *b,
			const struct counts *a, const struct expect *want)
{
	bool ok = true;
	int i;

	/* A failed read was reported when it happened: no deltas from it. */
	if (!b->valid || !a->valid)
		return false;
	for (i = 0; i < NR_EV; i++) {
		long long d = a->ev[i] - b->ev[i];

		if (d == want->ev[i])
			continue;
		ktap_diag("%s pid %d: %s grew by %lld, expected %lld", who,
			  pid, ev_names[i], d, want->ev[i]);
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

/* Is the region at @addr of @pid fully backed by THPs? */
static bool thp_backed(pid_t pid, unsigned long addr)
{
	long kb = smaps_field(pid, addr, "AnonHugePages");

	if (kb != (long)(npages * PAGE / 1024)) {
		ktap_diag("region %#lx of pid %d: AnonHugePages %ld kB, want %lu kB",
			  addr, pid, kb, npages * PAGE / 1024);
		return false;
	}
	return true;
}

/*
 * Cases 1 and 2: N private pages, fork, the child writes K pages, then the
 * child exits and the parent writes the same K pages.
 */
static void test_fork_write(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	unsigned long stride = npages / kwrites, addr;
	struct counts pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
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

	ok = snap_ok(p.pid, &pb) && snap_ok(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 2), NULL);
	ok = ok && snap_ok(p.pid, &pa) && snap_ok(c.pid, &ca);
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
	if (!snap_ok(c.pid, &cb) || strcmp(cb.state, "exited") ||
	    cb.ev[EV_COW_COPY] != ca.ev[EV_COW_COPY]) {
		ktap_diag("exited child %d: state %s, cow_copy %lld (want exited, %lld)",
			  c.pid, cb.state, cb.ev[EV_COW_COPY], ca.ev[EV_COW_COPY]);
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
	ok = ok && snap_ok(p.pid, &pb);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 3), NULL);
	ok = ok && snap_ok(p.pid, &pa) && check_delta("parent", p.pid, &pb, &pa, &ep);
	ktap_result(ok, "parent_write_after_child_exit_reuses (%s)", mode);
out:
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/* Case 3: read N untouched pages (zero page), then write them. */
static void test_zero_page(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	struct counts b = { 0 }, a = { 0 };
	struct expect e = { 0 };
	struct worker p, c;
	unsigned long addr;
	bool ok;

	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_READ, .count = npages, .stride = 1), NULL);
	worker_warm(&p);
	ktap_diag("pid %d reads then writes %lu pages at %#lx: expect cow_zero +%lu",
		  p.pid, npages, addr, npages);
	ok = snap_ok(p.pid, &b);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	e.ev[EV_COW_ZERO] = npages;
	ok = ok && snap_ok(p.pid, &a) && check_delta("process", p.pid, &b, &a, &e);
	ktap_result(ok, "zero_page_write_replaces (%s)", mode);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * A read-only pin of pages still shared after fork (process_vm_readv()
 * pins the target's pages with FOLL_PIN): each needs an unshare fault in
 * the target, done remotely by the reader, counted for the target.
 */
static void test_unshare(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	struct counts pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
	struct expect ep = { 0 }, ec = { 0 };
	struct worker p, c;
	unsigned long addr, len = npages * PAGE;
	struct iovec local, remote;
	char *dst = malloc(len);
	ssize_t n;
	bool ok;

	if (!dst || worker_start(&p, &c))
		exit(2);
	memset(dst, 0, len);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	ktap_diag("pid %d reads %lu pages of child %d at %#lx through process_vm_readv: expect child unshare +%lu, nothing else",
		  getpid(), npages, c.pid, addr, npages);
	ok = snap_ok(p.pid, &pb) && snap_ok(c.pid, &cb);
	local = (struct iovec){ dst, len };
	remote = (struct iovec){ (void *)addr, len };
	n = process_vm_readv(c.pid, &local, 1, &remote, 1, 0);
	if (n != (ssize_t)len || dst[0] != 1) {
		ktap_diag("process_vm_readv: %zd of %lu bytes", n, len);
		ok = false;
	}
	ok = ok && snap_ok(p.pid, &pa) && snap_ok(c.pid, &ca);
	ec.ev[EV_UNSHARE] = npages;
	ok = ok && check_delta("child", c.pid, &cb, &ca, &ec);
	ok = check_delta("parent", p.pid, &pb, &pa, &ep) && ok;
	ktap_result(ok, "remote_ro_pin_unshares (%s)", mode);
	worker_exit(&c);
	worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
	free(dst);
}

/* Case 4: a MAP_SHARED anonymous region written by both after fork. */
static void test_shared(void)
{
	struct counts pb = { 0 }, pa = { 0 }, cb = { 0 }, ca = { 0 };
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
	ok = snap_ok(p.pid, &pb) && snap_ok(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = 2,
			   .value = 7), NULL);
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = 1, .count = kwrites,
			   .stride = 2, .value = 9), NULL);
	ok = ok && snap_ok(p.pid, &pa) && snap_ok(c.pid, &ca);
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
	ktap_plan(9);
	test_fork_write(false);
	test_zero_page(false);
	test_unshare(false);
	mode = thp_mode();
	if (!strcmp(mode, "never")) {
		ktap_skip_test("THP disabled in sysfs", "child_write_copies (thp=on)");
		ktap_skip_test("THP disabled in sysfs",
			       "parent_write_after_child_exit_reuses (thp=on)");
		ktap_skip_test("THP disabled in sysfs", "zero_page_write_replaces (thp=on)");
		ktap_skip_test("THP disabled in sysfs", "remote_ro_pin_unshares (thp=on)");
	} else {
		test_fork_write(true);
		test_zero_page(true);
		test_unshare(true);
	}
	test_shared();
	return ktap_finish();
}
