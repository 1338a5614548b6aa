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

#include "demo_util.h"

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

static void __noreturn child_main(const struct region *shr,
				  const struct region *prv, struct peer *parent)
{
	char cmd;

	while ((cmd = peer_recv(parent)) != 'q') {
		if (cmd == 'w') {
			memset(shr->start, 'C', shr->len);
			memset(prv->start, 'C', prv->len);
			demo_say("child  pid=%d: wrote 'C' into every page of both regions",
				 getpid());
		} else if (cmd == 'r') {
			demo_say("child  pid=%d: shared[0]='%c' private[0]='%c'",
				 getpid(), READ_ONCE(*shr->start),
				 READ_ONCE(*prv->start));
		}
		peer_done(parent);
	}
	_exit(0);
}

static void expect_both(struct model *ms, struct model *mp)
{
	demo_expect(ms);
	demo_expect(mp);
	demo_pause();
}

int main(int argc, char **argv)
{
	struct region shr, prv;
	struct model *ms, *mp;
	struct peer child;

	demo_init(&info, argc, argv);
	region_map(&shr, "shared", env.pages, true);
	region_map(&prv, "private", env.pages, false);
	ms = model_new(&shr);
	mp = model_new(&prv);

	memset(shr.start, 'P', shr.len);
	memset(prv.start, 'P', prv.len);
	model_write_range(ms, WHO_PARENT, 0, shr.pages);
	model_write_range(mp, WHO_PARENT, 0, prv.pages);
	demo_step("touched",
		  "parent pid %d wrote 'P' into both regions: %lu pages each, mapped by it alone",
		  getpid(), env.pages);
	expect_both(ms, mp);

	if (!demo_fork(&child))
		child_main(&shr, &prv, &child);
	model_fork(ms);
	model_fork(mp);
	demo_step("fork",
		  "child %d: the private pages are shared write-protected; fork copies no page table for the shared region, the child will fault its pages in",
		  child.pid);
	expect_both(ms, mp);

	peer_call(&child, 'w');
	model_write_range(ms, WHO_CHILD, 0, shr.pages);
	model_write_range(mp, WHO_CHILD, 0, prv.pages);
	demo_step("child-write",
		  "the child wrote both: the shared region's pages are now mapped by both, no copy; each private page was copied for the child (cow_copy)");
	expect_both(ms, mp);

	demo_say("parent pid=%d: shared[0]='%c' (the child's write) private[0]='%c' (its own copy)",
		 getpid(), READ_ONCE(*shr.start),
		 READ_ONCE(*prv.start));
	demo_step("parent-read",
		  "the parent sees the child's 'C' in the shared region and its own 'P' in the private one");
	expect_both(ms, mp);

	memset(shr.start, 'p', shr.len);
	memset(prv.start, 'p', prv.len);
	model_write_range(ms, WHO_PARENT, 0, shr.pages);
	model_write_range(mp, WHO_PARENT, 0, prv.pages);
	demo_step("parent-write",
		  "the parent wrote 'p' into both: no fault in the shared region; in the private one each page was reused (wp_reuse), none copied");
	expect_both(ms, mp);

	peer_call(&child, 'r');
	demo_step("child-read",
		  "the child sees the parent's 'p' in the shared region and its own 'C' in the private one");
	expect_both(ms, mp);

	peer_quit(&child);
	model_exit(ms, WHO_CHILD);
	model_exit(mp, WHO_CHILD);
	demo_step("child-exit",
		  "the child exited: the parent maps every page of both regions alone");
	expect_both(ms, mp);
	model_free(ms);
	model_free(mp);
	return 0;
}
