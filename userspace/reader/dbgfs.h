/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbgfs.c: finding cowlab's debugfs directory (env.debugfs), reading its
 * files as tables, and saying what is wrong when that fails.
 */
#ifndef COWLAB_READER_DBGFS_H
#define COWLAB_READER_DBGFS_H

#include "common.h"
#include "table.h"

struct dbgfs_src {
	char path[4200];		/* for messages: "DIR/vmas (pid 412)" */
};

/* Check the directory; EXIT_OK, or EXIT_FAIL after saying what to do. */
int dbgfs_init(void);

/*
 * dbgfs_table() flag, beside the COWLAB_TABLE_* ones: the file may be
 * missing (an older module): DBGFS_ABSENT, and nothing said about it.
 */
#define DBGFS_OPTIONAL	0x100
#define DBGFS_ABSENT	3

int dbgfs_table(const char *name, int pid, unsigned int flags,
		struct cowlab_table *t, struct dbgfs_src *src);
__printf(3, 4)
void dbgfs_bad(const struct dbgfs_src *src, size_t line, const char *fmt, ...);
int dbgfs_col(const struct dbgfs_src *src, const struct cowlab_table *t,
	      const char *name);
int dbgfs_u64(const struct dbgfs_src *src, const struct cowlab_table *t,
	      size_t row, int col, unsigned long long *v, bool *avail);

/*
 * The -errno of the last failed read of a debugfs file (-ESRCH: no such
 * process), or 0.
 */
int dbgfs_last_err(void);

/*
 * Does the module have file @name? For a fixture directory: @name or a
 * file @name.PID is there.
 */
bool dbgfs_has(const char *name);

/*
 * Write the command @cmd to DIR/control. Returns 0; -EINVAL (the module
 * refused the command) without a word; or another -errno after saying
 * what to do (not root, module gone).
 */
int dbgfs_control(const char *cmd);

/*
 * While @quiet, failures are not reported (optional reads, such as the
 * comm in diff's labels). Returns the previous setting.
 */
bool dbgfs_set_quiet(bool quiet);

#endif /* COWLAB_READER_DBGFS_H */
