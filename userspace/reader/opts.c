// SPDX-License-Identifier: GPL-2.0
/*
 * The command line's options: the getopt table, each option's checks and
 * messages, and struct env, which they fill.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "classes.h"
#include "err.h"
#include "opts.h"
#include "table.h"

struct env env = {
	.interval_ms = 1000,
};

/* The copy of the directory that opts_finish() made, for opts_free(). */
static char *debugfs_copy;

enum {
	LONG_DEBUGFS = 256,
	LONG_COLOR,
	LONG_FLAT,
	LONG_VMA,
	LONG_PAGES,
	LONG_HEIGHT,
	LONG_CELL_PAGES,
	LONG_MAJORITY,
	LONG_WIDE,
	LONG_SVG,
	LONG_ON,
	LONG_OFF,
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
	{ "wide", no_argument, NULL, LONG_WIDE },
	{ "svg", required_argument, NULL, LONG_SVG },
	{ "on", no_argument, NULL, LONG_ON },
	{ "off", no_argument, NULL, LONG_OFF },
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
	{ LONG_WIDE, OPT_WIDE, "--wide" },
	{ LONG_SVG, OPT_SVG, "--svg" },
	{ LONG_ON, OPT_ON, "--on" },
	{ LONG_OFF, OPT_OFF, "--off" },
	{ 'h', OPT_HELP, "--help" },
	{ 'V', OPT_VERSION, "--version" },
};

int parse_pid(const char *s, int *pid)
{
	unsigned long long v;

	if (cowlab_field_u64(s, &v) || v < 1 || v > INT_MAX)
		return -EINVAL;
	*pid = (int)v;
	return 0;
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

static int parse_color(const char *arg)
{
	if (!arg || !strcmp(arg, "always")) {
		env.color = COLOR_ALWAYS;
	} else if (!strcmp(arg, "auto")) {
		env.color = COLOR_AUTO;
	} else if (!strcmp(arg, "never")) {
		env.color = COLOR_NEVER;
	} else {
		cl_err("--color takes auto, always or never, not '%s'", arg);
		return -EINVAL;
	}
	return 0;
}

/* Options that take a number. */
static int parse_number_opt(int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
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
	}
	return 0;
}

static int parse_opt(int c, const char *arg)
{
	struct sort_key key;

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
		return parse_color(arg);
	case 's':
		if (sort_key_parse(arg, &key))
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
	case LONG_PAGES:
		env.raw_pages = true;
		break;
	case LONG_MAJORITY:
		env.majority = true;
		break;
	case LONG_WIDE:
		env.wide = true;
		break;
	case LONG_SVG:
		if (!*arg) {
			cl_err("--svg wants a file name (- for standard output)");
			return -EINVAL;
		}
		env.svg = arg;
		break;
	case LONG_ON:
		env.sites_switch = 1;
		break;
	case LONG_OFF:
		env.sites_switch = -1;
		break;
	default:
		return parse_number_opt(c, arg);
	}
	return 0;
}

int opts_parse(int argc, char **argv, unsigned int *seen, bool *bad)
{
	size_t k;
	int c;

	*seen = 0;
	*bad = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":js:rtp:i:n:w:hV", long_opts,
				NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				cl_err("unknown option -%c", optopt);
			else
				cl_err("unknown option %s", argv[optind - 1]);
			*bad = true;
			continue;
		}
		if (c == ':') {
			cl_err("option %s needs a value", argv[optind - 1]);
			*bad = true;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(opt_bits); k++)
			if (opt_bits[k].val == c)
				*seen |= opt_bits[k].bit;
		if (parse_opt(c, optarg))
			*bad = true;
	}
	return optind;
}

bool opts_check(unsigned int seen, unsigned int allowed, const char *cmd)
{
	bool ok = true;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(opt_bits); k++) {
		unsigned int bit = opt_bits[k].bit;

		if ((seen & bit) && !((allowed | OPTS_ALL_CMDS) & bit)) {
			cl_err("%s does not apply to '%s'", opt_bits[k].name,
			       cmd);
			ok = false;
		}
	}
	if ((seen & OPT_TREE) && (seen & OPT_FLAT)) {
		cl_err("--tree and --flat exclude each other");
		ok = false;
	}
	if ((seen & OPT_ON) && (seen & OPT_OFF)) {
		cl_err("--on and --off exclude each other");
		ok = false;
	}
	if ((seen & OPT_JSON) && (seen & OPT_SVG) && env.svg &&
	    !strcmp(env.svg, "-")) {
		cl_err("--json and --svg - both want standard output: give --svg a file");
		ok = false;
	}
	return ok;
}

int opts_finish(void)
{
	const char *env_dir;
	size_t len;

	if (!env.debugfs) {
		env_dir = getenv("COWLAB_DEBUGFS");
		env.debugfs = env_dir && *env_dir ? env_dir : COWLAB_DEBUGFS;
	}
	/* "dir/" names files "dir//procs" otherwise. */
	debugfs_copy = strdup(env.debugfs);
	if (!debugfs_copy) {
		cl_err("out of memory");
		return EXIT_FAIL;
	}
	for (len = strlen(debugfs_copy);
	     len > 1 && debugfs_copy[len - 1] == '/'; len--)
		debugfs_copy[len - 1] = '\0';
	env.debugfs = debugfs_copy;
	return EXIT_OK;
}

void opts_free(void)
{
	free(debugfs_copy);
	debugfs_copy = NULL;
}
