// SPDX-License-Identifier: GPL-2.0
/*
 * The pages file of one process: one character per page, in lines of up to
 * 64 pages. Checked whole when read; walked one address range at a time as
 * runs of pages in the same state, with gaps reported as not present.
 *
 * The module leaves out every line whose 64 pages are all absent, so a VMA
 * may have gaps of any size, or no line at all (a 64 TiB PROT_NONE
 * reservation): a page on no line is '.', exactly as if it had been
 * printed. A gap is one run, however long: the walk costs one step per
 * printed page, never one per page of the range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "pages.h"

static const char state_chars[NR_PG] = {
	[PG_NONE] = '.',
	[PG_SHARED] = 'S',
	[PG_EXCL] = 'X',
	[PG_ZERO] = 'Z',
	[PG_COPIED] = 'C',
};

static const char *const state_names[NR_PG] = {
	[PG_NONE] = "not_present",
	[PG_SHARED] = "shared",
	[PG_EXCL] = "exclusive_not_copied",
	[PG_ZERO] = "zero",
	[PG_COPIED] = "copied",
};

char page_char(enum page_state st)
{
	return state_chars[st];
}

const char *page_state_name(enum page_state st)
{
	return state_names[st];
}

static int state_of(char c)
{
	int i;

	for (i = 0; i < NR_PG; i++)
		if (state_chars[i] == c)
			return i;
	return -1;
}

static int check_line(struct pages *pg, size_t r, int caddr, int cmap)
{
	const char *a = pg->t.rows[r][caddr];
	struct pline *l = &pg->v[r];
	char *safe;
	size_t i;

	if (cowlab_field_hex(a, &l->addr) || l->addr % PAGE_BYTES) {
		safe = fmt_safe(a);
		dbgfs_bad(&pg->src, r + 2,
			  "addr '%.32s' is not a page address in hex",
			  safe ? safe : "?");
		free(safe);
		return -EINVAL;
	}
	l->map = pg->t.rows[r][cmap];
	l->len = strlen(l->map);
	for (i = 0; i < l->len; i++) {
		if (state_of(l->map[i]) < 0) {
			dbgfs_bad(&pg->src, r + 2,
				  "map has '%c' (byte %zu): only S C X Z . mean a page",
				  l->map[i] >= 0x20 && l->map[i] < 0x7f ?
				  l->map[i] : '?', i + 1);
			return -EINVAL;
		}
	}
	if (l->addr + l->len * PAGE_BYTES < l->addr) {
		dbgfs_bad(&pg->src, r + 2, "map runs past the end of memory");
		return -EINVAL;
	}
	if (r && l->addr < pg->v[r - 1].addr + pg->v[r - 1].len * PAGE_BYTES) {
		dbgfs_bad(&pg->src, r + 2,
			  "addr %llx overlaps the line before or is out of address order",
			  l->addr);
		return -EINVAL;
	}
	return 0;
}

int pages_load(struct pages *pg, int pid)
{
	int caddr, cmap;
	size_t r;

	memset(pg, 0, sizeof(*pg));
	if (dbgfs_table("pages", pid, 0, &pg->t, &pg->src))
		return EXIT_FAIL;
	caddr = dbgfs_col(&pg->src, &pg->t, "addr");
	cmap = caddr < 0 ? -1 : dbgfs_col(&pg->src, &pg->t, "map");
	if (cmap < 0)
		goto fail;
	pg->v = calloc(pg->t.nrows + 1, sizeof(*pg->v));
	if (!pg->v) {
		cl_err("out of memory");
		goto fail;
	}
	for (r = 0; r < pg->t.nrows; r++)
		if (check_line(pg, r, caddr, cmap))
			goto fail;
	pg->n = pg->t.nrows;
	return EXIT_OK;
fail:
	pages_free(pg);
	return EXIT_FAIL;
}

void pages_free(struct pages *pg)
{
	free(pg->v);
	cowlab_table_free(&pg->t);
	memset(pg, 0, sizeof(*pg));
}

/* Runs in the making: adjacent pages in the same state are merged. */
struct walk {
	page_run_fn fn;
	void *ctx;
	unsigned long long addr, n;
	enum page_state st;
};

static void flush(struct walk *w)
{
	if (w->n)
		w->fn(w->ctx, w->addr, w->n, w->st);
	w->n = 0;
}

static void add(struct walk *w, unsigned long long addr, unsigned long long n,
		enum page_state st)
{
	if (!n)
		return;
	if (w->n && w->st == st && w->addr + w->n * PAGE_BYTES == addr) {
		w->n += n;
		return;
	}
	flush(w);
	w->addr = addr;
	w->n = n;
	w->st = st;
}

/*
 * Call @fn for the pages in [@start, @end) in address order, as runs of one
 * state. Pages that no line covers are not present (PG_NONE).
 */
void pages_walk(const struct pages *pg, unsigned long long start,
		unsigned long long end, page_run_fn fn, void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };
	unsigned long long cur = start;
	size_t lo = 0, hi = pg->n;

	/* The first line that ends after @start (lines are in order). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pline *l = &pg->v[mid];

		if (l->addr + l->len * PAGE_BYTES <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < pg->n && pg->v[lo].addr < end; lo++) {
		const struct pline *l = &pg->v[lo];
		unsigned long long a = l->addr > start ? l->addr : start;
		unsigned long long b = l->addr + l->len * PAGE_BYTES;

		if (b > end)
			b = end;
		if (a > cur)
			add(&w, cur, (a - cur) / PAGE_BYTES, PG_NONE);
		for (; a < b; a += PAGE_BYTES)
			add(&w, a, 1,
			    state_of(l->map[(a - l->addr) / PAGE_BYTES]));
		cur = b;
	}
	if (cur < end)
		add(&w, cur, (end - cur) / PAGE_BYTES, PG_NONE);
	flush(&w);
}
