// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab map PID [VMA] [PID2]`: a picture of one VMA's pages from the
 * pages file, one cell per page or per group of pages, so that it fits the
 * screen. With PID2, the same VMA (same start) of PID2 is drawn under each
 * row of PID.
 *
 * A cell that stands for several pages shows the most notable state among
 * them, in the order C (copied), X (exclusive), Z (zero page), S (shared),
 * . (not present): one copied page in a group is what a COW lesson looks
 * for. --majority shows the most common state instead (ties: the more
 * notable one).
 *
 * Pages on no line of the pages file are not present. Work is per cell
 * drawn and per page printed in the pages file, memory one row of cells,
 * never per page of the VMA: a 64 TiB reservation with a few lines in the
 * pages file (or none) draws at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "json.h"
#include "opts.h"
#include "pages.h"
#include "procs.h"
#include "vmas.h"

/* Most notable first. */
static const enum page_state notable[NR_PG] = {
	PG_COPIED, PG_EXCL, PG_ZERO, PG_SHARED, PG_NONE,
};

/* The order of the legend and of the JSON "counts" keys. */
static const enum page_state legend[NR_PG] = {
	PG_SHARED, PG_COPIED, PG_EXCL, PG_ZERO, PG_NONE,
};

static const char *const legend_names[NR_PG] = {
	[PG_SHARED] = "shared",
	[PG_COPIED] = "copied by COW",
	[PG_EXCL] = "exclusive, not copied",
	[PG_ZERO] = "zero page",
	[PG_NONE] = "not present",
};

static const char *const colors[NR_PG] = {
	[PG_SHARED] = "\033[34m",		/* blue */
	[PG_COPIED] = "\033[1;31m",		/* bold red */
	[PG_EXCL] = "\033[33m",			/* yellow */
	[PG_ZERO] = "\033[36m",			/* cyan */
	[PG_NONE] = "\033[2m",			/* dim */
};

#define COLOR_OFF "\033[0m"
#define MAX_CELLS (1ULL << 24)

/* One process's side of the picture. */
struct side {
	int pid;
	struct vmas vs;
	const struct vma *v;
	struct pages pg;
	unsigned long long (*cnt)[NR_PG];	/* per state, per cell of a row */
	unsigned long long total[NR_PG];
	char label[64];
};

struct layout {
	unsigned long long base, top;	/* the range drawn */
	unsigned long long g;		/* pages per cell */
	unsigned long long ncells;
	size_t per_row;
	int aw;				/* hex digits of an address */
	int cols;			/* the width to fit */
	bool color;
};

struct count_ctx {
	struct side *s;
	const struct layout *l;
	unsigned long long first;	/* the row's first cell */
};

static void total_run(void *ctx, unsigned long long addr,
		      unsigned long long n, enum page_state st)
{
	struct side *s = ctx;

	(void)addr;
	s->total[st] = sat_add(s->total[st], n);
}

/* Add a run of pages (all inside the row being counted) to its cells. */
static void count_run(void *ctx, unsigned long long addr,
		      unsigned long long n, enum page_state st)
{
	struct count_ctx *c = ctx;
	unsigned long long page = (addr - c->l->base) / PAGE_BYTES;

	while (n) {
		unsigned long long cell = page / c->l->g;
		unsigned long long take = (cell + 1) * c->l->g - page;

		if (take > n)
			take = n;
		c->s->cnt[cell - c->first][st] += take;
		page += take;
		n -= take;
	}
}

/*
 * Count the pages of @s's VMA in the row of cells that starts at cell
 * @first: s->cnt[0] is that cell. Cells past the VMA's end stay empty.
 */
static void count_row(struct side *s, const struct layout *l,
		      unsigned long long first)
{
	struct count_ctx ctx = { .s = s, .l = l, .first = first };
	unsigned long long from = first * l->g, to = from + l->per_row * l->g;
	unsigned long long npages = (s->v->end - l->base) / PAGE_BYTES;

	memset(s->cnt, 0, l->per_row * sizeof(*s->cnt));
	if (to > npages)
		to = npages;
	if (from < to)
		pages_walk(&s->pg, l->base + from * PAGE_BYTES,
			   l->base + to * PAGE_BYTES, count_run, &ctx);
}

/* The state a cell shows; -1 if none of its pages is in this VMA. */
static int cell_state(const unsigned long long *cnt)
{
	unsigned long long best_n = 0;
	int i, best = -1;

	for (i = 0; i < NR_PG; i++) {
		enum page_state st = notable[i];

		if (!cnt[st])
			continue;
		if (!env.majority)
			return st;
		if (best < 0 || cnt[st] > best_n) {
			best = st;
			best_n = cnt[st];
		}
	}
	return best;
}

static void draw_row(const struct side *s, const struct layout *l,
		     unsigned long long first)
{
	unsigned long long c, last = first + l->per_row;
	int cur = -2;

	if (last > l->ncells)
		last = l->ncells;
	/* Cells past this side's end (the other VMA is longer): nothing. */
	while (last > first && cell_state(s->cnt[last - 1 - first]) < 0)
		last--;
	if (last > first)
		putchar(' ');
	for (c = first; c < last; c++) {
		int st = cell_state(s->cnt[c - first]);

		if (l->color && st != cur) {
			fputs(st >= 0 ? colors[st] : COLOR_OFF, stdout);
			cur = st;
		}
		putchar(st >= 0 ? page_char(st) : ' ');
	}
	if (l->color)
		fputs(COLOR_OFF, stdout);
	putchar('\n');
}

/* What the characters mean, each in its colour; wrapped to the width. */
static void legend_line(const struct layout *l)
{
	int i, pos = 0;

	for (i = 0; i < NR_PG; i++) {
		enum page_state st = legend[i];
		int len = 2 + (int)strlen(legend_names[st]);

		if (i && pos + 2 + len > l->cols) {
			putchar('\n');
			pos = 0;
		} else if (i) {
			fputs("  ", stdout);
			pos += 2;
		}
		pos += len;
		if (l->color)
			fputs(colors[st], stdout);
		putchar(page_char(st));
		if (l->color)
			fputs(COLOR_OFF, stdout);
		printf(" %s", legend_names[st]);
	}
	putchar('\n');
}

/* How many pages of the VMA are in each state. */
static void totals_line(const struct side *s, const char *prefix,
			const char *label)
{
	char buf[SIZE_BUF];
	int i;

	printf("%s%s:", prefix, label);
	for (i = 0; i < NR_PG; i++)
		printf(" %s%c %s", i ? " " : "", page_char(legend[i]),
		       fmt_pages(buf, s->total[legend[i]], true));
	putchar('\n');
}

/* Cells per row and pages per cell, to fit the screen (or --cell-pages). */
static int plan(struct layout *l, int nsides)
{
	unsigned long long npages = (l->top - l->base) / PAGE_BYTES, fit;
	int cols, rows, avail, lines;
	char buf[20];

	fmt_term(stdout, &cols, &rows);
	l->cols = cols;
	l->aw = snprintf(buf, sizeof(buf), "%llx", l->top - 1);
	if (l->aw < 8)
		l->aw = 8;
	avail = cols - (l->aw + 1) - (nsides == 2 ? 2 : 0);
	for (l->per_row = 8; l->per_row * 2 <= (size_t)avail &&
	     l->per_row < 128; l->per_row *= 2)
		;
	/*
	 * Title, cell size, the rows, the legend, a totals line per side;
	 * and the line of the prompt that follows.
	 */
	lines = (rows - 4 - nsides - (cols < 80 ? 3 : 0)) / nsides;
	if (lines < 1)
		lines = 1;
	fit = (unsigned long long)lines * l->per_row;
	if (env.cell_pages) {
		l->g = env.cell_pages;
	} else {
		for (l->g = 1; (npages + l->g - 1) / l->g > fit; l->g *= 2)
			;
	}
	l->ncells = (npages + l->g - 1) / l->g;
	if (l->ncells > MAX_CELLS) {
		cl_err("--cell-pages %llu makes %llu cells: too many to draw; use a larger --cell-pages",
		       l->g, l->ncells);
		return -EINVAL;
	}
	return 0;
}

static void title(const struct side *s, int nsides, const struct layout *l)
{
	const struct vma *v = s[0].v;
	char buf[SIZE_BUF], *name = fmt_safe(vma_name(v));

	if (nsides == 1)
		printf("%s: ", s[0].label);
	printf("%s %llx-%llx %s, %llu pages (%s)", name ? name : "?",
	       v->start, v->end, v->perms, vma_pages(v),
	       fmt_size(buf, vma_pages(v)));
	free(name);
	if (nsides == 2 && s[1].v->end != v->end)
		printf(", in b to %llx", s[1].v->end);
	printf("%s\n", nsides == 2 ? ": a above b" : "");
	if (l->g == 1)
		printf("1 cell = 1 page (4K)\n");
	else
		printf("1 cell = %llu pages (%s);%s%s\n", l->g,
		       fmt_size(buf, l->g), l->cols < 80 ? "\n" : " ",
		       env.majority ? "a cell shows the state of most of its pages" :
		       "a cell shows its most notable page: C X Z S .");
}

static int map_text(struct side *s, int nsides, struct layout *l)
{
	unsigned long long c;
	int i;

	for (i = 0; i < nsides; i++) {
		s[i].cnt = calloc(l->per_row, sizeof(*s[i].cnt));
		if (!s[i].cnt) {
			cl_err("out of memory");
			return -ENOMEM;
		}
		pages_walk(&s[i].pg, s[i].v->start, s[i].v->end, total_run,
			   &s[i]);
	}
	l->color = fmt_color(stdout);
	title(s, nsides, l);
	for (c = 0; c < l->ncells; c += l->per_row) {
		unsigned long long addr = l->base + c * l->g * PAGE_BYTES;

		for (i = 0; i < nsides; i++)
			count_row(&s[i], l, c);
		printf("%0*llx", l->aw, addr);
		if (nsides == 2)
			fputs(" a", stdout);
		draw_row(&s[0], l, c);
		if (nsides == 2) {
			printf("%*s b", l->aw, "");
			draw_row(&s[1], l, c);
		}
	}
	legend_line(l);
	if (nsides == 1)
		totals_line(&s[0], "pages", "");
	else
		for (i = 0; i < nsides; i++)
			totals_line(&s[i], i ? "b = " : "a = ", s[i].label);
	return 0;
}

struct run_ctx {
	struct json *j;
	struct side *s;
};

static void json_run(void *ctx, unsigned long long addr, unsigned long long n,
		     enum page_state st)
{
	struct run_ctx *r = ctx;

	r->s->total[st] = sat_add(r->s->total[st], n);
	json_obj(r->j);
	json_key(r->j, "start");
	json_hex(r->j, addr);
	json_key(r->j, "pages");
	json_u64(r->j, n);
	json_key(r->j, "state");
	json_str(r->j, page_state_name(st));
	json_obj_end(r->j);
}

static void map_json(struct side *s, int nsides)
{
	struct run_ctx r;
	struct json j;
	int i, k;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "page_size");
	json_u64(&j, PAGE_BYTES);
	json_key(&j, "maps");
	json_arr(&j);
	for (i = 0; i < nsides; i++) {
		json_nl(&j);
		json_obj(&j);
		json_key(&j, "pid");
		json_u64(&j, s[i].pid);
		json_key(&j, "vma");
		vma_json(&j, s[i].v);
		json_key(&j, "runs");
		json_arr(&j);
		r.j = &j;
		r.s = &s[i];
		pages_walk(&s[i].pg, s[i].v->start, s[i].v->end, json_run, &r);
		json_arr_end(&j);
		json_key(&j, "counts");
		json_obj(&j);
		for (k = 0; k < NR_PG; k++) {
			json_key(&j, page_state_name(legend[k]));
			json_u64(&j, s[i].total[legend[k]]);
		}
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_nl(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

/* Is @s all decimal digits (then, as a second argument, maybe a pid)? */
static bool digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void side_label(struct side *s, const struct procs *ps)
{
	const struct proc *p = ps ? procs_find(ps, s->pid) : NULL;
	char *comm = p ? fmt_safe(p->comm) : NULL;

	if (comm)
		snprintf(s->label, sizeof(s->label), "pid %d (%s)", s->pid,
			 comm);
	else
		snprintf(s->label, sizeof(s->label), "pid %d", s->pid);
	free(comm);
}

int cmd_map(int argc, char **argv)
{
	struct side s[2] = {};
	struct layout l = {};
	const char *sel = env.vma ? env.vma : argc > 1 ? argv[1] : NULL;
	const char *pid2 = env.vma ? (argc > 1 ? argv[1] : NULL) :
			   (argc > 2 ? argv[2] : NULL);
	struct procs ps;
	bool have_procs, *match = NULL;
	int i, nsides = pid2 ? 2 : 1, ret;

	if (parse_pid(argv[0], &s[0].pid)) {
		cl_err("'%s' is not a process id (e.g. 412)", argv[0]);
		return usage_error("map");
	}
	if (env.vma && argc > 2) {
		cl_err("with --vma, map takes PID [PID2]");
		return usage_error("map");
	}
	if (pid2 && parse_pid(pid2, &s[1].pid)) {
		cl_err("'%s' is not a process id (e.g. 413)", pid2);
		return usage_error("map");
	}
	ret = dbgfs_init();
	if (ret)
		return ret;
	ret = EXIT_FAIL;
	if (vmas_load(&s[0].vs, s[0].pid))
		goto out;

	/* "map 412 413": a second pid, unless 413 names a VMA of 412. */
	if (argc == 2 && !env.vma && digits(sel) && !parse_pid(sel, &s[1].pid)) {
		match = calloc(s[0].vs.n + 1, sizeof(*match));
		if (match && !vma_select(&s[0].vs, sel, match)) {
			nsides = 2;
			sel = NULL;
		}
		free(match);
	}
	s[0].v = vma_pick(&s[0].vs, sel);
	if (!s[0].v)
		goto out;
	if (!s[0].v->avail[VMA_RESIDENT]) {
		cl_err("VMA %llx of process %d is not walked by cowlab (shared or 1 GiB hugetlb, PFNMAP or IO): no pages to draw",
		       s[0].v->start, s[0].pid);
		goto out;
	}
	if (nsides == 2) {
		if (vmas_load(&s[1].vs, s[1].pid))
			goto out;
		s[1].v = vmas_at(&s[1].vs, s[0].v->start);
		if (!s[1].v) {
			cl_err("process %d has no VMA at %llx, where %d has %s: is it a fork of %d? (cowlab diff %d %d compares the layouts)",
			       s[1].pid, s[0].v->start, s[0].pid,
			       vma_name(s[0].v), s[0].pid, s[0].pid, s[1].pid);
			goto out;
		}
	}
	for (i = 0; i < nsides; i++)
		if (pages_load(&s[i].pg, s[i].pid))
			goto out;

	if (env.json) {
		map_json(s, nsides);
		ret = EXIT_OK;
		goto out;
	}
	dbgfs_set_quiet(true);
	have_procs = !procs_load(&ps);
	dbgfs_set_quiet(false);
	for (i = 0; i < nsides; i++)
		side_label(&s[i], have_procs ? &ps : NULL);
	if (have_procs)
		procs_free(&ps);

	l.base = s[0].v->start;
	l.top = s[0].v->end;
	if (nsides == 2 && s[1].v->end > l.top)
		l.top = s[1].v->end;
	if (!plan(&l, nsides) && !map_text(s, nsides, &l))
		ret = EXIT_OK;
out:
	for (i = 0; i < 2; i++) {
		free(s[i].cnt);
		pages_free(&s[i].pg);
		vmas_free(&s[i].vs);
	}
	return ret;
}
