// SPDX-License-Identifier: GPL-2.0
/*
 * The procs table shown: as aligned text, children indented under their
 * parent, or as JSON; and `cowlab procs`.
 */
#include <stdlib.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "opts.h"
#include "procs_order.h"
#include "procs_show.h"
#include "ttable.h"

static void proc_json(struct json *j, const struct proc *p)
{
	int i;

	json_obj(j);
	json_key(j, "pid");
	json_u64(j, p->pid);
	json_key(j, "ppid");
	json_u64(j, p->ppid);
	json_key(j, "state");
	json_str(j, p->state);
	json_key(j, "comm");
	json_str(j, p->comm);
	for (i = 0; i < NR_PROC_CTRS; i++) {
		json_key(j, class_name(i));
		json_u64_or_null(j, p->ctr[i], p->avail[i]);
	}
	json_obj_end(j);
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

int procs_show(const struct procs *ps, FILE *f, size_t max_rows,
	       struct json *j)
{
	/* T_: of a PMD-mapped THP.  80 columns for the lab's trees. */
	static const char *const hdr[] = {
		"PID", "PPID", "STATE", "COPY", "ZERO", "REUSE", "UNSHARE",
		"T_REUSE", "T_SPLIT", "T_ZERO", "FILE", "KSM", "COMM",
	};
	bool tree = env.tree == TREE_ON || (env.tree == TREE_AUTO && !env.sort);
	struct ttable t;
	struct order o;
	char buf[SIZE_BUF];
	size_t k;
	int i;

	static_assert(ARRAY_SIZE(hdr) == NR_PROC_CTRS + 4,
		      "procs columns");
	if (procs_order(ps, tree && !j, &o))
		return EXIT_FAIL;
	if (env.pid && !o.n) {
		cl_err("process %d is not in cowlab's procs table: a process is listed once it forks,\n"
		       "        or breaks a COW, while the module is loaded",
		       env.pid);
		order_free(&o);
		return EXIT_FAIL;
	}
	if (j) {
		json_arr(j);
		for (k = 0; k < o.n; k++) {
			json_nl(j);
			proc_json(j, &ps->v[o.idx[k]]);
		}
		if (o.n)
			json_nl(j);
		json_arr_end(j);
		order_free(&o);
		return EXIT_OK;
	}

	tt_init(&t, NR_PROC_CTRS + 4, hdr, 1UL << 2 | 1UL << (NR_PROC_CTRS + 3));
	for (k = 0; k < o.n; k++) {
		const struct proc *p = &ps->v[o.idx[k]];
		char *state = fmt_safe(p->state);

		tt_cellf(&t, "%d", p->pid);
		tt_cellf(&t, "%d", p->ppid);
		tt_cell(&t, state ? state : "?");
		free(state);
		for (i = 0; i < NR_PROC_CTRS; i++)
			tt_cell(&t, fmt_count(buf, p->ctr[i], p->avail[i]));
		tree_comm(&t, p->comm, o.depth[k]);
	}
	tt_print(&t, f, max_rows);
	if (max_rows && t.nrows > max_rows)
		fprintf(f, "(%zu more: a taller window, or --pid, shows them)\n",
			t.nrows - max_rows);
	tt_free(&t);
	order_free(&o);
	return EXIT_OK;
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
