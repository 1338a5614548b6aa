/* SPDX-License-Identifier: GPL-2.0 */
/* procs.c: the procs table of debugfs, read into one entry per process. */
#ifndef COWLAB_READER_PROCS_H
#define COWLAB_READER_PROCS_H

#include "classes.h"
#include "common.h"
#include "table.h"

struct proc {
	int pid, ppid;
	const char *state;		/* "live", "exited" */
	const char *comm;
	unsigned long long ctr[NR_PROC_CTRS];
	bool avail[NR_PROC_CTRS];	/* false: "-", not counted here */
};

struct procs {
	struct cowlab_table t;
	struct proc *v;
	size_t n;
};

/* Read procs: EXIT_OK, or EXIT_FAIL after saying why. */
int procs_load(struct procs *ps);
void procs_free(struct procs *ps);

/* The entry for @pid: the live one if the pid was reused; or NULL. */
const struct proc *procs_find(const struct procs *ps, int pid);

#endif /* COWLAB_READER_PROCS_H */
