// SPDX-License-Identifier: GPL-2.0
/*
 * The procs table: reading it from debugfs into one entry per process,
 * checked (pids, counters), and finding a process in it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "procs.h"

static int bad_id(const struct dbgfs_src *src, const struct cowlab_table *t,
		  size_t r, int col, int min, int *out)
{
	unsigned long long v;
	char *safe;

	if (!cowlab_field_u64(t->rows[r][col], &v) && v >= (unsigned int)min &&
	    v <= INT_MAX) {
		*out = (int)v;
		return 0;
	}
	safe = fmt_safe(t->rows[r][col]);
	dbgfs_bad(src, r + 2, "%s '%.32s' is not a process id",
		  t->cols[col], safe ? safe : "?");
	free(safe);
	return -EINVAL;
}

int procs_load(struct procs *ps)
{
	struct dbgfs_src src;
	int cpid, cppid, cstate, ccomm, cctr[NR_PROC_CTRS];
	size_t r;
	int i;

	memset(ps, 0, sizeof(*ps));
	if (dbgfs_table("procs", 0, 0, &ps->t, &src))
		return EXIT_FAIL;
	cpid = dbgfs_col(&src, &ps->t, "pid");
	cppid = cpid < 0 ? -1 : dbgfs_col(&src, &ps->t, "ppid");
	cstate = cppid < 0 ? -1 : dbgfs_col(&src, &ps->t, "state");
	ccomm = cstate < 0 ? -1 : dbgfs_col(&src, &ps->t, "comm");
	if (ccomm < 0)
		goto fail;
	/*
	 * A counter column this module lacks (thp_zero, file_copy, cow_ksm,
	 * in older modules)
	 * reads as "-", like a class the kernel cannot count.
	 */
	for (i = 0; i < NR_PROC_CTRS; i++)
		cctr[i] = cowlab_table_col(&ps->t, class_name(i));

	ps->v = calloc(ps->t.nrows + 1, sizeof(*ps->v));
	if (!ps->v) {
		cl_err("out of memory");
		goto fail;
	}
	for (r = 0; r < ps->t.nrows; r++) {
		struct proc *p = &ps->v[r];

		if (bad_id(&src, &ps->t, r, cpid, 1, &p->pid) ||
		    bad_id(&src, &ps->t, r, cppid, 0, &p->ppid))
			goto fail;
		p->state = ps->t.rows[r][cstate];
		p->comm = ps->t.rows[r][ccomm];
		for (i = 0; i < NR_PROC_CTRS; i++)
			if (dbgfs_u64(&src, &ps->t, r, cctr[i], &p->ctr[i],
				      &p->avail[i]))
				goto fail;
	}
	ps->n = ps->t.nrows;
	return EXIT_OK;
fail:
	procs_free(ps);
	return EXIT_FAIL;
}

void procs_free(struct procs *ps)
{
	free(ps->v);
	cowlab_table_free(&ps->t);
	memset(ps, 0, sizeof(*ps));
}

/* The entry for @pid: the live one if the pid was reused. */
const struct proc *procs_find(const struct procs *ps, int pid)
{
	const struct proc *found = NULL;
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (ps->v[i].pid != pid)
			continue;
		if (!found || !strcmp(ps->v[i].state, "live"))
			found = &ps->v[i];
	}
	return found;
}
