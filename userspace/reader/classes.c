// SPDX-License-Identifier: GPL-2.0
/*
 * The event classes the reader knows, by their debugfs names, and the
 * sort keys of the procs table: its columns, by name or by title.
 */
#include <errno.h>
#include <strings.h>

#include "classes.h"
#include "err.h"

/* debugfs column names, which are also the JSON keys and sort keys. */
static const char *const ctr_names[NR_PROC_CTRS] = {
	[CTR_COW_COPY] = "cow_copy",
	[CTR_COW_ZERO] = "cow_zero",
	[CTR_WP_REUSE] = "wp_reuse",
	[CTR_UNSHARE] = "unshare",
	[CTR_THP_REUSE] = "thp_reuse",
	[CTR_THP_SPLIT] = "thp_split",
	[CTR_THP_ZERO] = "thp_zero",
	[CTR_FILE_COPY] = "file_copy",
	[CTR_COW_KSM] = "cow_ksm",
};

static const struct sort_key sort_keys[] = {
	{ "pid", "pid", KEY_PID, 0 },
	{ "ppid", "ppid", KEY_PPID, 0 },
	{ "state", "state", KEY_STATE, 0 },
	{ "comm", "comm", KEY_COMM, 0 },
	{ "cow_copy", "copy", KEY_CTR, CTR_COW_COPY },
	{ "cow_zero", "zero", KEY_CTR, CTR_COW_ZERO },
	{ "wp_reuse", "reuse", KEY_CTR, CTR_WP_REUSE },
	{ "unshare", "unshare", KEY_CTR, CTR_UNSHARE },
	{ "thp_reuse", "t_reuse", KEY_CTR, CTR_THP_REUSE },
	{ "thp_split", "t_split", KEY_CTR, CTR_THP_SPLIT },
	{ "thp_zero", "t_zero", KEY_CTR, CTR_THP_ZERO },
	{ "file_copy", "file", KEY_CTR, CTR_FILE_COPY },
	{ "cow_ksm", "ksm", KEY_CTR, CTR_COW_KSM },
};

const char *class_name(enum proc_ctr c)
{
	return ctr_names[c];
}

const struct sort_key *sort_key_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sort_keys); i++)
		if (!strcasecmp(name, sort_keys[i].name) ||
		    !strcasecmp(name, sort_keys[i].title))
			return &sort_keys[i];
	return NULL;
}

int sort_key_check(const char *key)
{
	if (sort_key_find(key))
		return 0;
	cl_err("cannot sort by '%s': use pid, ppid, state, comm, cow_copy, cow_zero, wp_reuse, unshare, thp_reuse, thp_split, thp_zero, file_copy or cow_ksm",
	       key);
	return -EINVAL;
}
