// SPDX-License-Identifier: GPL-2.0
/* Error reporting: every message on stderr starts with "cowlab: ". */
#include <stdarg.h>

#include "err.h"

void cl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd)
{
	fprintf(stderr, "Try `cowlab %s%s--help`.\n", cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}
