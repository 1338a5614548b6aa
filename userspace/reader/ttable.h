/* SPDX-License-Identifier: GPL-2.0 */
/* ttable.c: aligned text tables whose last column is left unpadded. */
#ifndef COWLAB_READER_TTABLE_H
#define COWLAB_READER_TTABLE_H

#include "common.h"

struct ttable {
	size_t ncols;
	const char *const *hdr;
	unsigned long left;		/* bit c: column c is left-aligned */
	char **cell;			/* row-major, @used of @cap */
	size_t used, cap, nrows;
	struct {
		size_t first, last;
		char *label;
	} group[4];			/* labels over runs of columns */
	size_t ngroups;
};

void tt_init(struct ttable *t, size_t ncols, const char *const *hdr,
	     unsigned long left);
void tt_cell(struct ttable *t, const char *s);
__printf(2, 3) void tt_cellf(struct ttable *t, const char *fmt, ...);
void tt_group(struct ttable *t, size_t first, size_t last, const char *label);
void tt_print(const struct ttable *t, FILE *f, size_t max_rows);
void tt_free(struct ttable *t);

#endif /* COWLAB_READER_TTABLE_H */
