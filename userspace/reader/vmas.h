/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmas.c: the vmas table of one process, choosing a VMA by what a person
 * types, and `cowlab vmas`.
 */
#ifndef COWLAB_READER_VMAS_H
#define COWLAB_READER_VMAS_H

#include "common.h"
#include "json.h"
#include "table.h"

enum vma_cnt {
	VMA_RESIDENT,
	VMA_SHARED,
	VMA_EXCLUSIVE,
	VMA_ZERO,
	VMA_COPIED,
	VMA_COW_COPY,
	VMA_COW_ZERO,
	VMA_WP_REUSE,
	NR_VMA_CNTS,
};

struct vma {
	unsigned long long start, end;
	const char *perms;
	const char *name;		/* "" for anonymous memory */
	unsigned long long cnt[NR_VMA_CNTS];
	bool avail[NR_VMA_CNTS];
};

struct vmas {
	int pid;
	struct cowlab_table t;
	struct vma *v;
	size_t n;
};

int vmas_load(struct vmas *vs, int pid);
void vmas_free(struct vmas *vs);
const char *vma_name(const struct vma *v);
unsigned long long vma_pages(const struct vma *v);
int vma_select(const struct vmas *vs, const char *sel, bool *match);
const struct vma *vma_pick(const struct vmas *vs, const char *sel);
const struct vma *vmas_at(const struct vmas *vs, unsigned long long start);
void vma_json(struct json *j, const struct vma *v);
int vmas_addr_width(const struct vmas *vs);

#endif /* COWLAB_READER_VMAS_H */
