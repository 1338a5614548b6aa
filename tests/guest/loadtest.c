// SPDX-License-Identifier: GPL-2.0
/*
 * loadtest: cowlab under load (issue 12, "Load and bad input").
 *
 * loadtest cycles N [KO]
 *   N times: load cowlab (finit_module of KO, default /cowlab.ko), check
 *   it, unload it (delete_module), while two forker processes fork and
 *   write and a reader process keeps opening, reading and closing every
 *   cowlab file.  Each cycle:
 *    - the module loads (finit_module returns 0);
 *    - a fixed COW scenario is counted exactly: a worker (started before
 *      the first cycle, NPAGES of its memory written) forks, the child
 *      writes the NPAGES (child cow_copy +NPAGES, nothing else; its
 *      wpcopy_count +NPAGES where the kernel has one), exits (its row
 *      stays, "exited", same counts), the parent writes them again
 *      (wp_reuse +NPAGES, nothing else);
 *    - procs parses (strictly: header, field counts, a final newline);
 *    - with a procs fd of our own open, delete_module fails with EAGAIN
 *      (debugfs takes a reference on the module for every open file:
 *      try_stop_module() then refuses with -EWOULDBLOCK), and the fd still
 *      reads a whole table;
 *    - then delete_module is retried until it succeeds.  Each failure must
 *      be EAGAIN while the reader had a file open or was opening one (a
 *      counter of its open and close calls, read before and after each
 *      attempt, says so: a failure with nothing open is not ok); after 10
 *      failures the reader is paused, and with nothing open the next
 *      attempt must succeed; afterwards cowlab's directory is gone;
 *    - /dev/kmsg holds no kernel report (BUG, WARNING, KASAN, lockdep...):
 *      the cycles stop at the first one.
 *   The reader: every open file must read a whole table that parses, with
 *   the documented header, twice (again from offset 0 after a pause that
 *   may span an rmmod attempt); vmas and pages of its own pid; control is
 *   opened write-only and closed.  An open may fail only with ENOENT (no
 *   such file: unloaded, or not yet loaded) or ENXIO (debugfs: the
 *   module is being removed), and only while the module is not known to
 *   be loaded.  The forkers check that a child sees the parent's data,
 *   that the child's writes stay in the child and the parent's in the
 *   parent.  Times per cycle (load, scenario, unload) are printed.
 *
 * loadtest nocap COMMAND [ARGS...]
 *   Run COMMAND without CAP_SYS_ADMIN (dropped from the bounding set, so
 *   root's exec does not get it back).  load.sh runs stress-ng so: its
 *   madvise stressor's MADV_HWPOISON (root only) poisons pages of its own,
 *   and on 6.12 it was seen to SIGBUS-kill itself that way ("dirty LRU
 *   page still referenced"), a failure of the stressor, not of cowlab.
 *
 * loadtest poll SECONDS
 *   The reader alone, for SECONDS (0: until SIGTERM), cowlab loaded all
 *   along (tests/guest/load.sh runs stress-ng meanwhile): every open must
 *   succeed and every read parse; vmas and pages of its own pid and of
 *   random live processes from procs (those may be gone by the write or
 *   the read: ESRCH is counted, not failed).  Prints how many reads of
 *   each file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "table.h"
#include "taskstats.h"
#include "testlib.h"

#define NPAGES		16	/* the scenario's pages */
#define FORK_PAGES	64	/* each forker's region */
#define NFORKERS	2
#define RMMOD_TRIES	10	/* failures before the reader is paused */
#define MAX_SAYS	20	/* problems printed per kind */

/* State shared by the driver, the reader and the forkers. */
struct shared {
	/* driver -> the others */
	int stop;
	int pause;		/* reader: close everything and wait */
	unsigned long live;	/* odd: cowlab loaded, no unload begun */
	/* reader -> driver */
	int paused;
	long held;		/* files open, or being opened, now */
	unsigned long fdops;	/* +1 at every open call and every close */
	/* the reader's counts */
	unsigned long opens, gone, enxio, reads, esrch, bad;
	unsigned long file_reads[8];
	/* the forkers' */
	unsigned long forks[NFORKERS], fork_bad[NFORKERS];
	int says;
};

static struct shared *sh;

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* Print a problem (at most MAX_SAYS of them, from all processes). */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (ADD(sh->says, 1) > MAX_SAYS)
		return;
	n = snprintf(line, sizeof(line), "# ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines of several processes do not mix. */
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- cowlab's files ---- */

struct cfile {
	const char *name;
	const char *header;	/* what the first line starts with */
	unsigned int flags;	/* COWLAB_TABLE_*; write-only: no read */
	bool pid;		/* a pid is written first */
	bool wronly;
};

#define REST	(COWLAB_TABLE_REST_LAST | COWLAB_TABLE_LAST_OPTIONAL)

static const struct cfile files[] = {
	{ .name = "procs",
	  .header = "pid ppid state comm cow_copy cow_zero wp_reuse unshare" },
	{ .name = "stats", .header = "name value" },
	{ .name = "classes", .header = "class status reason", .flags = REST },
	{ .name = "probes", .header = "symbol kind status error nmissed" },
	{ .name = "vmas",
	  .header = "start end perms resident shared exclusive zero copied "
		    "cow_copy cow_zero wp_reuse",
	  .flags = REST, .pid = true },
	{ .name = "pages", .header = "addr map", .pid = true },
	{ .name = "control", .wronly = true },
};

#define NFILES	(sizeof(files) / sizeof(files[0]))

/*
 * Is @text (@len bytes, taken over) a whole table of @f?  Says why not,
 * as coming from @who.
 */
static bool table_ok(const struct cfile *f, char *text, size_t len,
		     const char *who)
{
	struct cowlab_table t;
	const char *err;
	size_t line, hl = strlen(f->header), r, i;
	bool ok = true;

	if (len < hl || strncmp(text, f->header, hl) ||
	    (text[hl] != ' ' && text[hl] != '\n')) {
		say("%s: %s: header is not \"%s...\": \"%.60s\"", who, f->name,
		    f->header, text);
		free(text);
		return false;
	}
	if (cowlab_table_parse_strict(&t, text, len, f->flags, &err, &line)) {
		say("%s: %s: line %zu: %s", who, f->name, line, err);
		cowlab_table_free(&t);
		return false;
	}
	if (!strcmp(f->name, "pages")) {
		int cm = cowlab_table_col(&t, "map");

		for (r = 0; ok && r < t.nrows; r++) {
			const char *m = t.rows[r][cm];
			size_t n = strlen(m);

			for (i = 0; i < n; i++)
				ok = ok && strchr("SCXZ.", m[i]);
			if (!ok || n == 0 || n > 64) {
				say("%s: pages: line %zu: bad map \"%.70s\"",
				    who, r + 2, m);
				ok = false;
			}
		}
	}
	cowlab_table_free(&t);
	return ok;
}

/* A live pid from procs, or 0. */
static pid_t random_live_pid(void)
{
	struct cowlab_table t;
	const char *err;
	size_t r, n = 0;
	char *text;
	pid_t pid = 0;
	int cp, cs;

	if (cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, NULL))
		return 0;
	if (cowlab_table_parse(&t, text, 0, &err)) {
		cowlab_table_free(&t);
		return 0;
	}
	cp = cowlab_table_col(&t, "pid");
	cs = cowlab_table_col(&t, "state");
	for (r = 0; cp >= 0 && cs >= 0 && r < t.nrows; r++)
		n += !strcmp(t.rows[r][cs], "live");
	if (n) {
		size_t want = random() % n;

		for (r = 0; r < t.nrows; r++) {
			if (strcmp(t.rows[r][cs], "live"))
				continue;
			if (!want--) {
				pid = atoi(t.rows[r][cp]);
				break;
			}
		}
	}
	cowlab_table_free(&t);
	return pid;
}

/* ---- the reader ---- */

/*
 * Read @fd from offset 0 and check it: 1 ok, 0 bad, -1 ESRCH from a pid
 * that may be gone (@other).
 */
static int read_check(int fd, const struct cfile *f, bool other)
{
	char *text;
	size_t len;
	int err;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		say("reader: %s: lseek: %s", f->name, strerror(errno));
		return 0;
	}
	err = cowlab_read_fd(fd, &text, &len);
	if (err == -ESRCH && other)
		return -1;
	if (err) {
		say("reader: %s: read: %s", f->name, strerror(-err));
		return 0;
	}
	ADD(sh->reads, 1);
	ADD(sh->file_reads[f - files], 1);
	return table_ok(f, text, len, "reader");
}

/* Use an open file of @f: true if everything worked. */
static bool use_file(int fd, const struct cfile *f, bool poll, bool pause)
{
	pid_t pid = getpid();
	bool other = false;
	char buf[16];
	int n, r;

	if (f->wronly)
		return true;
	if (f->pid) {
		if (poll && random() % 2) {
			pid_t p = random_live_pid();

			other = p && p != pid;
			if (p)
				pid = p;
		}
		n = snprintf(buf, sizeof(buf), "%d\n", pid);
		if (write(fd, buf, n) != n) {
			if (other && errno == ESRCH) {
				ADD(sh->esrch, 1);
				return true;
			}
			say("reader: %s: write \"%d\": %s", f->name, pid,
			    strerror(errno));
			return false;
		}
	}
	r = read_check(fd, f, other);
	if (r < 0) {
		ADD(sh->esrch, 1);
		return true;
	}
	if (!r)
		return false;
	/* Hold it a while (an rmmod may come), then read it again. */
	if (pause)
		usleep(random() % 3000);
	r = read_check(fd, f, other);
	if (r < 0)
		ADD(sh->esrch, 1);
	return r != 0;
}

/*
 * Open, use and close cowlab's files in turn until told to stop (or, if
 * @until, until then).  @poll: cowlab stays loaded, every open must
 * succeed.
 */
static void reader(bool poll, double until)
{
	unsigned long i;

	for (i = 0; !LOAD(sh->stop) && (!until || now() < until); i++) {
		const struct cfile *f = &files[i % NFILES];
		unsigned long live0, live1;
		char path[128];
		int fd, err;

		if (LOAD(sh->pause)) {
			STORE(sh->paused, 1);
			while (LOAD(sh->pause) && !LOAD(sh->stop))
				usleep(500);
			STORE(sh->paused, 0);
			continue;
		}
		snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", f->name);
		live0 = LOAD(sh->live);
		ADD(sh->held, 1);
		ADD(sh->fdops, 1);
		fd = open(path, f->wronly ? O_WRONLY :
				f->pid ? O_RDWR : O_RDONLY);
		if (fd < 0) {
			err = errno;
			live1 = LOAD(sh->live);
			ADD(sh->fdops, 1);
			ADD(sh->held, -1);
			if (!poll && (err == ENOENT || err == ENXIO) &&
			    !(live0 == live1 && (live0 & 1))) {
				/* Not loaded: try again soon, not in a spin. */
				ADD(sh->gone, 1);
				if (err == ENXIO)
					ADD(sh->enxio, 1);
				usleep(200);
				continue;
			}
			say("reader: open %s: %s%s", path, strerror(err),
			    poll ? "" : " (while cowlab was loaded)");
			ADD(sh->bad, 1);
			continue;
		}
		ADD(sh->opens, 1);
		if (!use_file(fd, f, poll, !poll))
			ADD(sh->bad, 1);
		if (close(fd)) {
			say("reader: close %s: %s", path, strerror(errno));
			ADD(sh->bad, 1);
		}
		ADD(sh->fdops, 1);
		ADD(sh->held, -1);
	}
}

/* ---- the forkers ---- */

static bool page_is(const unsigned char *p, unsigned char v)
{
	return p[0] == v && p[PAGE / 2] == v && p[PAGE - 1] == v;
}

/*
 * Fork and write until told to stop: the child must see the parent's
 * bytes and write its own, the parent's even pages get new bytes, and
 * after the child is gone each side must have kept exactly its own.
 */
static void forker(int idx)
{
	unsigned char *buf, v;
	unsigned long i, n;
	int status;
	pid_t pid;

	buf = mmap(NULL, FORK_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		say("forker %d: mmap: %s", idx, strerror(errno));
		ADD(sh->fork_bad[idx], 1);
		_exit(1);
	}
	for (n = 0; !LOAD(sh->stop); n++) {
		v = (unsigned char)(n * 4 + 1);
		for (i = 0; i < FORK_PAGES; i++)
			memset(buf + i * PAGE, v, PAGE);
		pid = fork();
		if (pid < 0) {
			say("forker %d: fork: %s", idx, strerror(errno));
			ADD(sh->fork_bad[idx], 1);
			usleep(10000);
			continue;
		}
		if (pid == 0) {
			bool ok = true;

			for (i = 0; i < FORK_PAGES; i++)
				ok = page_is(buf + i * PAGE, v) && ok;
			for (i = 0; i < FORK_PAGES; i++)
				memset(buf + i * PAGE, v + 1, PAGE);
			for (i = 0; i < FORK_PAGES; i++)
				ok = page_is(buf + i * PAGE, v + 1) && ok;
			_exit(ok ? 0 : 3);
		}
		for (i = 0; i < FORK_PAGES; i += 2)
			memset(buf + i * PAGE, v + 2, PAGE);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			say("forker %d: child %d: status %#x (3: its memory was not what it should be)",
			    idx, pid, status);
			ADD(sh->fork_bad[idx], 1);
		}
		for (i = 0; i < FORK_PAGES; i++) {
			if (!page_is(buf + i * PAGE, i % 2 ? v : v + 2)) {
				say("forker %d: page %lu holds %#x, want %#x",
				    idx, i, buf[i * PAGE], i % 2 ? v : v + 2);
				ADD(sh->fork_bad[idx], 1);
				break;
			}
		}
		ADD(sh->forks[idx], 1);
	}
	_exit(0);
}

/* ---- the kernel log ---- */

static const char *const reports[] = {
	"BUG:", "WARNING:", "Oops", "general protection",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "lockdep", "KASAN", "UBSAN",
	"unreferenced object", "soft lockup", "hard LOCKUP",
	"rcu_sched self-detected", "rcu: INFO", "Kernel panic", "Call Trace",
};

static int kmsg_fd = -1;

/* Read the kernel log that is new; print and count its reports. */
static int kmsg_reports(void)
{
	char rec[8192];		/* a record is at most ~1 KiB of text */
	int found = 0;
	size_t i;

	for (;;) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);
		char *msg;

		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		if (strstr(msg, "RCU lockdep checking is enabled"))
			continue;
		for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
			if (strstr(msg, reports[i])) {
				printf("# kernel: %s\n", msg);
				found++;
				break;
			}
		}
	}
	return found;
}

/* ---- the cycles ---- */

static long sys_finit_module(int fd)
{
	return syscall(SYS_finit_module, fd, "", 0);
}

static long sys_delete_module(void)
{
	return syscall(SYS_delete_module, "cowlab", O_NONBLOCK);
}

static bool have_wpcopy;

/* Counts of @pid (and its wpcopy_count): false after saying why not. */
static bool snap(pid_t pid, struct counts *c, unsigned long long *wp)
{
	int ret;

	if (!snap_ok(pid, c))
		return false;
	if (!have_wpcopy)
		return true;
	ret = taskstats_wpcopy(pid, wp);
	if (ret) {
		say("pid %d: taskstats: %s", pid, strerror(-ret));
		return false;
	}
	return true;
}

/* After - before for @pid is @ev +@n and nothing else? */
static bool delta_is(int cycle, const char *who, pid_t pid,
		     const struct counts *b, const struct counts *a,
		     int ev, long long n)
{
	bool ok = true;
	int i;

	for (i = 0; i < NR_EV; i++) {
		long long want = i == ev ? n : 0;
		long long d;

		if (b->absent[i] || a->absent[i]) {
			if (!want)
				continue;
			say("cycle %d: %s %d: %s is not counted here (%s)",
			    cycle, who, pid, ev_names[i], classes[i].reason);
			ok = false;
			continue;
		}
		d = a->ev[i] - b->ev[i];
		if (d != want) {
			say("cycle %d: %s %d: %s grew by %lld, want %lld",
			    cycle, who, pid, ev_names[i], d, want);
			ok = false;
		}
	}
	return ok;
}

/*
 * The parent worker of the scenario, started before the first cycle: it
 * maps NPAGES (THP off) and writes them once; every cycle it forks a
 * child worker.
 */
static struct worker sp, sc;

static bool scenario_start(void)
{
	unsigned long addr;

	if (worker_start(&sp, &sc))
		return false;
	if (worker_cmd(&sp, CMD(.op = OP_MAP, .pages = NPAGES,
				.flags = W_NOTHP), &addr))
		return false;
	worker_cmd(&sp, CMD(.op = OP_WRITE, .count = NPAGES, .stride = 1,
			    .value = 1), NULL);
	return true;
}

/*
 * @pid's counts, or all zero if cowlab has not listed it (yet): a process
 * that was there before the module loaded is listed at its first event.
 */
static bool snap0(pid_t pid, struct counts *c)
{
	int i, ret = read_counts(pid, c);

	if (ret != -ENOENT)
		return !ret || snap_ok(pid, c);
	memset(c, 0, sizeof(*c));
	for (i = 0; i < NR_EV; i++)
		c->absent[i] = !class_counted(i);
	c->valid = true;
	return true;
}

/*
 * The fixed scenario, counted exactly: see the top of the file.  true if
 * every count was as it must be.
 */
static bool scenario(int cycle)
{
	struct counts cb = { 0 }, ca = { 0 }, cx = { 0 }, pb = { 0 }, pa = { 0 };
	unsigned long long wb = 0, wa = 0;
	static bool forked;
	bool ok = true;

	sc.pid = worker_cmd(&sp, CMD(.op = OP_FORK), NULL);
	if (sc.pid <= 0) {
		say("cycle %d: fork in the worker: %s", cycle,
		    strerror((int)-sc.pid));
		return false;
	}
	/* The child's ends: the first child's are this process's copies. */
	if (!forked)
		worker_forked(&sc);
	forked = true;
	worker_warm(&sp);
	worker_warm(&sc);

	ok = snap(sc.pid, &cb, &wb) && ok;
	worker_cmd(&sc, CMD(.op = OP_WRITE, .count = NPAGES, .stride = 1,
			    .value = 2), NULL);
	ok = ok && snap(sc.pid, &ca, &wa) &&
	     delta_is(cycle, "child", sc.pid, &cb, &ca, EV_COW_COPY, NPAGES);
	if (ok && have_wpcopy && wa - wb != NPAGES) {
		say("cycle %d: child %d: wpcopy_count grew by %llu, want %d",
		    cycle, sc.pid, wa - wb, NPAGES);
		ok = false;
	}

	worker_exit(&sc);
	if (worker_cmd(&sp, CMD(.op = OP_WAIT), NULL) != 0) {
		say("cycle %d: child worker did not exit cleanly", cycle);
		ok = false;
	}
	if (ok && (!snap_ok(sc.pid, &cx) || strcmp(cx.state, "exited") ||
		   cx.ev[EV_COW_COPY] != ca.ev[EV_COW_COPY])) {
		say("cycle %d: exited child %d: state %s, cow_copy %lld (want exited, %lld)",
		    cycle, sc.pid, cx.state, cx.ev[EV_COW_COPY],
		    ca.ev[EV_COW_COPY]);
		ok = false;
	}

	worker_warm(&sp);
	ok = ok && snap0(sp.pid, &pb);
	worker_cmd(&sp, CMD(.op = OP_WRITE, .count = NPAGES, .stride = 1,
			    .value = 3), NULL);
	ok = ok && snap_ok(sp.pid, &pa) &&
	     delta_is(cycle, "parent", sp.pid, &pb, &pa, EV_WP_REUSE, NPAGES);
	return ok;
}

/* Is procs a whole table now?  Read by the driver itself. */
static bool procs_ok(int cycle)
{
	char *text;
	size_t len;
	int err = cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, &len);
	char who[32];

	snprintf(who, sizeof(who), "cycle %d", cycle);
	if (err) {
		say("%s: procs: %s", who, strerror(-err));
		return false;
	}
	return table_ok(&files[0], text, len, who);
}

/* With a procs fd of our own open: EAGAIN, and the fd still reads. */
static bool rmmod_refused(int cycle)
{
	int fd = open(COWLAB_DEBUGFS "/procs", O_RDONLY);
	bool ok;
	char *text;
	size_t len;
	long r;

	if (fd < 0) {
		say("cycle %d: open procs: %s", cycle, strerror(errno));
		return false;
	}
	r = sys_delete_module();
	ok = r < 0 && errno == EAGAIN;
	if (!ok)
		say("cycle %d: delete_module with procs open: %s", cycle,
		    r < 0 ? strerror(errno) : "it unloaded");
	if (!cowlab_read_fd(fd, &text, &len))
		ok = table_ok(&files[0], text, len, "procs fd held over rmmod") &&
		     ok;
	else
		ok = false;
	close(fd);
	return ok;
}

struct rmmod_counts {
	unsigned long busy;	/* EAGAIN while the reader held a file */
	unsigned long pauses;	/* the reader had to be paused */
};

/*
 * Unload: true when cowlab is gone and every failure on the way was
 * EAGAIN with a file of the reader's open.
 */
static bool rmmod_retry(int cycle, struct rmmod_counts *rc)
{
	struct stat st;
	bool ok = true;
	int tries;

	for (tries = 0;; tries++) {
		unsigned long f0, f1;
		long h0, h1, r;
		int err;
		bool last = false;

		if (tries == RMMOD_TRIES) {
			double t0 = now();

			/* Let nothing be open, then it must work. */
			STORE(sh->pause, 1);
			while (!LOAD(sh->paused) && now() - t0 < 10)
				usleep(200);
			if (!LOAD(sh->paused)) {
				say("cycle %d: the reader did not pause",
				    cycle);
				ok = false;
			}
			rc->pauses++;
			last = true;
		}
		h0 = LOAD(sh->held);
		f0 = LOAD(sh->fdops);
		r = sys_delete_module();
		err = errno;
		h1 = LOAD(sh->held);
		f1 = LOAD(sh->fdops);
		if (r == 0)
			break;
		if (err != EAGAIN) {
			say("cycle %d: delete_module: %s", cycle,
			    strerror(err));
			ok = false;
		} else if (!h0 && !h1 && f0 == f1) {
			say("cycle %d: delete_module: EAGAIN with no file open",
			    cycle);
			ok = false;
		} else {
			rc->busy++;
		}
		if (last) {
			STORE(sh->pause, 0);
			return false;
		}
		usleep(1000);
	}
	STORE(sh->pause, 0);
	if (!stat(COWLAB_DEBUGFS, &st) || errno != ENOENT ||
	    !stat("/sys/module/cowlab", &st)) {
		say("cycle %d: cowlab unloaded, but its directory is still there",
		    cycle);
		ok = false;
	}
	return ok;
}

struct timing {
	double sum, max;
};

static void timing_add(struct timing *t, double d)
{
	t->sum += d;
	if (d > t->max)
		t->max = d;
}

static int cycles(int n, const char *ko)
{
	int bad_load = 0, bad_scen = 0, bad_procs = 0, bad_refuse = 0;
	int bad_rmmod = 0, reports = 0, done = 0, ret, i, fd;
	struct timing t_load = { 0 }, t_scen = { 0 }, t_unload = { 0 };
	struct timing t_cycle = { 0 };
	struct rmmod_counts rc = { 0 };
	pid_t kids[NFORKERS + 1];
	double t0 = now();
	struct stat st;
	bool fork_ok;

	ktap_plan(8);
	if (!stat("/sys/module/cowlab", &st)) {
		printf("# cowlab is loaded already: rmmod it first\n");
		return 2;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("# %s: %s\n", ko, strerror(errno));
		return 2;
	}
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0 || lseek(kmsg_fd, 0, SEEK_END) < 0) {
		printf("# /dev/kmsg: %s\n", strerror(errno));
		return 2;
	}
	ret = taskstats_enable();
	if (ret && ret != -ENOENT)
		printf("# task_delayacct: %s\n", strerror(-ret));

	fflush(NULL);
	for (i = 0; i <= NFORKERS; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("fork");
			return 2;
		}
		if (kids[i] == 0 && i < NFORKERS)
			forker(i);
		if (kids[i] == 0) {
			reader(false, 0);
			_exit(0);
		}
	}
	if (!scenario_start()) {
		printf("# the scenario's worker did not start\n");
		return 2;
	}
	printf("# %d cycles of %s: forkers %d %d, reader %d, scenario %d pages in %d\n",
	       n, ko, kids[0], kids[1], kids[NFORKERS], NPAGES, sp.pid);

	for (i = 1; i <= n; i++) {
		double c0 = now(), c1, c2, c3;
		bool ok;

		if (sys_finit_module(fd)) {
			say("cycle %d: finit_module: %s", i, strerror(errno));
			bad_load++;
			break;
		}
		ADD(sh->live, 1);
		c1 = now();
		if (i == 1) {
			ret = load_classes();
			if (!ret)
				ret = taskstats_wpcopy(getpid(), &(unsigned long long){0});
			have_wpcopy = !ret;
			printf("# wpcopy_count witness: %s\n",
			       have_wpcopy ? "yes" : strerror(-ret));
		}
		ok = scenario(i);
		bad_scen += !ok;
		bad_procs += !procs_ok(i);
		bad_refuse += !rmmod_refused(i);
		c2 = now();
		ADD(sh->live, 1);
		ok = rmmod_retry(i, &rc);
		bad_rmmod += !ok;
		c3 = now();
		timing_add(&t_load, c1 - c0);
		timing_add(&t_scen, c2 - c1);
		timing_add(&t_unload, c3 - c2);
		timing_add(&t_cycle, c3 - c0);
		done = i;
		reports += kmsg_reports();
		if (!ok || reports) {
			printf("# cycle %d: %s: stopping\n", i,
			       reports ? "kernel report" : "still loaded");
			break;
		}
		if (i % 50 == 0)
			printf("# %d cycles, %.1f s\n", i, now() - t0);
	}

	STORE(sh->stop, 1);
	worker_exit(&sp);
	waitpid(sp.pid, NULL, 0);
	fork_ok = true;
	for (i = 0; i <= NFORKERS; i++) {
		int status;

		if (waitpid(kids[i], &status, 0) != kids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			say("%s %d exited with status %#x",
			    i < NFORKERS ? "forker" : "reader", kids[i], status);
			fork_ok = false;
		}
	}
	if (!stat("/sys/module/cowlab", &st))
		sys_delete_module();
	reports += kmsg_reports();

	if (done) {
		printf("# per cycle (s): load %.3f (max %.3f), scenario %.3f (max %.3f), unload %.3f (max %.3f), all %.3f (max %.3f)\n",
		       t_load.sum / done, t_load.max, t_scen.sum / done,
		       t_scen.max, t_unload.sum / done, t_unload.max,
		       t_cycle.sum / done, t_cycle.max);
	}
	printf("# reader: %lu opens, %lu reads, %lu opens while cowlab was not loaded (%lu ENOENT, %lu ENXIO: being removed), %lu bad\n",
	       sh->opens, sh->reads, sh->gone, sh->gone - sh->enxio, sh->enxio,
	       sh->bad);
	printf("# rmmod: %lu EAGAIN while the reader had a file open, %lu pauses of the reader\n",
	       rc.busy, rc.pauses);
	printf("# forkers: %lu and %lu rounds, %lu and %lu bad\n",
	       sh->forks[0], sh->forks[1], sh->fork_bad[0], sh->fork_bad[1]);

	ktap_result(!bad_load && done == n, "%d of %d cycles: insmod succeeds (%.0f s in all)",
		    done, n, now() - t0);
	ktap_result(!bad_scen && done, "every cycle counts its fork-and-write scenario exactly (%d bad)",
		    bad_scen);
	ktap_result(!bad_procs && done, "every cycle's procs is a whole table (%d bad)",
		    bad_procs);
	ktap_result(!bad_refuse && done, "rmmod with a procs fd open: EAGAIN, and the fd still reads (%d bad)",
		    bad_refuse);
	ktap_result(!bad_rmmod && done, "rmmod: fails only with EAGAIN while a file is open, then unloads (%d bad)",
		    bad_rmmod);
	ktap_result(!sh->bad && sh->reads, "reader: every open file reads a whole table; opens fail only while cowlab is not loaded (%lu reads, %lu bad)",
		    sh->reads, sh->bad);
	ktap_result(fork_ok && !sh->fork_bad[0] && !sh->fork_bad[1] &&
		    sh->forks[0] && sh->forks[1],
		    "forkers: each side of every fork keeps its own data (%lu rounds)",
		    sh->forks[0] + sh->forks[1]);
	ktap_result(!reports, "no kernel report in any cycle (%d)", reports);
	return ktap_finish();
}

/* ---- poll ---- */

static void on_term(int sig)
{
	(void)sig;
	STORE(sh->stop, 1);
}

static int poll_files(double secs)
{
	struct sigaction sa = { .sa_handler = on_term, .sa_flags = SA_RESTART };
	double t0 = now();
	size_t i;
	bool ok;

	sigaction(SIGTERM, &sa, NULL);
	ktap_plan(1);
	reader(true, secs > 0 ? t0 + secs : 0);
	printf("# reader, %.0f s: %lu opens, %lu reads, %lu times ESRCH (the process had gone), %lu bad\n",
	       now() - t0, sh->opens, sh->reads, sh->esrch, sh->bad);
	for (i = 0; i < NFILES; i++)
		if (!files[i].wronly)
			printf("# %s: %lu reads\n", files[i].name,
			       sh->file_reads[i]);
	ok = !sh->bad;
	for (i = 0; i < NFILES; i++)
		ok = ok && (files[i].wronly || sh->file_reads[i]);
	ktap_result(ok, "reader: every file opens and reads a whole table, every time (%lu reads, %lu bad)",
		    sh->reads, sh->bad);
	return ktap_finish();
}

int main(int argc, char **argv)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srandom(getpid());
	if (argc >= 3 && !strcmp(argv[1], "cycles"))
		return cycles(atoi(argv[2]), argc > 3 ? argv[3] : "/cowlab.ko");
	if (argc == 3 && !strcmp(argv[1], "poll"))
		return poll_files(atof(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "nocap")) {
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0)) {
			perror("loadtest: PR_CAPBSET_DROP");
			return 2;
		}
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	fprintf(stderr, "usage: loadtest cycles N [KO] | loadtest poll SECONDS | loadtest nocap COMMAND...\n");
	return 2;
}
