// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab diff PID1 PID2`: two processes side by side, VMA by VMA, matched
 * by start address: after fork() parent and child have the same layout, so
 * each row shows how one VMA's pages split between them.
 */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "json.h"
#include "opts.h"
#include "procs.h"
#include "ttable.h"
#include "vmas.h"

/* The side counts shown: pages shared, held alone, got by a COW break. */
static const enum vma_cnt side_cnts[] = {
	VMA_SHARED, VMA_EXCLUSIVE, VMA_COPIED,
};

#define NR_SIDE_CNTS ARRAY_SIZE(side_cnts)

struct pair {
	const struct vma *v[2];		/* NULL: no VMA at this start */
};

/*
 * Pair the VMAs of @vs by start address, in address order; with @sel, only
 * pairs where either side matches it. Returns the number of pairs in @out
 * (allocated), or -1 after saying why.
 */
static long pair_up(const struct vmas *vs, const char *sel, struct pair **out)
{
	bool *match[2] = {};
	struct pair *p;
	size_t i[2] = { 0, 0 }, n = 0;
	long ret = -1;
	int s, found = 0;

	p = calloc(vs[0].n + vs[1].n + 1, sizeof(*p));
	for (s = 0; s < 2; s++)
		match[s] = calloc(vs[s].n + 1, sizeof(bool));
	if (!p || !match[0] || !match[1]) {
		cl_err("out of memory");
		goto out;
	}
	for (s = 0; s < 2; s++) {
		if (sel)
			found += vma_select(&vs[s], sel, match[s]);
		else
			memset(match[s], 1, vs[s].n * sizeof(bool));
	}
	if (sel && !found) {
		cl_err("no VMA of process %d or %d matches '%s': use heap, stack, an address or part of a name",
		       vs[0].pid, vs[1].pid, sel);
		goto out;
	}
	while (i[0] < vs[0].n || i[1] < vs[1].n) {
		const struct vma *a = i[0] < vs[0].n ? &vs[0].v[i[0]] : NULL;
		const struct vma *b = i[1] < vs[1].n ? &vs[1].v[i[1]] : NULL;
		bool ma = false, mb = false;

		if (a && b && a->start == b->start) {
			ma = match[0][i[0]++];
			mb = match[1][i[1]++];
		} else if (a && (!b || a->start < b->start)) {
			ma = match[0][i[0]++];
			b = NULL;
		} else {
			mb = match[1][i[1]++];
			a = NULL;
		}
		if (ma || mb) {
			p[n].v[0] = a;
			p[n].v[1] = b;
			n++;
		}
	}
	ret = (long)n;
out:
	free(match[0]);
	free(match[1]);
	if (ret < 0) {
		free(p);
		p = NULL;
	}
	*out = p;
	return ret;
}

static void diff_json(const struct vmas *vs, const struct pair *p, size_t n)
{
	struct json j;
	size_t k;
	int s;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "pids");
	json_arr(&j);
	json_u64(&j, vs[0].pid);
	json_u64(&j, vs[1].pid);
	json_arr_end(&j);
	json_key(&j, "page_size");
	json_u64(&j, PAGE_BYTES);
	json_key(&j, "vmas");
	json_arr(&j);
	for (k = 0; k < n; k++) {
		json_nl(&j);
		json_obj(&j);
		json_key(&j, "start");
		json_hex(&j, p[k].v[p[k].v[0] ? 0 : 1]->start);
		json_key(&j, "sides");
		json_arr(&j);
		for (s = 0; s < 2; s++) {
			if (p[k].v[s])
				vma_json(&j, p[k].v[s]);
			else
				json_null(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	if (n)
		json_nl(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

/* "pid 412 (cow)", or "pid 412" when comm is unknown. */
static void side_label(char *buf, size_t size, const struct procs *ps,
		       int pid)
{
	const struct proc *p = ps ? procs_find(ps, pid) : NULL;
	char *comm = p ? fmt_safe(p->comm) : NULL;

	if (comm)
		snprintf(buf, size, "pid %d (%s)", pid, comm);
	else
		snprintf(buf, size, "pid %d", pid);
	free(comm);
}

/* Name column: the name, and what differs between the two sides. */
static void name_cell(struct ttable *t, const struct pair *p, const int *pids)
{
	const struct vma *a = p->v[0], *b = p->v[1];
	char note[128] = "", size[SIZE_BUF];
	char *name = fmt_safe(vma_name(a ? a : b));

	if (!a || !b)
		snprintf(note, sizeof(note), " [only in %d]", pids[a ? 0 : 1]);
	else if (a->end != b->end || strcmp(a->perms, b->perms))
		snprintf(note, sizeof(note), " [in %d: %s %s]", pids[1],
			 fmt_pages(size, vma_pages(b), true), b->perms);
	tt_cellf(t, "%s%s", name ? name : "?", note);
	free(name);
}

static void diff_text(const struct vmas *vs, const struct pair *p, size_t n,
		      const struct procs *ps)
{
	static const char *const hdr[] = {
		"START", "SIZE", "PERM", "SHARED", "EXCL", "COPIED", "SHARED",
		"EXCL", "COPIED", "NAME",
	};
	unsigned long long sum[2][NR_SIDE_CNTS] = {};
	bool any[2][NR_SIDE_CNTS] = {};
	int pids[2] = { vs[0].pid, vs[1].pid };
	int aw = vmas_addr_width(&vs[0]);
	char buf[SIZE_BUF], label[64];
	struct ttable t;
	size_t k, c;
	int s;

	static_assert(ARRAY_SIZE(hdr) == 2 * NR_SIDE_CNTS + 4,
		      "diff columns");
	if (vmas_addr_width(&vs[1]) > aw)
		aw = vmas_addr_width(&vs[1]);
	tt_init(&t, 2 * NR_SIDE_CNTS + 4, hdr,
		1UL << 0 | 1UL << 2 | 1UL << (2 * NR_SIDE_CNTS + 3));
	for (s = 0; s < 2; s++) {
		side_label(label, sizeof(label), ps, pids[s]);
		tt_group(&t, 3 + s * NR_SIDE_CNTS, 2 + (s + 1) * NR_SIDE_CNTS,
			 label);
	}
	for (k = 0; k < n; k++) {
		const struct vma *any_side = p[k].v[0] ? p[k].v[0] : p[k].v[1];

		tt_cellf(&t, "%0*llx", aw, any_side->start);
		tt_cell(&t, fmt_pages(buf, vma_pages(any_side), true));
		tt_cell(&t, any_side->perms);
		for (s = 0; s < 2; s++) {
			const struct vma *v = p[k].v[s];

			for (c = 0; c < NR_SIDE_CNTS; c++) {
				enum vma_cnt i = side_cnts[c];

				if (!v) {
					tt_cell(&t, "-");
					continue;
				}
				tt_cell(&t, fmt_pages(buf, v->cnt[i],
						      v->avail[i]));
				if (v->avail[i]) {
					sum[s][c] = sat_add(sum[s][c],
							    v->cnt[i]);
					any[s][c] = true;
				}
			}
		}
		name_cell(&t, &p[k], pids);
	}
	tt_cell(&t, "total");
	tt_cell(&t, "");
	tt_cell(&t, "");
	for (s = 0; s < 2; s++)
		for (c = 0; c < NR_SIDE_CNTS; c++)
			tt_cell(&t, fmt_pages(buf, sum[s][c], any[s][c]));
	tt_cellf(&t, "%zu VMA%s", n, n == 1 ? "" : "s");
	tt_print(&t, stdout, 0);
	tt_free(&t);
}

int cmd_diff(int argc, char **argv)
{
	struct vmas vs[2] = {};
	struct procs ps;
	struct pair *p = NULL;
	int pid[2], s, ret;
	bool have_procs;
	long n;

	(void)argc;
	for (s = 0; s < 2; s++) {
		if (parse_pid(argv[s], &pid[s])) {
			cl_err("'%s' is not a process id (e.g. 412)", argv[s]);
			return usage_error("diff");
		}
	}
	ret = dbgfs_init();
	if (ret)
		return ret;
	for (s = 0; s < 2; s++) {
		ret = vmas_load(&vs[s], pid[s]);
		if (ret)
			goto out;
	}
	ret = EXIT_FAIL;
	n = pair_up(vs, env.vma, &p);
	if (n < 0)
		goto out;
	if (env.json) {
		diff_json(vs, p, (size_t)n);
	} else {
		/* Only for the comm in the labels: no comm, no complaint. */
		dbgfs_set_quiet(true);
		have_procs = !procs_load(&ps);
		dbgfs_set_quiet(false);
		diff_text(vs, p, (size_t)n, have_procs ? &ps : NULL);
		if (have_procs)
			procs_free(&ps);
	}
	ret = EXIT_OK;
out:
	free(p);
	vmas_free(&vs[0]);
	vmas_free(&vs[1]);
	return ret;
}
