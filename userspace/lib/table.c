// SPDX-License-Identifier: GPL-2.0
/* Parser for cowlab's debugfs tables; see table.h. */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cowlab_read_fd(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int cowlab_read_file(const char *path, char **out, size_t *len)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = cowlab_read_fd(fd, out, len);
	close(fd);
	return err;
}

/* Split @line at runs of spaces into at most @max fields. */
static size_t split(char *line, char **fields, size_t max, int rest_last)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		if (rest_last && n == max)
			break;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

int cowlab_table_parse(struct cowlab_table *t, char *text, int last_col_rest,
		       const char **err)
{
	char *line, *next;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	t->text = text;
	t->last_col_rest = last_col_rest;
	*err = NULL;

	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	/* At most one column per two bytes of the header. */
	t->cols = calloc(strlen(text) / 2 + 2, sizeof(*t->cols));
	if (!t->cols) {
		*err = "out of memory";
		return -ENOMEM;
	}
	t->ncols = split(text, t->cols, strlen(text) / 2 + 2, 0);
	if (t->ncols == 0) {
		*err = "empty header line";
		return -EINVAL;
	}
	for (line = next; line && *line; line = next) {
		char **f;
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		f = calloc(t->ncols, sizeof(*f));
		if (!f) {
			*err = "out of memory";
			return -ENOMEM;
		}
		n = split(line, f, t->ncols, last_col_rest);
		if (n != t->ncols) {
			free(f);
			*err = "a record has a different number of fields than the header";
			return -EINVAL;
		}
		if (t->nrows == cap) {
			char ***nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(t->rows, cap * sizeof(*nr));
			if (!nr) {
				free(f);
				*err = "out of memory";
				return -ENOMEM;
			}
			t->rows = nr;
		}
		t->rows[t->nrows++] = f;
	}
	return 0;
}

int cowlab_table_col(const struct cowlab_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i], name))
			return (int)i;
	return -1;
}

const char *cowlab_table_lookup(const struct cowlab_table *t, int key_col,
				const char *key, int col)
{
	size_t r;

	if (key_col < 0 || col < 0 || (size_t)key_col >= t->ncols ||
	    (size_t)col >= t->ncols)
		return NULL;
	for (r = 0; r < t->nrows; r++)
		if (!strcmp(t->rows[r][key_col], key))
			return t->rows[r][col];
	return NULL;
}

int cowlab_field_u64(const char *field, unsigned long long *v)
{
	char *end;

	if (!strcmp(field, "-"))
		return -ENOENT;
	if (*field < '0' || *field > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(field, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

void cowlab_table_free(struct cowlab_table *t)
{
	size_t r;

	for (r = 0; r < t->nrows; r++)
		free(t->rows[r]);
	free(t->rows);
	free(t->cols);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/* Is @s only spaces and tabs (and newlines)? */
static int blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/*
 * Split one record into @ncols fields for cowlab_table_parse_strict().
 * Returns the number of fields found; *@extra is set when text is left over.
 */
static size_t split_strict(char *line, char **f, size_t ncols, int rest_last,
			   int *extra)
{
	const char *end = line + strlen(line), *p;
	size_t n = split(line, f, ncols, rest_last);

	*extra = 0;
	if (n < ncols || rest_last)
		return n;
	/* split() stopped after the last field: anything after it? */
	p = f[n - 1] + strlen(f[n - 1]);
	if (p < end)
		p++;
	*extra = !blank(p);
	return n;
}

int cowlab_table_parse_strict(struct cowlab_table *t, char *text, size_t len,
			      unsigned int flags, const char **err,
			      size_t *line)
{
	static __thread char msg[128];
	int rest_last = !!(flags & COWLAB_TABLE_REST_LAST);
	char *next, *p;
	size_t lineno = 1, cap = 0, hdrlen, i, j;

	memset(t, 0, sizeof(*t));
	t->text = text;
	t->last_col_rest = rest_last;
	*err = NULL;
	*line = 0;

	if (strlen(text) != len) {
		/* Name the line of the first NUL. */
		for (p = text; *p; p++)
			lineno += *p == '\n';
		*line = lineno;
		*err = "contains a NUL byte (not a text table)";
		return -EINVAL;
	}
	if (len == 0) {
		*err = "is empty: no header line";
		return -EINVAL;
	}
	if (text[len - 1] != '\n') {
		for (p = text; *p; p++)
			lineno += *p == '\n';
		*line = lineno;
		*err = "last line has no newline: the file was cut short";
		return -EINVAL;
	}

	next = strchr(text, '\n');
	*next++ = '\0';
	*line = 1;
	hdrlen = strlen(text);
	/* At most one column per two bytes of the header. */
	t->cols = calloc(hdrlen / 2 + 2, sizeof(*t->cols));
	if (!t->cols) {
		*err = "out of memory";
		return -ENOMEM;
	}
	t->ncols = split(text, t->cols, hdrlen / 2 + 2, 0);
	if (t->ncols == 0) {
		*err = "empty header line: expected column names";
		return -EINVAL;
	}
	if (t->cols[0][0] >= '0' && t->cols[0][0] <= '9') {
		snprintf(msg, sizeof(msg),
			 "no header: '%.40s' is a value, not a column name",
			 t->cols[0]);
		*err = msg;
		return -EINVAL;
	}
	for (i = 0; i < t->ncols; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(t->cols[i], t->cols[j])) {
				snprintf(msg, sizeof(msg),
					 "header names column '%.40s' twice",
					 t->cols[i]);
				*err = msg;
				return -EINVAL;
			}
		}
	}

	for (p = next; *p; p = next) {
		char **f;
		size_t n;
		int extra;

		lineno++;
		next = strchr(p, '\n');
		*next++ = '\0';
		*line = lineno;
		if (blank(p)) {
			if (blank(next))
				break;
			*err = "blank line between records";
			return -EINVAL;
		}
		f = calloc(t->ncols, sizeof(*f));
		if (!f) {
			*err = "out of memory";
			return -ENOMEM;
		}
		n = split_strict(p, f, t->ncols, rest_last, &extra);
		if (n + 1 == t->ncols && (flags & COWLAB_TABLE_LAST_OPTIONAL)) {
			f[n++] = "";
		} else if (n != t->ncols || extra) {
			free(f);
			if (extra)
				snprintf(msg, sizeof(msg),
					 "more fields than the %zu columns of the header",
					 t->ncols);
			else
				snprintf(msg, sizeof(msg),
					 "%zu fields, but the header names %zu columns",
					 n, t->ncols);
			*err = msg;
			return -EINVAL;
		}
		if (t->nrows == cap) {
			char ***nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(t->rows, cap * sizeof(*nr));
			if (!nr) {
				free(f);
				*err = "out of memory";
				return -ENOMEM;
			}
			t->rows = nr;
		}
		t->rows[t->nrows++] = f;
	}
	*line = 0;
	return 0;
}

int cowlab_field_hex(const char *field, unsigned long long *v)
{
	unsigned long long x = 0;
	const char *p;

	if (!*field || strlen(field) > 16)
		return -EINVAL;
	for (p = field; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

int cowlab_field_s64(const char *field, long long *v)
{
	const char *digits = field;
	char *end;

	if (!strcmp(field, "-"))
		return -ENOENT;
	if (*digits == '-')
		digits++;
	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoll(field, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}
