// SPDX-License-Identifier: GPL-2.0
/*
 * The procs table: parsing it, ordering it (sorted, or as a tree of parents
 * and children), printing it as text or JSON. `cowlab procs`.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cowlab.h"

/* debugfs column names, which are also the JSON keys and sort keys. */
static const char *const ctr_names[NR_PROC_CTRS] = {
	[CTR_COW_COPY] = "cow_copy",
	[CTR_COW_ZERO] = "cow_zero",
	[CTR_WP_REUSE] = "wp_reuse",
	[CTR_UNSHARE] = "unshare",
	[CTR_THP_REUSE] = "thp_reuse",
	[CTR_THP_SPLIT] = "thp_split",
	[CTR_THP_ZERO] = "thp_zero",
	[CTR_FILE_COPY] = "file_copy",
	[CTR_COW_KSM] = "cow_ksm",
};

enum key_kind { KEY_PID, KEY_PPID, KEY_STATE, KEY_COMM, KEY_CTR };

static const struct sort_key {
	const char *name;
	const char *title;
	enum key_kind kind;
	enum proc_ctr ctr;
} sort_keys[] = {
	{ "pid", "pid", KEY_PID, 0 },
	{ "ppid", "ppid", KEY_PPID, 0 },
	{ "state", "state", KEY_STATE, 0 },
	{ "comm", "comm", KEY_COMM, 0 },
	{ "cow_copy", "copy", KEY_CTR, CTR_COW_COPY },
	{ "cow_zero", "zero", KEY_CTR, CTR_COW_ZERO },
	{ "wp_reuse", "reuse", KEY_CTR, CTR_WP_REUSE },
	{ "unshare", "unshare", KEY_CTR, CTR_UNSHARE },
	{ "thp_reuse", "t_reuse", KEY_CTR, CTR_THP_REUSE },
	{ "thp_split", "t_split", KEY_CTR, CTR_THP_SPLIT },
	{ "thp_zero", "t_zero", KEY_CTR, CTR_THP_ZERO },
	{ "file_copy", "file", KEY_CTR, CTR_FILE_COPY },
	{ "cow_ksm", "ksm", KEY_CTR, CTR_COW_KSM },
};

#define NR_SORT_KEYS ARRAY_SIZE(sort_keys)

static const struct sort_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NR_SORT_KEYS; i++)
		if (!strcasecmp(name, sort_keys[i].name) ||
		    !strcasecmp(name, sort_keys[i].title))
			return &sort_keys[i];
	return NULL;
}

int procs_check_sort(const char *key)
{
	if (find_key(key))
		return 0;
	cl_err("cannot sort by '%s': use pid, ppid, state, comm, cow_copy, cow_zero, wp_reuse, unshare, thp_reuse, thp_split, thp_zero, file_copy or cow_ksm",
	       key);
	return -EINVAL;
}

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
		cctr[i] = cowlab_table_col(&ps->t, ctr_names[i]);

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

static const struct sort_key *cur_key;
static const struct procs *cur_procs;

static int cmp_u(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* qsort() order of indexes into cur_procs by cur_key, then by pid. */
static int cmp_idx(const void *pa, const void *pb)
{
	const struct proc *a = &cur_procs->v[*(const size_t *)pa];
	const struct proc *b = &cur_procs->v[*(const size_t *)pb];
	int c = 0;

	switch (cur_key->kind) {
	case KEY_PID:
		break;
	case KEY_PPID:
		c = cmp_u(a->ppid, b->ppid);
		break;
	case KEY_STATE:
		c = strcmp(a->state, b->state);
		break;
	case KEY_COMM:
		c = strcmp(a->comm, b->comm);
		break;
	case KEY_CTR:
		/* Largest first; "-" after every number. */
		if (a->avail[cur_key->ctr] != b->avail[cur_key->ctr])
			c = a->avail[cur_key->ctr] ? -1 : 1;
		else
			c = -cmp_u(a->ctr[cur_key->ctr], b->ctr[cur_key->ctr]);
		break;
	}
	if (!c)
		c = cmp_u(a->pid, b->pid);
	if (!c)
		c = cmp_u(*(const size_t *)pa, *(const size_t *)pb);
	return env.reverse ? -c : c;
}

/* qsort() order of indexes into cur_procs: by pid, live entries first. */
static int cmp_pid(const void *pa, const void *pb)
{
	const struct proc *a = &cur_procs->v[*(const size_t *)pa];
	const struct proc *b = &cur_procs->v[*(const size_t *)pb];
	int c = cmp_u(a->pid, b->pid);

	if (!c)
		c = !strcmp(b->state, "live") - !strcmp(a->state, "live");
	if (!c)
		c = cmp_u(*(const size_t *)pa, *(const size_t *)pb);
	return c;
}

/*
 * Index of each entry's parent into @parent, -1 for none: the entry whose
 * pid is its ppid, the live one if the pid was reused. @by_pid: scratch.
 */
static void find_parents(const struct procs *ps, size_t *by_pid, long *parent)
{
	size_t n = ps->n, i;

	for (i = 0; i < n; i++)
		by_pid[i] = i;
	cur_procs = ps;
	qsort(by_pid, n, sizeof(*by_pid), cmp_pid);
	for (i = 0; i < n; i++) {
		size_t lo = 0, hi = n;

		parent[i] = -1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (ps->v[by_pid[mid]].pid < ps->v[i].ppid)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && ps->v[by_pid[lo]].pid == ps->v[i].ppid; lo++) {
			if (by_pid[lo] != i) {
				parent[i] = (long)by_pid[lo];
				break;
			}
		}
	}
}

struct order {
	size_t *idx;			/* entries in display order */
	int *depth;			/* tree depth of each, 0 if flat */
	size_t n;
};

static void order_free(struct order *o)
{
	free(o->idx);
	free(o->depth);
}

/*
 * Display order: sorted, then (tree mode) each entry followed by its
 * children; with --pid, only that process and its descendants.
 */
static int order(const struct procs *ps, bool tree, struct order *o)
{
	size_t n = ps->n, i, k, sp;
	size_t *sorted = calloc(n + 1, sizeof(size_t));
	size_t *kid_at = calloc(n + 2, sizeof(size_t));
	size_t *kids = calloc(n + 1, sizeof(size_t));
	size_t *stack = calloc(n + 1, sizeof(size_t));
	size_t *next = calloc(n + 1, sizeof(size_t));
	long *parent = calloc(n + 1, sizeof(long));
	char *keep = calloc(n + 1, 1), *seen = calloc(n + 1, 1);
	int err = 0;

	memset(o, 0, sizeof(*o));
	o->idx = calloc(n + 1, sizeof(size_t));
	o->depth = calloc(n + 1, sizeof(int));
	if (!sorted || !kid_at || !kids || !stack || !next || !parent ||
	    !keep || !seen || !o->idx || !o->depth) {
		cl_err("out of memory");
		err = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++)
		sorted[i] = i;
	cur_key = find_key(env.sort ? env.sort : "pid");
	cur_procs = ps;
	qsort(sorted, n, sizeof(*sorted), cmp_idx);
	find_parents(ps, kids, parent);

	/* --pid: keep an entry if it or an ancestor has that pid. */
	for (i = 0; i < n; i++) {
		long a = (long)i;

		for (k = 0; a >= 0 && k <= n; k++, a = parent[a]) {
			if (!env.pid || ps->v[a].pid == env.pid) {
				keep[i] = 1;
				break;
			}
		}
	}

	if (!tree) {
		for (i = 0; i < n; i++)
			if (keep[sorted[i]])
				o->idx[o->n++] = sorted[i];
		goto out;
	}

	/* Children of each entry, in sorted order (a counting sort). */
	for (i = 0; i < n; i++)
		if (keep[i] && parent[i] >= 0 && keep[parent[i]])
			kid_at[parent[i] + 1]++;
	for (i = 0; i < n; i++)
		kid_at[i + 1] += kid_at[i];
	memcpy(next, kid_at, n * sizeof(size_t));
	for (i = 0; i < n; i++) {
		size_t s = sorted[i];

		if (keep[s] && parent[s] >= 0 && keep[parent[s]])
			kids[next[parent[s]]++] = s;
	}

	/*
	 * Roots first: entries without a (kept) parent. Then whatever is
	 * left, which can only be a cycle (pid reuse), from its first entry.
	 */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++) {
			size_t root = sorted[i];

			if (!keep[root] || seen[root])
				continue;
			if (k == 0 && parent[root] >= 0 && keep[parent[root]])
				continue;
			sp = 0;
			stack[sp++] = root;
			next[root] = kid_at[root];
			seen[root] = 1;
			o->idx[o->n] = root;
			o->depth[o->n++] = 0;
			while (sp) {
				size_t top = stack[sp - 1], kid;

				if (next[top] == kid_at[top + 1]) {
					sp--;
					continue;
				}
				kid = kids[next[top]++];
				if (seen[kid])
					continue;
				seen[kid] = 1;
				o->idx[o->n] = kid;
				o->depth[o->n++] = (int)sp;
				next[kid] = kid_at[kid];
				stack[sp++] = kid;
			}
		}
	}
out:
	free(sorted);
	free(kid_at);
	free(kids);
	free(stack);
	free(next);
	free(parent);
	free(keep);
	free(seen);
	if (err)
		order_free(o);
	return err;
}

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
		json_key(j, ctr_names[i]);
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

/*
 * Print @ps as a table on @f (at most @max_rows rows, 0 for all), or as a
 * JSON array into @j. Returns 0, or EXIT_FAIL (--pid not found).
 */
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
	if (order(ps, tree && !j, &o))
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
