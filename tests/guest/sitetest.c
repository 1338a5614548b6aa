// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 13, sites and symbols: a child writes K1 pages of a region shared
 * with its parent in one function, K2 in a second, and K3 pages of a
 * zero-page region in a third; then the parent writes one more page
 * through /proc/CHILD/mem.  The sites file must hold, for addresses inside
 * each function (which sits in a section of its own, so the test knows
 * where it starts and ends), exactly the events procs counted while it ran
 * (K1 cow_copy, K2 cow_copy, K3 cow_zero with THP off), the remote write as
 * a task:COMM row, and rows that add up to the child's procs counts;
 * `cowlab sites` must name the three functions.  Then bad input, the sites
 * of an exited process, and reset.
 *
 * Usage: sitetest [--thp]   (--thp: the regions are transparent huge pages)
 */
#define _GNU_SOURCE
#include <ctype.h>

#include "ktap.h"
#include "testlib.h"

#define K1	5
#define K2	7
#define K3	9
#define SITES	COWLAB_DEBUGFS "/sites"

/* Each writer in its own section: __start_/__stop_ say where it lies. */
#define WRITER(sec)	__attribute__((noinline, noclone, used, section(#sec)))

WRITER(sitetest_first) void sites_write_first(volatile char *p, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

WRITER(sitetest_second) void sites_write_second(volatile char *p,
						unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		p[i * PAGE] = 2;
}

WRITER(sitetest_zero) void sites_write_zero(volatile char *p, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		p[i * PAGE] = 3;
}

extern char __start_sitetest_first[], __stop_sitetest_first[];
extern char __start_sitetest_second[], __stop_sitetest_second[];
extern char __start_sitetest_zero[], __stop_sitetest_zero[];

static const struct writer {
	const char *name;
	const char *start, *stop;
} writers[3] = {
	{ "sites_write_first", __start_sitetest_first, __stop_sitetest_first },
	{ "sites_write_second", __start_sitetest_second, __stop_sitetest_second },
	{ "sites_write_zero", __start_sitetest_zero, __stop_sitetest_zero },
};

/* A row of the sites file. */
struct site {
	char name[64];			/* the site column */
	unsigned long long ip;		/* if it is an address */
	bool is_ip;
	int ev;
	long long count;
};

struct sites {
	struct site v[128];
	int n;
	bool header_ok;
};

static int ev_index(const char *name)
{
	int i;

	for (i = 0; i < NR_EV; i++)
		if (!strcmp(ev_names[i], name))
			return i;
	return -1;
}

static int sites_write(const char *what, int *fdp)
{
	return pid_file_select(SITES, what, fdp);
}

/* Read the sites of @pid into @s: 0, or -errno. */
static int sites_read(pid_t pid, struct sites *s)
{
	char text[16384], *line, *save;
	int err;

	memset(s, 0, sizeof(*s));
	err = pid_file_read(SITES, pid, text, sizeof(text));
	if (err)
		return err;
	line = strtok_r(text, "\n", &save);
	s->header_ok = line && !strcmp(line, "site class count");
	while ((line = strtok_r(NULL, "\n", &save)) &&
	       s->n < (int)(sizeof(s->v) / sizeof(s->v[0]))) {
		struct site *r = &s->v[s->n];
		char cls[32];
		char *end;

		if (sscanf(line, "%63s %31s %lld", r->name, cls, &r->count) != 3 ||
		    (r->ev = ev_index(cls)) < 0) {
			printf("# sites: bad line \"%s\"\n", line);
			return -EPROTO;
		}
		r->ip = strtoull(r->name, &end, 16);
		r->is_ip = isxdigit((unsigned char)r->name[0]) && !*end;
		s->n++;
	}
	return 0;
}

/* Per class, what the rows in [@lo, @hi) (or named @name) add up to. */
static void sites_sum(const struct sites *s, const char *lo, const char *hi,
		      const char *name, long long *sum)
{
	int i;

	memset(sum, 0, NR_EV * sizeof(*sum));
	for (i = 0; i < s->n; i++) {
		const struct site *r = &s->v[i];

		if (name ? !strcmp(r->name, name) :
		    lo ? r->is_ip && r->ip >= (uintptr_t)lo &&
			 r->ip < (uintptr_t)hi : true)
			sum[r->ev] += r->count;
	}
}

/* Are @sum and @b - @a the same in every class?  Say where not. */
static bool same(const char *what, const long long *sum,
		 const struct counts *a, const struct counts *b)
{
	bool ok = true;
	int i;

	for (i = 0; i < NR_EV; i++) {
		long long want = b->ev[i] - (a ? a->ev[i] : 0);

		if (sum[i] != want) {
			printf("# %s: %s %lld in sites, %lld in procs\n", what,
			       ev_names[i], sum[i], want);
			ok = false;
		}
	}
	return ok;
}

static void show_sites(const struct sites *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		printf("#   %s %s %lld\n", s->v[i].name, ev_names[s->v[i].ev],
		       s->v[i].count);
}

static int p2c[2], c2p[2];

static void child(volatile char *a, volatile char *z, unsigned long zpages)
{
	volatile char sink = 0;
	unsigned long i;
	char cmd;

	prefault_stack();
	for (i = 0; i < zpages; i++)
		sink += z[i * PAGE];	/* map the zero page */
	(void)sink;
	for (;;) {
		if (read(p2c[0], &cmd, 1) != 1)
			_exit(1);
		if (cmd == '1')
			sites_write_first(a, K1);
		else if (cmd == '2')
			sites_write_second(a + K1 * PAGE, K2);
		else if (cmd == '3')
			sites_write_zero(z, K3);
		if (write(c2p[1], &cmd, 1) != 1)
			_exit(1);
		/* Acknowledged first: the parent holds c2p[1] too, no EOF. */
		if (cmd == 'q')
			_exit(0);
	}
}

/* Tell the child @cmd and wait for it to be done. */
static bool ask(char cmd)
{
	char ack;

	return write(p2c[1], &cmd, 1) == 1 && read(c2p[0], &ack, 1) == 1 &&
	       ack == cmd;
}

/* A region of @bytes, 2 MiB aligned, THP on or off. */
static char *region(size_t bytes, bool thp)
{
	char *p = mmap(NULL, bytes + HPAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(p, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return NULL;
	return p;
}

/* Run `cowlab sites ARGS` into @out: its exit status, or -1. */
static int reader(const char *args, char *out, size_t size)
{
	char cmd[128];
	size_t n = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "cowlab sites %s 2>&1", args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void show_text(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *e = strchrnul(p, '\n');

		printf("#   %.*s\n", (int)(e - p), p);
		p = *e ? e + 1 : e;
	}
}

/* Does a line of @text hold @a, @b and @c as words? */
static bool has_line(const char *text, const char *a, const char *b,
		     const char *c)
{
	const char *p = text;

	while (*p) {
		const char *e = strchrnul(p, '\n');
		char line[512];

		snprintf(line, sizeof(line), " %.*s ", (int)(e - p), p);
		if (strstr(line, a) && (!b || strstr(line, b)) &&
		    (!c || strstr(line, c)))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

int main(int argc, char **argv)
{
	bool thp = argc > 1 && !strcmp(argv[1], "--thp");
	const char *mode = thp ? "THP" : "no THP";
	size_t abytes = thp ? HPAGE : (K1 + K2 + 1) * PAGE;
	size_t zbytes = thp ? HPAGE : K3 * PAGE;
	struct counts c[5];
	struct sites s;
	long long sum[NR_EV];
	char *a, *z, buf[64], out[8192], word[96];
	bool thp_backed = false;
	unsigned long remote = K1 + K2;
	pid_t pid;
	int i, fd, err, st;

	ktap_plan(14);
	if (thp && strcmp(thp_mode(), "never")) {
		printf("# THP enabled: %s\n", thp_mode());
	} else if (thp) {
		for (i = 0; i < 14; i++)
			ktap_skip_test("THP is off in this kernel (enabled = never)",
				       "sites %d", i + 1);
		return ktap_finish();
	}
	if (load_classes()) {
		ktap_result(0, "classes readable");
		return ktap_finish();
	}
	a = region(abytes, thp);
	z = region(zbytes, thp);
	if (!a || !z || pipe(p2c) || pipe(c2p)) {
		ktap_result(0, "set-up: %s", strerror(errno));
		return ktap_finish();
	}
	memset(a, 0x5a, abytes);
	if (thp)
		thp_backed = smaps_field(getpid(), (unsigned long)a,
					 "AnonHugePages") >= 2048;
	printf("# %s: shared region %p (%zu KiB%s), zero region %p; writers at %p, %p, %p\n",
	       mode, a, abytes >> 10, thp_backed ? ", a THP" : "", z,
	       writers[0].start, writers[1].start, writers[2].start);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ktap_result(0, "fork: %s", strerror(errno));
		return ktap_finish();
	}
	if (pid == 0)
		child(a, z, zbytes / PAGE);
	/* A first round trip breaks the COWs the handshake itself needs. */
	if (!ask('w') || !snap_ok(pid, &c[0]) || !ask('1') ||
	    !snap_ok(pid, &c[1]) || !ask('2') || !snap_ok(pid, &c[2]) ||
	    !ask('3') || !snap_ok(pid, &c[3])) {
		ktap_result(0, "%s: the child ran its three writers", mode);
		kill(pid, SIGKILL);
		return ktap_finish();
	}
	snprintf(buf, sizeof(buf), "/proc/%d/mem", pid);
	fd = open(buf, O_RDWR);
	err = fd < 0 ? -errno :
	      pwrite(fd, "r", 1, (off_t)(uintptr_t)(a + remote * PAGE)) == 1 ?
	      0 : -errno;
	if (fd >= 0)
		close(fd);
	if (err || !snap_ok(pid, &c[4])) {
		ktap_result(0, "%s: a write through /proc/%d/mem: %s", mode,
			    pid, strerror(-err));
		kill(pid, SIGKILL);
		return ktap_finish();
	}

	err = sites_read(pid, &s);
	ktap_result(!err && s.header_ok && s.n > 0,
		    "%s: sites of the child readable, header \"site class count\", %d rows",
		    mode, s.n);
	show_sites(&s);

	/*
	 * The memory of the tables (docs/debugfs.md): 936 bytes each, 1,024
	 * as allocated; lock debugging (lockdep) makes the lock bigger.
	 */
	{
		unsigned long long on = 0, tables = 0, bytes = 0, mem = 0;
		unsigned long long dropped = 1;
		bool lockdep = !access("/proc/lockdep", F_OK);
		bool ok = stat_value("sites_on", &on) &&
			  stat_value("sites_tables", &tables) &&
			  stat_value("sites_table_bytes", &bytes) &&
			  stat_value("sites_memory_bytes", &mem) &&
			  stat_value("sites_dropped", &dropped);

		ok = ok && on == 1 && tables >= 1 && dropped == 0 &&
		     (lockdep || (bytes == 936 && mem == tables * 1024));
		ktap_result(ok, "%s: stats: sites_on %llu, sites_tables %llu, sites_table_bytes %llu, sites_memory_bytes %llu, sites_dropped %llu (want 1, >= 1, 936, tables x 1024, 0%s)",
			    mode, on, tables, bytes, mem, dropped,
			    lockdep ? "; sizes not checked under lockdep" : "");
	}

	/* Each writer: its rows hold what procs counted while it ran. */
	for (i = 0; i < 3; i++) {
		const struct writer *w = &writers[i];
		long long want = i == 0 ? K1 : i == 1 ? K2 : K3;
		bool ok;

		sites_sum(&s, w->start, w->stop, NULL, sum);
		ok = same(w->name, sum, &c[i], &c[i + 1]);
		if (i < 2) {
			ok = ok && sum[EV_COW_COPY] == want &&
			     sum[EV_THP_SPLIT] == (i == 0 && thp_backed);
		} else if (!thp) {
			ok = ok && sum[EV_COW_ZERO] == want;
		} else {
			/* 7.x maps a new THP (one thp_zero); older kernels split. */
			ok = ok && (sum[EV_COW_ZERO] == want) !=
				   (sum[EV_THP_ZERO] == 1);
		}
		ktap_result(ok, "%s: %s [%p, %p): cow_copy %lld, cow_zero %lld, thp_split %lld, thp_zero %lld (want %s %lld)",
			    mode, w->name, w->start, w->stop, sum[EV_COW_COPY],
			    sum[EV_COW_ZERO], sum[EV_THP_SPLIT],
			    sum[EV_THP_ZERO], i < 2 ? "cow_copy" : "cow_zero",
			    want);
	}

	/* The remote write: one row, named by the writer's comm. */
	sites_sum(&s, NULL, NULL, "task:sitetest", sum);
	ktap_result(same("task:sitetest", sum, &c[3], &c[4]) &&
		    sum[EV_COW_COPY] == 1,
		    "%s: the write through /proc/PID/mem is row task:sitetest, cow_copy %lld (want 1)",
		    mode, sum[EV_COW_COPY]);

	sites_sum(&s, NULL, NULL, NULL, sum);
	ktap_result(same("all rows", sum, NULL, &c[4]),
		    "%s: the rows add up to the child's counts in procs (cow_copy %lld)",
		    mode, sum[EV_COW_COPY]);

	/* The reader names the three functions, with a source line. */
	snprintf(buf, sizeof(buf), "%d", pid);
	st = reader(buf, out, sizeof(out));
	{
		bool ok = st == 0;

		for (i = 0; i < 3; i++) {
			char cnt[24];

			snprintf(word, sizeof(word), " %s+0x", writers[i].name);
			snprintf(cnt, sizeof(cnt), " %d ",
				 i == 0 ? K1 : i == 1 ? K2 : K3);
			if (!has_line(out, word, "sitetest.c:",
				      i < 2 || !thp ? cnt : NULL))
				ok = false;
		}
		ok = ok && has_line(out, " task:sitetest ", " cow_copy ", NULL);
		ktap_result(ok, "%s: cowlab sites %d names the three writers (function+offset, sitetest.c:LINE) and task:sitetest",
			    mode, pid);
		show_text(out);
	}

	/* Bad input. */
	ktap_result(sites_write("abc\n", NULL) == -EINVAL &&
		    sites_write("0\n", NULL) == -EINVAL &&
		    sites_write("-5\n", NULL) == -EINVAL &&
		    sites_write("12x\n", NULL) == -EINVAL &&
		    sites_write("1 2\n", NULL) == -EINVAL,
		    "%s: garbage written to sites is EINVAL", mode);
	ktap_result(sites_write("2147483647\n", NULL) == -ESRCH &&
		    sites_write("2\n", NULL) == -ESRCH,
		    "%s: an unknown pid, and a kernel thread (kthreadd), are ESRCH",
		    mode);

	/* The child exits: its sites stay, and the reader says why raw. */
	ask('q');
	waitpid(pid, NULL, 0);
	{
		struct sites after;
		long long sum2[NR_EV];

		err = sites_read(pid, &after);
		sites_sum(&after, NULL, NULL, NULL, sum2);
		ktap_result(!err && same("after exit", sum2, NULL, &c[4]),
			    "%s: the sites of the exited child are kept: %s",
			    mode, err ? strerror(-err) : "same sums");
	}
	snprintf(buf, sizeof(buf), "%d", pid);
	st = reader(buf, out, sizeof(out));
	ktap_result(st == 0 && strstr(out, "exited") &&
		    !strstr(out, "sites_write_first+"),
		    "%s: cowlab sites of the exited child prints raw addresses and says it exited",
		    mode);
	show_text(out);

	/* reset PID empties them. */
	snprintf(buf, sizeof(buf), "reset %d\n", pid);
	fd = open(COWLAB_DEBUGFS "/control", O_WRONLY);
	err = fd < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf) ?
	      -errno : 0;
	if (fd >= 0)
		close(fd);
	/* An exited process with nothing kept is not known any more. */
	ktap_result(!err && snap_ok(pid, &c[0]) && c[0].ev[EV_COW_COPY] == 0 &&
		    sites_write(buf + 6, NULL) == -ESRCH,
		    "%s: reset %d zeroes its counts and drops its sites (ESRCH)",
		    mode, pid);
	ktap_result(sites_write("1\n", NULL) == 0,
		    "%s: pid 1 (a live process) is accepted", mode);
	return ktap_finish();
}
