/* SPDX-License-Identifier: GPL-2.0 */
/* err.c: exit codes and error messages on stderr. */
#ifndef COWLAB_READER_ERR_H
#define COWLAB_READER_ERR_H

#include "common.h"

/* Exit codes. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,			/* the data or the system said no */
	EXIT_USAGE = 2,			/* the command line is wrong */
};

/* "cowlab: MESSAGE" and a newline on stderr, after flushing stdout. */
__printf(1, 2) void cl_err(const char *fmt, ...);

/* "Try `cowlab [CMD ]--help`." on stderr; returns EXIT_USAGE. */
int usage_error(const char *cmd);

#endif /* COWLAB_READER_ERR_H */
