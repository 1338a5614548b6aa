// SPDX-License-Identifier: GPL-2.0
/*
 * nofork: the single-process baseline. A 10 MiB buffer is mapped but never
 * initialised, and the process loops reading buffer[0]: one read fault maps
 * the shared zero page, the other 2559 pages are never resident, and no
 * page is ever copied.
 */
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "nofork",
	.summary = "baseline: one process, an untouched 10 MiB buffer, no fork, no copy",
	.help =
	"The buffer is mapped and never initialised (no memset). Each iteration\n"
	"the process reads and prints buffer[0]. The first read maps the shared\n"
	"zero page (demand paging): one resident page, nothing allocated, and\n"
	"no copy-on-write event ever. Compare with cow and p.",
	.examples =
	"  nofork                     forever, one read a second\n"
	"  nofork --steps 3 --wait    3 reads, each waiting for a line",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = DEMO_LOOPS,
};

int main(int argc, char **argv)
{
	enum demo_event ev;
	struct region r;
	struct model *m;
	unsigned long k;
	int v;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "buffer", false);
	checkpoint("mapped",
		   "pid %d mapped %lu pages and touched none: nothing is resident",
		   getpid(), r.pages);

	for (k = 0; demo_more_steps(k); k++) {
		v = READ_ONCE(*(unsigned char *)r.start);
		demo_say("pid=%d: buffer[0]=%d", getpid(), v);
		ev = model_read(m, WHO_PARENT, 0);
		checkpoint("iteration",
			   "%lu: read buffer[0]: %s; only page 0 is resident, and it is the zero page",
			   k, model_event_str(ev));
	}
	return demo_end();
}
