// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 13, timeline and exposure.  A parent worker pre-touches a region
 * and forks a child worker.  Exposure: the child's fork_shared in procs is
 * the parent's anonymous pages at the fork, as smaps_rollup counts them
 * just before and just after it; by_self and by_parent are the child's and
 * the parent's copies since, K1 + K2 and J of them written by the test.
 * Timeline: the child writes K1 pages, then, after a pause, K2 more; the
 * two bursts land in different buckets, in order, with exactly their
 * events, and the buckets add up to the child's counters in procs.  Then
 * reset, bad input, the timeline of an exited process, and a child that
 * execs: its exposure goes (nothing is shared any more), its timeline
 * stays.
 *
 * Usage: timetest [--thp]   (--thp: the region is one transparent huge page)
 *        timetest --exec-child FD   (internal: write a byte to FD, wait)
 */
#define _GNU_SOURCE
#include <time.h>

#include "ktap.h"
#include "testlib.h"

#define K1	6
#define K2	9
#define J	4
#define PAUSE_MS	500
#define TIMELINE	COWLAB_DEBUGFS "/timeline"
#define NTESTS	15

static long tick_ns;

/* CLOCK_MONOTONIC, the clock of the timeline. */
static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* "Anonymous:" of /proc/@pid/smaps_rollup, in pages, or -1. */
static long anon_pages(pid_t pid)
{
	char path[64];
	long kb;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	kb = proc_value(path, "Anonymous", ':');
	return kb < 0 ? -1 : kb / 4;
}

/* The copies of pages a fork shared: procs' cow_copy + unshare. */
static long long fork_copies(const struct counts *c)
{
	return c->ev[EV_COW_COPY] + c->ev[EV_UNSHARE];
}

/* The classes of the timeline's copy column. */
static bool copy_class(int ev)
{
	return ev == EV_COW_COPY || ev == EV_COW_ZERO || ev == EV_UNSHARE ||
	       ev == EV_THP_ZERO || ev == EV_FILE_COPY || ev == EV_COW_KSM ||
	       ev == EV_HUGE_COPY || ev == EV_FORK_COPY;
}

static void class_sums(const struct counts *c, long long *copy,
		       long long *nocopy)
{
	int i;

	*copy = *nocopy = 0;
	for (i = 0; i < NR_EV; i++)
		*(copy_class(i) ? copy : nocopy) += c->ev[i];
}

/* The exposure columns of @pid in procs: -1 for "-"; false if unreadable. */
static bool exposure(pid_t pid, long long v[3])
{
	static const char *const cols[3] = { "fork_shared", "by_parent",
					     "by_self" };
	struct cowlab_table t;
	const char *err, *f;
	char key[16], *text;
	bool ok;
	int i, kc;

	if (cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, NULL))
		return false;
	ok = !cowlab_table_parse(&t, text, 0, &err);
	snprintf(key, sizeof(key), "%d", pid);
	kc = ok ? cowlab_table_col(&t, "pid") : -1;
	for (i = 0; ok && i < 3; i++) {
		unsigned long long u;

		f = cowlab_table_lookup(&t, kc, key, cowlab_table_col(&t, cols[i]));
		if (f && !strcmp(f, "-"))
			v[i] = -1;
		else if (f && !cowlab_field_u64(f, &u))
			v[i] = (long long)u;
		else
			ok = false;
	}
	cowlab_table_free(&t);
	return ok;
}

struct bucket {
	unsigned long long start, end, copy, nocopy;
};

struct timeline {
	struct bucket b[64];
	int n;
	bool header_ok;
};

static int timeline_select(const char *what)
{
	return pid_file_select(TIMELINE, what, NULL);
}

static int timeline_read(pid_t pid, struct timeline *tl)
{
	char text[8192], *line, *save;
	int err;

	memset(tl, 0, sizeof(*tl));
	err = pid_file_read(TIMELINE, pid, text, sizeof(text));
	if (err)
		return err;
	line = strtok_r(text, "\n", &save);
	tl->header_ok = line && !strcmp(line, "start_ns end_ns copy nocopy");
	while ((line = strtok_r(NULL, "\n", &save)) && tl->n < 64) {
		struct bucket *b = &tl->b[tl->n++];

		if (sscanf(line, "%llu %llu %llu %llu", &b->start, &b->end,
			   &b->copy, &b->nocopy) != 4) {
			printf("# timeline: bad line \"%s\"\n", line);
			return -EPROTO;
		}
	}
	return 0;
}

static void timeline_show(const struct timeline *tl)
{
	int i;

	for (i = 0; i < tl->n; i++)
		printf("#   %llu %llu %llu %llu\n", tl->b[i].start, tl->b[i].end,
		       tl->b[i].copy, tl->b[i].nocopy);
}

/* The bucket holding time @t, or -1 before the first. */
static int bucket_of(const struct timeline *tl, unsigned long long t)
{
	unsigned long long w = tl->b[0].end - tl->b[0].start;

	return t < tl->b[0].start ? -1 : (int)((t - tl->b[0].start) / w);
}

/* Copies in buckets [@lo, @hi]. */
static unsigned long long copies_in(const struct timeline *tl, int lo, int hi)
{
	unsigned long long sum = 0;
	int i;

	for (i = lo < 0 ? 0 : lo; i <= hi && i < tl->n; i++)
		sum += tl->b[i].copy;
	return sum;
}

/* Equal widths, a power of two times the tick, each row where the last ended. */
static bool timeline_regular(const struct timeline *tl)
{
	unsigned long long w;
	int i;

	if (!tl->n)
		return true;
	w = tl->b[0].end - tl->b[0].start;
	if (!w || w % tick_ns || ((w / tick_ns) & (w / tick_ns - 1)))
		return false;
	for (i = 1; i < tl->n; i++)
		if (tl->b[i].start != tl->b[i - 1].end ||
		    tl->b[i].end - tl->b[i].start != w)
			return false;
	return true;
}

static bool timeline_sums(const struct timeline *tl, const struct counts *c,
			  const char *mode)
{
	long long copy, nocopy, tc = 0, tn = 0;
	int i;

	class_sums(c, &copy, &nocopy);
	for (i = 0; i < tl->n; i++) {
		tc += tl->b[i].copy;
		tn += tl->b[i].nocopy;
	}
	ktap_result(tc == copy && tn == nocopy,
		    "%s: the buckets add up to procs: copy %lld (want %lld), nocopy %lld (want %lld)",
		    mode, tc, copy, tn, nocopy);
	return tc == copy && tn == nocopy;
}

/*
 * Fork a child that execs this program again (--exec-child): its exposure
 * in procs before the exec (set) and after it (gone), and its timeline
 * after it (still there, from the fork).
 */
static void exec_child(const char *mode)
{
	long long before[3] = { -2, -2, -2 }, after[3] = { -2, -2, -2 };
	struct timeline tl;
	int go[2], done[2];
	char fd[16], c;
	bool ok_before, ok_after;
	int err;
	pid_t pid;

	if (pipe(go) || pipe(done)) {
		ktap_result(0, "%s: exec: pipes", mode);
		ktap_result(0, "%s: exec: pipes", mode);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		snprintf(fd, sizeof(fd), "%d", done[1]);
		execl("/proc/self/exe", "timetest", "--exec-child", fd, NULL);
		_exit(127);
	}
	close(go[0]);
	close(done[1]);
	ok_before = pid > 0 && exposure(pid, before);
	if (pid > 0 && (write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1))
		pid = -1;
	/* Exited, not reaped (a zombie, no mm): its timeline is kept too. */
	if (pid > 0) {
		siginfo_t si;

		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
			pid = -1;
	}
	err = pid > 0 ? timeline_read(pid, &tl) : -ECHILD;
	ok_after = pid > 0 && exposure(pid, after) && !err;
	{
		struct counts cc;
		long long copy = -1, nocopy = -1;

		if (pid > 0 && !read_counts(pid, &cc))
			class_sums(&cc, &copy, &nocopy);
		printf("# exec: child %d: copy %lld nocopy %lld in procs\n", pid,
		       copy, nocopy);
		timeline_show(&tl);
	}
	ktap_result(ok_before && before[0] > 0,
		    "%s: exec: before it, the child's fork_shared is %lld", mode,
		    before[0]);
	ktap_result(ok_after && after[0] == -1 && after[1] == -1 &&
		    after[2] == -1 && tl.header_ok && tl.n > 0,
		    "%s: exec: after it (and its exit, not reaped), exposure \"- - -\" (%lld %lld %lld), the timeline still there (%d rows, %s)",
		    mode, after[0], after[1], after[2], tl.n,
		    err ? strerror(-err) : "read");
	close(go[1]);
	close(done[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	bool thp = argc > 1 && !strcmp(argv[1], "--thp");
	const char *mode = thp ? "THP" : "no THP";
	unsigned long pages = thp ? HPAGE / PAGE : K1 + K2 + J + 8;
	unsigned long long t_fork0, t_fork1, t1e, t2s, t_reset;
	struct counts pc0, pc1, pc2, cw, c1, c2, cr;
	struct worker p, c;
	struct timeline tl;
	long long ex[3];
	long a_before, a_after;
	int i, b1, b2, err, st;
	bool ok;

	if (argc > 2 && !strcmp(argv[1], "--exec-child")) {
		/* Exec'd: say so, then wait for the parent to close its end. */
		int fd = atoi(argv[2]);
		char c;

		if (write(fd, "x", 1) != 1)
			return 1;
		close(fd);
		return read(0, &c, 0) < 0;
	}
	ktap_plan(NTESTS);
	if (thp && !strcmp(thp_mode(), "never")) {
		for (i = 0; i < NTESTS; i++)
			ktap_skip_test("THP is off in this kernel (enabled = never)",
				       "timeline %d", i + 1);
		return ktap_finish();
	}
	{
		unsigned long long t = 0;

		if (stat_value("history_tick_ns", &t))
			tick_ns = (long)t;
	}
	if (tick_ns <= 0 || load_classes() || worker_start(&p, &c)) {
		ktap_result(0, "%s: set-up (history_tick_ns %ld in stats, classes, workers)", mode, tick_ns);
		return ktap_finish();
	}
	if (worker_cmd(&p, CMD(.op = OP_MAP, .pages = pages,
			       .flags = thp ? W_THP : W_NOTHP), NULL) ||
	    worker_cmd(&p, CMD(.op = OP_WRITE, .count = pages, .stride = 1,
			       .value = 1), NULL)) {
		ktap_result(0, "%s: the parent maps and writes %lu pages", mode,
			    pages);
		return ktap_finish();
	}
	worker_warm(&p);

	/* Exposure: what the fork shares, measured on both sides of it. */
	a_before = anon_pages(p.pid);
	if (!snap_ok(p.pid, &pc0))
		return ktap_finish();
	t_fork0 = now_ns();
	c.pid = (pid_t)worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	if (c.pid <= 0) {
		ktap_result(0, "%s: the parent forks", mode);
		return ktap_finish();
	}
	worker_forked(&c);
	t_fork1 = now_ns();
	a_after = anon_pages(p.pid);
	ok = exposure(c.pid, ex);
	printf("# %s: parent %d, child %d; parent's anon pages %ld before the fork, %ld after\n",
	       mode, p.pid, c.pid, a_before, a_after);
	ktap_result(ok && a_before > 0 && ex[0] >= a_before && ex[0] <= a_after,
		    "%s: fork_shared %lld = the parent's anon pages at the fork (smaps_rollup: %ld before, %ld after)",
		    mode, ok ? ex[0] : -2, a_before, a_after);

	/* Two bursts in the child, a pause between them. */
	worker_warm(&c);
	worker_warm(&p);
	if (!snap_ok(c.pid, &cw))
		return ktap_finish();
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = K1, .stride = 1, .value = 2),
		   NULL);
	t1e = now_ns();
	if (!snap_ok(c.pid, &c1))
		return ktap_finish();
	usleep(PAUSE_MS * 1000);
	t2s = now_ns();
	worker_cmd(&c, CMD(.op = OP_WRITE, .first = K1, .count = K2, .stride = 1,
			   .value = 3), NULL);
	if (!snap_ok(c.pid, &c2) || !snap_ok(p.pid, &pc1))
		return ktap_finish();
	/* And J in the parent. */
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = K1 + K2, .count = J,
			   .stride = 1, .value = 4), NULL);
	if (!snap_ok(p.pid, &pc2))
		return ktap_finish();

	ok = exposure(c.pid, ex);
	ktap_result(ok && ex[1] == fork_copies(&pc2) - fork_copies(&pc0) &&
		    fork_copies(&pc2) - fork_copies(&pc1) == J,
		    "%s: by_parent %lld = the parent's copies since the fork (%lld), %lld of them the %d pages it wrote",
		    mode, ex[1], fork_copies(&pc2) - fork_copies(&pc0),
		    fork_copies(&pc2) - fork_copies(&pc1), J);
	ktap_result(ok && ex[2] == fork_copies(&c2) &&
		    fork_copies(&c2) - fork_copies(&cw) == K1 + K2,
		    "%s: by_self %lld = the child's copies (%lld), %lld of them the %d pages it wrote",
		    mode, ex[2], fork_copies(&c2),
		    fork_copies(&c2) - fork_copies(&cw), K1 + K2);

	err = timeline_read(c.pid, &tl);
	ktap_result(!err && tl.header_ok && tl.n > 0,
		    "%s: timeline of the child readable, header \"start_ns end_ns copy nocopy\", %d rows (%s)",
		    mode, tl.n, err ? strerror(-err) : "ok");
	timeline_show(&tl);
	if (err || !tl.n) {
		for (i = 5; i <= NTESTS; i++)
			ktap_result(0, "%s: timeline test %d (no timeline)", mode, i);
		return ktap_finish();
	}
	timeline_sums(&tl, &c2, mode);
	/* An event can be a tick off the clock's reading: leave that much. */
	b1 = bucket_of(&tl, t1e + 2 * tick_ns);
	b2 = bucket_of(&tl, t2s - 2 * tick_ns);
	{
		long long want1, want_n;
		unsigned long long early = copies_in(&tl, 0, b1);
		unsigned long long between = copies_in(&tl, b1 + 1, b2 - 1);
		unsigned long long late = copies_in(&tl, b2, tl.n);

		class_sums(&c1, &want1, &want_n);
		ktap_result(b1 < b2 && early == (unsigned long long)want1 &&
			    between == 0 && late == K2,
			    "%s: the bursts in order: buckets 0..%d hold %llu copies (want %lld: all before the pause), %d..%d hold %llu (want 0), %d.. hold %llu (want %d)",
			    mode, b1, early, want1, b1 + 1, b2 - 1, between,
			    b2, late, K2);
	}
	ktap_result(timeline_regular(&tl) && tl.b[0].start <= t_fork1 &&
		    tl.b[0].start + tick_ns >= t_fork0,
		    "%s: buckets of one width (%llu ns, a power of two of %ld ns ticks), back to back, from the fork (%llu, forked in [%llu, %llu])",
		    mode, tl.b[0].end - tl.b[0].start, tick_ns, tl.b[0].start,
		    t_fork0, t_fork1);

	/* reset PID: a new history from now, and no exposure. */
	{
		char cmd[32];
		int fd = open(COWLAB_DEBUGFS "/control", O_WRONLY);

		snprintf(cmd, sizeof(cmd), "reset %d", c.pid);
		t_reset = now_ns();
		err = fd < 0 || write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd);
		if (fd >= 0)
			close(fd);
	}
	ok = !err && !timeline_read(c.pid, &tl) && tl.header_ok && !tl.n &&
	     exposure(c.pid, ex) && ex[0] == -1 && ex[1] == -1 && ex[2] == -1;
	ktap_result(ok, "%s: after reset %d: no bucket, exposure \"- - -\" (%d rows, %lld %lld %lld)",
		    mode, c.pid, tl.n, ex[0], ex[1], ex[2]);
	worker_cmd(&c, CMD(.op = OP_WRITE, .first = pages - 1, .count = 1,
			   .value = 5), NULL);
	ok = snap_ok(c.pid, &cr) && !timeline_read(c.pid, &tl) && tl.n > 0 &&
	     tl.b[0].start + tick_ns >= t_reset && tl.b[0].start <= now_ns();
	ktap_result(ok && copies_in(&tl, 0, tl.n) == 1 &&
		    fork_copies(&cr) == 1,
		    "%s: after reset, one write: one copy, from the reset (%llu, reset at %llu)",
		    mode, tl.n ? tl.b[0].start : 0, t_reset);

	/* Bad input. */
	err = timeline_select("garbage\n");
	ktap_result(err == -EINVAL, "%s: timeline: \"garbage\" is -EINVAL (%s)",
		    mode, strerror(-err));
	err = timeline_select("4194304\n");
	ktap_result(err == -ESRCH, "%s: timeline: pid 4194304 (above pid_max) is -ESRCH (%s)",
		    mode, strerror(-err));

	/* The child exits: its timeline stays, as its entry in procs. */
	worker_exit(&c);
	st = (int)worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	ok = WIFEXITED(st) && snap_ok(c.pid, &cr) &&
	     !strcmp(cr.state, "exited") && !timeline_read(c.pid, &tl);
	if (ok) {
		long long copy, nocopy;
		unsigned long long tc = 0, tn = 0;

		class_sums(&cr, &copy, &nocopy);
		for (i = 0; i < tl.n; i++) {
			tc += tl.b[i].copy;
			tn += tl.b[i].nocopy;
		}
		ok = tc == (unsigned long long)copy &&
		     tn == (unsigned long long)nocopy;
	}
	ktap_result(ok, "%s: the exited child's timeline is kept and still adds up",
		    mode);

	{
		unsigned long long h = 0, bytes = 0, mem = 0, dropped = 1;
		bool lockdep = !access("/proc/lockdep", F_OK);

		ok = stat_value("histories", &h) &&
		     stat_value("history_bytes", &bytes) &&
		     stat_value("history_memory_bytes", &mem) &&
		     stat_value("history_dropped", &dropped);
		ktap_result(ok && h >= 2 && dropped == 0 &&
			    (lockdep || (bytes == 256 && mem == h * 256)),
			    "%s: stats: histories %llu, history_bytes %llu, history_memory_bytes %llu, history_dropped %llu (want >= 2, 256, x 256, 0%s)",
			    mode, h, bytes, mem, dropped,
			    lockdep ? "; sizes not checked under lockdep" : "");
	}
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
	exec_child(mode);
	return ktap_finish();
}
