// SPDX-License-Identifier: GPL-2.0
/*
 * The vmas table of one process: parsing it, choosing a VMA by what a
 * person types (heap, stack, an address, part of a name), printing it.
 * `cowlab vmas`.
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
#include "ttable.h"
#include "vmas.h"

/* debugfs column names, which are also the JSON keys. */
static const char *const cnt_names[NR_VMA_CNTS] = {
	[VMA_RESIDENT] = "resident",
	[VMA_SHARED] = "shared",
	[VMA_EXCLUSIVE] = "exclusive",
	[VMA_ZERO] = "zero",
	[VMA_COPIED] = "copied",
	[VMA_COW_COPY] = "cow_copy",
	[VMA_COW_ZERO] = "cow_zero",
	[VMA_WP_REUSE] = "wp_reuse",
};

/* Counts of pages (shown as sizes); the others count fault events. */
static bool is_pages(int i)
{
	return i <= VMA_COPIED;
}

static int bad_field(const struct dbgfs_src *src, const struct cowlab_table *t,
		     size_t r, int col, const char *why)
{
	char *safe = fmt_safe(t->rows[r][col]);

	dbgfs_bad(src, r + 2, "%s '%.32s' %s", t->cols[col],
		  safe ? safe : "?", why);
	free(safe);
	return -EINVAL;
}

static bool perms_ok(const char *p)
{
	return strlen(p) == 4 && (p[0] == 'r' || p[0] == '-') &&
	       (p[1] == 'w' || p[1] == '-') && (p[2] == 'x' || p[2] == '-') &&
	       (p[3] == 'p' || p[3] == 's');
}

static int parse_row(const struct dbgfs_src *src, struct vmas *vs, size_t r,
		     const int *col, const int *cnt_col)
{
	const struct cowlab_table *t = &vs->t;
	struct vma *v = &vs->v[r];
	int i;

	if (cowlab_field_hex(t->rows[r][col[0]], &v->start))
		return bad_field(src, t, r, col[0], "is not a hex address");
	if (cowlab_field_hex(t->rows[r][col[1]], &v->end))
		return bad_field(src, t, r, col[1], "is not a hex address");
	if (v->start >= v->end) {
		dbgfs_bad(src, r + 2, "VMA %llx-%llx ends before it starts",
			  v->start, v->end);
		return -EINVAL;
	}
	if (v->start % PAGE_BYTES || v->end % PAGE_BYTES) {
		dbgfs_bad(src, r + 2, "VMA %llx-%llx is not whole pages",
			  v->start, v->end);
		return -EINVAL;
	}
	if (r && v->start < vs->v[r - 1].end) {
		dbgfs_bad(src, r + 2, "VMA %llx overlaps or precedes the one before it",
			  v->start);
		return -EINVAL;
	}
	v->perms = t->rows[r][col[2]];
	if (!perms_ok(v->perms))
		return bad_field(src, t, r, col[2],
				 "is not like rw-p (read, write, exec, private/shared)");
	v->name = t->rows[r][col[3]];
	for (i = 0; i < NR_VMA_CNTS; i++)
		if (dbgfs_u64(src, t, r, cnt_col[i], &v->cnt[i], &v->avail[i]))
			return -EINVAL;
	return 0;
}

int vmas_load(struct vmas *vs, int pid)
{
	static const char *const need[] = { "start", "end", "perms", "name" };
	struct dbgfs_src src;
	int col[4], cnt_col[NR_VMA_CNTS];
	size_t r;
	int i;

	memset(vs, 0, sizeof(*vs));
	vs->pid = pid;
	if (dbgfs_table("vmas", pid,
			COWLAB_TABLE_REST_LAST | COWLAB_TABLE_LAST_OPTIONAL,
			&vs->t, &src))
		return EXIT_FAIL;
	for (i = 0; i < 4; i++) {
		col[i] = dbgfs_col(&src, &vs->t, need[i]);
		if (col[i] < 0)
			goto fail;
	}
	if ((size_t)col[3] != vs->t.ncols - 1) {
		dbgfs_bad(&src, 1, "'name' must be the last column");
		goto fail;
	}
	/* A count column this module lacks reads as "-". */
	for (i = 0; i < NR_VMA_CNTS; i++)
		cnt_col[i] = cowlab_table_col(&vs->t, cnt_names[i]);
	vs->v = calloc(vs->t.nrows + 1, sizeof(*vs->v));
	if (!vs->v) {
		cl_err("out of memory");
		goto fail;
	}
	for (r = 0; r < vs->t.nrows; r++)
		if (parse_row(&src, vs, r, col, cnt_col))
			goto fail;
	vs->n = vs->t.nrows;
	return EXIT_OK;
fail:
	vmas_free(vs);
	return EXIT_FAIL;
}

void vmas_free(struct vmas *vs)
{
	free(vs->v);
	cowlab_table_free(&vs->t);
	memset(vs, 0, sizeof(*vs));
}

/* The name to show: anonymous memory has none in the table. */
const char *vma_name(const struct vma *v)
{
	return *v->name ? v->name : "[anon]";
}

unsigned long long vma_pages(const struct vma *v)
{
	return (v->end - v->start) / PAGE_BYTES;
}

/* Is @s an address: hex digits, "0x" optional? *@explicit: it had "0x". */
static bool parse_addr(const char *s, unsigned long long *addr, bool *explicit)
{
	*explicit = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (*explicit)
		s += 2;
	return !cowlab_field_hex(s, addr);
}

/*
 * Mark in @match (one bool per VMA) the VMAs that @sel names: "heap",
 * "stack", an address inside the VMA, or a part of its name. Returns how
 * many.
 */
int vma_select(const struct vmas *vs, const char *sel, bool *match)
{
	unsigned long long addr;
	bool explicit;
	int n = 0;
	size_t i;

	memset(match, 0, vs->n * sizeof(*match));
	if (!strcmp(sel, "heap") || !strcmp(sel, "stack")) {
		for (i = 0; i < vs->n; i++) {
			const char *name = vs->v[i].name;

			if (name[0] == '[' && !strncmp(name + 1, sel, strlen(sel)) &&
			    !strcmp(name + 1 + strlen(sel), "]")) {
				match[i] = true;
				n++;
			}
		}
		return n;
	}
	if (parse_addr(sel, &addr, &explicit)) {
		for (i = 0; i < vs->n; i++) {
			if (addr >= vs->v[i].start && addr < vs->v[i].end) {
				match[i] = true;
				n++;
			}
		}
		if (n || explicit)
			return n;
	}
	for (i = 0; i < vs->n; i++) {
		if (strstr(vma_name(&vs->v[i]), sel)) {
			match[i] = true;
			n++;
		}
	}
	return n;
}

/* The largest writable private VMA that was walked; NULL if none. */
static const struct vma *vma_default(const struct vmas *vs)
{
	const struct vma *best = NULL;
	size_t i;

	for (i = 0; i < vs->n; i++) {
		const struct vma *v = &vs->v[i];

		if (v->perms[1] != 'w' || v->perms[3] != 'p' ||
		    !v->avail[VMA_RESIDENT])
			continue;
		if (!best || vma_pages(v) > vma_pages(best))
			best = v;
	}
	return best;
}

/*
 * The one VMA that @sel names (NULL or "-": the default). NULL after
 * saying why: none, or several (listed, to choose by address).
 */
const struct vma *vma_pick(const struct vmas *vs, const char *sel)
{
	const struct vma *v = NULL;
	bool *match;
	int n, shown = 0;
	size_t i;

	if (!sel || !strcmp(sel, "-")) {
		v = vma_default(vs);
		if (!v)
			cl_err("process %d has no writable private VMA: name one (see cowlab vmas %d)",
			       vs->pid, vs->pid);
		return v;
	}
	match = calloc(vs->n + 1, sizeof(*match));
	if (!match) {
		cl_err("out of memory");
		return NULL;
	}
	n = vma_select(vs, sel, match);
	for (i = 0; i < vs->n; i++)
		if (match[i] && !v)
			v = &vs->v[i];
	if (n == 0) {
		cl_err("no VMA of process %d matches '%s': use heap, stack, an address or part of a name (see cowlab vmas %d)",
		       vs->pid, sel, vs->pid);
	} else if (n > 1) {
		cl_err("'%s' matches %d VMAs of process %d; choose one by address:",
		       sel, n, vs->pid);
		for (i = 0; i < vs->n && shown < 8; i++) {
			char *name;

			if (!match[i])
				continue;
			name = fmt_safe(vma_name(&vs->v[i]));
			fprintf(stderr, "        %llx-%llx %s %s\n",
				vs->v[i].start, vs->v[i].end, vs->v[i].perms,
				name ? name : "?");
			free(name);
			shown++;
		}
		if (n > shown)
			fprintf(stderr, "        ... and %d more\n", n - shown);
		v = NULL;
	}
	free(match);
	return v;
}

/* The VMA of @vs that starts at @start, or NULL. */
const struct vma *vmas_at(const struct vmas *vs, unsigned long long start)
{
	size_t lo = 0, hi = vs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vs->v[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < vs->n && vs->v[lo].start == start ? &vs->v[lo] : NULL;
}

void vma_json(struct json *j, const struct vma *v)
{
	int i;

	json_obj(j);
	json_key(j, "start");
	json_hex(j, v->start);
	json_key(j, "end");
	json_hex(j, v->end);
	json_key(j, "perms");
	json_str(j, v->perms);
	for (i = 0; i < NR_VMA_CNTS; i++) {
		json_key(j, cnt_names[i]);
		json_u64_or_null(j, v->cnt[i], v->avail[i]);
	}
	json_key(j, "name");
	json_str(j, v->name);
	json_obj_end(j);
}

static void vmas_json(const struct vmas *vs)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "pid");
	json_u64(&j, vs->pid);
	json_key(&j, "page_size");
	json_u64(&j, PAGE_BYTES);
	json_key(&j, "vmas");
	json_arr(&j);
	for (i = 0; i < vs->n; i++) {
		json_nl(&j);
		vma_json(&j, &vs->v[i]);
	}
	if (vs->n)
		json_nl(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

/* Hex digits of the highest end: addresses are padded to it, like maps. */
int vmas_addr_width(const struct vmas *vs)
{
	int w = 8;
	size_t i;

	for (i = 0; i < vs->n; i++) {
		char buf[20];
		int n = snprintf(buf, sizeof(buf), "%llx", vs->v[i].end);

		if (n > w)
			w = n;
	}
	return w;
}

/*
 * START and SIZE rather than start-end: with every count on the line, a
 * range would push the names past 80 columns (JSON has both ends).
 */
static void vmas_text(const struct vmas *vs)
{
	static const char *const hdr[] = {
		"START", "SIZE", "PERM", "RSS", "SHARED", "EXCL", "ZERO",
		"COPIED", "COPY", "ZERO", "REUSE", "NAME",
	};
	unsigned long long sum[NR_VMA_CNTS] = {}, size = 0;
	bool any[NR_VMA_CNTS] = {};
	int aw = vmas_addr_width(vs), i;
	char buf[SIZE_BUF];
	struct ttable t;
	size_t r;

	static_assert(ARRAY_SIZE(hdr) == NR_VMA_CNTS + 4,
		      "vmas columns");
	tt_init(&t, NR_VMA_CNTS + 4, hdr, 1UL << 0 | 1UL << 2 |
		1UL << (NR_VMA_CNTS + 3));
	tt_group(&t, 3, 3 + VMA_COPIED, "pages");
	tt_group(&t, 3 + VMA_COW_COPY, 3 + VMA_WP_REUSE, "faults");
	for (r = 0; r < vs->n; r++) {
		const struct vma *v = &vs->v[r];
		char *name = fmt_safe(vma_name(v));

		tt_cellf(&t, "%0*llx", aw, v->start);
		tt_cell(&t, fmt_pages(buf, vma_pages(v), true));
		tt_cell(&t, v->perms);
		size = sat_add(size, vma_pages(v));
		for (i = 0; i < NR_VMA_CNTS; i++) {
			if (is_pages(i))
				fmt_pages(buf, v->cnt[i], v->avail[i]);
			else
				fmt_count(buf, v->cnt[i], v->avail[i]);
			tt_cell(&t, buf);
			if (v->avail[i]) {
				sum[i] = sat_add(sum[i], v->cnt[i]);
				any[i] = true;
			}
		}
		tt_cell(&t, name ? name : "?");
		free(name);
	}
	tt_cell(&t, "total");
	tt_cell(&t, fmt_pages(buf, size, true));
	tt_cell(&t, "");
	for (i = 0; i < NR_VMA_CNTS; i++) {
		if (is_pages(i))
			fmt_pages(buf, sum[i], any[i]);
		else
			fmt_count(buf, sum[i], any[i]);
		tt_cell(&t, buf);
	}
	tt_cellf(&t, "%zu VMA%s", vs->n, vs->n == 1 ? "" : "s");
	tt_print(&t, stdout, 0);
	tt_free(&t);
}

int cmd_vmas(int argc, char **argv)
{
	struct vmas vs;
	int pid, ret;

	(void)argc;
	if (parse_pid(argv[0], &pid)) {
		cl_err("'%s' is not a process id (e.g. 412)", argv[0]);
		return usage_error("vmas");
	}
	ret = dbgfs_init();
	if (ret)
		return ret;
	ret = vmas_load(&vs, pid);
	if (ret)
		return ret;
	if (env.json)
		vmas_json(&vs);
	else
		vmas_text(&vs);
	vmas_free(&vs);
	return EXIT_OK;
}
