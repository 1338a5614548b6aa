// SPDX-License-Identifier: GPL-2.0
/*
 * The order in which the procs table is shown: sorted by a column, or as a
 * tree (each entry followed by its children, siblings sorted), and with
 * --pid only that process and its descendants.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "opts.h"
#include "procs_order.h"

static struct sort_key cur_key;
static int cur_class;			/* SORT_CLASS: index in cur_procs */
static const struct procs *cur_procs;

static int cmp_u(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* Counts: largest first; "-" after every number. */
static int cmp_count(bool a_avail, unsigned long long a, bool b_avail,
		     unsigned long long b)
{
	if (a_avail != b_avail)
		return a_avail ? -1 : 1;
	return -cmp_u(a, b);
}

/* qsort() order of indexes into cur_procs by cur_key, then by pid. */
static int cmp_idx(const void *pa, const void *pb)
{
	const struct proc *a = &cur_procs->v[*(const size_t *)pa];
	const struct proc *b = &cur_procs->v[*(const size_t *)pb];
	unsigned long long va, vb;
	long double ra = 0, rb = 0;
	bool oa, ob;
	int c = 0;

	switch (cur_key.kind) {
	case SORT_PID:
		break;
	case SORT_PPID:
		c = cmp_u(a->ppid, b->ppid);
		break;
	case SORT_STATE:
		c = strcmp(a->state, b->state);
		break;
	case SORT_COMM:
		c = strcmp(a->comm, b->comm);
		break;
	case SORT_COST:
		oa = procs_fork_ratio(a, &ra);
		ob = procs_fork_ratio(b, &rb);
		c = oa != ob ? (oa ? -1 : 1) : (ra < rb) - (ra > rb);
		break;
	case SORT_OTHER:
		oa = procs_other(cur_procs, a, &va);
		ob = procs_other(cur_procs, b, &vb);
		c = cmp_count(oa, va, ob, vb);
		break;
	case SORT_CLASS:
		c = cmp_count(a->avail[cur_class], a->ctr[cur_class],
			      b->avail[cur_class], b->ctr[cur_class]);
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

void order_free(struct order *o)
{
	free(o->idx);
	free(o->depth);
}

/*
 * Display order: sorted, then (tree mode) each entry followed by its
 * children; with --pid, only that process and its descendants.
 */
int procs_order(const struct procs *ps, bool tree, struct order *o)
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
	/* opts.c checked the key; a new class's name must be in @ps. */
	sort_key_parse(env.sort ? env.sort : "pid", &cur_key);
	cur_class = cur_key.kind == SORT_CLASS ?
		    procs_class(ps, cur_key.class) : 0;
	if (cur_class < 0) {
		cl_err("cannot sort by '%s': this module has no such class (cowlab status lists its classes)",
		       env.sort);
		err = -EINVAL;
		goto out;
	}
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
