// SPDX-License-Identifier: GPL-2.0
/*
 * The procs table shown: as aligned text, children indented under their
 * parent, or as JSON; and `cowlab procs`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "opts.h"
#include "procs_order.h"
#include "procs_show.h"
#include "ttable.h"

static void proc_json(struct json *j, const struct procs *ps,
		      const struct proc *p)
{
	size_t i;

	json_obj(j);
	json_key(j, "pid");
	json_u64(j, p->pid);
	json_key(j, "ppid");
	json_u64(j, p->ppid);
	json_key(j, "state");
	json_str(j, p->state);
	json_key(j, "comm");
	json_str(j, p->comm);
	for (i = 0; i < ps->ncls; i++) {
		json_key(j, ps->cls[i].ci.name);
		json_u64_or_null(j, p->ctr[i], p->avail[i]);
	}
	json_key(j, "fork_shared");
	json_u64_or_null(j, p->fork_shared, p->has_shared);
	json_key(j, "by_parent");
	json_u64_or_null(j, p->by_parent, p->has_parent);
	json_key(j, "by_self");
	json_u64_or_null(j, p->by_self, p->has_self);
	json_obj_end(j);
}

static void procs_json(const struct procs *ps, const struct order *o,
		       struct json *j)
{
	size_t k;

	json_arr(j);
	for (k = 0; k < o->n; k++) {
		json_nl(j);
		proc_json(j, ps, &ps->v[o->idx[k]]);
	}
	if (o->n)
		json_nl(j);
	json_arr_end(j);
}

/* "cow", "\_ cow", "  \_ cow", ... (deep trees stop indenting at 16). */
static void tree_comm(struct ttable *t, const char *comm, int depth)
{
	char *safe = fmt_safe(comm);
	int d = depth > 16 ? 16 : depth;

	tt_cellf(t, "%*s%s%s", d > 1 ? 2 * (d - 1) : 0, "", d ? "\\_ " : "",
		 safe ? safe : "?");
	free(safe);
}

/* Columns that are no class: OTHER, and the exposure ones (--wide). */
enum {
	COL_OTHER = -1,
	COL_SHARED = -2,		/* fork_shared */
	COL_BY_PARENT = -3,
	COL_BY_SELF = -4,
	COL_COST = -5,			/* of fork_shared, copied since */
};

/*
 * The columns of the text table: PID PPID STATE, the counters (class
 * indexes, or COL_OTHER) family by family, the exposure (if the module
 * has it: COST, with --wide the page counts before it), COMM.
 */
struct layout {
	int *col;
	size_t ncol;
	const char **hdr;		/* ncol + 4 titles */
};

static int plan(const struct procs *ps, struct layout *l)
{
	size_t i, k = 3;
	int f;

	l->col = calloc(ps->ncls + 5, sizeof(*l->col));
	l->hdr = calloc(ps->ncls + 9, sizeof(*l->hdr));
	l->ncol = 0;
	if (!l->col || !l->hdr) {
		cl_err("out of memory");
		return -ENOMEM;
	}
	l->hdr[0] = "PID";
	l->hdr[1] = "PPID";
	l->hdr[2] = "STATE";
	for (f = 0; f < NR_FAMILIES; f++) {
		for (i = 0; i < ps->ncls; i++) {
			const struct class_info *ci = &ps->cls[i].ci;

			if ((int)ci->family != f || (ci->other && !env.wide))
				continue;
			l->col[l->ncol++] = (int)i;
			l->hdr[k++] = ci->title;
		}
	}
	if (!env.wide) {
		l->col[l->ncol++] = COL_OTHER;
		l->hdr[k++] = "OTHER";
	}
	if (ps->exposure && env.wide) {
		l->col[l->ncol++] = COL_SHARED;
		l->hdr[k++] = "SHARED";
		l->col[l->ncol++] = COL_BY_PARENT;
		l->hdr[k++] = "BY_PARENT";
		l->col[l->ncol++] = COL_BY_SELF;
		l->hdr[k++] = "BY_SELF";
	}
	if (ps->exposure) {
		l->col[l->ncol++] = COL_COST;
		l->hdr[k++] = "COST";
	}
	l->hdr[k] = "COMM";
	return 0;
}

static void layout_free(struct layout *l)
{
	free(l->col);
	free(l->hdr);
}

/* A label over each family's columns: "---- 2 MiB THP ----". */
static void family_groups(struct ttable *t, const struct procs *ps,
			  const struct layout *l)
{
	size_t c, first;

	for (c = 0; c < l->ncol; c = first) {
		enum class_family f;
		const char *label;

		first = c + 1;
		if (l->col[c] == COL_SHARED) {
			/* SHARED BY_PARENT BY_SELF COST, in --wide */
			tt_group(t, 3 + c, 3 + c + 3, "pages since fork");
			first = c + 4;
			continue;
		}
		if (l->col[c] < 0)
			continue;
		f = ps->cls[l->col[c]].ci.family;
		while (first < l->ncol && l->col[first] >= 0 &&
		       ps->cls[l->col[first]].ci.family == f)
			first++;
		label = family_label(f);
		if (label)
			tt_group(t, 3 + c, 3 + first - 1, label);
	}
}

static void counter_cells(struct ttable *t, const struct procs *ps,
			  const struct layout *l, const struct proc *p)
{
	unsigned long long v;
	char buf[SIZE_BUF];
	size_t c;
	bool avail;

	for (c = 0; c < l->ncol; c++) {
		int i = l->col[c];

		switch (i) {
		case COL_OTHER:
			avail = procs_other(ps, p, &v);
			break;
		case COL_SHARED:
			v = p->fork_shared;
			avail = p->has_shared;
			break;
		case COL_BY_PARENT:
			v = p->by_parent;
			avail = p->has_parent;
			break;
		case COL_BY_SELF:
			v = p->by_self;
			avail = p->has_self;
			break;
		case COL_COST:
			tt_cell(t, procs_fork_cost(buf, p));
			continue;
		default:
			v = p->ctr[i];
			avail = p->avail[i];
		}
		tt_cell(t, fmt_count(buf, v, avail));
	}
}

/*
 * Under the table, if OTHER is not 0 in the @rows shown: what it adds up,
 * "OTHER is cow_ksm 32 + huge_copy 2 (...)", wrapped to 80 columns.
 */
static void other_note(const struct procs *ps, const struct order *o,
		       size_t rows, FILE *f)
{
	static const char tail[] = "(--wide: a column for each class)";
	size_t i, k, n = 0;
	int pos = 0;

	for (i = 0; i < ps->ncls; i++) {
		unsigned long long sum = 0;
		char item[96], *name;
		int len;

		if (!ps->cls[i].ci.other)
			continue;
		for (k = 0; k < rows; k++) {
			const struct proc *p = &ps->v[o->idx[k]];

			if (p->avail[i])
				sum = sat_add(sum, p->ctr[i]);
		}
		if (!sum)
			continue;
		name = fmt_safe(ps->cls[i].ci.name);
		len = snprintf(item, sizeof(item), "%s%s %llu", n ? "+ " : "",
			       name ? name : "?", sum);
		free(name);
		if (!n)
			pos = fprintf(f, "OTHER is");
		if (pos + len + 1 > 80) {
			fputs("\n        ", f);
			pos = 8;
		}
		pos += fprintf(f, " %s", item);
		n++;
	}
	if (!n)
		return;
	if (pos + 1 + (int)strlen(tail) > 80)
		fputs("\n        ", f);
	else
		fputc(' ', f);
	fprintf(f, "%s\n", tail);
}

/* Under the table, if a COST is shown: what it is. */
static void cost_note(const struct procs *ps, const struct order *o,
		      size_t rows, FILE *f)
{
	char buf[SIZE_BUF];
	size_t k;

	for (k = 0; k < rows; k++)
		if (strcmp(procs_fork_cost(buf, &ps->v[o->idx[k]]), "-"))
			break;
	if (k == rows)
		return;
	fputs("COST: of the anon pages that the fork shared, the part copied since by the\n"
	      "        process and its parent", f);
	fputs(env.wide ? "\n" : " (--wide: in pages)\n", f);
}

static int procs_text(const struct procs *ps, const struct order *o,
		      FILE *f, size_t max_rows)
{
	struct layout l;
	struct ttable t;
	size_t k, rows;

	if (plan(ps, &l)) {
		layout_free(&l);
		return EXIT_FAIL;
	}
	tt_init(&t, l.ncol + 4, l.hdr, 1UL << 2 | 1UL << (l.ncol + 3));
	family_groups(&t, ps, &l);
	for (k = 0; k < o->n; k++) {
		const struct proc *p = &ps->v[o->idx[k]];
		char *state = fmt_safe(p->state);

		tt_cellf(&t, "%d", p->pid);
		tt_cellf(&t, "%d", p->ppid);
		tt_cell(&t, state ? state : "?");
		free(state);
		counter_cells(&t, ps, &l, p);
		tree_comm(&t, p->comm, o->depth[k]);
	}
	tt_print(&t, f, max_rows);
	rows = o->n;
	if (max_rows && rows > max_rows) {
		fprintf(f, "(%zu more: a taller window, or --pid, shows them)\n",
			rows - max_rows);
		rows = max_rows;
	}
	if (!env.wide)
		other_note(ps, o, rows, f);
	if (ps->exposure)
		cost_note(ps, o, rows, f);
	tt_free(&t);
	layout_free(&l);
	return EXIT_OK;
}

int procs_show(const struct procs *ps, FILE *f, size_t max_rows,
	       struct json *j)
{
	bool tree = env.tree == TREE_ON || (env.tree == TREE_AUTO && !env.sort);
	struct order o;
	int ret = EXIT_OK, err;

	err = procs_order(ps, tree && !j, &o);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	if (env.pid && !o.n) {
		cl_err("process %d is not in cowlab's procs table: a process is listed once it forks,\n"
		       "        or breaks a COW, while the module is loaded",
		       env.pid);
		ret = EXIT_FAIL;
	} else if (j) {
		procs_json(ps, &o, j);
	} else {
		ret = procs_text(ps, &o, f, max_rows);
	}
	order_free(&o);
	return ret;
}

int cmd_procs(int argc, char **argv)
{
	struct procs ps;
	struct json j;
	int ret;

	(void)argc;
	(void)argv;
	ret = dbgfs_init();
	if (ret)
		return ret;
	ret = procs_load(&ps);
	if (ret)
		return ret;
	json_init(&j, stdout);
	ret = procs_show(&ps, stdout, 0, env.json ? &j : NULL);
	if (env.json && !ret)
		putchar('\n');
	procs_free(&ps);
	return ret;
}
