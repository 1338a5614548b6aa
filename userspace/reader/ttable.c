// SPDX-License-Identifier: GPL-2.0
/*
 * Aligned text tables: columns as wide as their widest cell, numbers
 * right-aligned, the last column not padded (names run to end of line),
 * optional labels over runs of columns ("---- pid 412 ----").
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ttable.h"

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		cl_err("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		cl_err("out of memory");
		exit(EXIT_FAIL);
	}
	return d;
}

void tt_init(struct ttable *t, size_t ncols, const char *const *hdr,
	     unsigned long left)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->hdr = hdr;
	t->left = left;
}

/* Append one cell; rows fill left to right. */
void tt_cell(struct ttable *t, const char *s)
{
	if (t->used == t->cap) {
		t->cap = t->cap ? t->cap * 2 : t->ncols * 16;
		t->cell = xrealloc(t->cell, t->cap * sizeof(*t->cell));
	}
	t->cell[t->used++] = xstrdup(s);
	t->nrows = (t->used + t->ncols - 1) / t->ncols;
}

void tt_cellf(struct ttable *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tt_cell(t, buf);
}

void tt_group(struct ttable *t, size_t first, size_t last, const char *label)
{
	if (t->ngroups == ARRAY_SIZE(t->group))
		return;
	t->group[t->ngroups].first = first;
	t->group[t->ngroups].last = last;
	t->group[t->ngroups].label = xstrdup(label);
	t->ngroups++;
}

static const char *cell(const struct ttable *t, size_t r, size_t c)
{
	size_t i = r * t->ncols + c;

	return i < t->used ? t->cell[i] : "";
}

static void pad(FILE *f, size_t n, char ch)
{
	while (n--)
		fputc(ch, f);
}

/*
 * "---- label ----" over @span characters; just the label, cut to @span, if
 * there is no room for dashes. Returns the characters printed.
 */
static size_t print_group(FILE *f, const char *label, size_t span)
{
	size_t len = strlen(label) + 2, left, right;

	if (len >= span)
		return fprintf(f, "%.*s", (int)span, label);
	left = (span - len) / 2;
	right = span - len - left;
	pad(f, left, '-');
	fprintf(f, " %s ", label);
	pad(f, right, '-');
	return span;
}

/* Print the header and up to @max_rows rows (0: all). */
void tt_print(const struct ttable *t, FILE *f, size_t max_rows)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	size_t r, c, g, rows = t->nrows;

	if (!w) {
		cl_err("out of memory");
		exit(EXIT_FAIL);
	}
	if (max_rows && rows > max_rows)
		rows = max_rows;
	for (c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->hdr[c]);
		for (r = 0; r < t->nrows; r++)
			if (strlen(cell(t, r, c)) > w[c])
				w[c] = strlen(cell(t, r, c));
	}

	/* Room for "-- label --": widen the first column of a group. */
	for (g = 0; g < t->ngroups; g++) {
		size_t need = strlen(t->group[g].label) + 6, span = 0;

		for (c = t->group[g].first; c <= t->group[g].last; c++)
			span += w[c] + (c > t->group[g].first);
		if (span < need)
			w[t->group[g].first] += need - span;
	}

	if (t->ngroups) {
		size_t pos = 0;

		for (g = 0; g < t->ngroups; g++) {
			size_t start = 0, span = 0;

			for (c = 0; c < t->group[g].first; c++)
				start += w[c] + 1;
			for (c = t->group[g].first; c <= t->group[g].last; c++)
				span += w[c] + (c > t->group[g].first);
			if (start < pos)
				continue;
			pad(f, start - pos, ' ');
			pos = start + print_group(f, t->group[g].label, span);
		}
		fputc('\n', f);
	}

	/* Spaces are held back until something follows: no trailing ones. */
	for (r = 0; r <= rows; r++) {
		size_t spaces = 0;

		for (c = 0; c < t->ncols; c++) {
			const char *s = r ? cell(t, r - 1, c) : t->hdr[c];
			size_t len = strlen(s);
			bool left = t->left & (1UL << c);

			spaces += c > 0;
			if (!left)
				spaces += w[c] - len;
			if (len) {
				pad(f, spaces, ' ');
				fputs(s, f);
				spaces = 0;
			}
			if (left)
				spaces += w[c] - len;
		}
		fputc('\n', f);
	}
	free(w);
}

void tt_free(struct ttable *t)
{
	size_t i;

	for (i = 0; i < t->used; i++)
		free(t->cell[i]);
	free(t->cell);
	for (i = 0; i < t->ngroups; i++)
		free(t->group[i].label);
	memset(t, 0, sizeof(*t));
}
