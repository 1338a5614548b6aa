// SPDX-License-Identifier: GPL-2.0
/*
 * zero_fill: zero-fill-on-demand. Fresh private anonymous pages are first
 * read (each read fault maps the one shared zero page: nothing allocated),
 * then written (each write fault replaces the zero page with a new zeroed
 * page of the process's own: cow_zero).
 */
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "zero_fill",
	.summary = "zero-fill-on-demand: reads map the shared zero page, writes replace it",
	.help =
	"The region is mapped fresh (private, anonymous). Every page is read:\n"
	"each read fault maps the shared zero page, so everything reads as 0 and\n"
	"no memory is allocated. Then every page is written: each write fault\n"
	"replaces the zero page with a new, zeroed page (cow_zero).\n"
	"By default the region uses 4 KiB pages (MADV_NOHUGEPAGE); --huge lets\n"
	"a read map the huge zero page instead.",
	.examples =
	"  zero_fill                  run once\n"
	"  zero_fill --wait           stop at each step until a line is read",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = 0,
};

int main(int argc, char **argv)
{
	unsigned long sum;
	struct region r;

	demo_init(&info, argc, argv);
	demo_map(&r, "buffer", false);
	checkpoint("mapped",
		   "pid %d mapped %lu fresh pages: nothing resident yet",
		   getpid(), r.pages);

	sum = region_read(&r, 0, r.pages);
	demo_say("pid=%d: read %lu pages, sum of bytes %lu: all zero",
		 getpid(), r.pages, sum);
	demo_read(WHO_PARENT, "read",
		  "each read fault mapped the shared zero page: %lu pages resident, none allocated",
		  r.pages);

	region_write(&r, 0, r.pages, 'w');
	demo_say("pid=%d: wrote %lu pages", getpid(), r.pages);
	demo_wrote(WHO_PARENT, "write",
		   "each write fault replaced the zero page with a new zeroed page (cow_zero): %lu pages of its own",
		   r.pages);
	return demo_end();
}
