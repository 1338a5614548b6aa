/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The region a demo works on: anonymous memory of its own VMA, between two
 * PROT_NONE guard pages, so that it is exactly one row of cowlab's vmas.
 */
#ifndef COWLAB_DEMO_REGION_H
#define COWLAB_DEMO_REGION_H

#include <stdbool.h>
#include <stddef.h>

#define DEMO_PAGE_SIZE	4096UL
#define DEMO_HPAGE_SIZE	(2UL << 20)

struct region {
	const char *name;
	char *start;
	size_t len;
	unsigned long pages;
	bool shared;		/* MAP_SHARED instead of MAP_PRIVATE */
	bool huge;		/* --huge: 2 MiB aligned, MADV_HUGEPAGE */
};

/*
 * Map @pages pages (anonymous) as env.huge says (--huge/--nohuge), print
 * the "region NAME: addr=..." line.  Dies on failure.
 */
void region_map(struct region *r, const char *name, unsigned long pages,
		bool shared);

static inline char *region_page(const struct region *r, unsigned long i)
{
	return r->start + i * DEMO_PAGE_SIZE;
}

/* Write @val to the first byte of pages [@first, @first + @n). */
void region_write(const struct region *r, unsigned long first,
		  unsigned long n, char val);

/* Read the first byte of pages [@first, @first + @n); returns their sum. */
unsigned long region_read(const struct region *r, unsigned long first,
			  unsigned long n);

#endif /* COWLAB_DEMO_REGION_H */
