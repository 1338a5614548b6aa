// SPDX-License-Identifier: GPL-2.0
/*
 * p: fork without writing. The parent fills a 10 MiB buffer and forks; then
 * parent and child only read buffer[0] and print it. Reading never breaks
 * copy-on-write, so all pages stay shared for as long as both live.
 */
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "p",
	.summary = "fork without writing: pages stay shared, nothing is copied",
	.help =
	"The parent fills the buffer (memset) and forks. Then, each iteration,\n"
	"the child and then the parent read buffer[0] and print it. Nobody\n"
	"writes, so every page stays shared by both processes and no\n"
	"copy-on-write event happens. Compare with cow.",
	.examples =
	"  p                          forever, one iteration a second\n"
	"  p --steps 3 --wait         3 iterations, each waiting for a line",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = DEMO_LOOPS,
};

/* The child, at each 'r': read buffer[0]. */
static void child_read(char cmd, void *arg)
{
	const struct region *r = arg;

	(void)cmd;
	demo_say("child  pid=%d: buffer[0]=%d", getpid(),
		 READ_ONCE(*(unsigned char *)r->start));
}

int main(int argc, char **argv)
{
	struct peer child;
	struct region r;
	struct model *m;
	unsigned long k;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "buffer", false);

	memset(r.start, 0, r.len);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote all %lu pages (memset): each got a fresh page of its own",
		   getpid(), r.pages);

	if (!demo_fork(&child))
		peer_serve(&child, child_read, &r);
	checkpoint("fork",
		   "parent %d and child %d map the same %lu pages, write-protected in both; nothing copied",
		   getpid(), child.pid, r.pages);

	for (k = 0; demo_more_steps(k); k++) {
		peer_call(&child, 'r');
		model_read(m, WHO_CHILD, 0);
		demo_say("parent pid=%d: buffer[0]=%d", getpid(),
			 READ_ONCE(*(unsigned char *)r.start));
		model_read(m, WHO_PARENT, 0);
		checkpoint("iteration",
			   "%lu: both read buffer[0]: reading never copies, all %lu pages stay shared",
			   k, r.pages);
	}

	demo_quit(&child);
	checkpoint("child-exit",
		   "the child exited: every page is the parent's alone again, none was ever copied");
	return demo_end();
}
