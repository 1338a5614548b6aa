// SPDX-License-Identifier: GPL-2.0
/*
 * zero_fill: zero-fill-on-demand. Fresh private anonymous pages are first
 * read (each read fault maps the one shared zero page: nothing allocated),
 * then written (each write fault replaces the zero page with a new zeroed
 * page of the process's own: cow_zero).
 */
#include <unistd.h>

#include "demo_util.h"

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
	struct model *m;

	demo_init(&info, argc, argv);
	region_map(&r, "buffer", env.pages, false);
	m = model_new(&r);

	demo_step("mapped", "pid %d mapped %lu fresh pages: nothing resident yet",
		  getpid(), r.pages);
	demo_expect(m);
	demo_pause();

	sum = region_read(&r, 0, r.pages);
	model_read_range(m, WHO_PARENT, 0, r.pages);
	demo_say("pid=%d: read %lu pages, sum of bytes %lu: all zero",
		 getpid(), r.pages, sum);
	demo_step("read",
		  "each read fault mapped the shared zero page: %lu pages resident, none allocated",
		  r.pages);
	demo_expect(m);
	demo_pause();

	region_write(&r, 0, r.pages, 'w');
	model_write_range(m, WHO_PARENT, 0, r.pages);
	demo_say("pid=%d: wrote %lu pages", getpid(), r.pages);
	demo_step("write",
		  "each write fault replaced the zero page with a new zeroed page (cow_zero): %lu pages of its own",
		  r.pages);
	demo_expect(m);
	demo_pause();
	model_free(m);
	return 0;
}
