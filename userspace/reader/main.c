// SPDX-License-Identifier: GPL-2.0
/*
 * cowlab: read cowlab's copy-on-write counters from debugfs.
 * This file: the command line, --help, and dispatch to the commands.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cowlab.h"

struct env env = {
	.interval_ms = 1000,
};

void cl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A pid as the kernel prints it: 1 to INT_MAX, decimal digits only. */
int parse_pid(const char *s, int *pid)
{
	unsigned long long v;

	if (cowlab_field_u64(s, &v) || v < 1 || v > INT_MAX)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

/* Options, as bits, so that each command can say which ones it takes. */
enum {
	OPT_DEBUGFS = 1 << 0,
	OPT_JSON = 1 << 1,
	OPT_COLOR = 1 << 2,
	OPT_SORT = 1 << 3,
	OPT_REVERSE = 1 << 4,
	OPT_TREE = 1 << 5,
	OPT_FLAT = 1 << 6,
	OPT_PID = 1 << 7,
	OPT_VMA = 1 << 8,
	OPT_INTERVAL = 1 << 9,
	OPT_ITERATIONS = 1 << 10,
	OPT_PAGES = 1 << 11,
	OPT_WIDTH = 1 << 12,
	OPT_HEIGHT = 1 << 13,
	OPT_CELL_PAGES = 1 << 14,
	OPT_MAJORITY = 1 << 15,
	OPT_HELP = 1 << 16,
	OPT_VERSION = 1 << 17,
};

#define OPTS_ALL_CMDS	(OPT_DEBUGFS | OPT_JSON | OPT_HELP | OPT_VERSION)
#define OPTS_PROCS	(OPT_SORT | OPT_REVERSE | OPT_TREE | OPT_FLAT | OPT_PID)

static const char usage_main[] =
"Usage: cowlab [--debugfs DIR] [--json] COMMAND [OPTIONS] [ARGS]\n"
"\n"
"Show the copy-on-write (COW) faults that the cowlab kernel module counts,\n"
"per process and per VMA, and the state of each page after fork().\n"
"\n"
"Commands:\n"
"  procs             processes and their COW fault counts, children under\n"
"                    their parent\n"
"  top               procs, refreshed every second\n"
"  vmas PID          the VMAs of a process: pages shared, exclusive, copied\n"
"  diff PID1 PID2    two processes side by side, VMA by VMA (after fork)\n"
"  map PID [VMA] [PID2]\n"
"                    a picture of one VMA's pages; with PID2, one process\n"
"                    above the other\n"
"  status            what the module counts here, its probes and statistics\n"
"\n"
"Options for every command:\n"
"      --debugfs DIR  the cowlab directory in debugfs (default\n"
"                     " COWLAB_DEBUGFS ", or $COWLAB_DEBUGFS)\n"
"  -j, --json         print JSON instead of a table (keys: cowlab(1))\n"
"  -h, --help         this help; `cowlab COMMAND --help` for one command\n"
"  -V, --version      print the version\n"
"\n"
"Examples:\n"
"  cowlab procs                who broke how many COWs\n"
"  cowlab vmas 413             where: process 413's VMAs\n"
"  cowlab diff 412 413         parent and child after fork, VMA by VMA\n"
"  cowlab map 413 heap         one character per page of 413's heap\n"
"  cowlab map 412 - 413        parent above child, largest writable VMA\n"
"\n"
"Exit status: 0 done, 1 error (module, permission, data), 2 usage error.\n";

static const char usage_procs[] =
"Usage: cowlab procs [--sort COL [--reverse]] [--tree|--flat] [--pid PID]\n"
"\n"
"The processes cowlab tracks, with their COW fault counts (events, not\n"
"pages). By default a tree: children are indented under their parent.\n"
"\n"
"Columns: PID, PPID (parent), STATE (live or exited), COPY (cow_copy: a\n"
"shared page was copied), ZERO (cow_zero: the zero page was replaced),\n"
"REUSE (wp_reuse: a page was made writable in place, no copy), UNSHARE,\n"
"T_REUSE, T_SPLIT, T_ZERO (thp_reuse, thp_split, thp_zero: huge pages),\n"
"FILE (file_copy: a page of a private file mapping copied by its first\n"
"write), KSM (cow_ksm: a KSM page copied), COMM. '-': not counted on this\n"
"kernel, or by this module (`cowlab status` says why).\n"
"\n"
"Options:\n"
"  -s, --sort COL     sort by COL: pid ppid state comm cow_copy cow_zero\n"
"                     wp_reuse unshare thp_reuse thp_split thp_zero\n"
"                     file_copy cow_ksm (or the column titles: copy zero\n"
"                     reuse ... t_zero file ksm); counts sort\n"
"                     largest first; gives a flat list unless --tree\n"
"  -r, --reverse      reverse the order\n"
"  -t, --tree         children under their parent, siblings sorted\n"
"      --flat         one flat list\n"
"  -p, --pid PID      only PID and its descendants\n"
"\n"
"Examples:\n"
"  cowlab procs\n"
"  cowlab procs --sort cow_copy     the biggest copiers first\n"
"  cowlab procs --pid 412           process 412 and its children\n"
"  cowlab procs --json | jq '.[] | select(.cow_copy > 0)'\n";

static const char usage_top[] =
"Usage: cowlab top [--interval MS] [--iterations N] [procs options]\n"
"\n"
"The procs table, refreshed: on a terminal the screen is redrawn; otherwise\n"
"(a pipe, a file) one table after another. Ctrl-C stops.\n"
"\n"
"Options:\n"
"  -i, --interval MS  time between refreshes, in ms (default 1000)\n"
"  -n, --iterations N stop after N tables (default: never)\n"
"  and --sort, --reverse, --tree, --flat, --pid as for procs\n"
"\n"
"Examples:\n"
"  cowlab top --sort cow_copy\n"
"  cowlab top --interval 200 --iterations 5 > log.txt\n"
"  cowlab top --json --iterations 3      one JSON object a line\n";

static const char usage_vmas[] =
"Usage: cowlab vmas [--pages] PID\n"
"\n"
"The VMAs of process PID. Page columns (sizes; raw counts with --pages):\n"
"RSS resident = SHARED (mapped by other processes too) + EXCL (by this one\n"
"only) + ZERO (the shared zero page); COPIED: the exclusive pages this\n"
"process got by breaking a COW. Fault columns count events in the VMA:\n"
"COPY (cow_copy), ZERO (cow_zero), REUSE (wp_reuse). '-': not walked\n"
"(hugetlb, PFNMAP, IO) or not counted on this kernel.\n"
"\n"
"Options:\n"
"      --pages        page counts instead of sizes (1 page = 4 KiB)\n"
"\n"
"Examples:\n"
"  cowlab vmas 413\n"
"  cowlab vmas --json 413 | jq '.vmas[] | select(.copied > 0)'\n";

static const char usage_diff[] =
"Usage: cowlab diff [--vma VMA] [--pages] PID1 PID2\n"
"\n"
"Two processes side by side, VMA by VMA, matched by start address (after\n"
"fork, parent and child have the same layout): for each, the pages it\n"
"shares (SHARED), holds alone (EXCL) and got by a COW copy (COPIED).\n"
"\n"
"Options:\n"
"      --vma VMA      only that VMA: heap, stack, an address inside it (hex,\n"
"                     0x optional) or part of its name (libc, anon)\n"
"      --pages        page counts instead of sizes\n"
"\n"
"Examples:\n"
"  cowlab diff 412 413\n"
"  cowlab diff --vma heap 412 413\n"
"  cowlab diff --vma 0x7f3a5c000000 412 413\n";

static const char usage_map[] =
"Usage: cowlab map [OPTIONS] PID [VMA] [PID2]\n"
"\n"
"A picture of one VMA, one character per page or per group of pages:\n"
"  S shared   C copied (by a COW break)   X exclusive   Z zero page\n"
"  . not present\n"
"VMA: heap, stack, an address inside it (hex), part of its name, or - for\n"
"the default: the largest writable private VMA. With PID2, the VMA at the\n"
"same start in PID2 is drawn under each row of PID: rows marked a and b.\n"
"If the picture does not fit, a cell stands for a group of pages (a power\n"
"of two) and shows the most notable page in it: C, then X, Z, S, '.'\n"
"(--majority: the most common state instead).\n"
"\n"
"Options:\n"
"  -w, --width N      fit N columns (default: the terminal's, or 80)\n"
"      --height N     fit N lines (default: the terminal's, or 24)\n"
"      --cell-pages N pages per cell (overrides the fit; 1 = every page)\n"
"      --majority     a cell shows the most common state of its pages\n"
"      --color[=WHEN] colour the states: auto (on a terminal), always, never\n"
"      --pages        totals in pages instead of sizes\n"
"\n"
"Examples:\n"
"  cowlab map 413                  the largest writable VMA of 413\n"
"  cowlab map 413 heap\n"
"  cowlab map 412 - 413            parent above child\n"
"  cowlab map 412 7f3a5c000000 413 --cell-pages 1 | less -S\n";

static const char usage_status[] =
"Usage: cowlab status\n"
"\n"
"Is the module working: the event classes it cannot count on this kernel,\n"
"and why; its probes (ok, missing on this kernel, failed; how many hits each\n"
"missed); its statistics (processes tracked, dropped).\n"
"\n"
"Example:\n"
"  cowlab status\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned int opts;
	int min_args, max_args;
	const char *usage;
};

static const struct command commands[] = {
	{ "procs", cmd_procs, OPTS_PROCS, 0, 0, usage_procs },
	{ "top", cmd_top, OPTS_PROCS | OPT_INTERVAL | OPT_ITERATIONS, 0, 0,
	  usage_top },
	{ "vmas", cmd_vmas, OPT_PAGES, 1, 1, usage_vmas },
	{ "diff", cmd_diff, OPT_VMA | OPT_PAGES, 2, 2, usage_diff },
	{ "map", cmd_map, OPT_VMA | OPT_WIDTH | OPT_HEIGHT | OPT_CELL_PAGES |
	  OPT_MAJORITY | OPT_COLOR | OPT_PAGES, 1, 3, usage_map },
	{ "status", cmd_status, 0, 0, 0, usage_status },
};

enum {
	LONG_DEBUGFS = 256,
	LONG_COLOR,
	LONG_FLAT,
	LONG_VMA,
	LONG_PAGES,
	LONG_HEIGHT,
	LONG_CELL_PAGES,
	LONG_MAJORITY,
};

static const struct option long_opts[] = {
	{ "debugfs", required_argument, NULL, LONG_DEBUGFS },
	{ "json", no_argument, NULL, 'j' },
	{ "color", optional_argument, NULL, LONG_COLOR },
	{ "colour", optional_argument, NULL, LONG_COLOR },
	{ "sort", required_argument, NULL, 's' },
	{ "reverse", no_argument, NULL, 'r' },
	{ "tree", no_argument, NULL, 't' },
	{ "flat", no_argument, NULL, LONG_FLAT },
	{ "pid", required_argument, NULL, 'p' },
	{ "vma", required_argument, NULL, LONG_VMA },
	{ "interval", required_argument, NULL, 'i' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "pages", no_argument, NULL, LONG_PAGES },
	{ "width", required_argument, NULL, 'w' },
	{ "height", required_argument, NULL, LONG_HEIGHT },
	{ "cell-pages", required_argument, NULL, LONG_CELL_PAGES },
	{ "majority", no_argument, NULL, LONG_MAJORITY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

/* Option bit for a getopt return value, and its name for messages. */
static const struct {
	int val;
	unsigned int bit;
	const char *name;
} opt_bits[] = {
	{ LONG_DEBUGFS, OPT_DEBUGFS, "--debugfs" },
	{ 'j', OPT_JSON, "--json" },
	{ LONG_COLOR, OPT_COLOR, "--color" },
	{ 's', OPT_SORT, "--sort" },
	{ 'r', OPT_REVERSE, "--reverse" },
	{ 't', OPT_TREE, "--tree" },
	{ LONG_FLAT, OPT_FLAT, "--flat" },
	{ 'p', OPT_PID, "--pid" },
	{ LONG_VMA, OPT_VMA, "--vma" },
	{ 'i', OPT_INTERVAL, "--interval" },
	{ 'n', OPT_ITERATIONS, "--iterations" },
	{ LONG_PAGES, OPT_PAGES, "--pages" },
	{ 'w', OPT_WIDTH, "--width" },
	{ LONG_HEIGHT, OPT_HEIGHT, "--height" },
	{ LONG_CELL_PAGES, OPT_CELL_PAGES, "--cell-pages" },
	{ LONG_MAJORITY, OPT_MAJORITY, "--majority" },
	{ 'h', OPT_HELP, "--help" },
	{ 'V', OPT_VERSION, "--version" },
};

int usage_error(const char *cmd)
{
	fprintf(stderr, "Try `cowlab %s%s--help`.\n", cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}

/* A whole decimal number in [@min, @max], for option arguments. */
static int parse_num(const char *opt, const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *v)
{
	if (cowlab_field_u64(s, v) || *v < min || *v > max) {
		cl_err("%s wants a whole number from %llu to %llu, not '%s'",
		       opt, min, max, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_opt(int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case LONG_DEBUGFS:
		if (!*arg) {
			cl_err("--debugfs wants a directory, e.g. %s",
			       COWLAB_DEBUGFS);
			return -EINVAL;
		}
		env.debugfs = arg;
		break;
	case 'j':
		env.json = true;
		break;
	case LONG_COLOR:
		if (!arg || !strcmp(arg, "always")) {
			env.color = COLOR_ALWAYS;
		} else if (!strcmp(arg, "auto")) {
			env.color = COLOR_AUTO;
		} else if (!strcmp(arg, "never")) {
			env.color = COLOR_NEVER;
		} else {
			cl_err("--color takes auto, always or never, not '%s'",
			       arg);
			return -EINVAL;
		}
		break;
	case 's':
		if (procs_check_sort(arg))
			return -EINVAL;
		env.sort = arg;
		break;
	case 'r':
		env.reverse = true;
		break;
	case 't':
		env.tree = TREE_ON;
		break;
	case LONG_FLAT:
		env.tree = TREE_OFF;
		break;
	case 'p':
		if (parse_pid(arg, &env.pid)) {
			cl_err("--pid wants a process id (e.g. 412), not '%s'",
			       arg);
			return -EINVAL;
		}
		break;
	case LONG_VMA:
		if (!*arg) {
			cl_err("--vma wants heap, stack, an address or a name");
			return -EINVAL;
		}
		env.vma = arg;
		break;
	case 'i':
		if (parse_num("--interval", arg, 10, 3600000, &v))
			return -EINVAL;
		env.interval_ms = (long)v;
		break;
	case 'n':
		if (parse_num("--iterations", arg, 1, LONG_MAX, &v))
			return -EINVAL;
		env.iterations = (long)v;
		break;
	case LONG_PAGES:
		env.raw_pages = true;
		break;
	case 'w':
		if (parse_num("--width", arg, 24, 100000, &v))
			return -EINVAL;
		env.width = (int)v;
		break;
	case LONG_HEIGHT:
		if (parse_num("--height", arg, 8, 100000, &v))
			return -EINVAL;
		env.height = (int)v;
		break;
	case LONG_CELL_PAGES:
		if (parse_num("--cell-pages", arg, 1, 1ULL << 40, &v))
			return -EINVAL;
		env.cell_pages = v;
		break;
	case LONG_MAJORITY:
		env.majority = true;
		break;
	}
	return 0;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	unsigned int seen = 0;
	const char *env_dir;
	char **args, *debugfs;
	int nargs, c, i, ret, bad = 0;
	size_t k, len;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":js:rtp:i:n:w:hV", long_opts,
				NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				cl_err("unknown option -%c", optopt);
			else
				cl_err("unknown option %s", argv[optind - 1]);
			bad = 1;
			continue;
		}
		if (c == ':') {
			cl_err("option %s needs a value", argv[optind - 1]);
			bad = 1;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(opt_bits); k++)
			if (opt_bits[k].val == c)
				seen |= opt_bits[k].bit;
		if (parse_opt(c, optarg))
			bad = 1;
	}
	args = argv + optind;
	nargs = argc - optind;

	/* "cowlab help [COMMAND]" is "cowlab [COMMAND] --help". */
	if (nargs && !strcmp(args[0], "help")) {
		seen |= OPT_HELP;
		args++;
		nargs--;
	}
	if (nargs) {
		cmd = find_command(args[0]);
		if (!cmd) {
			cl_err("unknown command '%s': the commands are procs, top, vmas, diff, map, status",
			       args[0]);
			return usage_error(NULL);
		}
		args++;
		nargs--;
	}
	if (seen & OPT_VERSION) {
		printf("cowlab %s\n", COWLAB_VERSION);
		return EXIT_OK;
	}
	if (seen & OPT_HELP) {
		fputs(cmd ? cmd->usage : usage_main, stdout);
		return EXIT_OK;
	}
	if (bad)
		return usage_error(cmd ? cmd->name : NULL);
	if (!cmd) {
		cl_err("no command given");
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	for (k = 0; k < ARRAY_SIZE(opt_bits); k++) {
		unsigned int bit = opt_bits[k].bit;

		if ((seen & bit) && !((cmd->opts | OPTS_ALL_CMDS) & bit)) {
			cl_err("%s does not apply to '%s'", opt_bits[k].name,
			       cmd->name);
			bad = 1;
		}
	}
	if ((seen & OPT_TREE) && (seen & OPT_FLAT)) {
		cl_err("--tree and --flat exclude each other");
		bad = 1;
	}
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		cl_err("'%s' takes %s", cmd->name,
		       cmd->max_args == 0 ? "no arguments" :
		       cmd->max_args == 1 ? "one PID" :
		       cmd->min_args == 2 ? "two PIDs" :
		       "PID [VMA] [PID2]");
		bad = 1;
	}
	if (bad)
		return usage_error(cmd->name);

	if (!env.debugfs) {
		env_dir = getenv("COWLAB_DEBUGFS");
		env.debugfs = env_dir && *env_dir ? env_dir : COWLAB_DEBUGFS;
	}
	/* "dir/" names files "dir//procs" otherwise. */
	debugfs = strdup(env.debugfs);
	if (!debugfs) {
		cl_err("out of memory");
		return EXIT_FAIL;
	}
	for (len = strlen(debugfs); len > 1 && debugfs[len - 1] == '/'; len--)
		debugfs[len - 1] = '\0';
	env.debugfs = debugfs;
	for (i = 0; i < nargs; i++)
		if (!*args[i]) {
			cl_err("empty argument");
			return usage_error(cmd->name);
		}
	ret = cmd->fn(nargs, args);
	free(debugfs);
	return ret;
}
