// SPDX-License-Identifier: GPL-2.0
/* Human units, strings safe for a terminal, and the terminal's size. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fmt.h"
#include "opts.h"

/*
 * @pages 4 KiB pages as a size of at most 4 characters, like `du -h`:
 * "0", "4K" ... "996K", "1.0M" ... "9.9M", "10M" ... "999M", "1.0G" ...
 * Rounded to nearest; a unit is used from 999.5 of the one below.
 */
const char *fmt_size(char *buf, unsigned long long pages)
{
	static const char units[] = "KMGTPEZY";
	long double v = (long double)pages * (PAGE_BYTES / 1024);
	size_t u = 0;

	if (!pages) {
		snprintf(buf, SIZE_BUF, "0");
		return buf;
	}
	while (v >= 999.5L && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	if (u > 0 && v < 9.95L)
		snprintf(buf, SIZE_BUF, "%.1Lf%c", v, units[u]);
	else
		snprintf(buf, SIZE_BUF, "%.0Lf%c", v, units[u]);
	return buf;
}

/* A page count as a size, or with --pages as a count; "-" if unavailable. */
const char *fmt_pages(char *buf, unsigned long long pages, bool avail)
{
	if (!avail) {
		snprintf(buf, SIZE_BUF, "-");
		return buf;
	}
	if (env.raw_pages) {
		snprintf(buf, SIZE_BUF, "%llu", pages);
		return buf;
	}
	return fmt_size(buf, pages);
}

const char *fmt_count(char *buf, unsigned long long v, bool avail)
{
	snprintf(buf, SIZE_BUF, avail ? "%llu" : "-", v);
	return buf;
}

/*
 * A copy of @s (malloc'd; NULL if out of memory) that cannot drive the
 * terminal: control characters, DEL and bytes of invalid UTF-8 become '?'.
 */
char *fmt_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = 0, i;

		if (*p >= 0x20 && *p < 0x7f) {
			*o++ = *p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (n && i > n) {
			memcpy(o, p, n + 1);
			o += n + 1;
			p += n + 1;
		} else {
			*o++ = '?';
			p++;
		}
	}
	*o = '\0';
	return out;
}

/* Colour on @f? --color, else only on a terminal that is not dumb. */
bool fmt_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (env.color == COLOR_ALWAYS)
		return true;
	if (env.color == COLOR_NEVER)
		return false;
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		return false;
	return isatty(fileno(f)) && !(term && !strcmp(term, "dumb"));
}

/*
 * The size to fit: --width and --height, else the terminal's, else 80x24
 * (a pipe, or a serial console that does not know its size).
 */
void fmt_term(FILE *f, int *cols, int *rows)
{
	struct winsize ws = {};

	*cols = 80;
	*rows = 24;
	if (isatty(fileno(f)) && !ioctl(fileno(f), TIOCGWINSZ, &ws)) {
		if (ws.ws_col >= 24)
			*cols = ws.ws_col;
		if (ws.ws_row >= 8)
			*rows = ws.ws_row;
	}
	if (env.width)
		*cols = env.width;
	if (env.height)
		*rows = env.height;
}
