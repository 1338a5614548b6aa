/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procs.c: the procs table of debugfs, read into one entry per process,
 * with the classes it counts: those the reader knows, then those that the
 * module's classes file lists and the reader does not know.
 */
#ifndef COWLAB_READER_PROCS_H
#define COWLAB_READER_PROCS_H

#include "classes.h"
#include "common.h"
#include "table.h"

/* At most this many classes the reader does not know; more are ignored. */
#define MAX_NEW_CLASSES	32

struct pclass {
	struct class_info ci;
	int col;			/* in the procs table; -1: not there */
	char *own;			/* ci.name and ci.title of a new class */
};

struct proc {
	int pid, ppid;
	const char *state;		/* "live", "exited" */
	const char *comm;
	unsigned long long *ctr;	/* one per class of the table */
	bool *avail;			/* false: "-", not counted here */
	/*
	 * Exposure (columns fork_shared, by_parent, by_self): anon pages
	 * shared at the fork that made this process, and of those, copied
	 * since by the parent and by the process; each false if "-".
	 */
	unsigned long long fork_shared, by_parent, by_self;
	bool has_shared, has_parent, has_self;
};

struct procs {
	struct cowlab_table t;
	struct pclass *cls;		/* known classes, then new ones */
	size_t ncls;
	struct proc *v;
	size_t n;
	unsigned long long *ctr;	/* n * ncls */
	bool *avail;
	bool exposure;			/* the table has the exposure columns */
};

/* Read procs (and classes): EXIT_OK, or EXIT_FAIL after saying why. */
int procs_load(struct procs *ps);
void procs_free(struct procs *ps);

/* The entry for @pid: the live one if the pid was reused; or NULL. */
const struct proc *procs_find(const struct procs *ps, int pid);

/*
 * The sum of @p's counts in the classes that OTHER adds up into *@sum;
 * false if none of them is counted here ("-").
 */
bool procs_other(const struct procs *ps, const struct proc *p,
		 unsigned long long *sum);

/*
 * The share of @p's fork-shared pages copied since, by it and its parent,
 * as a percentage into @buf (SIZE_BUF bytes): "38%", "<1%", or "-" when
 * a count is unknown or nothing was shared.
 */
const char *procs_fork_cost(char *buf, const struct proc *p);

/* The same as a fraction into *@r; false where COST is "-". */
bool procs_fork_ratio(const struct proc *p, long double *r);

/* Index of the class named @name (any case) in ps->cls, or -1. */
int procs_class(const struct procs *ps, const char *name);

#endif /* COWLAB_READER_PROCS_H */
