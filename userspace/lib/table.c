// SPDX-License-Identifier: GPL-2.0
/* Parser for cowlab's debugfs tables; see table.h. */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cowlab_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
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
	close(fd);
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
