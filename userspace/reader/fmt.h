/* SPDX-License-Identifier: GPL-2.0 */
/* fmt.c: units, strings safe for a terminal, the terminal's size. */
#ifndef COWLAB_READER_FMT_H
#define COWLAB_READER_FMT_H

#include "common.h"

#define SIZE_BUF 24
const char *fmt_size(char *buf, unsigned long long pages);
const char *fmt_pages(char *buf, unsigned long long pages, bool avail);
const char *fmt_count(char *buf, unsigned long long v, bool avail);
char *fmt_safe(const char *s);
bool fmt_color(FILE *f);
void fmt_term(FILE *f, int *cols, int *rows);

#endif /* COWLAB_READER_FMT_H */
