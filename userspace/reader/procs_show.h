/* SPDX-License-Identifier: GPL-2.0 */
/* procs_show.c: the procs table as text or JSON, and `cowlab procs`. */
#ifndef COWLAB_READER_PROCS_SHOW_H
#define COWLAB_READER_PROCS_SHOW_H

#include "json.h"
#include "procs.h"

/*
 * Print @ps as a table on @f (at most @max_rows rows, 0 for all), or as a
 * JSON array into @j. Returns 0, or EXIT_FAIL (--pid not found).
 */
int procs_show(const struct procs *ps, FILE *f, size_t max_rows,
	       struct json *j);

#endif /* COWLAB_READER_PROCS_SHOW_H */
