/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opts.c: the command line's options: struct env (set by opts_parse() and
 * opts_finish(), read by every command) and parse_pid() for arguments.
 */
#ifndef COWLAB_READER_OPTS_H
#define COWLAB_READER_OPTS_H

#include "common.h"

enum color_mode {
	COLOR_AUTO,
	COLOR_ALWAYS,
	COLOR_NEVER,
};

enum tree_mode {
	TREE_AUTO,			/* tree unless --sort was given */
	TREE_ON,
	TREE_OFF,
};

/* Command-line options: set once before a command runs, then read only. */
struct env {
	const char *debugfs;		/* the cowlab directory */
	bool json;
	bool raw_pages;			/* --pages: counts, not sizes */
	enum color_mode color;
	const char *sort;		/* procs, top: column to sort by */
	bool reverse;
	enum tree_mode tree;
	int pid;			/* procs, top: --pid, 0 for all */
	bool wide;			/* procs, top: a column per class */
	const char *vma;		/* diff: --vma */
	long interval_ms;		/* top */
	long iterations;		/* top: 0 for until interrupted */
	int width, height;		/* map: 0 for the terminal's */
	unsigned long long cell_pages;	/* map: 0 to fit the screen */
	bool majority;			/* map: cells show the majority */
	const char *svg;		/* timeline: --svg FILE ("-": stdout) */
	int sites_switch;		/* sites: 1 --on, -1 --off, 0 neither */
};

extern struct env env;

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
	OPT_WIDE = 1 << 18,
	OPT_SVG = 1 << 19,
	OPT_ON = 1 << 20,
	OPT_OFF = 1 << 21,
};

#define OPTS_ALL_CMDS	(OPT_DEBUGFS | OPT_JSON | OPT_HELP | OPT_VERSION)
#define OPTS_PROCS	(OPT_SORT | OPT_REVERSE | OPT_TREE | OPT_FLAT | OPT_PID | \
			 OPT_WIDE)

/*
 * Parse the options of @argv into env, saying what is wrong with each bad
 * one. *@seen: the OPT_* bits given. Returns the index of the first
 * argument that is not an option; *@bad is set if any option was wrong.
 */
int opts_parse(int argc, char **argv, unsigned int *seen, bool *bad);

/*
 * Do the options @seen suit command @cmd, which takes @allowed (besides
 * OPTS_ALL_CMDS)? Says why not; returns true if they do.
 */
bool opts_check(unsigned int seen, unsigned int allowed, const char *cmd);

/* The cowlab directory: --debugfs, $COWLAB_DEBUGFS or the default. */
int opts_finish(void);
void opts_free(void);

/* A pid as the kernel prints it: 1 to INT_MAX, decimal digits only. */
int parse_pid(const char *s, int *pid);

#endif /* COWLAB_READER_OPTS_H */
