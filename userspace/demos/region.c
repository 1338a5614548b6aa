// SPDX-License-Identifier: GPL-2.0
/*
 * The region a demo works on (region.h).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "region.h"

void region_map(struct region *r, const char *name, unsigned long pages,
		bool shared)
{
	size_t align = env.huge ? DEMO_HPAGE_SIZE : DEMO_PAGE_SIZE;
	size_t len = pages * DEMO_PAGE_SIZE;
	size_t total = len + align + 2 * DEMO_PAGE_SIZE;
	uintptr_t raw, start, end;
	void *p;

	/*
	 * Reserve room for a guard page on each side (and the alignment),
	 * then map the region over the middle: the PROT_NONE guards keep it
	 * from merging with any neighbour, so it is exactly one VMA.
	 */
	p = mmap(NULL, total, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		demo_die_errno("mmap %zu bytes", total);
	raw = (uintptr_t)p;
	start = (raw + DEMO_PAGE_SIZE + align - 1) & ~(uintptr_t)(align - 1);
	end = start + len;
	if (start - DEMO_PAGE_SIZE > raw &&
	    munmap(p, start - DEMO_PAGE_SIZE - raw))
		demo_die_errno("munmap");
	if (raw + total > end + DEMO_PAGE_SIZE &&
	    munmap((void *)(end + DEMO_PAGE_SIZE),
		   raw + total - end - DEMO_PAGE_SIZE))
		demo_die_errno("munmap");
	p = mmap((void *)start, len, PROT_READ | PROT_WRITE,
		 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		demo_die_errno("mmap %zu bytes at %#lx", len,
			       (unsigned long)start);
	if (madvise(p, len, env.huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		/* a kernel without THP: --nohuge is what it does anyway */
		if (env.huge || errno != EINVAL)
			demo_die_errno("madvise(%s)", env.huge ?
				       "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE");
	}
	r->name = name;
	r->start = p;
	r->len = len;
	r->pages = pages;
	r->shared = shared;
	r->huge = env.huge;
	demo_say("region %s: addr=%lx-%lx pages=%lu (%lu KiB), %s anonymous, %s, pid=%d",
		 name, (unsigned long)start, (unsigned long)end, pages,
		 pages * (DEMO_PAGE_SIZE / 1024),
		 shared ? "MAP_SHARED" : "MAP_PRIVATE",
		 env.huge ? "THP allowed (2 MiB aligned)" : "4 KiB pages only",
		 getpid());
}

void region_write(const struct region *r, unsigned long first,
		  unsigned long n, char val)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		WRITE_ONCE(*region_page(r, i), val);
}

unsigned long region_read(const struct region *r, unsigned long first,
			  unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = first; i < first + n; i++)
		sum += (unsigned char)READ_ONCE(*region_page(r, i));
	return sum;
}
