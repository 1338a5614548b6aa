// SPDX-License-Identifier: GPL-2.0
/*
 * two_pages: the "Memory Page 1 / Memory Page 2" picture. The parent fills
 * page 1 with 'A' and page 2 with 'B' and forks; the child writes 'C' into
 * page 1 only. Page 1 is copied for the child, page 2 stays shared, and the
 * parent still reads 'A' and 'B'. With --pages N, "page 1" is the first
 * N/2 pages and "page 2" the rest.
 */
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "two_pages",
	.summary = "fork, the child writes page 1: page 1 is copied, page 2 stays shared",
	.help =
	"The parent fills page 1 with 'A' and page 2 with 'B' and forks. The\n"
	"child writes 'C' to page 1 and exits; the parent then prints the first\n"
	"byte of each page: still 'A' and 'B'. With --pages N, page 1 is the\n"
	"first N/2 pages of the region and page 2 the rest.",
	.examples =
	"  two_pages                  run once\n"
	"  two_pages --wait           stop at each step until a line is read",
	.default_pages = 2,
	.min_pages = 2,
	.flags = 0,
};

/* The child, at 'w': write 'C' into page 1. */
static void child_write(char cmd, void *arg)
{
	const struct region *r = arg;

	(void)cmd;
	demo_say("child  pid=%d: modifying page 1...", getpid());
	region_write(r, 0, r->pages / 2, 'C');
	demo_say("child  pid=%d: page 1 first byte: %c", getpid(),
		 *r->start);
}

int main(int argc, char **argv)
{
	struct peer child;
	unsigned long half;
	struct region r;
	struct model *m;
	char *page2;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "pages", false);
	half = r.pages / 2;
	page2 = region_page(&r, half);

	memset(r.start, 'A', half * DEMO_PAGE_SIZE);
	memset(page2, 'B', (r.pages - half) * DEMO_PAGE_SIZE);
	demo_say("parent pid=%d: before fork: page 1 at %p: %lu page(s) of 'A'",
		 getpid(), (void *)r.start, half);
	demo_say("parent pid=%d: before fork: page 2 at %p: %lu page(s) of 'B'",
		 getpid(), (void *)page2, r.pages - half);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d filled page 1 with 'A' and page 2 with 'B': both its own",
		   getpid());

	if (!demo_fork(&child))
		peer_serve(&child, child_write, &r);
	checkpoint("fork",
		   "child %d shares page 1 and page 2 with the parent, write-protected; nothing copied",
		   child.pid);

	peer_call(&child, 'w');
	model_write_range(m, WHO_CHILD, 0, half);
	checkpoint("child-write",
		   "the child wrote page 1: copied for the child (cow_copy); page 2 is still shared");

	demo_quit(&child);
	demo_say("parent pid=%d: after the child's change: page 1 first byte: %c",
		 getpid(), READ_ONCE(*r.start));
	demo_say("parent pid=%d: after the child's change: page 2 first byte: %c",
		 getpid(), READ_ONCE(*page2));
	checkpoint("child-exit",
		   "the child exited; the parent still reads 'A' and 'B' from its own pages");
	return demo_end();
}
