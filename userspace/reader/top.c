// SPDX-License-Identifier: GPL-2.0
/* `cowlab top`: the procs table, refreshed. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "json.h"
#include "opts.h"
#include "procs.h"
#include "procs_show.h"

/* Sleep @ms, a display refresh interval. */
static void pause_ms(long ms)
{
	poll(NULL, 0, (int)ms);
}

static void title(const struct procs *ps, FILE *f, bool tty)
{
	size_t i, live = 0;

	for (i = 0; i < ps->n; i++)
		live += !strcmp(ps->v[i].state, "live");
	fprintf(f, "cowlab top: %zu processes, %zu live; every %ld ms%s\n",
		ps->n, live, env.interval_ms, tty ? "; Ctrl-C quits" : "");
}

/* Write @s cut to @cols columns (UTF-8 aware), so that no line wraps. */
static void put_cut(const char *s, size_t len, int cols)
{
	int col = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		/* A byte that starts a character takes a column. */
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++col > cols)
			break;
		putchar(s[i]);
	}
	putchar('\n');
}

/* One screenful: title and table, each line cut to the width. */
static int frame(const struct procs *ps, int cols, size_t max_rows)
{
	char *buf = NULL, *line, *nl;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int ret;

	if (!f) {
		cl_err("out of memory");
		return EXIT_FAIL;
	}
	title(ps, f, true);
	ret = procs_show(ps, f, max_rows, NULL);
	fclose(f);
	for (line = buf; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		put_cut(line, nl - line, cols);
	}
	free(buf);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO) && !env.json;
	struct procs ps;
	struct json j;
	long it;
	int ret, cols, rows;

	(void)argc;
	(void)argv;
	ret = dbgfs_init();
	if (ret)
		return ret;
	for (it = 1;; it++) {
		ret = procs_load(&ps);
		if (ret)
			return ret;
		if (env.pid && !procs_find(&ps, env.pid)) {
			/* Before any output, so that no half frame is left. */
			ret = procs_show(&ps, stdout, 0, NULL);
			procs_free(&ps);
			return ret;
		}
		if (env.json) {
			json_init(&j, stdout);
			j.oneline = true;
			json_obj(&j);
			json_key(&j, "iteration");
			json_u64(&j, it);
			json_key(&j, "procs");
			ret = procs_show(&ps, stdout, 0, &j);
			json_obj_end(&j);
			putchar('\n');
		} else if (tty) {
			fmt_term(stdout, &cols, &rows);
			/*
			 * Home, clear; title, labels, header, rows, "more"
			 * line, OTHER's note (two lines at most).
			 */
			fputs("\033[H\033[2J", stdout);
			ret = frame(&ps, cols, rows > 7 ? rows - 7 : 1);
		} else {
			if (it > 1)
				putchar('\n');
			title(&ps, stdout, false);
			ret = procs_show(&ps, stdout, 0, NULL);
		}
		fflush(stdout);
		procs_free(&ps);
		if (ret)
			return ret;
		if (env.iterations && it >= env.iterations)
			break;
		pause_ms(env.interval_ms);
	}
	return EXIT_OK;
}
