/* SPDX-License-Identifier: GPL-2.0 */
/*
 * classes.c: the event classes the reader knows (counter columns of
 * procs), how the procs table groups them, and the keys `--sort` takes.
 * A class the reader does not know is still shown: the module lists it
 * in `classes` (procs.c reads it).
 */
#ifndef COWLAB_READER_CLASSES_H
#define COWLAB_READER_CLASSES_H

#include "common.h"

/* What one event is about: each family has a label over its columns. */
enum class_family {
	FAM_4K,				/* a 4 KiB page */
	FAM_THP,			/* a PMD-mapped THP */
	FAM_HUGETLB,			/* a hugetlb page */
	FAM_NEW,			/* a class this reader does not know */
	NR_FAMILIES,
};

struct class_info {
	const char *name;		/* debugfs column, JSON key, sort key */
	const char *title;		/* column title, under its family */
	const char *key;		/* short sort key (the title it had) */
	enum class_family family;
	bool other;			/* added up in OTHER, unless --wide */
};

/* The classes this reader knows, in the column order of procs. */
size_t classes_known(const struct class_info **v);

/* The known class named @name, or NULL. */
const struct class_info *class_find(const char *name);

/* The label over a family's columns ("2 MiB THP"), or NULL for none. */
const char *family_label(enum class_family f);

enum sort_kind {
	SORT_PID,
	SORT_PPID,
	SORT_STATE,
	SORT_COMM,
	SORT_COST,			/* the COST column: exposure */
	SORT_OTHER,			/* the OTHER column */
	SORT_CLASS,
};

struct sort_key {
	enum sort_kind kind;
	const char *class;		/* SORT_CLASS: the class's name */
};

/*
 * Parse @s: a column name, title or short key (any case), or the name of
 * a class the reader does not know (lower case, digits, '_' between
 * words), which the procs table must then have. Returns 0, or -EINVAL
 * after saying which keys there are.
 */
int sort_key_parse(const char *s, struct sort_key *k);

#endif /* COWLAB_READER_CLASSES_H */
