// SPDX-License-Identifier: GPL-2.0
/*
 * shared_private: MAP_SHARED versus MAP_PRIVATE anonymous memory across
 * fork. The child writes both regions: in the shared one the parent sees
 * the child's bytes and nothing is copied (shared memory is never
 * copy-on-write); in the private one each page is copied for the child and
 * the parent keeps its own bytes.
 */
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "shared_private",
	.summary = "MAP_SHARED versus MAP_PRIVATE after fork: shared memory is never copied",
	.help =
	"The parent maps two anonymous regions of N pages, one MAP_SHARED and\n"
	"one MAP_PRIVATE, writes 'P' into both and forks. The child writes 'C'\n"
	"into every page of both. The parent then reads: the shared region\n"
	"shows the child's 'C' (same pages, no copy), the private one its own\n"
	"'P' (each page was copied for the child). The parent writes 'p' into\n"
	"both: no fault in the shared region, a reuse (wp_reuse) per page in\n"
	"the private one; the child then reads the parent's 'p' in the shared\n"
	"region and its own 'C' in the private one.",
	.examples =
	"  shared_private             run once\n"
	"  shared_private --wait      stop at each step until a line is read",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = 0,
};

/* The two regions; the child's commands use them too. */
static struct region shr, prv;

/* The child: 'w' writes 'C' into both regions, 'r' reads both. */
static void child_do(char cmd, void *arg)
{
	(void)arg;
	if (cmd == 'w') {
		memset(shr.start, 'C', shr.len);
		memset(prv.start, 'C', prv.len);
		demo_say("child  pid=%d: wrote 'C' into every page of both regions",
			 getpid());
	} else if (cmd == 'r') {
		demo_say("child  pid=%d: shared[0]='%c' private[0]='%c'",
			 getpid(), READ_ONCE(*shr.start),
			 READ_ONCE(*prv.start));
	}
}

int main(int argc, char **argv)
{
	struct peer child;

	demo_init(&info, argc, argv);
	demo_map(&shr, "shared", true);
	demo_map(&prv, "private", false);

	memset(shr.start, 'P', shr.len);
	memset(prv.start, 'P', prv.len);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote 'P' into both regions: %lu pages each, mapped by it alone",
		   getpid(), env.pages);

	if (!demo_fork(&child))
		peer_serve(&child, child_do, NULL);
	checkpoint("fork",
		   "child %d: the private pages are shared write-protected; fork copies no page table for the shared region, the child will fault its pages in",
		   child.pid);

	peer_call(&child, 'w');
	demo_wrote(WHO_CHILD, "child-write",
		   "the child wrote both: the shared region's pages are now mapped by both, no copy; each private page was copied for the child (cow_copy)");

	demo_say("parent pid=%d: shared[0]='%c' (the child's write) private[0]='%c' (its own copy)",
		 getpid(), READ_ONCE(*shr.start),
		 READ_ONCE(*prv.start));
	checkpoint("parent-read",
		   "the parent sees the child's 'C' in the shared region and its own 'P' in the private one");

	memset(shr.start, 'p', shr.len);
	memset(prv.start, 'p', prv.len);
	demo_wrote(WHO_PARENT, "parent-write",
		   "the parent wrote 'p' into both: no fault in the shared region; in the private one each page was reused (wp_reuse), none copied");

	peer_call(&child, 'r');
	checkpoint("child-read",
		   "the child sees the parent's 'p' in the shared region and its own 'C' in the private one");

	demo_quit(&child);
	checkpoint("child-exit",
		   "the child exited: the parent maps every page of both regions alone");
	return demo_end();
}
