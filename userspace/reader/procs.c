// SPDX-License-Identifier: GPL-2.0
/*
 * The procs table: reading it from debugfs into one entry per process,
 * checked (pids, counters), with its classes; finding a process in it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The exposure columns: no classes, read by name (see struct proc). */
static const char *const exposure_cols[] = {
	"fork_shared", "by_parent", "by_self",
};

/* Is @name a column that says who a process is, or an exposure one? */
static bool id_column(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exposure_cols); i++)
		if (!strcmp(name, exposure_cols[i]))
			return true;
	return !strcmp(name, "pid") || !strcmp(name, "ppid") ||
	       !strcmp(name, "state") || !strcmp(name, "comm");
}

/* Read the exposure columns of record @r into @p (none: all "-"). */
static int load_exposure(const struct dbgfs_src *src, struct procs *ps,
			 size_t r, struct proc *p)
{
	int c0 = cowlab_table_col(&ps->t, exposure_cols[0]);
	int c1 = cowlab_table_col(&ps->t, exposure_cols[1]);
	int c2 = cowlab_table_col(&ps->t, exposure_cols[2]);

	ps->exposure = c0 >= 0;
	if (dbgfs_u64(src, &ps->t, r, c0, &p->fork_shared, &p->has_shared) ||
	    dbgfs_u64(src, &ps->t, r, c1, &p->by_parent, &p->has_parent) ||
	    dbgfs_u64(src, &ps->t, r, c2, &p->by_self, &p->has_self))
		return -EINVAL;
	return 0;
}

bool procs_fork_ratio(const struct proc *p, long double *r)
{
	if (!p->has_shared || !p->has_parent || !p->has_self ||
	    !p->fork_shared)
		return false;
	*r = ((long double)p->by_parent + p->by_self) / p->fork_shared;
	return true;
}

const char *procs_fork_cost(char *buf, const struct proc *p)
{
	unsigned long long pct;
	long double r;

	if (!procs_fork_ratio(p, &r)) {
		snprintf(buf, SIZE_BUF, "-");
		return buf;
	}
	/* Rounded to nearest; "<1%" rather than "0%" for a few copies. */
	pct = (unsigned long long)(r * 100 + 0.5L);
	if (r > 0 && !pct)
		snprintf(buf, SIZE_BUF, "<1%%");
	else
		snprintf(buf, SIZE_BUF, "%llu%%", pct);
	return buf;
}

/*
 * Add class @name, which the classes file lists, unless the reader knows
 * it: a column of its own in --wide, titled with its name in upper case,
 * and part of OTHER. Returns 0, or -ENOMEM after saying so.
 */
static int add_new_class(struct procs *ps, const char *name, size_t max)
{
	struct pclass *c = &ps->cls[ps->ncls];
	char *safe, *p;
	size_t len;

	if (procs_class(ps, name) >= 0 || id_column(name) || ps->ncls >= max)
		return 0;
	safe = fmt_safe(name);
	len = strlen(name);
	c->own = safe ? malloc(len + strlen(safe) + 2) : NULL;
	if (!c->own) {
		free(safe);
		cl_err("out of memory");
		return -ENOMEM;
	}
	memcpy(c->own, name, len + 1);
	p = c->own + len + 1;
	strcpy(p, safe);
	free(safe);
	c->ci.name = c->own;
	c->ci.title = p;
	for (; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	c->ci.key = c->ci.name;
	c->ci.family = FAM_NEW;
	c->ci.other = true;
	ps->ncls++;
	return 0;
}

/*
 * The classes of @ps: the known ones, then the new ones of the classes file
 * (none for a module before that file). Returns 0, or -1 after saying why.
 */
static int load_classes(struct procs *ps)
{
	const struct class_info *known;
	size_t nknown = classes_known(&known), r, max;
	struct cowlab_table ct;
	struct dbgfs_src src;
	int ret, cname;

	max = nknown + MAX_NEW_CLASSES;
	ps->cls = calloc(max, sizeof(*ps->cls));
	if (!ps->cls) {
		cl_err("out of memory");
		return -1;
	}
	for (r = 0; r < nknown; r++)
		ps->cls[r].ci = known[r];
	ps->ncls = nknown;
	ret = dbgfs_table("classes", 0, DBGFS_OPTIONAL |
			  COWLAB_TABLE_REST_LAST | COWLAB_TABLE_LAST_OPTIONAL,
			  &ct, &src);
	if (ret == DBGFS_ABSENT)
		return 0;
	if (ret)
		return -1;
	cname = dbgfs_col(&src, &ct, "class");
	for (r = 0; cname >= 0 && r < ct.nrows; r++)
		if (add_new_class(ps, ct.rows[r][cname], max))
			cname = -2;
	cowlab_table_free(&ct);
	return cname < 0 ? -1 : 0;
}

int procs_load(struct procs *ps)
{
	struct dbgfs_src src;
	int cpid, cppid, cstate, ccomm;
	size_t r, i;

	memset(ps, 0, sizeof(*ps));
	if (dbgfs_table("procs", 0, 0, &ps->t, &src))
		return EXIT_FAIL;
	cpid = dbgfs_col(&src, &ps->t, "pid");
	cppid = cpid < 0 ? -1 : dbgfs_col(&src, &ps->t, "ppid");
	cstate = cppid < 0 ? -1 : dbgfs_col(&src, &ps->t, "state");
	ccomm = cstate < 0 ? -1 : dbgfs_col(&src, &ps->t, "comm");
	if (ccomm < 0 || load_classes(ps))
		goto fail;
	/*
	 * A class without a column (thp_zero, file_copy, cow_ksm, ... in
	 * older modules) reads as "-", like one the kernel cannot count.
	 */
	for (i = 0; i < ps->ncls; i++)
		ps->cls[i].col = cowlab_table_col(&ps->t, ps->cls[i].ci.name);

	ps->v = calloc(ps->t.nrows + 1, sizeof(*ps->v));
	ps->ctr = calloc(ps->t.nrows * ps->ncls + 1, sizeof(*ps->ctr));
	ps->avail = calloc(ps->t.nrows * ps->ncls + 1, sizeof(*ps->avail));
	if (!ps->v || !ps->ctr || !ps->avail) {
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
		p->ctr = ps->ctr + r * ps->ncls;
		p->avail = ps->avail + r * ps->ncls;
		for (i = 0; i < ps->ncls; i++)
			if (dbgfs_u64(&src, &ps->t, r, ps->cls[i].col,
				      &p->ctr[i], &p->avail[i]))
				goto fail;
		if (load_exposure(&src, ps, r, p))
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
	size_t i;

	for (i = 0; i < ps->ncls; i++)
		free(ps->cls[i].own);
	free(ps->cls);
	free(ps->ctr);
	free(ps->avail);
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

int procs_class(const struct procs *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->ncls; i++)
		if (!strcasecmp(ps->cls[i].ci.name, name))
			return (int)i;
	return -1;
}

bool procs_other(const struct procs *ps, const struct proc *p,
		 unsigned long long *sum)
{
	bool any = false;
	size_t i;

	*sum = 0;
	for (i = 0; i < ps->ncls; i++) {
		if (ps->cls[i].ci.other && p->avail[i]) {
			*sum = sat_add(*sum, p->ctr[i]);
			any = true;
		}
	}
	return any;
}
