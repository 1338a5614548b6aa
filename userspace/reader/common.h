/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every file of cowlab(1) uses: array sizes, printf checking, the
 * version, the page size of debugfs counts, saturating sums. No data, no
 * functions with a body in a .c file.
 */
#ifndef COWLAB_READER_COMMON_H
#define COWLAB_READER_COMMON_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#ifndef COWLAB_VERSION
#define COWLAB_VERSION "0.1"
#endif

#define PAGE_BYTES	4096ULL		/* debugfs counts are in 4 KiB pages */

/* Totals stop at the largest value rather than wrap. */
static inline unsigned long long sat_add(unsigned long long a,
					 unsigned long long b)
{
	return a + b < a ? ~0ULL : a + b;
}

#endif /* COWLAB_READER_COMMON_H */
