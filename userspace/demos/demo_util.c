// SPDX-License-Identifier: GPL-2.0
/*
 * Shared plumbing for the cowlab course demos. See demo_util.h for the
 * contracts and README.md for the output format.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo_util.h"

struct env env;
pid_t demo_pids[WHO_NR];

static const struct demo_info *demo;
static bool in_child;		/* this process is a demo's forked child */
static bool stdin_eof;
static unsigned int step_nr;
static char *default_exec_argv[] = { "/bin/true", NULL };

static const char huge_note[] =
	"--huge: THP may back the region, page counts are not predicted: no '# expect' lines";

/* The checkpoint line a harness compares with cowlab's vmas row */
#define EXPECT_FMT \
	"# expect pid=%d addr=%lx-%lx cow_copy=+%lu cow_zero=+%lu wp_reuse=+%lu resident=%lu shared=%lu exclusive=%lu zero=%lu copied=%lu"

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* stdout is gone (EPIPE): nobody to tell but stderr */
			if (fd != STDERR_FILENO)
				demo_die_errno("write to fd %d", fd);
			_exit(1);
		}
		buf += n;
		len -= n;
	}
}

void demo_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	write_all(STDOUT_FILENO, buf, n);
}

static void __noreturn vdie(int err, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", demo ? demo->name : "demo");
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (err && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	write_all(STDERR_FILENO, buf, n);
	if (in_child)
		_exit(1);
	exit(1);
}

void demo_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(0, fmt, ap);
}

void demo_die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vdie(err, fmt, ap);
}

/* Options */

enum {
	OPT_NO_WAIT = 256,
	OPT_HUGE,
	OPT_NOHUGE,
};

static const struct option long_options[] = {
	{ "pages",	required_argument,	NULL, 'p' },
	{ "steps",	required_argument,	NULL, 's' },
	{ "wait",	no_argument,		NULL, 'w' },
	{ "no-wait",	no_argument,		NULL, OPT_NO_WAIT },
	{ "huge",	no_argument,		NULL, OPT_HUGE },
	{ "nohuge",	no_argument,		NULL, OPT_NOHUGE },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "exec",	required_argument,	NULL, 'e' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

static void __noreturn usage_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fprintf(stderr, "%s: %.*s\nTry '%s --help' for more information.\n",
		demo->name, n, buf, demo->name);
	exit(2);
}

static void print_help(void)
{
	bool loops = demo->flags & DEMO_LOOPS;
	bool exec = demo->flags & DEMO_EXEC;

	printf("Usage: %s [OPTION]...%s\n%s\n\n%s\n\n", demo->name,
	       exec ? " [ARG]..." : "", demo->summary, demo->help);
	printf("Options:\n"
	       "  -p, --pages N      size of the region in 4 KiB pages (default %lu,\n"
	       "                     at least %lu, at most %lu)\n",
	       demo->default_pages, demo->min_pages, DEMO_MAX_PAGES);
	if (loops)
		printf("  -s, --steps N      run N iterations, then exit (default: forever)\n");
	else
		printf("  -s, --steps N      accepted for uniformity; this demo always runs\n"
		       "                     its steps once\n");
	printf("  -w, --wait         at every checkpoint print '# waiting' and block until\n"
	       "                     a line is read from stdin%s\n"
	       "      --no-wait      never block on stdin%s\n"
	       "      --nohuge       keep the region on 4 KiB pages: MADV_NOHUGEPAGE\n"
	       "                     (default)\n"
	       "      --huge         2 MiB-aligned region with MADV_HUGEPAGE; page counts\n"
	       "                     then depend on THP, so no '# expect' lines\n"
	       "  -i, --interval MS  sleep MS milliseconds at each checkpoint when not\n"
	       "                     waiting, to pace the output for people (default\n"
	       "                     1000 when running forever, else 0)\n",
	       (demo->flags & DEMO_INTERACTIVE) ? " (default)" : "",
	       (demo->flags & DEMO_INTERACTIVE) ? "" : " (default)");
	if (exec)
		printf("  -e, --exec PROG    program the child executes, searched in PATH\n"
		       "                     (default /bin/true); ARGs are passed to it\n");
	printf("  -h, --help         show this help and exit\n"
	       "  -V, --version      show the version and exit\n\n"
	       "Output: ordinary lines are for people. At each checkpoint the parent\n"
	       "prints '# step N NAME: SENTENCE', then one line per process:\n"
	       "  # expect pid=PID addr=START-END cow_copy=+N cow_zero=+N wp_reuse=+N\n"
	       "           resident=N shared=N exclusive=N zero=N copied=N\n"
	       "(one line), the state of the cowlab 'vmas' row for the region: +N are\n"
	       "the events in that VMA since the previous checkpoint, the rest are\n"
	       "page counts. With --wait it then prints '# waiting' and blocks.\n\n"
	       "Exit status: 0 ok, 1 runtime failure, 2 usage error.\n\n"
	       "Examples:\n%s\n", demo->examples);
}

/* optarg as a whole number from @min to @max, or a usage error. */
static unsigned long opt_ulong(const char *name, unsigned long min,
			       unsigned long max)
{
	unsigned long v = 0;
	char *end = NULL;

	if (*optarg && *optarg != '-' && *optarg != '+') {
		errno = 0;
		v = strtoul(optarg, &end, 10);
	}
	if (!end || errno || *end || v < min || v > max)
		usage_error("%s: '%s' is not a whole number from %lu to %lu",
			    name, optarg, min, max);
	return v;
}

/*
 * Keep every fault of this process and its children on one CPU. Anonymous
 * pages sit in a per-CPU LRU batch (holding a reference) for a while after
 * they are first mapped; do_wp_page() drains only the local CPU's batch
 * before deciding between reuse and copy, so a reference left on another
 * CPU would turn an expected wp_reuse into a cow_copy.
 */
static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu, i;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	cpu = sched_getcpu();
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set)) {
		for (i = 0; i < CPU_SETSIZE && !CPU_ISSET(i, &set); i++)
			;
		if (i == CPU_SETSIZE)
			return -1;
		cpu = i;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return cpu;
}

void demo_init(const struct demo_info *info, int argc, char **argv)
{
	bool interval_set = false, steps_set = false;
	int opt, cpu, pin_err;

	demo = info;
	env.pages = info->default_pages;
	env.steps = -1;
	env.wait = info->flags & DEMO_INTERACTIVE;
	env.huge = false;
	env.interval_ms = 0;
	env.exec_argv = default_exec_argv;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:s:wi:e:hV", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'p':
			env.pages = opt_ulong("--pages", info->min_pages,
					      DEMO_MAX_PAGES);
			break;
		case 's':
			env.steps = opt_ulong("--steps", 0, LONG_MAX);
			steps_set = true;
			break;
		case 'w':
			env.wait = true;
			break;
		case OPT_NO_WAIT:
			env.wait = false;
			break;
		case OPT_HUGE:
			env.huge = true;
			break;
		case OPT_NOHUGE:
			env.huge = false;
			break;
		case 'i':
			env.interval_ms = opt_ulong("--interval", 0, 3600000);
			interval_set = true;
			break;
		case 'e':
			if (!(info->flags & DEMO_EXEC))
				usage_error("--exec: only fork_exec and vfork_exec run a program");
			if (!*optarg)
				usage_error("--exec: empty program name");
			default_exec_argv[0] = optarg;
			break;
		case 'h':
			print_help();
			exit(0);
		case 'V':
			printf("%s (cowlab demos) %s\n", info->name,
			       DEMO_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (info->flags & DEMO_EXEC) {
		/* argv[optind - 1] becomes the program: argv[0] of the exec */
		if (optind < argc) {
			argv[optind - 1] = default_exec_argv[0];
			env.exec_argv = &argv[optind - 1];
		}
	} else if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (!(info->flags & DEMO_LOOPS) || !steps_set)
		env.steps = (info->flags & DEMO_LOOPS) ? -1 : 1;
	if (!interval_set && (info->flags & DEMO_LOOPS) && env.steps < 0 &&
	    !env.wait)
		env.interval_ms = 1000;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IONBF, 0);
	demo_pids[WHO_PARENT] = getpid();
	cpu = pin_cpu();
	pin_err = errno;

	demo_say("%s %s: pid=%d: %s", info->name, DEMO_VERSION,
		 demo_pids[WHO_PARENT], info->summary);
	if (cpu >= 0)
		demo_say("%s: pinned to CPU %d (children inherit it), so page reuse is predictable",
			 info->name, cpu);
	else
		fprintf(stderr,
			"%s: warning: cannot pin to one CPU (%s): an expected wp_reuse may show as cow_copy\n",
			info->name, strerror(pin_err));
	if (env.huge)
		demo_say("# note: %s", huge_note);
}

/* The region */

void region_map(struct region *r, const char *name, unsigned long pages,
		bool shared)
{
	size_t align = env.huge ? DEMO_HPAGE_SIZE : DEMO_PAGE_SIZE;
	size_t len = pages * DEMO_PAGE_SIZE;
	size_t total = len + align + 2 * DEMO_PAGE_SIZE;
	uintptr_t raw, start, end;
	void *p;

	/*
	 * Reserve room for a guard page on each side (and the alignment),
	 * then map the region over the middle: the PROT_NONE guards keep it
	 * from merging with any neighbour, so it is exactly one VMA.
	 */
	p = mmap(NULL, total, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		demo_die_errno("mmap %zu bytes", total);
	raw = (uintptr_t)p;
	start = (raw + DEMO_PAGE_SIZE + align - 1) & ~(uintptr_t)(align - 1);
	end = start + len;
	if (start - DEMO_PAGE_SIZE > raw &&
	    munmap(p, start - DEMO_PAGE_SIZE - raw))
		demo_die_errno("munmap");
	if (raw + total > end + DEMO_PAGE_SIZE &&
	    munmap((void *)(end + DEMO_PAGE_SIZE),
		   raw + total - end - DEMO_PAGE_SIZE))
		demo_die_errno("munmap");
	p = mmap((void *)start, len, PROT_READ | PROT_WRITE,
		 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		demo_die_errno("mmap %zu bytes at %#lx", len,
			       (unsigned long)start);
	if (madvise(p, len, env.huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		/* a kernel without THP: --nohuge is what it does anyway */
		if (env.huge || errno != EINVAL)
			demo_die_errno("madvise(%s)", env.huge ?
				       "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE");
	}
	r->name = name;
	r->start = p;
	r->len = len;
	r->pages = pages;
	r->shared = shared;
	demo_say("region %s: addr=%lx-%lx pages=%lu (%lu KiB), %s anonymous, %s, pid=%d",
		 name, (unsigned long)start, (unsigned long)end, pages,
		 pages * (DEMO_PAGE_SIZE / 1024),
		 shared ? "MAP_SHARED" : "MAP_PRIVATE",
		 env.huge ? "THP allowed (2 MiB aligned)" : "4 KiB pages only",
		 getpid());
}

void region_write(const struct region *r, unsigned long first,
		  unsigned long n, char val)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		WRITE_ONCE(*region_page(r, i), val);
}

unsigned long region_read(const struct region *r, unsigned long first,
			  unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = first; i < first + n; i++)
		sum += (unsigned char)READ_ONCE(*region_page(r, i));
	return sum;
}

/* Parent and child */

pid_t demo_fork(struct peer *p)
{
	pid_t pid, self = getpid();
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		demo_die_errno("pipe2");
	pid = fork();
	if (pid < 0)
		demo_die_errno("fork");
	if (pid == 0) {
		in_child = true;
		close(down[1]);
		close(up[0]);
		p->pid = self;
		p->rd = down[0];
		p->wr = up[1];
		demo_pids[WHO_CHILD] = getpid();
		return 0;
	}
	close(down[0]);
	close(up[1]);
	p->pid = pid;
	p->rd = up[0];
	p->wr = down[1];
	demo_pids[WHO_CHILD] = pid;
	return pid;
}

void peer_send(struct peer *p, char cmd)
{
	write_all(p->wr, &cmd, 1);
}

char peer_recv(struct peer *p)
{
	ssize_t n;
	char c;

	do {
		n = read(p->rd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		return c;
	if (n < 0)
		demo_die_errno("read from pid %d", p->pid);
	if (in_child)
		demo_die("parent pid=%d went away", p->pid);
	demo_die("child pid=%d went away", p->pid);
}

void peer_call(struct peer *p, char cmd)
{
	char c;

	peer_send(p, cmd);
	c = peer_recv(p);
	if (c != 'k')
		demo_die("child pid=%d answered '%c' to '%c'", p->pid, c, cmd);
}

void peer_done(struct peer *p)
{
	peer_send(p, 'k');
}

int demo_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			demo_die_errno("waitpid(%d)", pid);
	}
	if (WIFSIGNALED(status)) {
		demo_say("child pid=%d was killed by signal %d", pid,
			 WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	demo_say("child pid=%d exited with status %d", pid,
		 WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

void peer_quit(struct peer *p)
{
	peer_send(p, 'q');
	close(p->wr);
	close(p->rd);
	if (demo_reap(p->pid))
		demo_die("child pid=%d failed", p->pid);
}

void demo_exec_child(int status_fd)
{
	int err;

	execvp(env.exec_argv[0], env.exec_argv);
	err = errno;
	if (write(status_fd, &err, sizeof(err)) < 0)
		err = 0;	/* the parent then sees EOF and the 127 */
	_exit(127);
}

void demo_wait_exec(int status_fd, pid_t pid)
{
	ssize_t n;
	int err;

	do {
		n = read(status_fd, &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(status_fd);
	if (n == 0)
		return;
	demo_reap(pid);
	if (n == sizeof(err))
		demo_die("child pid=%d cannot exec '%s': %s (give a program with --exec)",
			 pid, env.exec_argv[0], strerror(err));
	demo_die_errno("read exec status of pid %d", pid);
}

/* The model */

#define ID_NONE	0U
#define ID_ZERO	1U

struct mpage {
	unsigned int id;	/* ID_NONE, ID_ZERO, or a physical page */
	unsigned char wr;	/* the PTE is writable */
	unsigned char copied;	/* obtained through a COW break */
};

struct mproc {
	bool live;
	struct mpage *pg;
	unsigned long ev[EV_NR];	/* since the last demo_expect() */
};

struct model {
	const struct region *r;
	bool anon_vma;		/* private: a page was ever written */
	unsigned int next_id;
	unsigned int *shmem;	/* shared: the page cache, by index */
	struct mproc p[WHO_NR];
};

static const char *const event_str[EV_NR] = {
	[EV_NONE]	= "no fault",
	[EV_NEW]	= "fault on an empty PTE, fresh page",
	[EV_ZERO_MAP]	= "read fault, zero page mapped",
	[EV_COW_COPY]	= "page still shared, copied (cow_copy)",
	[EV_COW_ZERO]	= "zero page replaced (cow_zero)",
	[EV_WP_REUSE]	= "no one else maps it, reused in place (wp_reuse)",
};

const char *demo_event_str(enum demo_event ev)
{
	return ev < EV_NR ? event_str[ev] : "?";
}

struct model *model_new(const struct region *r)
{
	struct model *m = calloc(1, sizeof(*m));
	int w;

	if (!m)
		demo_die_errno("calloc");
	m->r = r;
	m->next_id = ID_ZERO + 1;
	for (w = 0; w < WHO_NR; w++) {
		m->p[w].pg = calloc(r->pages, sizeof(struct mpage));
		if (!m->p[w].pg)
			demo_die_errno("calloc");
	}
	if (r->shared) {
		m->shmem = calloc(r->pages, sizeof(*m->shmem));
		if (!m->shmem)
			demo_die_errno("calloc");
	}
	m->p[WHO_PARENT].live = true;
	return m;
}

void model_free(struct model *m)
{
	int w;

	for (w = 0; w < WHO_NR; w++)
		free(m->p[w].pg);
	free(m->shmem);
	free(m);
}

static struct mpage *model_page(struct model *m, enum demo_who who,
				unsigned long page)
{
	if (who >= WHO_NR || !m->p[who].live || page >= m->r->pages)
		demo_die("internal: model: process %d, page %lu", who, page);
	return &m->p[who].pg[page];
}

enum demo_event model_read(struct model *m, enum demo_who who,
			   unsigned long page)
{
	struct mpage *pg = model_page(m, who, page);

	if (pg->id != ID_NONE)
		return EV_NONE;
	/* shmem read faults map neighbours too (fault-around): unpredictable */
	if (m->r->shared)
		demo_die("internal: model: read fault on shared region %s",
			 m->r->name);
	pg->id = ID_ZERO;
	pg->wr = 0;
	pg->copied = 0;
	m->p[who].ev[EV_ZERO_MAP]++;
	return EV_ZERO_MAP;
}

enum demo_event model_write(struct model *m, enum demo_who who,
			    unsigned long page)
{
	struct mpage *pg = model_page(m, who, page);
	struct mproc *other = &m->p[!who];
	enum demo_event ev;

	if (m->r->shared) {
		/* do_shared_fault(): the page cache page, mapped writable */
		if (pg->id != ID_NONE)
			return EV_NONE;
		if (!m->shmem[page])
			m->shmem[page] = m->next_id++;
		pg->id = m->shmem[page];
		pg->wr = 1;
		ev = EV_NEW;
		goto out;
	}
	if (pg->id == ID_NONE) {
		/* do_anonymous_page() */
		pg->id = m->next_id++;
		pg->copied = 0;
		ev = EV_NEW;
	} else if (pg->id == ID_ZERO) {
		/* wp_page_copy() from the zero page */
		pg->id = m->next_id++;
		pg->copied = 1;
		ev = EV_COW_ZERO;
	} else if (pg->wr) {
		return EV_NONE;
	} else if (other->live && other->pg[page].id == pg->id) {
		/* do_wp_page(): still mapped elsewhere, copy */
		pg->id = m->next_id++;
		pg->copied = 1;
		ev = EV_COW_COPY;
	} else {
		/* do_wp_page(): only our reference left, reuse */
		ev = EV_WP_REUSE;
	}
	pg->wr = 1;
	m->anon_vma = true;
out:
	m->p[who].ev[ev]++;
	return ev;
}

enum demo_event model_write_range(struct model *m, enum demo_who who,
				  unsigned long first, unsigned long n)
{
	enum demo_event ev = EV_NONE;
	unsigned long i;

	for (i = first; i < first + n; i++)
		ev = model_write(m, who, i);
	return ev;
}

enum demo_event model_read_range(struct model *m, enum demo_who who,
				 unsigned long first, unsigned long n)
{
	enum demo_event ev = EV_NONE;
	unsigned long i;

	for (i = first; i < first + n; i++)
		ev = model_read(m, who, i);
	return ev;
}

void model_fork(struct model *m)
{
	struct mproc *parent = &m->p[WHO_PARENT], *child = &m->p[WHO_CHILD];
	unsigned long i;

	memset(child->pg, 0, m->r->pages * sizeof(*child->pg));
	memset(child->ev, 0, sizeof(child->ev));
	child->live = true;
	/*
	 * copy_page_range() skips a VMA without an anon_vma: always a shared
	 * one, and a private one that was never written.
	 */
	if (m->r->shared || !m->anon_vma)
		return;
	for (i = 0; i < m->r->pages; i++) {
		if (parent->pg[i].id == ID_NONE)
			continue;
		parent->pg[i].wr = 0;
		child->pg[i].id = parent->pg[i].id;
	}
}

void model_exit(struct model *m, enum demo_who who)
{
	memset(m->p[who].pg, 0, m->r->pages * sizeof(struct mpage));
	memset(m->p[who].ev, 0, sizeof(m->p[who].ev));
	m->p[who].live = false;
}

/* Checkpoints */

void demo_step(const char *name, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	demo_say("# step %u %s: %s", step_nr++, name, buf);
}

void demo_expect(struct model *m)
{
	unsigned long i, resident, shared, exclusive, zero, copied;
	struct mproc *me, *other;
	int w;

	for (w = 0; w < WHO_NR; w++) {
		me = &m->p[w];
		other = &m->p[!w];
		if (!me->live)
			continue;
		resident = 0;
		shared = 0;
		exclusive = 0;
		zero = 0;
		copied = 0;
		for (i = 0; i < m->r->pages; i++) {
			const struct mpage *pg = &me->pg[i];

			if (pg->id == ID_NONE)
				continue;
			resident++;
			if (pg->id == ID_ZERO) {
				zero++;
			} else if (other->live && other->pg[i].id == pg->id) {
				shared++;
			} else {
				exclusive++;
				copied += pg->copied;
			}
		}
		if (!env.huge)
			demo_say(EXPECT_FMT, demo_pids[w], (unsigned long)m->r->start,
				 (unsigned long)(m->r->start + m->r->len),
				 me->ev[EV_COW_COPY], me->ev[EV_COW_ZERO],
				 me->ev[EV_WP_REUSE], resident, shared,
				 exclusive, zero, copied);
		memset(me->ev, 0, sizeof(me->ev));
	}
}

static void read_line(void)
{
	ssize_t n;
	char c;

	while (!stdin_eof) {
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			demo_die_errno("read stdin");
		}
		if (n == 0) {
			/* nobody will answer: run the rest without pausing */
			stdin_eof = true;
			fprintf(stderr, "%s: end of stdin, no more pauses\n",
				demo->name);
		} else if (c == '\n') {
			return;
		}
	}
}

void demo_pause(void)
{
	struct timespec ts;

	if (env.wait && !stdin_eof) {
		demo_say("# waiting");
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "(press Enter to go on) ");
		read_line();
		return;
	}
	if (env.interval_ms <= 0)
		return;
	ts.tv_sec = env.interval_ms / 1000;
	ts.tv_nsec = (env.interval_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int demo_faults(pid_t pid, unsigned long *min_flt, unsigned long *maj_flt)
{
	char path[64], buf[1024], *p;
	struct rusage ru;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			/* fields 10 and 12, counted after "pid (comm)" */
			p = strrchr(buf, ')');
			if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %lu %*u %lu",
					min_flt, maj_flt) == 2)
				return 0;
		}
	}
	if (pid == getpid() && !getrusage(RUSAGE_SELF, &ru)) {
		*min_flt = ru.ru_minflt;
		*maj_flt = ru.ru_majflt;
		return 0;
	}
	return -1;
}
