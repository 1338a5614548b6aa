/* SPDX-License-Identifier: GPL-2.0 */
/*
 * classes.c: the event classes the reader knows (the counter columns of
 * procs) and the keys that `procs --sort` takes.
 */
#ifndef COWLAB_READER_CLASSES_H
#define COWLAB_READER_CLASSES_H

#include "common.h"

enum proc_ctr {
	CTR_COW_COPY,
	CTR_COW_ZERO,
	CTR_WP_REUSE,
	CTR_UNSHARE,
	CTR_THP_REUSE,
	CTR_THP_SPLIT,
	CTR_THP_ZERO,
	CTR_FILE_COPY,
	CTR_COW_KSM,
	NR_PROC_CTRS,
};

/* The debugfs column name of @c: also its JSON key and sort key. */
const char *class_name(enum proc_ctr c);

enum key_kind { KEY_PID, KEY_PPID, KEY_STATE, KEY_COMM, KEY_CTR };

struct sort_key {
	const char *name;
	const char *title;
	enum key_kind kind;
	enum proc_ctr ctr;
};

/* The key that @name names (a column name or title), or NULL. */
const struct sort_key *sort_key_find(const char *name);

/* 0 if @key is a sort key, else -EINVAL after saying which ones are. */
int sort_key_check(const char *key);

#endif /* COWLAB_READER_CLASSES_H */
