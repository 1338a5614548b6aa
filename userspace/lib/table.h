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

/*
 * Additions for the reader (userspace/reader/). The functions above keep
 * their behaviour; these are stricter and say where a problem is.
 */

/* Flags for cowlab_table_parse_strict(). */
#define COWLAB_TABLE_REST_LAST		0x1	/* last column runs to end of line */
#define COWLAB_TABLE_LAST_OPTIONAL	0x2	/* ...and may be missing (empty) */

/*
 * Parse the @len bytes of @text (taken over: freed by cowlab_table_free(),
 * also after an error). Unlike cowlab_table_parse() it rejects a NUL byte,
 * an empty file, a last line without its newline (a truncated read), a blank
 * line before the last record, a duplicate column name, and a record with
 * too many fields (unless the last column runs to end of line) or too few
 * (with COWLAB_TABLE_LAST_OPTIONAL, one field short means an empty last
 * column). Record r is on line r + 2.
 *
 * Returns 0, or -EINVAL / -ENOMEM with *@err set to a message (static, or
 * in a buffer that the next call overwrites) and *@line to the 1-based line
 * it is about (0: the whole file).
 */
int cowlab_table_parse_strict(struct cowlab_table *t, char *text, size_t len,
			      unsigned int flags, const char **err,
			      size_t *line);

/* Read @fd from its current offset to end of file: 0 or -errno. */
int cowlab_read_fd(int fd, char **out, size_t *len);

/*
 * Parse a hexadecimal field without "0x" (an address in vmas or pages):
 * 0 with *@v set, or -EINVAL (empty, not hex, more than 64 bits).
 */
int cowlab_field_hex(const char *field, unsigned long long *v);

/*
 * Parse a signed decimal field (probes' error column): 0 with *@v set,
 * -ENOENT for "-", -EINVAL for anything else or out of range.
 */
int cowlab_field_s64(const char *field, long long *v);

#endif /* COWLAB_TABLE_H */
