// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: random writes to cowlab's writable debugfs files (control, vmas,
 * pages) from several threads, interleaved with reads of every file.
 *
 * Every write is predicted from docs/debugfs.md before it is made: its
 * length (accepted) or the errno it must fail with: -EINVAL for anything
 * that is not a command or a pid, -ESRCH for a pid without a process with
 * user memory (vmas, pages) or that cowlab does not track ("reset PID"),
 * -EFAULT for a buffer that cannot be read.  Prediction and result must
 * agree, and a rejected write must change nothing.
 *
 * Nothing else runs in the guest meanwhile, and this process and the ones
 * it selects are kept quiet (memory locked, no fork, no new mapping during
 * a round), so cowlab's tables stand still unless a write changes them.
 * The run is a series of rounds from a quiescent snapshot (procs, stats,
 * and vmas and pages of every process but this one):
 *
 *  - concurrent: every thread writes; control gets only writes that must
 *    fail, vmas and pages anything.  Each thread reads its descriptors
 *    back after each of its writes (the selection is per descriptor), and
 *    reads of procs and stats, and the snapshot after the round, must be
 *    the snapshot before it.  Two descriptors shared by all threads get
 *    pids and junk at once: a read of one shows one selected process.
 *  - serial: one thread writes anything, "reset" and "reset PID" too, and
 *    compares procs (and vmas, pages, stats) after each control write with
 *    what the command must do, and after each vmas or pages write checks
 *    its descriptor and the default (a descriptor opened without a write).
 *    The other threads read.
 *
 * Pids written: live processes (the selected ones, this one, init, the
 * shell), threads, a zombie, reaped processes, kernel threads, unused and
 * out of range numbers; with junk around them or not.  Between rounds the
 * selected processes fork and write again, so a reset has counts to zero.
 *
 * Where docs/debugfs.md says nothing, the model takes what the module
 * does: a write of 64 bytes or more to control, or 16 or more to vmas or
 * pages, is -EINVAL; a pid may have leading zeros; a kernel thread, a
 * zombie and a thread that is not its group's leader are -ESRCH in vmas
 * and pages, like a pid with no process.  stats' pages_memory_bytes is
 * not compared: it falls when freed records go, after an RCU grace period.
 *
 * Usage: fuzz [-n WRITES] [-s SEED] [-t THREADS]
 *   WRITES: COWLAB_T_FUZZ_ITERS, default 100000.  SEED: COWLAB_T_FUZZ_SEED,
 *   default fixed; printed, and the same seed makes the same writes (the
 *   threads' interleaving is the scheduler's).  A failure names its round,
 *   thread and write.
 * fuzz --target PAGES: one of the selected processes (internal).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "table.h"

#define D		COWLAB_DEBUGFS
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
/*
 * The longest write each file takes, plus one: 63 bytes for control, 15
 * for vmas and pages (module/debugfs.c, module/vmas.c).  docs/debugfs.md
 * does not give the limits; longer writes fail with -EINVAL.
 */
#define CONTROL_MAX	64
#define SELECT_MAX	16
#define MAX_WRITE	8192
#define NTARGETS	3
#define MAXREFS		32
#define MAXLIST		1024
#define MAXWORKERS	16
#define MAXDIAG		40
#define PF_KTHREAD	0x00200000

enum { F_CONTROL, F_VMAS, F_PAGES, NWFILES };
static const char *const fname[NWFILES] = { "control", "vmas", "pages" };

enum { O_OK, O_EINVAL, O_ESRCH, O_EFAULT, O_OTHER, NOUT };

enum {
	T_UNSELECTED, T_SETUP, T_WCONTROL, T_WVMAS, T_WPAGES, T_UNCHANGED,
	T_RESET, T_SELECT, T_SHARED, T_READS, T_DEAD, T_DONE, NTESTS
};

/* What we know of each pid (wf[pid]), and lists to pick from. */
#define W_LIVE		0x01	/* a process with user memory */
#define W_TRACKED	0x02	/* a row of procs */
#define W_KTHREAD	0x04
#define W_ZOMBIE	0x08
#define W_TID		0x10	/* a thread, not the group leader */
#define W_DEAD		0x20	/* reaped by us */

enum { C_REF, C_TID, C_ZOMBIE, C_DEAD, C_KTHREAD, C_TRACKED, NCAT };

struct buf {
	char *p;
	size_t len, cap;
};

/* vmas and pages of a process, and the same as a reset would leave them. */
struct ref {
	pid_t pid;
	struct buf vmas, pages;
	struct buf nvmas, npages;
};

struct snap {
	struct buf procs, stats;
	struct ref ref[MAXREFS];
	int nref;
};

struct target {
	pid_t pid, child, zombie;
	int cmd, reply;
};

struct worker {
	int id;
	pthread_t th;
	unsigned long long rng;
	unsigned long n;		/* writes this round */
	struct buf rd, tmp;
	char wbuf[MAX_WRITE + 64];
	const char *wptr;		/* what is written: wbuf or near guard */
	size_t wlen, readable;
	char *guard;			/* a page, then a PROT_NONE page */
	int cfd;			/* control */
	int sfd[2][2];			/* [vmas, pages][slot], selected here */
	pid_t sel[2][2];
	unsigned long out[NWFILES][NOUT];
	unsigned long resets;
};

static unsigned long long seed = 0x636f776c61620001ULL;
static long iters = 100000;
static int nworkers = 4;
static pid_t self_pid;
static char self_stack[32];		/* "\nSTART " of our [stack] VMA */
static int pid_max;
static unsigned char *wf;
static pid_t list[NCAT][MAXLIST];
static int nlist[NCAT];
static struct target tg[NTARGETS];
static struct snap base;
static struct buf classes_ref, probes_ref, procs_header, vmas_header,
	pages_header;
static int shared_fd[2];		/* vmas, pages: written by all */

enum { PH_CONC, PH_SERIAL, PH_QUIT };
static int phase, round_no, serial_done;
static unsigned long quota_conc, quota_serial;
static pid_t def_pid;			/* the default (serial phase) */
static pthread_barrier_t bar_start, bar_end;
static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;
static int ndiag;
static unsigned long fails[NTESTS], checks[NTESTS];
static double t_conc, t_serial, t_between;	/* seconds in each part */
static double t_start;

/* ---- small things ---- */

static unsigned long long rnd(struct worker *w)
{
	unsigned long long z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long long below(struct worker *w, unsigned long long n)
{
	return n ? rnd(w) % n : 0;
}

static bool chance(struct worker *w, unsigned int one_in)
{
	return below(w, one_in) == 0;
}

static void count(int test)
{
	__atomic_add_fetch(&checks[test], 1, __ATOMIC_RELAXED);
}

static const char *ename(long r, char *tmp, size_t n)
{
	const char *s = r < 0 ? strerrorname_np(-r) : NULL;

	if (r >= 0)
		snprintf(tmp, n, "%ld", r);
	else
		snprintf(tmp, n, "-%s", s ? s : "?");
	return tmp;
}

/* The bytes written, for a person: escaped, at most 48 of them. */
static const char *show(const char *p, size_t len, size_t readable,
			char *out, size_t n)
{
	size_t i, o = 0;

	if (!p)
		return "(NULL)";
	for (i = 0; i < len && i < readable && i < 48 && o + 8 < n; i++) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			out[o++] = c;
		else
			o += snprintf(out + o, n - o, "\\x%02x", c);
	}
	if (readable < len)
		snprintf(out + o, n - o, "%s (%zu bytes, %zu readable)",
			 i < len ? "..." : "", len, readable);
	else
		snprintf(out + o, n - o, "%s (%zu bytes)", i < len ? "..." : "",
			 len);
	return out;
}

static void fail(struct worker *w, int test, const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&fails[test], 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&diag_lock);
	if (ndiag++ < MAXDIAG) {
		if (w)
			printf("# round %d thread %d write %lu: ", round_no,
			       w->id, w->n);
		else
			printf("# round %d: ", round_no);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
	pthread_mutex_unlock(&diag_lock);
}

static void buf_need(struct buf *b, size_t n)
{
	if (b->cap >= n)
		return;
	b->cap = n < 2 * b->cap ? 2 * b->cap : n;
	b->p = realloc(b->p, b->cap);
	if (!b->p) {
		perror("fuzz: realloc");
		exit(1);
	}
}

static void buf_set(struct buf *b, const char *p, size_t len)
{
	buf_need(b, len + 1);
	memcpy(b->p, p, len);
	b->p[len] = '\0';
	b->len = len;
}

static void buf_add(struct buf *b, const char *p, size_t len)
{
	buf_need(b, b->len + len + 1);
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static bool buf_eq(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* The first line where @got and @want differ, for a diagnostic. */
static const char *first_diff(const struct buf *got, const struct buf *want,
			      char *out, size_t n)
{
	const char *g = got->p, *x = want->p;
	int line = 1;

	while (*g && *g == *x) {
		if (*g == '\n')
			line++;
		g++;
		x++;
	}
	while (g > got->p && g[-1] != '\n' && x > want->p) {
		g--;
		x--;
	}
	snprintf(out, n, "line %d: got \"%.*s\", want \"%.*s\"", line,
		 (int)strcspn(g, "\n"), g, (int)strcspn(x, "\n"), x);
	return out;
}

/* Read all of @fd from offset 0: 0 or -errno. */
static int pread_all(int fd, struct buf *b)
{
	ssize_t n;

	b->len = 0;
	for (;;) {
		buf_need(b, b->len + 65536);
		n = pread(fd, b->p + b->len, b->cap - b->len - 1, b->len);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		b->len += n;
	}
	b->p[b->len] = '\0';
	return 0;
}

static int read_path(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0)
		return -errno;
	ret = pread_all(fd, b);
	close(fd);
	return ret;
}

static int read_file(const char *name, struct buf *b)
{
	char path[128];

	snprintf(path, sizeof(path), D "/%s", name);
	return read_path(path, b);
}

/*
 * stats, without pages_memory_bytes: the page records of a process that
 * exited or was reset are freed after an RCU grace period, by a workqueue,
 * so that value falls some time later, whatever was written meanwhile.
 */
static int read_stats(struct buf *b)
{
	static const char skip[] = "\npages_memory_bytes ";
	int ret = read_file("stats", b);
	char *p = ret ? NULL : strstr(b->p, skip);

	if (p) {
		size_t l = strcspn(p + 1, "\n") + 1;

		memmove(p, p + l, b->p + b->len - (p + l) + 1);
		b->len -= l;
	}
	return ret;
}

static int open_file(int f, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), D "/%s", fname[f]);
	return open(path, flags);
}

static long do_write(int fd, const void *p, size_t len)
{
	ssize_t n = write(fd, p, len);

	return n < 0 ? -errno : n;
}

static bool starts_with(const struct buf *b, const struct buf *prefix)
{
	return b->len >= prefix->len && !memcmp(b->p, prefix->p, prefix->len);
}

/* ---- the model: docs/debugfs.md ---- */

static bool is(long pid, int flag)
{
	return pid > 0 && pid <= pid_max && (wf[pid] & flag);
}

/*
 * One command: @len bytes, fewer than @max, none of them NUL, a newline
 * only as the last one.  0 with @out the command (without that newline),
 * or -EINVAL.
 */
static int model_line(const char *b, size_t len, size_t max, char *out)
{
	const char *nl = memchr(b, '\n', len);
	size_t n = nl ? (size_t)(nl - b) : len;

	if (len == 0 || len >= max || memchr(b, '\0', len) ||
	    (nl && n != len - 1))
		return -EINVAL;
	snprintf(out, max, "%.*s", (int)n, b);
	return 0;
}

/*
 * A pid: decimal digits and nothing else, 1..INT_MAX.  Leading zeros are
 * taken (the module parses with kstrtoint(); the docs do not say).
 */
static int model_pid(const char *s, long *pid)
{
	long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*pid = v;
	return 0;
}

/*
 * What writing @len bytes (@readable of them readable) to file @f must
 * return; *@pid is the pid it names (0: "reset" of everything).
 */
static long expect_write(int f, const char *b, size_t len, size_t readable,
			 long *pid)
{
	size_t max = f == F_CONTROL ? CONTROL_MAX : SELECT_MAX;
	char line[CONTROL_MAX];

	*pid = 0;
	if (len == 0 || len >= max)
		return -EINVAL;
	if (readable < len)
		return -EFAULT;
	if (model_line(b, len, max, line))
		return -EINVAL;
	if (f == F_CONTROL) {
		if (!strcmp(line, "reset"))
			return len;
		if (strncmp(line, "reset ", 6) || model_pid(line + 6, pid))
			return -EINVAL;
		return is(*pid, W_TRACKED) ? (long)len : -ESRCH;
	}
	if (model_pid(line, pid))
		return -EINVAL;
	return is(*pid, W_LIVE) ? (long)len : -ESRCH;
}

/* ---- what a reset does to a table ---- */

/* Column names of the header line of @text, split at spaces. */
static int header_cols(const char *text, char cols[][24], int max)
{
	int n = 0;
	size_t l;

	while (*text && *text != '\n' && n < max) {
		l = strcspn(text, "\n ");
		snprintf(cols[n++], 24, "%.*s", (int)l, text);
		text += l;
		if (*text == ' ')
			text++;
	}
	return n;
}

/* Field @c of line @p (@l bytes), @ncols fields: its start and length. */
static const char *field_at(const char *p, size_t l, int c, int ncols,
			    size_t *len)
{
	const char *q = p;
	int i;

	for (i = 0; i < c && q < p + l; i++) {
		q += strcspn(q, "\n ");
		if (*q == ' ')
			q++;
	}
	*len = c == ncols - 1 ? strcspn(q, "\n") : strcspn(q, "\n ");
	return q;
}

/* Is field @c of the line "@key" (which ends with a space)? */
static bool field_is(const char *p, size_t l, int c, int ncols,
		     const char *key)
{
	size_t len;
	const char *q = field_at(p, l, c, ncols, &len);

	return len == strlen(key) - 1 && !strncmp(q, key, len);
}

/* The line @p (@l bytes) into @out, field @c "-". */
static void add_dashed(struct buf *out, const char *p, size_t l, int c,
		       int ncols)
{
	size_t len;
	const char *q = field_at(p, l, c, ncols, &len);

	buf_add(out, p, q - p);
	buf_add(out, "-", 1);
	buf_add(out, q + len, l - (q + len - p));
}

/* What a reset does to a column of the rows it resets. */
enum reset_col { KEEP, ZERO, DASH };

/*
 * @in (procs, vmas) as a reset leaves it, into @out: the fields of the
 * columns @act ZERO become 0 unless they are "-", those it DASHes "-";
 * only the row whose first field is @pid (0: every row); with
 * @drop_exited, rows whose state is "exited" go.  In the other rows whose
 * ppid is @pid, column @child_dash (if >= 0) becomes "-".  The last
 * column runs to the end of the line.
 */
static void reset_table(const struct buf *in, struct buf *out,
			const enum reset_col *act, long pid, bool drop_exited,
			int child_dash)
{
	char cols[32][24], key[24];
	const char *p = in->p, *end = in->p + in->len;
	int ncols = header_cols(p, cols, 32), c, state = -1, ppid = -1;
	size_t l;

	for (c = 0; c < ncols; c++) {
		if (!strcmp(cols[c], "state"))
			state = c;
		if (!strcmp(cols[c], "ppid"))
			ppid = c;
	}
	snprintf(key, sizeof(key), "%ld ", pid);
	out->len = 0;
	buf_need(out, in->len + 1);
	l = strcspn(p, "\n") + 1;
	buf_add(out, p, l);
	for (p += l; p < end; p += l) {
		const char *q = p, *eol = memchr(p, '\n', end - p);
		size_t start = out->len;

		l = (eol ? eol + 1 : end) - p;
		if (pid && strncmp(p, key, strlen(key))) {
			if (child_dash >= 0 && ppid >= 0 &&
			    field_is(p, l, ppid, ncols, key))
				add_dashed(out, p, l, child_dash, ncols);
			else
				buf_add(out, p, l);
			continue;
		}
		for (c = 0; c < ncols && q < p + l; c++) {
			size_t f = c == ncols - 1 ? strcspn(q, "\n") :
				   strcspn(q, "\n ");

			if (c == state && f == 6 && !strncmp(q, "exited", 6) &&
			    drop_exited)
				break;
			if (act[c] == DASH)
				buf_add(out, "-", 1);
			else if (act[c] == ZERO && !(f == 1 && *q == '-'))
				buf_add(out, "0", 1);
			else
				buf_add(out, q, f);
			q += f;
			if (*q == ' ' || *q == '\n')
				buf_add(out, q++, 1);
		}
		if (c < ncols && c == state) {
			out->len = start;	/* an exited row, dropped */
			out->p[start] = '\0';
		}
	}
}

/*
 * procs after "reset" (@pid 0) or "reset PID": the counters zeroed, the
 * exposure columns "-" (a new history, no fork), and in the rows of the
 * process's children by_parent "-" (the parent was reset after their
 * fork).
 */
static void reset_procs(const struct buf *in, struct buf *out, long pid)
{
	char cols[32][24];
	enum reset_col act[32] = { KEEP };
	int n = header_cols(in->p, cols, 32), c, comm = n, by_parent = -1;

	for (c = 0; c < n; c++) {
		if (!strcmp(cols[c], "comm"))
			comm = c;
		if (!strcmp(cols[c], "fork_shared") ||
		    !strcmp(cols[c], "by_parent") ||
		    !strcmp(cols[c], "by_self"))
			act[c] = DASH;
		else if (c > comm)
			act[c] = ZERO;
		if (!strcmp(cols[c], "by_parent"))
			by_parent = c;
	}
	reset_table(in, out, act, pid, pid == 0, by_parent);
}

/* vmas of a process whose records a reset dropped. */
static void reset_vmas(const struct buf *in, struct buf *out)
{
	static const char *const names[] = {
		"copied", "cow_copy", "cow_zero", "wp_reuse"
	};
	char cols[32][24];
	enum reset_col act[32] = { KEEP };
	int n = header_cols(in->p, cols, 32), c;
	size_t i;

	for (c = 0; c < n; c++)
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(cols[c], names[i]))
				act[c] = ZERO;
	reset_table(in, out, act, 0, false, -1);
}

/* pages likewise: a copied page is an exclusive one without its record. */
static void reset_pages(const struct buf *in, struct buf *out)
{
	size_t i, hdr = strcspn(in->p, "\n");

	buf_set(out, in->p, in->len);
	for (i = hdr; i < out->len; i++)
		if (out->p[i] == 'C')
			out->p[i] = 'X';
}

/* ---- the world: which pid is what ---- */

static void list_add(int cat, pid_t pid)
{
	if (nlist[cat] < MAXLIST)
		list[cat][nlist[cat]++] = pid;
}

/* The pids of the rows of procs @text, as W_TRACKED and C_TRACKED. */
static void set_tracked(const struct buf *procs)
{
	const char *p = strchr(procs->p, '\n');
	int i;

	for (i = 1; i <= pid_max; i++)
		wf[i] &= ~W_TRACKED;
	nlist[C_TRACKED] = 0;
	while (p && p[1]) {
		long pid = strtol(p + 1, NULL, 10);

		if (pid > 0 && pid <= pid_max) {
			wf[pid] |= W_TRACKED;
			list_add(C_TRACKED, pid);
		}
		p = strchr(p + 1, '\n');
	}
}

/* /proc/PID/stat: state and flags.  0 or -1. */
static int proc_stat(pid_t pid, char *state, unsigned long *flags)
{
	char path[64], text[1024], *p;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	p = strrchr(text, ')');
	if (!p || sscanf(p + 2, "%c", state) != 1)
		return -1;
	/* after ")": state ppid pgrp session tty_nr tpgid, then flags */
	for (i = 0; i < 7 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	*flags = strtoul(p + 1, NULL, 10);
	return 0;
}

/*
 * Look at every task in /proc (the guest is quiet: nothing forks or exits
 * but what we start).  Live processes other than us become the refs.
 */
static int scan_world(void)
{
	DIR *d = opendir("/proc"), *t;
	struct dirent *e, *te;
	char path[64], state;
	unsigned long flags;
	int i;

	if (!d)
		return -1;
	for (i = 1; i <= pid_max; i++)
		wf[i] &= W_DEAD | W_TRACKED;
	for (i = 0; i < NCAT; i++)
		if (i != C_DEAD && i != C_TRACKED)
			nlist[i] = 0;
	while ((e = readdir(d))) {
		long pid = strtol(e->d_name, NULL, 10);

		if (pid <= 0 || pid > pid_max || proc_stat(pid, &state, &flags))
			continue;
		wf[pid] &= ~W_DEAD;
		if (flags & PF_KTHREAD) {
			wf[pid] |= W_KTHREAD;
			list_add(C_KTHREAD, pid);
			continue;
		}
		if (state == 'Z') {
			wf[pid] |= W_ZOMBIE;
			list_add(C_ZOMBIE, pid);
			continue;
		}
		wf[pid] |= W_LIVE;
		if (pid != self_pid)
			list_add(C_REF, pid);
		snprintf(path, sizeof(path), "/proc/%ld/task", pid);
		t = opendir(path);
		while (t && (te = readdir(t))) {
			long tid = strtol(te->d_name, NULL, 10);

			if (tid > 0 && tid != pid && tid <= pid_max) {
				wf[tid] |= W_TID;
				list_add(C_TID, tid);
			}
		}
		if (t)
			closedir(t);
	}
	closedir(d);
	/* Reaped pids that are still free. */
	nlist[C_DEAD] = 0;
	for (i = 1; i <= pid_max; i++)
		if (wf[i] & W_DEAD)
			list_add(C_DEAD, i);
	return nlist[C_REF] > MAXREFS ? -1 : 0;
}

/* ---- snapshots ---- */

/* Select @pid on a new descriptor of @f and read it: 0 or -errno. */
static int read_selected(int f, pid_t pid, struct buf *b)
{
	char s[16];
	int fd = open_file(f, O_RDWR), ret;

	if (fd < 0)
		return -errno;
	snprintf(s, sizeof(s), "%d\n", pid);
	ret = do_write(fd, s, strlen(s));
	if (ret >= 0)
		ret = pread_all(fd, b);
	close(fd);
	return ret;
}

static int take_snap(struct snap *s)
{
	int i, ret;

	ret = read_file("procs", &s->procs);
	if (!ret)
		ret = read_stats(&s->stats);
	s->nref = nlist[C_REF];
	for (i = 0; !ret && i < s->nref; i++) {
		struct ref *r = &s->ref[i];

		r->pid = list[C_REF][i];
		ret = read_selected(F_VMAS, r->pid, &r->vmas);
		if (!ret)
			ret = read_selected(F_PAGES, r->pid, &r->pages);
		if (ret)
			printf("# pid %d: vmas or pages: %s\n", r->pid,
			       strerror(-ret));
		reset_vmas(&r->vmas, &r->nvmas);
		reset_pages(&r->pages, &r->npages);
	}
	return ret;
}

/* Are @a and @b the same?  If not, say where (with @what) unless quiet. */
static bool snap_eq(const struct snap *a, const struct snap *b,
		    const char *what, int test)
{
	char d[512];
	int i;

	if (!buf_eq(&a->procs, &b->procs)) {
		if (what)
			fail(NULL, test, "%s: procs %s", what,
			     first_diff(&a->procs, &b->procs, d, sizeof(d)));
		return false;
	}
	if (!buf_eq(&a->stats, &b->stats)) {
		if (what)
			fail(NULL, test, "%s: stats %s", what,
			     first_diff(&a->stats, &b->stats, d, sizeof(d)));
		return false;
	}
	if (a->nref != b->nref)
		return false;
	for (i = 0; i < a->nref; i++) {
		const struct ref *x = &a->ref[i], *y = &b->ref[i];
		bool v = buf_eq(&x->vmas, &y->vmas);

		if (x->pid == y->pid && v && buf_eq(&x->pages, &y->pages))
			continue;
		if (what)
			fail(NULL, test, "%s: %s of pid %d %s", what,
			     v ? "pages" : "vmas", x->pid,
			     v ? first_diff(&x->pages, &y->pages, d, sizeof(d)) :
			     first_diff(&x->vmas, &y->vmas, d, sizeof(d)));
		return false;
	}
	return true;
}

static void snap_copy(struct snap *dst, const struct snap *src)
{
	int i;

	buf_set(&dst->procs, src->procs.p, src->procs.len);
	buf_set(&dst->stats, src->stats.p, src->stats.len);
	dst->nref = src->nref;
	for (i = 0; i < src->nref; i++) {
		const struct ref *s = &src->ref[i];
		struct ref *r = &dst->ref[i];

		r->pid = s->pid;
		buf_set(&r->vmas, s->vmas.p, s->vmas.len);
		buf_set(&r->pages, s->pages.p, s->pages.len);
		buf_set(&r->nvmas, s->nvmas.p, s->nvmas.len);
		buf_set(&r->npages, s->npages.p, s->npages.len);
	}
}

/* Wait until two snapshots 20 ms apart agree; that one is @s.  0 or -1. */
static int quiesce(struct snap *s)
{
	static struct snap prev;
	int i;

	if (take_snap(&prev))
		return -1;
	for (i = 0; i < 300; i++) {
		usleep(20000);
		if (take_snap(s))
			return -1;
		if (snap_eq(s, &prev, NULL, 0))
			return 0;
		snap_copy(&prev, s);
	}
	snap_eq(s, &prev, "not quiescent", T_SETUP);
	return -1;
}

static struct ref *ref_of(pid_t pid)
{
	int i;

	for (i = 0; i < base.nref; i++)
		if (base.ref[i].pid == pid)
			return &base.ref[i];
	return NULL;
}

/* ---- targets: quiet processes to select ---- */

static int target_main(unsigned long pages)
{
	pid_t child = 0, zombie;
	unsigned long i;
	char *r, c;

	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	r = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED || madvise(r, pages * PAGE, MADV_NOHUGEPAGE))
		return 1;
	memset(r, 1, pages * PAGE);
	zombie = fork();		/* never reaped while we live */
	if (zombie == 0)
		_exit(0);
	if (zombie < 0 || mlockall(MCL_CURRENT | MCL_FUTURE))
		return 1;
	while (read(0, &c, 1) == 1 && c == 'r') {
		if (child > 0) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
		}
		child = fork();
		if (child == 0)
			for (;;)
				pause();
		/* Copies, the child still mapping the old pages. */
		for (i = 0; i < pages; i++)
			r[i * PAGE]++;
		dprintf(1, "%d %d\n", child, zombie);
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}

static int target_cmd(struct target *t)
{
	char line[64];
	size_t n = 0;

	if (write(t->cmd, "r", 1) != 1)
		return -1;
	while (n < sizeof(line) - 1 && read(t->reply, line + n, 1) == 1)
		if (line[n++] == '\n')
			break;
	line[n] = '\0';
	if (t->child > 0 && t->child <= pid_max)
		wf[t->child] |= W_DEAD;
	if (sscanf(line, "%d %d", &t->child, &t->zombie) != 2)
		return -1;
	return 0;
}

static int target_start(struct target *t, unsigned long pages)
{
	posix_spawn_file_actions_t fa;
	int cmd[2], reply[2];
	char arg[24], *argv[] = { "fuzz", "--target", arg, NULL };

	snprintf(arg, sizeof(arg), "%lu", pages);
	if (pipe(cmd) || pipe(reply))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, cmd[0], 0);
	posix_spawn_file_actions_adddup2(&fa, reply[1], 1);
	posix_spawn_file_actions_addclose(&fa, cmd[1]);
	posix_spawn_file_actions_addclose(&fa, reply[0]);
	if (posix_spawn(&t->pid, "/proc/self/exe", &fa, NULL, argv, NULL))
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	close(cmd[0]);
	close(reply[1]);
	t->cmd = cmd[1];
	t->reply = reply[0];
	t->child = 0;
	return target_cmd(t);
}

/*
 * Wait until @pid sleeps (state S): a target in read(), its child in
 * pause(), each past the faults of its last steps.  0, or -1 after 10 s.
 */
static int asleep(pid_t pid)
{
	unsigned long flags;
	char state = '?';
	int i;

	for (i = 0; i < 1000; i++) {
		if (!proc_stat(pid, &state, &flags) && state == 'S')
			return 0;
		usleep(10000);
	}
	printf("# pid %d: state %c after 10 s, want S\n", pid, state);
	return -1;
}

/* New copies in every target: the old children die, new ones share. */
static int regen(void)
{
	int i;

	for (i = 0; i < NTARGETS; i++)
		if (target_cmd(&tg[i]))
			return -1;
	for (i = 0; i < NTARGETS; i++)
		if (asleep(tg[i].pid) || asleep(tg[i].child))
			return -1;
	if (scan_world() || quiesce(&base))
		return -1;
	set_tracked(&base.procs);
	return 0;
}

/* ---- generating writes ---- */

static pid_t pick(struct worker *w, int cat)
{
	return nlist[cat] ? list[cat][below(w, nlist[cat])] :
	       (pid_t)below(w, pid_max) + 1;
}

/* A pid, as text into @s: of what kind is up to chance.  Returns length. */
static size_t pid_text(struct worker *w, char *s, size_t cap, bool refs)
{
	static const char *const odd[] = {
		"0", "-1", "-0", "00", "2147483647", "2147483648",
		"4294967295", "4294967296", "4194304", "4194305",
		"99999999999999999999", "1e3", "0x1", "+1", " 1", "1.0",
	};
	long long v;

	if (refs)
		return snprintf(s, cap, "%d", pick(w, C_REF));
	switch (below(w, 14)) {
	case 0: case 1: case 2: case 3:
		v = pick(w, C_REF);
		break;
	case 4:
		v = self_pid;
		break;
	case 5:
		v = pick(w, C_TID);
		break;
	case 6:
		v = pick(w, C_ZOMBIE);
		break;
	case 7:
		v = pick(w, C_DEAD);
		break;
	case 8:
		v = pick(w, C_KTHREAD);
		break;
	case 9:
		v = (long long)below(w, pid_max + 64) + 1;
		break;
	case 10:
		v = pick(w, C_TRACKED);
		break;
	case 11:
		v = pid_max - 2 + (long long)below(w, 5);
		break;
	case 12:
		return snprintf(s, cap, "%s",
				odd[below(w, ARRAY_SIZE(odd))]);
	default:
		v = 1;		/* init */
		break;
	}
	return snprintf(s, cap, "%lld", v);
}

/* Junk around, or in, the @len bytes at @s.  Returns the new length. */
static size_t mutate(struct worker *w, char *s, size_t len, size_t cap)
{
	static const char *const pre[] = {
		" ", "\t", "+", "-", "0x", "\n", "0", "000000", "reset ", "\r",
	};
	static const char *const post[] = {
		" ", "\t", "x", "\n\n", "\r\n", "\n ", ".0", "e3", " 0", "-1",
		"\nreset", " 4096 8192", "-7fff0000",
	};
	const char *a;
	size_t l, i;

	if (cap < len + 32)
		return len;
	switch (below(w, 12)) {
	case 0:
		a = pre[below(w, ARRAY_SIZE(pre))];
		l = strlen(a);
		memmove(s + l, s, len);
		memcpy(s, a, l);
		return len + l;
	case 1:
		a = post[below(w, ARRAY_SIZE(post))];
		l = strlen(a);
		memcpy(s + len, a, l);
		return len + l;
	case 2:		/* a NUL inside, or at the end */
		i = below(w, len + 1);
		memmove(s + i + 1, s + i, len - i);
		s[i] = '\0';
		return len + 1;
	case 3:
		if (len)
			s[below(w, len)] = (char)rnd(w);
		return len;
	case 4:
		return below(w, len + 1);
	case 5:
		memcpy(s + len, s, len < 16 ? len : 16);
		return len + (len < 16 ? len : 16);
	case 6:
		l = below(w, 12) + 1;
		memmove(s + l, s, len);
		memset(s, '0', l);
		return len + l;
	default:
		return len;
	}
}

static size_t rand_len(struct worker *w)
{
	switch (below(w, 4)) {
	case 0:
		return below(w, 17);
	case 1:
		return below(w, 129);
	default:
		return below(w, MAX_WRITE + 1);
	}
}

static size_t gen_random(struct worker *w, char *s)
{
	static const char text[] = "0123456789\n \t+-xreset";
	size_t len = rand_len(w), i;
	bool t = chance(w, 2);

	for (i = 0; i < len; i++)
		s[i] = t ? text[below(w, sizeof(text) - 1)] : (char)rnd(w);
	return len;
}

/* A range, as cowlab does not take one: "PID START END" and the like. */
static size_t gen_range(struct worker *w, char *s, size_t cap)
{
	char pid[32];
	unsigned long a = below(w, 1UL << 47) & ~(PAGE - 1);
	unsigned long b = a + below(w, 1UL << 30);

	pid_text(w, pid, sizeof(pid), false);
	switch (below(w, 5)) {
	case 0:
		return snprintf(s, cap, "%s %lx %lx", pid, a, b);
	case 1:
		return snprintf(s, cap, "%s %lx-%lx\n", pid, a, b);
	case 2:
		return snprintf(s, cap, "%lx-%lx", a, b);
	case 3:
		return snprintf(s, cap, "%s:%lu", pid, a);
	default:
		return snprintf(s, cap, "%s,%s", pid, pid);
	}
}

/* A pid of @total bytes, zeros in front, about the length limit. */
static size_t gen_padded(struct worker *w, char *s, size_t total)
{
	char pid[32];
	size_t l = pid_text(w, pid, sizeof(pid), chance(w, 2));
	bool nl = chance(w, 2);
	size_t digits = total - nl;

	if (l > digits)
		l = digits;
	memset(s, '0', digits - l);
	memcpy(s + digits - l, pid, l);
	if (nl)
		s[digits] = '\n';
	return total;
}

/* Make the buffer (partly) unreadable: NULL, or running into PROT_NONE. */
static void make_bad(struct worker *w)
{
	size_t k;

	if (chance(w, 4)) {
		w->wptr = NULL;
		w->readable = 0;
		return;
	}
	k = w->wlen ? below(w, w->wlen < PAGE ? w->wlen : PAGE) : 0;
	memcpy(w->guard + PAGE - k, w->wbuf, k);
	w->wptr = w->guard + PAGE - k;
	w->readable = k;
}

/* Fill the worker's write for file @f; @refs: pids of refs only, and junk. */
static void gen_write(struct worker *w, int f, bool refs)
{
	static const char *const words[] = {
		"reset", "reset\n", "RESET", "Reset", " reset", "reset ",
		"resetx", "reset\t1", "reset  1", "reset 1 2", "reset reset",
		"reset\n1", "reset\r\n", "clear", "help", "1\n2", "\n", "",
	};
	char *s = w->wbuf;
	size_t cap = sizeof(w->wbuf) - 40, len;
	int k = below(w, 16);

	w->wptr = s;
	if (refs) {
		len = pid_text(w, s, cap, !chance(w, 4));
		if (chance(w, 2))
			s[len++] = '\n';
		if (chance(w, 3))
			len = mutate(w, s, len, cap);
	} else if (k < 2) {
		len = gen_random(w, s);
	} else if (f == F_CONTROL && k < 3) {
		len = snprintf(s, cap, "reset%s", chance(w, 2) ? "\n" : "");
	} else if (f == F_CONTROL && k < 9) {
		len = snprintf(s, cap, "reset ");
		len += pid_text(w, s + len, cap - len, false);
		if (chance(w, 2))
			s[len++] = '\n';
		len = mutate(w, s, len, cap);
	} else if (k < 9) {
		len = pid_text(w, s, cap, false);
		if (chance(w, 2))
			s[len++] = '\n';
		len = mutate(w, s, len, cap);
	} else if (k < 11 || k >= 15) {
		len = snprintf(s, cap, "%s",
			       words[below(w, ARRAY_SIZE(words))]);
		if (f != F_CONTROL && chance(w, 2))
			len += snprintf(s + len, cap - len, " %d",
					pick(w, C_REF));
	} else if (k < 13) {
		size_t lim = f == F_CONTROL ? CONTROL_MAX : SELECT_MAX;
		size_t off = 0;

		if (f == F_CONTROL)
			off = snprintf(s, cap, "reset ");
		len = off + gen_padded(w, s + off, lim - 3 - off +
				       below(w, 5));
	} else {
		len = gen_range(w, s, cap);
		if (f == F_CONTROL && chance(w, 2)) {
			memmove(s + 6, s, len + 1);
			memcpy(s, "reset ", 6);
			len += 6;
		}
	}
	w->wlen = len;
	w->readable = len;
	if (!refs && chance(w, 48))
		make_bad(w);
}

/* ---- checking ---- */

static void check_write(struct worker *w, int f, long want, long got)
{
	char a[32], b[32], s[300];
	int o = O_OTHER;

	if (got >= 0)
		o = O_OK;
	else if (got == -EINVAL)
		o = O_EINVAL;
	else if (got == -ESRCH)
		o = O_ESRCH;
	else if (got == -EFAULT)
		o = O_EFAULT;
	w->out[f][o]++;
	count(T_WCONTROL + f);
	if (want != got)
		fail(w, T_WCONTROL + f, "%s: wrote \"%s\": got %s, want %s",
		     fname[f], show(w->wptr, w->wlen, w->readable, s, sizeof(s)),
		     ename(got, a, sizeof(a)), ename(want, b, sizeof(b)));
}

/* Does @b show our own process (its [stack] VMA's line is there)? */
static bool is_self(const struct buf *b)
{
	return strstr(b->p, self_stack);
}

/*
 * Check that @b (read with result @ret, of file @f, vmas or pages) shows
 * @pid: the ref's text (@norm: as after a reset, for a reader that may
 * race one), our own (its header and stack), or -ESRCH for a process
 * gone.  Returns whether it did.
 */
static bool shows(int f, const struct buf *b, int ret, pid_t pid, bool norm,
		  struct buf *tmp, char *why, size_t n)
{
	const struct buf *hdr = f == F_VMAS ? &vmas_header : &pages_header;
	struct ref *r;

	if (!is(pid, W_LIVE)) {
		snprintf(why, n, "pid %d is gone: got %s, want -ESRCH", pid,
			 ret ? strerrorname_np(-ret) : "a table");
		return ret == -ESRCH;
	}
	if (ret) {
		snprintf(why, n, "pid %d: read failed: %s", pid,
			 strerrorname_np(-ret));
		return false;
	}
	if (pid == self_pid) {
		snprintf(why, n, "pid %d (ours): no header or not ours", pid);
		return starts_with(b, hdr) && is_self(b);
	}
	r = ref_of(pid);
	if (!r) {
		snprintf(why, n, "pid %d: no reference text", pid);
		return false;
	}
	if (norm) {
		if (f == F_VMAS)
			reset_vmas(b, tmp);
		else
			reset_pages(b, tmp);
		b = tmp;
	}
	if (buf_eq(b, f == F_VMAS ? (norm ? &r->nvmas : &r->vmas) :
		   (norm ? &r->npages : &r->pages)))
		return true;
	snprintf(why, n, "pid %d: ", pid);
	first_diff(b, f == F_VMAS ? (norm ? &r->nvmas : &r->vmas) :
		   (norm ? &r->npages : &r->pages), why + strlen(why),
		   n - strlen(why));
	return false;
}

/* Read descriptor @fd of @f and check it shows @pid (test @test). */
static void check_fd(struct worker *w, int test, int f, int fd, pid_t pid,
		     bool norm, const char *what)
{
	char why[512];
	int ret = pread_all(fd, &w->rd);

	count(test);
	if (!shows(f, &w->rd, ret, pid, norm, &w->tmp, why, sizeof(why)))
		fail(w, test, "%s %s: %s", what, fname[f], why);
}

/* Some process's text: a ref's (as after a reset, with @norm), or ours. */
static bool shows_any(int f, const struct buf *b, bool norm, struct buf *tmp)
{
	int i;

	if (norm) {
		if (f == F_VMAS)
			reset_vmas(b, tmp);
		else
			reset_pages(b, tmp);
	}
	for (i = 0; i < base.nref; i++) {
		const struct ref *r = &base.ref[i];

		if (buf_eq(norm ? tmp : b, f == F_VMAS ?
			   (norm ? &r->nvmas : &r->vmas) :
			   (norm ? &r->npages : &r->pages)))
			return true;
	}
	return starts_with(b, f == F_VMAS ? &vmas_header : &pages_header) &&
	       is_self(b);
}

/* Probes without the nmissed column (it may grow with the kernel's work). */
static void strip_nmissed(const struct buf *in, struct buf *out)
{
	const char *p = in->p;

	out->len = 0;
	buf_need(out, in->len + 1);
	while (*p) {
		size_t l = strcspn(p, "\n");
		const char *sp = memrchr(p, ' ', l);

		buf_add(out, p, sp ? (size_t)(sp - p) : l);
		buf_add(out, "\n", 1);
		p += l + (p[l] == '\n');
	}
}

/* One read of some file, checked; @serial: the serial phase's reader. */
static void read_one(struct worker *w, bool serial)
{
	int k = below(w, 11), ret, fd;
	struct buf *b = &w->rd;
	char why[512];
	int f;

	count(T_READS);
	switch (k) {
	case 0: case 1:
		ret = read_file("procs", b);
		if (ret || !starts_with(b, &procs_header))
			fail(w, T_READS, "procs: %s", ret ? strerror(-ret) :
			     "no header");
		else if (!serial && !buf_eq(b, &base.procs))
			fail(w, T_UNCHANGED, "procs changed: %s",
			     first_diff(b, &base.procs, why, sizeof(why)));
		break;
	case 2:
		ret = read_stats(b);
		if (ret || strncmp(b->p, "name value\n", 11))
			fail(w, T_READS, "stats: %s", ret ? strerror(-ret) :
			     "no header");
		else if (!serial && !buf_eq(b, &base.stats))
			fail(w, T_UNCHANGED, "stats changed: %s",
			     first_diff(b, &base.stats, why, sizeof(why)));
		break;
	case 3:
		ret = read_file("classes", b);
		if (ret || !buf_eq(b, &classes_ref))
			fail(w, T_READS, "classes: %s", ret ? strerror(-ret) :
			     first_diff(b, &classes_ref, why, sizeof(why)));
		break;
	case 4:
		ret = read_file("probes", b);
		if (!ret)
			strip_nmissed(b, &w->tmp);
		if (ret || !buf_eq(&w->tmp, &probes_ref))
			fail(w, T_READS, "probes: %s", ret ? strerror(-ret) :
			     first_diff(&w->tmp, &probes_ref, why,
					sizeof(why)));
		break;
	case 5:
		/* Root may open it for reading; it has no read. */
		ret = read_file("control", b);
		if (ret != -EINVAL)
			fail(w, T_READS, "control: read gave %s, want EINVAL",
			     ret ? strerrorname_np(-ret) : "data");
		break;
	case 6: case 7: case 8: case 9:
		/* The default: whatever was selected last, anywhere. */
		f = k < 8 ? F_VMAS : F_PAGES;
		fd = open_file(f, O_RDONLY);
		ret = fd < 0 ? -errno : pread_all(fd, b);
		if (fd >= 0)
			close(fd);
		if (ret || !shows_any(f, b, serial, &w->tmp))
			fail(w, T_READS, "%s, opened without a write: %s",
			     fname[f], ret ? strerror(-ret) :
			     "no process's text");
		break;
	default:
		f = below(w, 2);
		k = below(w, 2);
		check_fd(w, T_SELECT, f + F_VMAS, w->sfd[f][k], w->sel[f][k],
			 serial, "own descriptor");
		break;
	}
}

/*
 * A write to one of our own descriptors of vmas or pages, then check it;
 * @serial: the serial thread, which keeps the default's model.
 */
static void write_own(struct worker *w, int f, bool serial)
{
	int k = below(w, 2), i = f - F_VMAS;
	long want, got, pid;

	gen_write(w, f, false);
	want = expect_write(f, w->wptr, w->wlen, w->readable, &pid);
	if (chance(w, 64)) {	/* now and then a new descriptor */
		close(w->sfd[i][k]);
		w->sfd[i][k] = open_file(f, O_RDWR);
		if (want < 0) {
			/* It shows the default: give it its own pid first. */
			char s[16];
			pid_t p = pick(w, C_REF);

			snprintf(s, sizeof(s), "%d", p);
			if (do_write(w->sfd[i][k], s, strlen(s)) < 0)
				fail(w, T_SELECT, "select %d: failed", p);
			w->sel[i][k] = p;
			if (serial)
				def_pid = p;
		}
	}
	got = do_write(w->sfd[i][k], w->wptr, w->wlen);
	check_write(w, f, want, got);
	if (want >= 0)
		w->sel[i][k] = pid;
	if (want >= 0 && serial)
		def_pid = pid;
	check_fd(w, T_SELECT, f, w->sfd[i][k], w->sel[i][k], false,
		 want >= 0 ? "after an accepted write, own descriptor" :
		 "after a rejected write, own descriptor");
}

/* The descriptors all threads write: a read shows one process, whole. */
static void write_shared(struct worker *w, int f)
{
	int fd = shared_fd[f - F_VMAS], i;
	long want, got, pid;
	struct buf *b = &w->rd;
	ssize_t n;

	do {
		gen_write(w, f, true);
		want = expect_write(f, w->wptr, w->wlen, w->readable, &pid);
	} while (want >= 0 && !ref_of(pid));
	got = do_write(fd, w->wptr, w->wlen);
	check_write(w, f, want, got);
	/* One read from 0: a whole number of lines of one process's file. */
	buf_need(b, 1 << 20);
	n = pread(fd, b->p, b->cap - 1, 0);
	count(T_SHARED);
	if (n <= 0 || b->p[n - 1] != '\n') {
		fail(w, T_SHARED, "shared %s: read gave %zd%s", fname[f], n,
		     n > 0 ? " bytes, not whole lines" : "");
		return;
	}
	for (i = 0; i < base.nref; i++) {
		const struct buf *r = f == F_VMAS ? &base.ref[i].vmas :
				      &base.ref[i].pages;

		if ((size_t)n <= r->len && !memcmp(b->p, r->p, n))
			return;
	}
	fail(w, T_SHARED, "shared %s: %zd bytes that are no process's: \"%.*s\"",
	     fname[f], n, (int)strcspn(b->p + strcspn(b->p, "\n") + 1, "\n"),
	     b->p + strcspn(b->p, "\n") + 1);
}

/* Concurrent phase: one write (control only ones that must fail). */
static void conc_step(struct worker *w)
{
	int f = below(w, 3), tries = 0;
	long want, got, pid;

	if (f != F_CONTROL) {
		if (chance(w, 8))
			write_shared(w, f);
		else
			write_own(w, f, false);
	} else {
		do {
			gen_write(w, F_CONTROL, false);
			want = expect_write(F_CONTROL, w->wptr, w->wlen,
					    w->readable, &pid);
		} while (want >= 0 && ++tries < 50);
		if (want >= 0)
			return;
		got = do_write(w->cfd, w->wptr, w->wlen);
		check_write(w, F_CONTROL, want, got);
	}
	w->n++;
	if (chance(w, 2))
		read_one(w, false);
}

/* Serial phase: a control write and what it did, exactly. */
static void serial_control(struct worker *w)
{
	static struct buf want_procs;
	long want, got, pid;
	char d[512];
	bool check_all;
	int i, ret;

	gen_write(w, F_CONTROL, false);
	want = expect_write(F_CONTROL, w->wptr, w->wlen, w->readable, &pid);
	got = do_write(w->cfd, w->wptr, w->wlen);
	check_write(w, F_CONTROL, want, got);
	if (want >= 0) {
		reset_procs(&base.procs, &want_procs, pid);
		w->resets++;
	} else {
		buf_set(&want_procs, base.procs.p, base.procs.len);
	}
	ret = read_file("procs", &w->rd);
	count(want >= 0 ? T_RESET : T_UNCHANGED);
	if (ret || !buf_eq(&w->rd, &want_procs))
		fail(w, want >= 0 ? T_RESET : T_UNCHANGED,
		     "after \"%s\" (%ld): procs %s",
		     show(w->wptr, w->wlen, w->readable, d, 100), got,
		     ret ? strerror(-ret) :
		     first_diff(&w->rd, &want_procs, d + 100, sizeof(d) - 100));
	if (!ret)
		buf_set(&base.procs, w->rd.p, w->rd.len);
	check_all = want >= 0 || chance(w, 8);
	for (i = 0; check_all && i < base.nref; i++) {
		struct ref *r = &base.ref[i];
		int test = want >= 0 && (!pid || pid == r->pid) ? T_RESET :
			   T_UNCHANGED;

		if (test == T_RESET) {
			reset_vmas(&r->vmas, &w->tmp);
			buf_set(&r->vmas, w->tmp.p, w->tmp.len);
			reset_pages(&r->pages, &w->tmp);
			buf_set(&r->pages, w->tmp.p, w->tmp.len);
		}
		/* read_selected() moves the default: tell the model. */
		ret = read_selected(F_VMAS, r->pid, &w->rd);
		count(test);
		if (ret || !buf_eq(&w->rd, &r->vmas))
			fail(w, test, "after \"%s\": vmas of %d: %s",
			     show(w->wptr, w->wlen, w->readable, d, 100),
			     r->pid, ret ? strerror(-ret) :
			     first_diff(&w->rd, &r->vmas, d + 100, 400));
		ret = read_selected(F_PAGES, r->pid, &w->rd);
		if (ret || !buf_eq(&w->rd, &r->pages))
			fail(w, test, "after \"%s\": pages of %d: %s",
			     show(w->wptr, w->wlen, w->readable, d, 100),
			     r->pid, ret ? strerror(-ret) :
			     first_diff(&w->rd, &r->pages, d + 100, 400));
		def_pid = r->pid;
	}
	if (!check_all)
		return;
	ret = read_stats(&w->rd);
	if (want >= 0 && !pid) {
		static const char *const zeroed[] = {
			"\nprocs_dropped 0\n", "\nevents_dropped 0\n",
			"\nevents_unattributed 0\n", "\npages_tracked 0\n",
		};

		for (i = 0; i < 4; i++)
			if (ret || !strstr(w->rd.p, zeroed[i]))
				fail(w, T_RESET, "after reset: stats: no \"%s\"",
				     zeroed[i] + 1);
	} else if (want < 0 && (ret || !buf_eq(&w->rd, &base.stats))) {
		fail(w, T_UNCHANGED, "after \"%s\": stats %s",
		     show(w->wptr, w->wlen, w->readable, d, 100),
		     ret ? strerror(-ret) :
		     first_diff(&w->rd, &base.stats, d + 100, 400));
	}
	if (!ret)
		buf_set(&base.stats, w->rd.p, w->rd.len);
	if (want >= 0)
		set_tracked(&base.procs);
}

/* Serial phase: a vmas or pages write; its descriptor and the default. */
static void serial_select(struct worker *w, int f)
{
	int g, fd;

	write_own(w, f, true);
	for (g = F_VMAS; g <= F_PAGES; g++) {
		fd = open_file(g, O_RDONLY);
		check_fd(w, T_SELECT, g, fd, def_pid, false,
			 "the default (a descriptor opened without a write)");
		close(fd);
	}
}

static void serial_step(struct worker *w)
{
	int f = below(w, 3);

	if (f == F_CONTROL)
		serial_control(w);
	else
		serial_select(w, f);
	w->n++;
	if (chance(w, 4))
		read_one(w, false);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	for (;;) {
		pthread_barrier_wait(&bar_start);
		if (phase == PH_QUIT)
			break;
		w->rng = seed ^ ((unsigned long long)round_no << 32) ^
			 ((unsigned long long)phase << 24) ^ (unsigned long long)w->id;
		rnd(w);
		w->n = 0;
		if (phase == PH_CONC) {
			for (i = 0; i < quota_conc; i++)
				conc_step(w);
		} else if (w->id == 0) {
			for (i = 0; i < quota_serial; i++)
				serial_step(w);
			__atomic_store_n(&serial_done, 1, __ATOMIC_RELEASE);
		} else {
			/* Paced: the serial thread is the one with work. */
			while (!__atomic_load_n(&serial_done, __ATOMIC_ACQUIRE)) {
				read_one(w, true);
				usleep(2000);
			}
		}
		pthread_barrier_wait(&bar_end);
	}
	return NULL;
}

/* ---- main ---- */

static long read_long(const char *path)
{
	char s[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, s, sizeof(s) - 1) < 0)
			s[0] = '\0';
		close(fd);
	}
	return strtol(s, NULL, 10);
}

/* vmas and pages before anything selected a pid: -EINVAL. */
static void test_unselected(void)
{
	struct buf b = { NULL, 0, 0 };
	bool ok = true;
	int f, fd, ret;

	for (f = F_VMAS; f <= F_PAGES; f++) {
		fd = open_file(f, O_RDONLY);
		ret = fd < 0 ? -errno : pread_all(fd, &b);
		if (fd >= 0)
			close(fd);
		if (ret != -EINVAL) {
			printf("# %s: read gave %s, want EINVAL\n", fname[f],
			       ret ? strerrorname_np(-ret) : "a table");
			ok = false;
		}
	}
	free(b.p);
	ktap_result(ok, "vmas and pages before any pid is selected: a read fails with EINVAL");
}

/* Select @pid on descriptor @fd: the write's result. */
static long select_pid(int fd, pid_t pid)
{
	char s[16];

	snprintf(s, sizeof(s), "%d\n", pid);
	return do_write(fd, s, strlen(s));
}

/*
 * A descriptor on a process that is then killed and reaped reads -ESRCH,
 * its pid written anew is -ESRCH, and cowlab still has its row (exited):
 * "reset PID" takes it.
 */
static bool test_dead(void)
{
	pid_t old = tg[0].child;
	struct buf b = { NULL, 0, 0 };
	int fd = open_file(F_VMAS, O_RDWR), fd2 = open_file(F_PAGES, O_RDWR);
	int cfd = open_file(F_CONTROL, O_WRONLY);
	long r1, r2, r3, r4;
	char s[32];
	bool ok;

	r1 = select_pid(fd, old);
	if (target_cmd(&tg[0]))
		return false;
	wf[old] = W_DEAD;
	r2 = pread_all(fd, &b);
	r3 = select_pid(fd2, old);
	snprintf(s, sizeof(s), "reset %d", old);
	r4 = do_write(cfd, s, strlen(s));
	ok = r1 > 0 && r2 == -ESRCH && r3 == -ESRCH && r4 == (long)strlen(s);
	if (!ok)
		printf("# pid %d: select %ld; dead: read %ld, select %ld (want %d), \"%s\" %ld\n",
		       old, r1, r2, r3, -ESRCH, s, r4);
	close(fd);
	close(fd2);
	close(cfd);
	free(b.p);
	return ok;
}

static int first_line(struct buf *dst, const struct buf *src)
{
	size_t l = strcspn(src->p, "\n");

	if (!src->p[l])
		return -1;
	buf_set(dst, src->p, l + 1);
	return 0;
}

/* Our [stack] VMA's start, as it opens a line of vmas and of pages. */
static int find_self_stack(void)
{
	struct buf b = { NULL, 0, 0 };
	char *p;
	int ret = read_path("/proc/self/maps", &b);

	p = ret ? NULL : strstr(b.p, "[stack]");
	while (p && p > b.p && p[-1] != '\n')
		p--;
	if (p)
		snprintf(self_stack, sizeof(self_stack), "\n%lx ",
			 strtoul(p, NULL, 16));
	free(b.p);
	return p ? 0 : -1;
}

static int setup_workers(struct worker *ws)
{
	pthread_attr_t attr;
	int i, f, k;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &ws[i];

		w->id = i;
		buf_need(&w->rd, 1 << 20);
		buf_need(&w->tmp, 1 << 20);
		w->guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->guard == MAP_FAILED ||
		    mprotect(w->guard + PAGE, PAGE, PROT_NONE))
			return -1;
		memset(w->guard, 0, PAGE);
		w->cfd = open_file(F_CONTROL, O_WRONLY);
		for (f = 0; f < 2; f++) {
			for (k = 0; k < 2; k++) {
				pid_t p = tg[(i + f + k) % NTARGETS].pid;

				w->sfd[f][k] = open_file(F_VMAS + f, O_RDWR);
				if (select_pid(w->sfd[f][k], p) < 0)
					return -1;
				w->sel[f][k] = p;
			}
		}
		if (w->cfd < 0 ||
		    pthread_create(&w->th, &attr, worker_main, w))
			return -1;
	}
	return 0;
}

static int setup(struct worker *ws)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	if (read_file("classes", &classes_ref) || read_file("probes", &b))
		return -1;
	strip_nmissed(&b, &probes_ref);
	if (read_file("procs", &b) || first_line(&procs_header, &b))
		return -1;
	for (i = 0; i < NTARGETS; i++)
		if (target_start(&tg[i], 8 + 8 * i))
			return -1;
	if (read_selected(F_VMAS, tg[0].pid, &b) || first_line(&vmas_header, &b) ||
	    read_selected(F_PAGES, tg[0].pid, &b) || first_line(&pages_header, &b))
		return -1;
	free(b.p);
	for (i = 0; i < 2; i++) {
		shared_fd[i] = open_file(F_VMAS + i, O_RDWR);
		if (shared_fd[i] < 0)
			return -1;
	}
	if (pthread_barrier_init(&bar_start, NULL, nworkers + 1) ||
	    pthread_barrier_init(&bar_end, NULL, nworkers + 1) ||
	    setup_workers(ws))
		return -1;
	/* From here on nothing of ours faults: no copy-on-write of our own. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) || find_self_stack())
		return -1;
	for (i = 0; i < NTARGETS; i++)
		if (asleep(tg[i].pid) || asleep(tg[i].child))
			return -1;
	if (scan_world() || quiesce(&base))
		return -1;
	set_tracked(&base.procs);
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Run both phases of a round, and compare the snapshots after each. */
static void run_round(struct worker *ws, int r)
{
	static struct snap s;
	unsigned long resets = ws[0].resets;
	double t0 = now(), t1, t2, t3;
	int i, fd;

	round_no = r;
	for (i = 0; i < 2; i++)
		if (select_pid(shared_fd[i], tg[r % NTARGETS].pid) < 0)
			fail(NULL, T_SHARED, "select %d: failed", tg[0].pid);
	phase = PH_CONC;
	pthread_barrier_wait(&bar_start);
	pthread_barrier_wait(&bar_end);
	t1 = now();
	count(T_UNCHANGED);
	if (take_snap(&s) ||
	    !snap_eq(&s, &base, "after the concurrent phase", T_UNCHANGED)) {
		snap_copy(&base, &s);
		set_tracked(&base.procs);
	}

	/* The serial thread's model of the default starts here. */
	fd = open_file(F_VMAS, O_RDWR);
	if (select_pid(fd, tg[r % NTARGETS].pid) < 0)
		fail(NULL, T_SELECT, "select %d: failed", tg[0].pid);
	close(fd);
	def_pid = tg[r % NTARGETS].pid;
	serial_done = 0;
	phase = PH_SERIAL;
	t2 = now();
	pthread_barrier_wait(&bar_start);
	pthread_barrier_wait(&bar_end);
	t3 = now();
	count(T_RESET);
	if (take_snap(&s) ||
	    !snap_eq(&s, &base, "after the serial phase (its model)", T_RESET)) {
		snap_copy(&base, &s);
		set_tracked(&base.procs);
	}
	/* Counts to reset again, and more reaped pids. */
	if ((ws[0].resets != resets || r % 5 == 4) && regen())
		fail(NULL, T_SETUP, "new copies in the targets: failed");
	t_conc += t1 - t0;
	t_serial += t3 - t2;
	t_between += now() - t3 + t2 - t1;
}

static void report(struct worker *ws, int rounds, double secs)
{
	unsigned long out[NWFILES][NOUT] = { { 0 } }, total = 0, resets = 0;
	int i, f, o;

	for (i = 0; i < nworkers; i++) {
		resets += ws[i].resets;
		for (f = 0; f < NWFILES; f++)
			for (o = 0; o < NOUT; o++)
				out[f][o] += ws[i].out[f][o];
	}
	for (f = 0; f < NWFILES; f++) {
		unsigned long n = 0;

		for (o = 0; o < NOUT; o++)
			n += out[f][o];
		total += n;
		ktap_result(!fails[T_WCONTROL + f] && n,
			    "%s: %lu writes (%lu accepted, %lu EINVAL, %lu ESRCH, %lu EFAULT, %lu other), each as docs/debugfs.md says",
			    fname[f], n, out[f][O_OK], out[f][O_EINVAL],
			    out[f][O_ESRCH], out[f][O_EFAULT], out[f][O_OTHER]);
	}
	ktap_result(!fails[T_UNCHANGED] && checks[T_UNCHANGED],
		    "rejected writes changed nothing: procs, stats, vmas and pages (%lu checks, %d rounds)",
		    checks[T_UNCHANGED], rounds);
	ktap_result(!fails[T_RESET] && resets,
		    "reset and reset PID did exactly what they do to procs, stats, vmas and pages (%lu resets, %lu checks)",
		    resets, checks[T_RESET]);
	ktap_result(!fails[T_SELECT] && checks[T_SELECT],
		    "each descriptor's pid and the default followed the accepted writes only (%lu checks)",
		    checks[T_SELECT]);
	ktap_result(!fails[T_SHARED] && checks[T_SHARED],
		    "descriptors written by %d threads at once: each read showed one selected process (%lu reads)",
		    nworkers, checks[T_SHARED]);
	ktap_result(!fails[T_READS] && checks[T_READS],
		    "reads of every file between the writes: each the expected text or errno (%lu reads)",
		    checks[T_READS]);
	ktap_result(!fails[T_SETUP] && total >= (unsigned long)iters,
		    "%lu writes (at least %ld) in %.1f s, seed 0x%llx",
		    total, iters, secs, seed);
}

int main(int argc, char **argv)
{
	static struct worker ws[MAXWORKERS];
	unsigned long per_round;
	struct timespec t0, t1;
	const char *env;
	int opt, i, rounds;
	bool ok;

	if (argc == 3 && !strcmp(argv[1], "--target"))
		return target_main(strtoul(argv[2], NULL, 0));
	env = getenv("COWLAB_T_FUZZ_ITERS");
	if (env && *env)
		iters = strtol(env, NULL, 0);
	env = getenv("COWLAB_T_FUZZ_SEED");
	if (env && *env)
		seed = strtoull(env, NULL, 0);
	while ((opt = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (opt) {
		case 'n':
			iters = strtol(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			nworkers = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: fuzz [-n WRITES] [-s SEED] [-t THREADS]\n");
			return 2;
		}
	}
	if (iters < 1 || nworkers < 2 || nworkers > MAXWORKERS) {
		fprintf(stderr, "fuzz: need WRITES >= 1 and 2 <= THREADS <= %d\n",
			MAXWORKERS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_plan(NTESTS);
	printf("# seed 0x%llx, %ld writes, %d threads\n", seed, iters, nworkers);
	printf("# to replay: COWLAB_T_FUZZ_SEED=0x%llx COWLAB_T_FUZZ_ITERS=%ld\n",
	       seed, iters);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_start = t0.tv_sec + t0.tv_nsec / 1e9;
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	self_pid = getpid();
	pid_max = read_long("/proc/sys/kernel/pid_max");
	wf = calloc(pid_max + 2, 1);
	if (pid_max < 300 || !wf) {
		printf("# pid_max %d?\n", pid_max);
		return 1;
	}

	test_unselected();
	ok = !setup(ws);
	if (ok)
		printf("# %d to select; %d threads, %d zombies, %d kthreads, %d tracked\n",
		       nlist[C_REF], nlist[C_TID], nlist[C_ZOMBIE],
		       nlist[C_KTHREAD], nlist[C_TRACKED]);
	ktap_result(ok && !fails[T_SETUP],
		    "setup: %d processes that fork and write, %d threads, a quiescent snapshot",
		    NTARGETS, nworkers);
	if (!ok) {
		for (i = T_SETUP + 1; i < NTESTS; i++)
			ktap_result(false, "not run: setup failed");
		return ktap_finish();
	}

	per_round = iters < 2000 ? iters : 2000;
	quota_serial = per_round / 5 ? per_round / 5 : 1;
	quota_conc = (per_round - quota_serial + nworkers - 1) / nworkers;
	rounds = (iters + per_round - 1) / per_round;
	for (i = 0; i < rounds; i++) {
		run_round(ws, i);
		if ((i + 1) % 10 == 0 && i + 1 < rounds)
			printf("# round %d of %d done, %.1f s\n", i + 1, rounds,
			       now() - t_start);
	}
	phase = PH_QUIT;
	pthread_barrier_wait(&bar_start);
	for (i = 0; i < nworkers; i++)
		pthread_join(ws[i].th, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %.1f s concurrent, %.1f s serial, %.1f s snapshots and new copies\n",
	       t_conc, t_serial, t_between);
	report(ws, rounds, (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ok = test_dead();
	ktap_result(ok, "a process killed since: read and select ESRCH, reset PID ok");
	for (i = 0; i < NTARGETS; i++) {
		if (write(tg[i].cmd, "q", 1) == 1)
			waitpid(tg[i].pid, NULL, 0);
	}
	return ktap_finish();
}
