// SPDX-License-Identifier: GPL-2.0
/*
 * The event classes the reader knows, by their debugfs names, with the
 * titles and families of the procs table's columns; and the sort keys of
 * that table.
 *
 * OTHER adds up the classes that each need a setup of their own (KSM, a
 * pinned page at fork, hugetlb pages), so that the default table fits 80
 * columns; --wide and JSON show each. A class added to the module is shown
 * without a change here: in OTHER, and with its name as title.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classes.h"
#include "err.h"

static const struct class_info known[] = {
	{ "cow_copy", "COPY", "copy", FAM_4K, false },
	{ "cow_zero", "ZERO", "zero", FAM_4K, false },
	{ "wp_reuse", "REUSE", "reuse", FAM_4K, false },
	{ "unshare", "UNSHARE", "unshare", FAM_4K, false },
	{ "thp_reuse", "REUSE", "t_reuse", FAM_THP, false },
	{ "thp_split", "SPLIT", "t_split", FAM_THP, false },
	{ "thp_zero", "ZERO", "t_zero", FAM_THP, false },
	{ "file_copy", "FILE", "file", FAM_4K, false },
	{ "cow_ksm", "KSM", "ksm", FAM_4K, true },
	{ "huge_copy", "COPY", "h_copy", FAM_HUGETLB, true },
	{ "huge_reuse", "REUSE", "h_reuse", FAM_HUGETLB, true },
	{ "fork_copy", "FORK", "fork", FAM_4K, true },
};

static const char *const family_labels[NR_FAMILIES] = {
	[FAM_4K] = "4 KiB pages",
	[FAM_THP] = "2 MiB THP",
	[FAM_HUGETLB] = "hugetlb",
	[FAM_NEW] = NULL,
};

static const struct {
	const char *name;
	enum sort_kind kind;
} id_keys[] = {
	{ "pid", SORT_PID },
	{ "ppid", SORT_PPID },
	{ "state", SORT_STATE },
	{ "comm", SORT_COMM },
	{ "cost", SORT_COST },
	{ "other", SORT_OTHER },
};

size_t classes_known(const struct class_info **v)
{
	*v = known;
	return ARRAY_SIZE(known);
}

const struct class_info *class_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(known[i].name, name))
			return &known[i];
	return NULL;
}

const char *family_label(enum class_family f)
{
	return family_labels[f];
}

/* Could @s be the name of a class: "word_word", lower case and digits? */
static bool class_like(const char *s)
{
	bool sep = false;
	const char *p;

	if (!islower((unsigned char)*s) || strlen(s) > 40)
		return false;
	for (p = s; *p; p++) {
		if (*p == '_') {
			if (p[1] == '_' || !p[1])
				return false;
			sep = true;
		} else if (!islower((unsigned char)*p) &&
			   !isdigit((unsigned char)*p)) {
			return false;
		}
	}
	return sep;
}

/* "cannot sort by 'X': use pid, ppid, ..., fork_copy or other". */
static void say_keys(const char *s)
{
	char list[512];
	size_t i, len = 0;

	for (i = 0; i < ARRAY_SIZE(id_keys) - 1; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s, ",
				id_keys[i].name);
	for (i = 0; i < ARRAY_SIZE(known); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s, ",
				known[i].name);
	list[len - 2] = '\0';
	cl_err("cannot sort by '%s': use %s or %s", s, list,
	       id_keys[ARRAY_SIZE(id_keys) - 1].name);
}

int sort_key_parse(const char *s, struct sort_key *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(id_keys); i++) {
		if (!strcasecmp(s, id_keys[i].name)) {
			k->kind = id_keys[i].kind;
			k->class = NULL;
			return 0;
		}
	}
	k->kind = SORT_CLASS;
	for (i = 0; i < ARRAY_SIZE(known); i++) {
		if (!strcasecmp(s, known[i].name) ||
		    !strcasecmp(s, known[i].key)) {
			k->class = known[i].name;
			return 0;
		}
	}
	if (class_like(s)) {
		k->class = s;
		return 0;
	}
	say_keys(s);
	return -EINVAL;
}
