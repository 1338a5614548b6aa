/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP / kselftest output for cowlab's guest test programs:
 * "ok N - desc", "not ok N - desc", "ok N - desc # SKIP why", and a closing
 * "N passed, N failed, N skipped" line.
 */
#ifndef COWLAB_KTAP_H
#define COWLAB_KTAP_H

#include <stdarg.h>
#include <stdio.h>

static int ktap_n, ktap_pass, ktap_fail, ktap_skip;

static inline void ktap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void ktap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		ktap_pass++;
	else
		ktap_fail++;
}

static inline void ktap_skip_test(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
	ktap_skip++;
}

static inline int ktap_finish(void)
{
	printf("%d passed, %d failed, %d skipped\n", ktap_pass, ktap_fail,
	       ktap_skip);
	fflush(stdout);
	return ktap_fail ? 1 : 0;
}

#define ktap_diag(...)	do { printf("# " __VA_ARGS__); printf("\n"); \
			     fflush(stdout); } while (0)

#endif /* COWLAB_KTAP_H */
