// SPDX-License-Identifier: GPL-2.0
/*
 * cow: copy-on-write in action. The parent fills a 10 MiB buffer and forks.
 * Then, in lockstep, the child increments buffer[i * 1000] (i = 0, 1, 2,
 * ...: a new page every four or five iterations) and the parent increments
 * buffer[0]. The child writes each page first, so it copies it; the
 * parent's later write to page 0 finds nobody else mapping its old page
 * and reuses it.
 */
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define STRIDE	1000UL		/* bytes between the child's writes */

static const struct demo_info info = {
	.name = "cow",
	.summary = "copy-on-write in action: the first write to a shared page copies it",
	.help =
	"The parent fills the buffer (memset) and forks. Then, each iteration,\n"
	"the child increments buffer[i * 1000] and the parent buffer[0], child\n"
	"first; both print their pid and the value. The child copies each new\n"
	"page it writes (cow_copy); the parent's first write to page 0 reuses\n"
	"its page (wp_reuse), as the child already has its own copy.\n"
	"Watch with: cat /sys/kernel/debug/cowlab/procs, or echo PID > vmas.",
	.examples =
	"  cow                        forever, one iteration a second\n"
	"  cow --steps 10             10 iterations at full speed, then exit\n"
	"  cow --steps 10 --wait      10 iterations, each waiting for a line",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = DEMO_LOOPS,
};

static unsigned long child_index(const struct region *r, unsigned long i)
{
	return (i * STRIDE) % r->len;
}

/* The child, at each 'w': buffer[i * 1000]++ for the next i. */
static void child_write(char cmd, void *arg)
{
	const struct region *r = arg;
	unsigned char *buffer = (unsigned char *)r->start;
	static unsigned long i;
	unsigned long idx = child_index(r, i);

	(void)cmd;
	buffer[idx]++;
	demo_say("child  pid=%d: buffer[%lu]=%d (page %lu, y=%lu)",
		 getpid(), idx, buffer[idx], idx / DEMO_PAGE_SIZE, i);
	i++;
}

int main(int argc, char **argv)
{
	enum demo_event child_ev, parent_ev;
	unsigned long k, page;
	unsigned char *buffer;
	struct peer child;
	struct region r;
	struct model *m;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "buffer", false);
	buffer = (unsigned char *)r.start;

	memset(buffer, 0, r.len);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote all %lu pages (memset): each got a fresh page of its own",
		   getpid(), r.pages);

	if (!demo_fork(&child))
		peer_serve(&child, child_write, &r);
	checkpoint("fork",
		   "parent %d and child %d map the same %lu pages, write-protected in both; nothing copied yet",
		   getpid(), child.pid, r.pages);

	for (k = 0; demo_more_steps(k); k++) {
		page = child_index(&r, k) / DEMO_PAGE_SIZE;
		peer_call(&child, 'w');
		child_ev = model_write(m, WHO_CHILD, page);
		buffer[0]++;
		demo_say("parent pid=%d: buffer[0]=%d", getpid(), buffer[0]);
		parent_ev = model_write(m, WHO_PARENT, 0);
		checkpoint("iteration",
			   "%lu: the child wrote page %lu: %s; the parent wrote page 0: %s",
			   k, page, model_event_str(child_ev),
			   model_event_str(parent_ev));
	}

	demo_quit(&child);
	checkpoint("child-exit",
		   "the child exited: its copies are freed, and every page is the parent's alone again");
	return demo_end();
}
