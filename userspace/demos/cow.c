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

#include "demo_util.h"

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

static void __noreturn child_main(const struct region *r, struct peer *parent)
{
	unsigned char *buffer = (unsigned char *)r->start;
	unsigned long i = 0, idx;

	while (peer_recv(parent) == 'w') {
		idx = child_index(r, i);
		buffer[idx]++;
		demo_say("child  pid=%d: buffer[%lu]=%d (page %lu, y=%lu)",
			 getpid(), idx, buffer[idx], idx / DEMO_PAGE_SIZE, i);
		i++;
		peer_done(parent);
	}
	_exit(0);
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
	region_map(&r, "buffer", env.pages, false);
	buffer = (unsigned char *)r.start;
	m = model_new(&r);

	memset(buffer, 0, r.len);
	model_write_range(m, WHO_PARENT, 0, r.pages);
	demo_step("touched",
		  "parent pid %d wrote all %lu pages (memset): each got a fresh page of its own",
		  getpid(), r.pages);
	demo_expect(m);
	demo_pause();

	if (!demo_fork(&child))
		child_main(&r, &child);
	model_fork(m);
	demo_step("fork",
		  "parent %d and child %d map the same %lu pages, write-protected in both; nothing copied yet",
		  getpid(), child.pid, r.pages);
	demo_expect(m);
	demo_pause();

	for (k = 0; env.steps < 0 || k < (unsigned long)env.steps; k++) {
		page = child_index(&r, k) / DEMO_PAGE_SIZE;
		peer_call(&child, 'w');
		child_ev = model_write(m, WHO_CHILD, page);
		buffer[0]++;
		demo_say("parent pid=%d: buffer[0]=%d", getpid(), buffer[0]);
		parent_ev = model_write(m, WHO_PARENT, 0);
		demo_step("iteration",
			  "%lu: the child wrote page %lu: %s; the parent wrote page 0: %s",
			  k, page, demo_event_str(child_ev),
			  demo_event_str(parent_ev));
		demo_expect(m);
		demo_pause();
	}

	peer_quit(&child);
	model_exit(m, WHO_CHILD);
	demo_step("child-exit",
		  "the child exited: its copies are freed, and every page is the parent's alone again");
	demo_expect(m);
	demo_pause();
	model_free(m);
	return 0;
}
