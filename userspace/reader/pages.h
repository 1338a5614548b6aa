/* SPDX-License-Identifier: GPL-2.0 */
/* pages.c: the pages file of one process, walked one VMA at a time. */
#ifndef COWLAB_READER_PAGES_H
#define COWLAB_READER_PAGES_H

#include "common.h"
#include "dbgfs.h"
#include "table.h"

enum page_state {
	PG_NONE,			/* '.' not present */
	PG_SHARED,			/* 'S' */
	PG_EXCL,			/* 'X' */
	PG_ZERO,			/* 'Z' */
	PG_COPIED,			/* 'C' */
	NR_PG,
};

struct pline {
	unsigned long long addr;
	const char *map;
	size_t len;
};

struct pages {
	struct cowlab_table t;
	struct dbgfs_src src;
	struct pline *v;
	size_t n;
};

typedef void (*page_run_fn)(void *ctx, unsigned long long addr,
			    unsigned long long npages, enum page_state st);

int pages_load(struct pages *pg, int pid);
void pages_free(struct pages *pg);
void pages_walk(const struct pages *pg, unsigned long long start,
		unsigned long long end, page_run_fn fn, void *ctx);
char page_char(enum page_state st);
const char *page_state_name(enum page_state st);

#endif /* COWLAB_READER_PAGES_H */
