/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The demos' command line and output: the options every demo takes
 * (struct env), --help and --version, the banner, CPU pinning, and the
 * one-write(2)-per-line output and error exits (README.md: "Options",
 * "Output").  The bottom layer: it calls nothing of the demos but thp.h.
 */
#ifndef COWLAB_DEMO_CLI_H
#define COWLAB_DEMO_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

#define DEMO_VERSION	"0.1.0"
#define DEMO_MAX_PAGES	262144UL	/* 1 GiB */

/* struct demo_info.flags */
#define DEMO_LOOPS		BIT(0)	/* runs forever unless --steps */
#define DEMO_INTERACTIVE	BIT(1)	/* --wait is the default */
#define DEMO_EXEC		BIT(2)	/* --exec PATH [ARG...] */

struct demo_info {
	const char *name;
	const char *summary;	/* one line */
	const char *help;	/* the steps, for --help */
	const char *examples;	/* for --help */
	unsigned long default_pages;
	unsigned long min_pages;
	unsigned int flags;
};

/* The options, filled by demo_init(). */
struct env {
	unsigned long pages;	/* region size in 4 KiB pages */
	long steps;		/* iterations; -1: forever (DEMO_LOOPS demos) */
	bool wait;		/* pause at every checkpoint for a stdin line */
	bool huge;		/* let THP back the region */
	long interval_ms;	/* pacing between iterations when not waiting */
	char **exec_argv;	/* DEMO_EXEC: program and arguments, NULL-ended */
};

extern struct env env;

/*
 * Parse the command line (exits 2 on a usage error, 0 after --help or
 * --version), pin the process to one CPU and print the banner.
 */
void demo_init(const struct demo_info *info, int argc, char **argv);

/* The demo's name ("demo" before demo_init()). */
const char *demo_name(void);

/* Iteration @k is to run: env.steps is -1 (forever) or more than @k. */
static inline bool demo_more_steps(unsigned long k)
{
	return env.steps < 0 || k < (unsigned long)env.steps;
}

/* Print one line (or a few) to stdout with a single write(2). */
void demo_say(const char *fmt, ...) __printf(1, 2);

/* Write all of @buf to @fd; on failure die (or _exit(1) for stderr). */
void demo_write_all(int fd, const void *buf, size_t len);

/*
 * Print "NAME: message" on stderr and exit 1 (_exit(1) in a forked child:
 * see demo_in_child()); _errno appends strerror.
 */
void demo_die(const char *fmt, ...)
	__printf(1, 2) __noreturn;
void demo_die_errno(const char *fmt, ...)
	__printf(1, 2) __noreturn;

/* Called in a demo's forked child: from now on demo_die() uses _exit(). */
void demo_in_child(void);

#endif /* COWLAB_DEMO_CLI_H */
