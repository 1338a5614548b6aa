// SPDX-License-Identifier: GPL-2.0
/*
 * Shared plumbing for the cowlab course demos. See demo_util.h for the
 * contracts and README.md for the output format.
 */
#include <dirent.h>
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

/* The checkpoint line a harness compares with cowlab's vmas row */
#define EXPECT_FMT \
	"# expect pid=%d addr=%lx-%lx cow_copy=+%lu cow_zero=+%lu wp_reuse=+%lu resident=%lu shared=%lu exclusive=%lu zero=%lu copied=%lu"
/* ... and with --huge, the THP events of the process (procs) */
#define EXPECT_THP_FMT	" thp_reuse=+%lu thp_split=+%lu thp_zero=+%lu"

static void thp_check(void);
static const char *thp_why_not(void);
static const char thp_note_follow[] =
	"THP may back the region; /proc/vmstat thp_fault_alloc says which faults got one";
static const char thp_note_cannot[] =
	"THP may back the region, and the model cannot follow it here";

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
	       "      --huge         2 MiB-aligned region with MADV_HUGEPAGE: THP may back\n"
	       "                     it; '# expect' lines then follow what the kernel did\n"
	       "                     (/proc/vmstat thp_fault_alloc) and add the process's\n"
	       "                     thp_reuse, thp_split and thp_zero\n"
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
	if (env.huge && thp_why_not())
		demo_say("# note: --huge: %s (%s): no '# expect' lines",
			 thp_note_cannot, thp_why_not());
	else if (env.huge)
		demo_say("# note: --huge: %s", thp_note_follow);
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

#define HPAGE_PAGES	(DEMO_HPAGE_SIZE / DEMO_PAGE_SIZE)

struct mpage {
	unsigned int id;	/* ID_NONE, ID_ZERO, or a physical page */
	unsigned int folio;	/* the THP it belongs to (its first id), or 0 */
	unsigned char wr;	/* the PTE (or PMD) is writable */
	unsigned char copied;	/* obtained through a COW break */
};

/* What maps a 2 MiB block of the region in one process (--huge). */
enum mblock {
	BLK_NONE,	/* nothing: a fault here may map a whole PMD */
	BLK_PTE,	/* a page table: every fault here is a 4 KiB one */
	BLK_THP,	/* a PMD maps a THP */
	BLK_HZP,	/* a PMD maps the huge zero page */
};

struct mproc {
	bool live;
	struct mpage *pg;
	unsigned char *blk;		/* enum mblock, per 2 MiB block */
	unsigned long ev[EV_NR];	/* since the last demo_expect() */
};

struct model {
	const struct region *r;
	bool anon_vma;		/* private: a page was ever written */
	unsigned int next_id;
	unsigned int *shmem;	/* shared: the page cache, by index */
	unsigned long blocks;	/* 2 MiB blocks wholly inside the region */
	/*
	 * --huge: the kernel's own count of THPs installed by a fault
	 * (/proc/vmstat thp_fault_alloc) when the model last took one.
	 */
	unsigned long long thp_seen;
	struct mproc p[WHO_NR];
};

static const char *const event_str[EV_NR] = {
	[EV_NONE]	= "no fault",
	[EV_NEW]	= "fault on an empty PTE, fresh page",
	[EV_ZERO_MAP]	= "read fault, zero page mapped",
	[EV_COW_COPY]	= "page still shared, copied (cow_copy)",
	[EV_COW_ZERO]	= "zero page replaced (cow_zero)",
	[EV_WP_REUSE]	= "no one else maps it, reused in place (wp_reuse)",
	[EV_THP_SPLIT]	= "its huge page still shared, PMD split (thp_split)",
	[EV_THP_REUSE]	= "its huge page no one else maps, reused in place (thp_reuse)",
	[EV_THP_ZERO]	= "huge zero page replaced by a new huge page (thp_zero)",
};

const char *demo_event_str(enum demo_event ev)
{
	return ev < EV_NR ? event_str[ev] : "?";
}

/* The THP oracle (--huge) */

/* The bracketed word of a sysfs choice file ("always [madvise] never"). */
static bool sysfs_choice(const char *path, char *word, size_t size)
{
	char buf[256], *open_b, *close_b;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	open_b = strchr(buf, '[');
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (!close_b || (size_t)(close_b - open_b) > size)
		return false;
	memcpy(word, open_b + 1, close_b - open_b - 1);
	word[close_b - open_b - 1] = '\0';
	return true;
}

/* /proc/vmstat counter @name, or false. */
static bool vmstat_read(const char *name, unsigned long long *val)
{
	char key[64];
	bool found = false;
	FILE *f;

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return false;
	while (!found && fscanf(f, "%63s %llu", key, val) == 2)
		found = !strcmp(key, name);
	fclose(f);
	return found;
}

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

static struct {
	bool checked;
	const char *why_not;	/* NULL: --huge can be predicted */
	bool pmd;		/* 2 MiB THPs may back a MADV_HUGEPAGE region */
	bool huge_zero;		/* read faults map the huge zero page */
} thp;

/*
 * Can the model follow THP here, and what may the kernel do? Settings are
 * read (they are the machine's, not a kernel version's); whether a fault
 * got a huge page is asked of thp_fault_alloc at each fault that could.
 */
static void thp_check(void)
{
	char word[32], path[300], val[16];
	struct dirent *d;
	DIR *dir;
	int fd;
	ssize_t n;
	unsigned long long v;

	if (thp.checked)
		return;
	thp.checked = true;
	if (!vmstat_read("thp_fault_alloc", &v)) {
		thp.why_not = "no thp_fault_alloc in /proc/vmstat";
		return;
	}
	if (!sysfs_choice(THP_SYSFS "/enabled", word, sizeof(word))) {
		thp.why_not = "no " THP_SYSFS "/enabled";
		return;
	}
	thp.pmd = strcmp(word, "never") != 0;
	/* 6.8+: one setting per size; "inherit" is the one above */
	if (sysfs_choice(THP_SYSFS "/hugepages-2048kB/enabled", word,
			 sizeof(word)) && strcmp(word, "inherit"))
		thp.pmd = strcmp(word, "never") != 0;
	dir = opendir(THP_SYSFS);
	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "hugepages-", 10) ||
		    !strcmp(d->d_name, "hugepages-2048kB"))
			continue;
		snprintf(path, sizeof(path), THP_SYSFS "/%s/enabled",
			 d->d_name);
		if (sysfs_choice(path, word, sizeof(word)) &&
		    strcmp(word, "never")) {
			/* folios between 4 KiB and 2 MiB: not modelled */
			thp.why_not = "a THP size other than 2 MiB is enabled";
			break;
		}
	}
	if (dir)
		closedir(dir);
	fd = open(THP_SYSFS "/use_zero_page", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		thp.huge_zero = n > 0 && val[0] == '1';
	}
}

/*
 * Did the kernel install one more THP by a fault than the model has
 * accounted for? Takes it if so. The actions of a step are modelled in
 * the order they happened, so the n-th THP is the n-th fault that could.
 */
static bool thp_took_one(struct model *m)
{
	unsigned long long now;

	if (!vmstat_read("thp_fault_alloc", &now) || now <= m->thp_seen)
		return false;
	m->thp_seen++;
	return true;
}

static const char *thp_why_not(void)
{
	thp_check();
	return thp.why_not;
}

/*
 * At a checkpoint: THPs installed since that no fault of the region's
 * model took were elsewhere (or the model missed them: the expectations
 * then show it). Say so, and start again from here.
 */
static void thp_resync(struct model *m)
{
	unsigned long long now;

	if (!env.huge || m->r->shared || thp.why_not ||
	    !vmstat_read("thp_fault_alloc", &now))
		return;
	if (now > m->thp_seen)
		demo_say("# note: %llu THP(s) installed that the model of %s did not expect",
			 now - m->thp_seen, m->r->name);
	m->thp_seen = now;
}

static bool block_eligible(const struct model *m, unsigned long b)
{
	return env.huge && !m->r->shared && thp.pmd && b < m->blocks;
}

struct model *model_new(const struct region *r)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned long nblk = (r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES;
	int w;

	if (!m)
		demo_die_errno("calloc");
	m->r = r;
	m->next_id = ID_ZERO + 1;
	for (w = 0; w < WHO_NR; w++) {
		m->p[w].pg = calloc(r->pages, sizeof(struct mpage));
		m->p[w].blk = calloc(nblk, 1);
		if (!m->p[w].pg || !m->p[w].blk)
			demo_die_errno("calloc");
	}
	if (r->shared) {
		m->shmem = calloc(r->pages, sizeof(*m->shmem));
		if (!m->shmem)
			demo_die_errno("calloc");
	}
	if (env.huge) {
		thp_check();
		/* region_map() aligned the start to 2 MiB */
		m->blocks = r->pages / HPAGE_PAGES;
		if (!thp.why_not && !vmstat_read("thp_fault_alloc",
						 &m->thp_seen))
			thp.why_not = "/proc/vmstat went away";
	}
	m->p[WHO_PARENT].live = true;
	return m;
}

void model_free(struct model *m)
{
	int w;

	for (w = 0; w < WHO_NR; w++) {
		free(m->p[w].pg);
		free(m->p[w].blk);
	}
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

/* A PMD fault mapped block @b: a new THP, or the huge zero page. */
static void map_block(struct model *m, enum demo_who who, unsigned long b,
		      bool zero, bool copied)
{
	struct mpage *pg = &m->p[who].pg[b * HPAGE_PAGES];
	unsigned int first = m->next_id;
	unsigned long i;

	for (i = 0; i < HPAGE_PAGES; i++) {
		pg[i].id = zero ? ID_ZERO : m->next_id++;
		pg[i].folio = zero ? 0 : first;
		pg[i].wr = !zero;
		pg[i].copied = copied;
	}
	m->p[who].blk[b] = zero ? BLK_HZP : BLK_THP;
	/* do_huge_pmd_anonymous_page() prepares the anon_vma, reads too */
	m->anon_vma = true;
}

/* Does the other process map any page of the THP @folio in block @b? */
static bool other_maps_folio(const struct model *m, enum demo_who who,
			     unsigned long b, unsigned int folio)
{
	const struct mproc *other = &m->p[!who];
	unsigned long i;

	if (!other->live || !folio || b >= m->blocks)
		return false;
	for (i = b * HPAGE_PAGES; i < (b + 1) * HPAGE_PAGES; i++)
		if (other->pg[i].folio == folio)
			return true;
	return false;
}

enum demo_event model_read(struct model *m, enum demo_who who,
			   unsigned long page)
{
	struct mpage *pg = model_page(m, who, page);
	unsigned long b = page / HPAGE_PAGES;
	unsigned char *blk = &m->p[who].blk[b];

	if (pg->id != ID_NONE)
		return EV_NONE;
	/* shmem read faults map neighbours too (fault-around): unpredictable */
	if (m->r->shared)
		demo_die("internal: model: read fault on shared region %s",
			 m->r->name);
	if (*blk == BLK_NONE && block_eligible(m, b)) {
		/* do_huge_pmd_anonymous_page(), read */
		if (thp_took_one(m)) {
			/* no huge zero page to map (use_zero_page 0) */
			map_block(m, who, b, false, false);
			m->p[who].ev[EV_NEW]++;
			return EV_NEW;
		}
		if (thp.huge_zero) {
			map_block(m, who, b, true, false);
			m->p[who].ev[EV_ZERO_MAP]++;
			return EV_ZERO_MAP;
		}
	}
	if (block_eligible(m, b))
		*blk = BLK_PTE;
	pg->id = ID_ZERO;
	pg->folio = 0;
	pg->wr = 0;
	pg->copied = 0;
	m->p[who].ev[EV_ZERO_MAP]++;
	return EV_ZERO_MAP;
}

/*
 * A write to a PMD-mapped block (do_huge_pmd_wp_page()). Returns the
 * event if the fault ends there; EV_NONE if it went on as a 4 KiB fault
 * (the PMD was split, or there was no PMD).
 */
static enum demo_event write_block(struct model *m, enum demo_who who,
				   unsigned long page)
{
	unsigned long b = page / HPAGE_PAGES, i;
	struct mproc *me = &m->p[who];
	struct mpage *pg = &me->pg[page];

	switch (me->blk[b]) {
	case BLK_NONE:
	case BLK_HZP:
		/*
		 * An empty block: do_huge_pmd_anonymous_page() maps a THP, or
		 * falls back to 4 KiB pages. The huge zero page: 7.x
		 * (do_huge_zero_wp_pmd()) maps a whole new THP; older kernels,
		 * or 7.x when none can be allocated, split the PMD into 4 KiB
		 * zero pages (no event). Either way thp_fault_alloc says.
		 */
		if (me->blk[b] == BLK_NONE && !block_eligible(m, b))
			return EV_NONE;
		if (thp_took_one(m)) {
			bool zero = me->blk[b] == BLK_HZP;

			map_block(m, who, b, false, zero);
			return zero ? EV_THP_ZERO : EV_NEW;
		}
		me->blk[b] = BLK_PTE;
		return EV_NONE;
	case BLK_THP:
		if (pg->wr)
			return EV_NONE;
		if (other_maps_folio(m, who, b, pg->folio)) {
			/* still shared: split this PMD, go on with 4 KiB */
			me->blk[b] = BLK_PTE;
			me->ev[EV_THP_SPLIT]++;
			return EV_NONE;
		}
		for (i = b * HPAGE_PAGES; i < (b + 1) * HPAGE_PAGES; i++)
			me->pg[i].wr = 1;
		return EV_THP_REUSE;
	}
	return EV_NONE;
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
	if (env.huge) {
		ev = write_block(m, who, page);
		if (ev != EV_NONE) {
			m->anon_vma = true;
			goto out;
		}
	}
	if (pg->id == ID_NONE) {
		/* do_anonymous_page() */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 0;
		ev = EV_NEW;
	} else if (pg->id == ID_ZERO) {
		/* wp_page_copy() from the zero page */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 1;
		ev = EV_COW_ZERO;
	} else if (pg->wr) {
		return EV_NONE;
	} else if ((other->live && other->pg[page].id == pg->id) ||
		   other_maps_folio(m, who, page / HPAGE_PAGES, pg->folio)) {
		/*
		 * do_wp_page(): the page, or another page of its THP, is
		 * still mapped elsewhere: copy
		 */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 1;
		ev = EV_COW_COPY;
	} else if (pg->folio) {
		/*
		 * A page of a PTE-mapped THP only this process maps: 6.12
		 * and older copy it, 6.15+ reuse the large folio. No demo
		 * gets here; say so rather than guess.
		 */
		demo_die("model: page %lu, of a split THP only pid %d maps: kernels differ",
			 page, demo_pids[who]);
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
	memset(child->blk, 0, (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
	memset(child->ev, 0, sizeof(child->ev));
	child->live = true;
	/*
	 * copy_page_range() skips a VMA without an anon_vma: always a shared
	 * one, and a private one that was never written.
	 */
	if (m->r->shared || !m->anon_vma)
		return;
	/* copy_huge_pmd() shares a PMD-mapped THP (or huge zero page) too */
	memcpy(child->blk, parent->blk,
	       (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
	for (i = 0; i < m->r->pages; i++) {
		if (parent->pg[i].id == ID_NONE)
			continue;
		parent->pg[i].wr = 0;
		child->pg[i].id = parent->pg[i].id;
		child->pg[i].folio = parent->pg[i].folio;
	}
}

void model_exit(struct model *m, enum demo_who who)
{
	memset(m->p[who].pg, 0, m->r->pages * sizeof(struct mpage));
	memset(m->p[who].blk, 0, (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
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
		else if (!thp_why_not())
			demo_say(EXPECT_FMT EXPECT_THP_FMT, demo_pids[w],
				 (unsigned long)m->r->start,
				 (unsigned long)(m->r->start + m->r->len),
				 me->ev[EV_COW_COPY], me->ev[EV_COW_ZERO],
				 me->ev[EV_WP_REUSE], resident, shared,
				 exclusive, zero, copied,
				 me->ev[EV_THP_REUSE], me->ev[EV_THP_SPLIT],
				 me->ev[EV_THP_ZERO]);
		memset(me->ev, 0, sizeof(me->ev));
	}
	thp_resync(m);
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
