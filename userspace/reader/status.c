// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab status`: the classes file (which event classes this kernel cannot
 * count, and why; older modules have none), the probes file (which fault
 * paths are watched on this kernel, and what they missed) and the stats
 * file, with what to do about what they show.
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

struct probe {
	const char *symbol, *kind, *status;
	long long error;
	unsigned long long nmissed;
	bool have_error, have_nmissed;
};

struct class {
	const char *name, *status;
	const char *reason;		/* NULL for "-" or no reason column */
	char *probe;			/* "missing probe SYMBOL ...": SYMBOL */
};

struct status {
	struct cowlab_table ct, pt, st;
	bool have_classes;		/* false: an older module, no file */
	struct class *c;
	size_t nc;
	struct probe *p;
	size_t np;
	const char **name;		/* of each statistic */
	unsigned long long *val;
	bool *have_val;
};

/* SYMBOL of a reason "probe SYMBOL ...", malloc'd; NULL if not one. */
static char *reason_probe(const char *reason)
{
	const char *sym;

	if (!reason || strncmp(reason, "probe ", 6))
		return NULL;
	sym = reason + 6;
	if (!*sym || *sym == ' ')
		return NULL;
	return strndup(sym, strcspn(sym, " "));
}

static int load_classes(struct status *s)
{
	struct dbgfs_src src;
	int cname, cstat, creason, ret;
	size_t r;

	ret = dbgfs_table("classes", 0, DBGFS_OPTIONAL |
			  COWLAB_TABLE_REST_LAST | COWLAB_TABLE_LAST_OPTIONAL,
			  &s->ct, &src);
	if (ret == DBGFS_ABSENT)
		return 0;
	if (ret)
		return -1;
	s->have_classes = true;
	cname = dbgfs_col(&src, &s->ct, "class");
	cstat = cname < 0 ? -1 : dbgfs_col(&src, &s->ct, "status");
	if (cstat < 0)
		return -1;
	/* The reason runs to the end of the line: it must be last. */
	creason = cowlab_table_col(&s->ct, "reason");
	if (creason >= 0 && (size_t)creason != s->ct.ncols - 1) {
		dbgfs_bad(&src, 1, "'reason' must be the last column");
		return -1;
	}
	s->c = calloc(s->ct.nrows + 1, sizeof(*s->c));
	if (!s->c) {
		cl_err("out of memory");
		return -1;
	}
	s->nc = s->ct.nrows;
	for (r = 0; r < s->ct.nrows; r++) {
		struct class *c = &s->c[r];
		const char *why = creason < 0 ? "" : s->ct.rows[r][creason];

		c->name = s->ct.rows[r][cname];
		c->status = s->ct.rows[r][cstat];
		c->reason = *why && strcmp(why, "-") ? why : NULL;
		if (!strcmp(c->status, "missing"))
			c->probe = reason_probe(c->reason);
	}
	return 0;
}

static int load_probes(struct status *s)
{
	struct dbgfs_src src;
	int csym, ckind, cstat, cerr, cmiss;
	size_t r;

	if (dbgfs_table("probes", 0, 0, &s->pt, &src))
		return -1;
	csym = dbgfs_col(&src, &s->pt, "symbol");
	ckind = csym < 0 ? -1 : dbgfs_col(&src, &s->pt, "kind");
	cstat = ckind < 0 ? -1 : dbgfs_col(&src, &s->pt, "status");
	if (cstat < 0)
		return -1;
	cerr = cowlab_table_col(&s->pt, "error");
	cmiss = cowlab_table_col(&s->pt, "nmissed");
	s->p = calloc(s->pt.nrows + 1, sizeof(*s->p));
	if (!s->p) {
		cl_err("out of memory");
		return -1;
	}
	for (r = 0; r < s->pt.nrows; r++) {
		struct probe *p = &s->p[r];
		int e;

		p->symbol = s->pt.rows[r][csym];
		p->kind = s->pt.rows[r][ckind];
		p->status = s->pt.rows[r][cstat];
		if (cerr >= 0) {
			e = cowlab_field_s64(s->pt.rows[r][cerr], &p->error);
			if (e && e != -ENOENT) {
				char *safe = fmt_safe(s->pt.rows[r][cerr]);

				dbgfs_bad(&src, r + 2,
					  "error '%.32s' is not a number (0 or -errno)",
					  safe ? safe : "?");
				free(safe);
				return -1;
			}
			p->have_error = !e;
		}
		if (dbgfs_u64(&src, &s->pt, r, cmiss, &p->nmissed,
			      &p->have_nmissed))
			return -1;
	}
	s->np = s->pt.nrows;
	return 0;
}

static int load_stats(struct status *s)
{
	struct dbgfs_src src;
	int cname, cval;
	size_t r;

	if (dbgfs_table("stats", 0, 0, &s->st, &src))
		return -1;
	cname = dbgfs_col(&src, &s->st, "name");
	cval = cname < 0 ? -1 : dbgfs_col(&src, &s->st, "value");
	if (cval < 0)
		return -1;
	s->name = calloc(s->st.nrows + 1, sizeof(*s->name));
	s->val = calloc(s->st.nrows + 1, sizeof(*s->val));
	s->have_val = calloc(s->st.nrows + 1, sizeof(*s->have_val));
	if (!s->name || !s->val || !s->have_val) {
		cl_err("out of memory");
		return -1;
	}
	for (r = 0; r < s->st.nrows; r++) {
		s->name[r] = s->st.rows[r][cname];
		if (dbgfs_u64(&src, &s->st, r, cval, &s->val[r],
			      &s->have_val[r]))
			return -1;
	}
	return 0;
}

static void status_free(struct status *s)
{
	size_t r;

	for (r = 0; r < s->nc; r++)
		free(s->c[r].probe);
	free(s->c);
	free(s->p);
	free(s->name);
	free(s->val);
	free(s->have_val);
	cowlab_table_free(&s->ct);
	cowlab_table_free(&s->pt);
	cowlab_table_free(&s->st);
}

/* Value of statistic @name, or false if absent. */
static bool stat_val(const struct status *s, const char *name,
		     unsigned long long *v)
{
	size_t r;

	for (r = 0; r < s->st.nrows; r++) {
		if (!strcmp(s->name[r], name) && s->have_val[r]) {
			*v = s->val[r];
			return true;
		}
	}
	return false;
}

/* The classes, as a JSON array: null where the file says "-". */
static void classes_json(struct json *j, const struct status *s)
{
	size_t r;

	json_arr(j);
	for (r = 0; r < s->nc; r++) {
		json_nl(j);
		json_obj(j);
		json_key(j, "class");
		json_str(j, s->c[r].name);
		json_key(j, "status");
		json_str(j, s->c[r].status);
		json_key(j, "reason");
		json_str_or_null(j, s->c[r].reason);
		json_key(j, "probe");
		json_str_or_null(j, s->c[r].probe);
		json_obj_end(j);
	}
	if (s->nc)
		json_nl(j);
	json_arr_end(j);
}

static void status_json(const struct status *s)
{
	struct json j;
	size_t r;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "classes");
	if (s->have_classes)
		classes_json(&j, s);
	else
		json_null(&j);
	json_key(&j, "probes");
	json_arr(&j);
	for (r = 0; r < s->np; r++) {
		const struct probe *p = &s->p[r];

		json_nl(&j);
		json_obj(&j);
		json_key(&j, "symbol");
		json_str(&j, p->symbol);
		json_key(&j, "kind");
		json_str(&j, p->kind);
		json_key(&j, "status");
		json_str(&j, p->status);
		json_key(&j, "error");
		if (p->have_error)
			json_s64(&j, p->error);
		else
			json_null(&j);
		json_key(&j, "nmissed");
		json_u64_or_null(&j, p->nmissed, p->have_nmissed);
		json_obj_end(&j);
	}
	if (s->np)
		json_nl(&j);
	json_arr_end(&j);
	json_key(&j, "stats");
	json_obj(&j);
	for (r = 0; r < s->st.nrows; r++) {
		json_nl(&j);
		json_key(&j, s->name[r]);
		json_u64_or_null(&j, s->val[r], s->have_val[r]);
	}
	if (s->st.nrows)
		json_nl(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

/* The classes table, if the module has one. Returns how many not counted. */
static size_t classes_text(const struct status *s)
{
	static const char *const hdr[] = { "CLASS", "STATUS", "REASON" };
	size_t r, n = 0;
	struct ttable t;

	if (!s->have_classes)
		return 0;
	tt_init(&t, 3, hdr, 1UL << 0 | 1UL << 1 | 1UL << 2);
	for (r = 0; r < s->nc; r++) {
		const struct class *c = &s->c[r];
		char *name = fmt_safe(c->name), *st = fmt_safe(c->status);
		char *why = fmt_safe(c->reason ? c->reason : "");

		tt_cell(&t, name ? name : "?");
		tt_cell(&t, st ? st : "?");
		tt_cell(&t, why ? why : "?");
		n += strcmp(c->status, "counted") != 0;
		free(name);
		free(st);
		free(why);
	}
	tt_print(&t, stdout, 0);
	tt_free(&t);
	putchar('\n');
	return n;
}

/* "note: unshare, cow_ksm are not counted here ...", for @n classes. */
static void classes_note(const struct status *s, size_t n)
{
	size_t r, k = 0;

	fputs("\nnote: ", stdout);
	for (r = 0; r < s->nc; r++) {
		char *name;

		if (!strcmp(s->c[r].status, "counted"))
			continue;
		name = fmt_safe(s->c[r].name);
		printf("%s%s", k++ ? ", " : "", name ? name : "?");
		free(name);
	}
	printf(" %s not counted here: procs shows '-' for %s\n",
	       n == 1 ? "is" : "are", n == 1 ? "it" : "them");
}

static void status_text(const struct status *s)
{
	static const char *const phdr[] = {
		"SYMBOL", "KIND", "STATUS", "ERROR", "NMISSED",
	};
	static const char *const shdr[] = { "STATISTIC", "VALUE" };
	unsigned long long missed = 0, v;
	size_t r, bad = 0, absent;
	struct ttable t;
	char buf[SIZE_BUF];

	absent = classes_text(s);
	tt_init(&t, 5, phdr, 1UL << 0 | 1UL << 1 | 1UL << 2);
	for (r = 0; r < s->np; r++) {
		const struct probe *p = &s->p[r];
		char *sym = fmt_safe(p->symbol), *kind = fmt_safe(p->kind);
		char *st = fmt_safe(p->status);

		tt_cell(&t, sym ? sym : "?");
		tt_cell(&t, kind ? kind : "?");
		tt_cell(&t, st ? st : "?");
		if (p->have_error)
			tt_cellf(&t, "%lld", p->error);
		else
			tt_cell(&t, "-");
		tt_cell(&t, fmt_count(buf, p->nmissed, p->have_nmissed));
		free(sym);
		free(kind);
		free(st);
		bad += strcmp(p->status, "ok") != 0;
		missed += p->nmissed;
	}
	tt_print(&t, stdout, 0);
	tt_free(&t);
	putchar('\n');

	tt_init(&t, 2, shdr, 1UL << 0);
	for (r = 0; r < s->st.nrows; r++) {
		char *name = fmt_safe(s->name[r]);

		tt_cell(&t, name ? name : "?");
		tt_cell(&t, fmt_count(buf, s->val[r], s->have_val[r]));
		free(name);
	}
	tt_print(&t, stdout, 0);
	tt_free(&t);

	if (absent)
		classes_note(s, absent);
	if (bad)
		printf("\nnote: %zu probe(s) not registered: the event classes they count show '-'\n"
		       "      (missing: not on this kernel; failed: see dmesg)\n",
		       bad);
	if (missed)
		printf("\nnote: the probes missed %llu hits: some events were not counted\n",
		       missed);
	if (stat_val(s, "procs_dropped", &v) && v)
		printf("\nnote: %llu processes were not tracked, the table was full of live ones:\n"
		       "      reload with a larger max_procs (insmod cowlab.ko max_procs=8192)\n",
		       v);
	if (stat_val(s, "events_unattributed", &v) && v)
		printf("\nnote: %llu events could not be attributed to a process\n",
		       v);
	if (stat_val(s, "sites_on", &v) && !v)
		printf("\nnote: sites are not recorded (off after insmod): `cowlab sites --on`\n"
		       "      records where COW breaks come from, from then on\n");
	if (stat_val(s, "sites_dropped", &v) && v)
		printf("\nnote: %llu events have no site: no memory for their process's table\n",
		       v);
	if (stat_val(s, "history_dropped", &v) && v)
		printf("\nnote: %llu processes have no timeline and no exposure (- - - in procs):\n"
		       "      no memory for their history\n", v);
}

int cmd_status(int argc, char **argv)
{
	struct status s = {};
	int ret;

	(void)argc;
	(void)argv;
	ret = dbgfs_init();
	if (ret)
		return ret;
	ret = EXIT_FAIL;
	if (load_classes(&s) || load_probes(&s) || load_stats(&s))
		goto out;
	if (env.json)
		status_json(&s);
	else
		status_text(&s);
	ret = EXIT_OK;
out:
	status_free(&s);
	return ret;
}
