// SPDX-License-Identifier: GPL-2.0
/*
 * The demos' command line and output (cli.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "thp.h"

struct env env;

static const struct demo_info *demo;
static bool in_child;		/* this process is a demo's forked child */
static char *default_exec_argv[] = { "/bin/true", NULL };

static const char thp_note_follow[] =
	"THP may back the region; /proc/vmstat thp_fault_alloc says which faults got one";
static const char thp_note_cannot[] =
	"THP may back the region, and the model cannot follow it here";

const char *demo_name(void)
{
	return demo ? demo->name : "demo";
}

void demo_in_child(void)
{
	in_child = true;
}

void demo_write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;

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
	demo_write_all(STDOUT_FILENO, buf, n);
}

static void __noreturn vdie(int err, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", demo_name());
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (err && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	demo_write_all(STDERR_FILENO, buf, n);
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
	cpu = pin_cpu();
	pin_err = errno;

	demo_say("%s %s: pid=%d: %s", info->name, DEMO_VERSION,
		 getpid(), info->summary);
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
