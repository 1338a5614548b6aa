/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser for cowlab's debugfs tables (docs/debugfs.md): a header line naming
 * the columns, then one record per line. Columns are looked up by name.
 */
#ifndef COWLAB_TABLE_H
#define COWLAB_TABLE_H

#include <stddef.h>

#define COWLAB_DEBUGFS "/sys/kernel/debug/cowlab"

struct cowlab_table {
	char *text;		/* the whole file, NULs written over separators */
	char **cols;		/* column names, ncols of them */
	size_t ncols;
	char ***rows;		/* rows[r][c]: field c of record r */
	size_t nrows;
	int last_col_rest;	/* last column runs to end of line (vmas) */
};

/*
 * Parse @text (taken over: freed by cowlab_table_free()). If
 * @last_col_rest, the last column takes the rest of each line, spaces
 * included. Returns 0, or -EINVAL with *@err set to a static message
 * (malformed header, a record with too few fields).
 */
int cowlab_table_parse(struct cowlab_table *t, char *text, int last_col_rest,
		       const char **err);

/* Read a whole file (debugfs sizes are unknown up front): 0 or -errno. */
int cowlab_read_file(const char *path, char **out, size_t *len);

/* Index of column @name, or -1. */
int cowlab_table_col(const struct cowlab_table *t, const char *name);

/* Field @col of the first record whose field @key_col equals @key, or NULL. */
const char *cowlab_table_lookup(const struct cowlab_table *t, int key_col,
				const char *key, int col);

/*
 * Parse a counter field: 0 with *@v set; -ENOENT for "-" (class not
 * available on this kernel); -EINVAL for anything else.
 */
int cowlab_field_u64(const char *field, unsigned long long *v);

void cowlab_table_free(struct cowlab_table *t);

#endif /* COWLAB_TABLE_H */
