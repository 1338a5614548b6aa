// SPDX-License-Identifier: GPL-2.0
/*
 * cowlab: read cowlab's copy-on-write counters from debugfs.
 * This file: the commands, and dispatch to the one the command line names.
 */
#include <string.h>

#include "cmds.h"
#include "err.h"
#include "help.h"
#include "opts.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned int opts;
	int min_args, max_args;
	const char *help;
};

static const struct command commands[] = {
	{ "procs", cmd_procs, OPTS_PROCS, 0, 0, help_procs },
	{ "top", cmd_top, OPTS_PROCS | OPT_INTERVAL | OPT_ITERATIONS, 0, 0,
	  help_top },
	{ "vmas", cmd_vmas, OPT_PAGES, 1, 1, help_vmas },
	{ "diff", cmd_diff, OPT_VMA | OPT_PAGES, 2, 2, help_diff },
	{ "map", cmd_map, OPT_VMA | OPT_WIDTH | OPT_HEIGHT | OPT_CELL_PAGES |
	  OPT_MAJORITY | OPT_COLOR | OPT_PAGES, 1, 3, help_map },
	{ "status", cmd_status, 0, 0, 0, help_status },
	{ "sites", cmd_sites, OPT_ON | OPT_OFF, 0, 1, help_sites },
	{ "timeline", cmd_timeline, OPT_SVG, 1, 1, help_timeline },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Are @nargs arguments right for @cmd? Says why not. */
static bool args_ok(const struct command *cmd, int nargs)
{
	if (nargs >= cmd->min_args && nargs <= cmd->max_args)
		return true;
	cl_err("'%s' takes %s", cmd->name,
	       cmd->max_args == 0 ? "no arguments" :
	       cmd->max_args == 1 ? "one PID" :
	       cmd->min_args == 2 ? "two PIDs" :
	       "PID [VMA] [PID2]");
	return false;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	unsigned int seen;
	char **args;
	int nargs, i, ret;
	bool bad;

	i = opts_parse(argc, argv, &seen, &bad);
	args = argv + i;
	nargs = argc - i;

	/* "cowlab help [COMMAND]" is "cowlab [COMMAND] --help". */
	if (nargs && !strcmp(args[0], "help")) {
		seen |= OPT_HELP;
		args++;
		nargs--;
	}
	if (nargs) {
		cmd = find_command(args[0]);
		if (!cmd) {
			cl_err("unknown command '%s': the commands are procs, top, vmas, diff, map, status, sites, timeline",
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
		fputs(cmd ? cmd->help : help_main, stdout);
		return EXIT_OK;
	}
	if (bad)
		return usage_error(cmd ? cmd->name : NULL);
	if (!cmd) {
		cl_err("no command given");
		fputs(help_main, stderr);
		return EXIT_USAGE;
	}
	bad = !opts_check(seen, cmd->opts, cmd->name);
	if (!args_ok(cmd, nargs) || bad)
		return usage_error(cmd->name);

	ret = opts_finish();
	if (ret)
		return ret;
	for (i = 0; i < nargs; i++) {
		if (!*args[i]) {
			cl_err("empty argument");
			opts_free();
			return usage_error(cmd->name);
		}
	}
	ret = cmd->fn(nargs, args);
	opts_free();
	return ret;
}
