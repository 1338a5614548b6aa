// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab timeline PID`: a process's COW events over time since its fork
 * (or its reset), from the timeline file (docs/debugfs.md): a bar chart in
 * 80 columns, JSON, or with --svg an SVG plot (timeline_svg.c).
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
#include "procs.h"
#include "timeline.h"

#define NS_PER_SEC	1000000000ULL
#define NS_PER_MS	1000000ULL

/* Read and check the rows; EXIT_OK, or EXIT_FAIL after saying why. */
static int load_rows(struct timeline *tl)
{
	static const char *const names[] = {
		"start_ns", "end_ns", "copy", "nocopy",
	};
	struct cowlab_table t;
	struct dbgfs_src src;
	int col[4];
	size_t r, i;

	if (dbgfs_table("timeline", tl->pid, 0, &t, &src))
		return EXIT_FAIL;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		col[i] = dbgfs_col(&src, &t, names[i]);
		if (col[i] < 0)
			goto fail;
	}
	tl->b = calloc(t.nrows + 1, sizeof(*tl->b));
	if (!tl->b) {
		cl_err("out of memory");
		goto fail;
	}
	for (r = 0; r < t.nrows; r++) {
		struct tl_bucket *b = &tl->b[r];
		unsigned long long *v[] = {
			&b->start, &b->end, &b->copy, &b->nocopy,
		};
		bool avail;

		for (i = 0; i < ARRAY_SIZE(v); i++) {
			if (dbgfs_u64(&src, &t, r, col[i], v[i], &avail))
				goto fail;
			if (!avail) {
				dbgfs_bad(&src, r + 2, "%s '-' is not a number",
					  names[i]);
				goto fail;
			}
		}
		if (b->end <= b->start) {
			dbgfs_bad(&src, r + 2, "end_ns %llu is not after start_ns %llu",
				  b->end, b->start);
			goto fail;
		}
		if (r && b->start < tl->b[r - 1].end) {
			dbgfs_bad(&src, r + 2, "start_ns %llu is before the end of the bucket above",
				  b->start);
			goto fail;
		}
		tl->copy = sat_add(tl->copy, b->copy);
		tl->nocopy = sat_add(tl->nocopy, b->nocopy);
	}
	tl->n = t.nrows;
	cowlab_table_free(&t);
	return EXIT_OK;
fail:
	cowlab_table_free(&t);
	return EXIT_FAIL;
}

/* The process's comm and state from procs, if it is there (quietly). */
static void load_name(struct timeline *tl)
{
	bool quiet = dbgfs_set_quiet(true);
	const struct proc *p;
	struct procs ps;

	if (!procs_load(&ps)) {
		p = procs_find(&ps, tl->pid);
		if (p) {
			tl->comm = fmt_safe(p->comm);
			tl->state = fmt_safe(p->state);
		}
		procs_free(&ps);
	}
	dbgfs_set_quiet(quiet);
}

static int timeline_load(struct timeline *tl, int pid)
{
	memset(tl, 0, sizeof(*tl));
	tl->pid = pid;
	if (!dbgfs_has("timeline")) {
		cl_err("%s has no timeline file:\n"
		       "        the loaded cowlab module is too old: load a newer cowlab.ko",
		       env.debugfs);
		return EXIT_FAIL;
	}
	if (load_rows(tl))
		return EXIT_FAIL;
	load_name(tl);
	return EXIT_OK;
}

static void timeline_free(struct timeline *tl)
{
	free(tl->b);
	free(tl->comm);
	free(tl->state);
}

const char *tl_secs(char *buf, size_t size, unsigned long long ns)
{
	snprintf(buf, size, "%llu.%03llu", ns / NS_PER_SEC,
		 ns % NS_PER_SEC / NS_PER_MS);
	return buf;
}

const char *tl_width(char *buf, size_t size, unsigned long long ns)
{
	if (ns >= 10 * NS_PER_SEC)
		snprintf(buf, size, "%llu.%03llu s", ns / NS_PER_SEC,
			 ns % NS_PER_SEC / NS_PER_MS);
	else if (ns % NS_PER_MS == 0)
		snprintf(buf, size, "%llu ms", ns / NS_PER_MS);
	else
		snprintf(buf, size, "%.3f ms", (double)ns / NS_PER_MS);
	return buf;
}

/* "process 413 (cow, exited)" */
static void who(const struct timeline *tl, FILE *f)
{
	fprintf(f, "process %d", tl->pid);
	if (tl->comm)
		fprintf(f, " (%s%s%s)", tl->comm,
			tl->state && strcmp(tl->state, "live") ? ", " : "",
			tl->state && strcmp(tl->state, "live") ? tl->state : "");
}

static int digits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void glyphs(char c, unsigned long long n)
{
	while (n--)
		putchar(c);
}

static unsigned long long div_up(unsigned long long a, unsigned long long b)
{
	return a / b + (a % b != 0);
}

/*
 * One row per bucket: FROM TO (seconds since the first bucket's start), a
 * bar of '#' (copy) then '+' (nocopy), COPY and NOCOPY, in 80 columns.
 */
static void timeline_text(const struct timeline *tl)
{
	unsigned long long origin, max = 0, epg = 1;
	int wf = 4, wt = 2, wc = 4, wn = 6, barw, len;
	char a[32], b[96];
	size_t r;

	who(tl, stdout);
	if (!tl->n) {
		printf(": no COW events yet since its fork (or reset)\n");
		return;
	}
	origin = tl->b[0].start;
	printf(": %llu COW event%s: %llu copy, %llu nocopy\n",
	       sat_add(tl->copy, tl->nocopy),
	       sat_add(tl->copy, tl->nocopy) == 1 ? "" : "s", tl->copy,
	       tl->nocopy);
	for (r = 0; r < tl->n; r++) {
		const struct tl_bucket *k = &tl->b[r];
		int l;

		if (sat_add(k->copy, k->nocopy) > max)
			max = sat_add(k->copy, k->nocopy);
		l = (int)strlen(tl_secs(a, sizeof(a), k->start - origin));
		wf = l > wf ? l : wf;
		l = (int)strlen(tl_secs(a, sizeof(a), k->end - origin));
		wt = l > wt ? l : wt;
		wc = digits(k->copy) > wc ? digits(k->copy) : wc;
		wn = digits(k->nocopy) > wn ? digits(k->nocopy) : wn;
	}
	barw = 80 - (wf + 1 + wt + 1 + 1 + wc + 1 + wn);
	if (barw < 10)
		barw = 10;
	/* ceil(c / epg) + ceil(n / epg) <= barw when epg > max / (barw - 1) */
	if (max > (unsigned long long)barw)
		epg = div_up(max, barw - 1);
	printf("%zu bucket%s of %s from its fork or reset (CLOCK_MONOTONIC %s s)\n",
	       tl->n, tl->n == 1 ? "" : "s",
	       tl_width(b, sizeof(b), tl->b[0].end - tl->b[0].start),
	       tl_secs(a, sizeof(a), origin));
	if (epg > 1)
		snprintf(b, sizeof(b), "# copy, + nocopy; 1 glyph per %llu events, rounded up",
			 epg);
	else
		snprintf(b, sizeof(b), "# copy, + nocopy; 1 glyph per event");
	len = (int)strlen(b) > barw ? barw : (int)strlen(b);
	printf("%*s %*s %-*.*s %*s %*s\n", wf, "FROM", wt, "TO", barw, len, b,
	       wc, "COPY", wn, "NOCOPY");
	for (r = 0; r < tl->n; r++) {
		const struct tl_bucket *k = &tl->b[r];
		unsigned long long gc = div_up(k->copy, epg);
		unsigned long long gn = div_up(k->nocopy, epg);

		printf("%*s ", wf, tl_secs(a, sizeof(a), k->start - origin));
		printf("%*s ", wt, tl_secs(a, sizeof(a), k->end - origin));
		glyphs('#', gc);
		glyphs('+', gn);
		glyphs(' ', barw - gc - gn);
		printf(" %*llu %*llu\n", wc, k->copy, wn, k->nocopy);
	}
}

static void timeline_json(const struct timeline *tl, FILE *f)
{
	struct json j;
	size_t r;

	json_init(&j, f);
	json_obj(&j);
	json_key(&j, "pid");
	json_u64(&j, tl->pid);
	json_key(&j, "comm");
	json_str_or_null(&j, tl->comm);
	json_key(&j, "state");
	json_str_or_null(&j, tl->state);
	json_key(&j, "start_ns");
	json_u64_or_null(&j, tl->n ? tl->b[0].start : 0, tl->n);
	json_key(&j, "bucket_ns");
	json_u64_or_null(&j, tl->n ? tl->b[0].end - tl->b[0].start : 0,
			 tl->n);
	json_key(&j, "copy");
	json_u64(&j, tl->copy);
	json_key(&j, "nocopy");
	json_u64(&j, tl->nocopy);
	json_key(&j, "buckets");
	json_arr(&j);
	for (r = 0; r < tl->n; r++) {
		json_nl(&j);
		json_obj(&j);
		json_key(&j, "start_ns");
		json_u64(&j, tl->b[r].start);
		json_key(&j, "end_ns");
		json_u64(&j, tl->b[r].end);
		json_key(&j, "copy");
		json_u64(&j, tl->b[r].copy);
		json_key(&j, "nocopy");
		json_u64(&j, tl->b[r].nocopy);
		json_obj_end(&j);
	}
	if (tl->n)
		json_nl(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	fputc('\n', f);
}

/* --svg FILE ("-": standard output, instead of the chart). */
static int write_svg(const struct timeline *tl)
{
	bool to_stdout = !strcmp(env.svg, "-");
	FILE *f = to_stdout ? stdout : fopen(env.svg, "we");
	int err = 0;

	if (!f) {
		cl_err("%s: %s", env.svg, strerror(errno));
		return EXIT_FAIL;
	}
	timeline_svg(tl, f);
	if (ferror(f))
		err = EIO;
	if (!to_stdout && fclose(f) && !err)
		err = errno;
	if (err) {
		cl_err("%s: %s", env.svg, strerror(err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_timeline(int argc, char **argv)
{
	struct timeline tl;
	int pid, ret;

	(void)argc;
	if (parse_pid(argv[0], &pid)) {
		cl_err("'%s' is not a process id (e.g. 412)", argv[0]);
		return usage_error("timeline");
	}
	ret = dbgfs_init();
	if (ret)
		return ret;
	ret = timeline_load(&tl, pid);
	if (!ret && env.svg)
		ret = write_svg(&tl);
	if (!ret && env.json)
		timeline_json(&tl, stdout);
	else if (!ret && !(env.svg && !strcmp(env.svg, "-")))
		timeline_text(&tl);
	timeline_free(&tl);
	return ret;
}
