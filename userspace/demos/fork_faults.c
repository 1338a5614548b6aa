// SPDX-License-Identifier: GPL-2.0
/*
 * fork_faults: the lab that tells demand paging from copy-on-write by the
 * page-fault counts of the parent and the child (ps -o min_flt,maj_flt).
 * Steps: allocate, touch (demand paging: one fault per page), fork, the
 * child reads (no fault: the PTEs were copied), the child writes (one
 * copy-on-write fault per page), the parent writes (one reuse fault per
 * page). Interactive by default, like the lab: Enter moves to the next step.
 */
#include <unistd.h>

#include "demo_util.h"

static const struct demo_info info = {
	.name = "fork_faults",
	.summary = "page faults of parent and child: demand paging versus copy-on-write",
	.help =
	"At each step both processes' minor and major page faults are printed\n"
	"(the numbers ps -o min_flt,maj_flt shows) and the demo waits for Enter:\n"
	"  allocate      map the region: no fault, nothing resident\n"
	"  touch         write each page: one minor fault per page (demand paging)\n"
	"  fork          the child maps the same pages, write-protected\n"
	"  child-read    the child reads each page: no fault, they are mapped\n"
	"  child-write   the child writes each page: one fault and one copy each\n"
	"  parent-write  the parent writes each page: one fault each, but the\n"
	"                page is reused, not copied (the child has its own copy)\n"
	"  child-exit    the child exits\n"
	"In another terminal: ps -o pid,min_flt,maj_flt -p PARENT,CHILD",
	.examples =
	"  fork_faults                press Enter at each step\n"
	"  fork_faults --no-wait      run through without stopping",
	.default_pages = 1024,
	.min_pages = 1,
	.flags = DEMO_INTERACTIVE,
};

static unsigned long last_min[WHO_NR], last_maj[WHO_NR];

static void show_faults(enum demo_who who)
{
	unsigned long min_flt, maj_flt;
	pid_t pid = demo_pids[who];
	const char *name = who == WHO_PARENT ? "parent" : "child ";

	if (demo_faults(pid, &min_flt, &maj_flt)) {
		demo_say("faults: %s pid=%d: unknown (is /proc mounted?)",
			 name, pid);
		return;
	}
	demo_say("faults: %s pid=%d min_flt=%lu (+%lu) maj_flt=%lu (+%lu)",
		 name, pid, min_flt, min_flt - last_min[who], maj_flt,
		 maj_flt - last_maj[who]);
	last_min[who] = min_flt;
	last_maj[who] = maj_flt;
}

static void __noreturn child_main(const struct region *r, struct peer *parent)
{
	unsigned long sum;
	char cmd;

	while ((cmd = peer_recv(parent)) != 'q') {
		if (cmd == 'r') {
			sum = region_read(r, 0, r->pages);
			demo_say("child  pid=%d: read %lu pages (sum %lu)",
				 getpid(), r->pages, sum);
		} else if (cmd == 'w') {
			region_write(r, 0, r->pages, 'c');
			demo_say("child  pid=%d: wrote %lu pages", getpid(),
				 r->pages);
		}
		peer_done(parent);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	struct peer child;
	struct region r;
	struct model *m;

	demo_init(&info, argc, argv);
	show_faults(WHO_PARENT);

	region_map(&r, "buffer", env.pages, false);
	m = model_new(&r);
	show_faults(WHO_PARENT);
	demo_step("allocate",
		  "%lu pages mapped: mmap alone takes no fault and makes nothing resident",
		  r.pages);
	demo_expect(m);
	demo_pause();

	region_write(&r, 0, r.pages, 'p');
	model_write_range(m, WHO_PARENT, 0, r.pages);
	show_faults(WHO_PARENT);
	demo_step("touch",
		  "the parent wrote each page: about %lu more minor faults, one per page (demand paging)",
		  r.pages);
	demo_expect(m);
	demo_pause();

	if (!demo_fork(&child))
		child_main(&r, &child);
	model_fork(m);
	demo_say("in another terminal: ps -o pid,min_flt,maj_flt -p %d,%d",
		 getpid(), child.pid);
	show_faults(WHO_PARENT);
	show_faults(WHO_CHILD);
	demo_step("fork",
		  "child %d maps the same %lu pages, write-protected in both: the parent's faults do not grow",
		  child.pid, r.pages);
	demo_expect(m);
	demo_pause();

	peer_call(&child, 'r');
	model_read_range(m, WHO_CHILD, 0, r.pages);
	show_faults(WHO_PARENT);
	show_faults(WHO_CHILD);
	demo_step("child-read",
		  "the child read each page: no page fault for them, fork copied the page table entries");
	demo_expect(m);
	demo_pause();

	peer_call(&child, 'w');
	model_write_range(m, WHO_CHILD, 0, r.pages);
	show_faults(WHO_PARENT);
	show_faults(WHO_CHILD);
	demo_step("child-write",
		  "the child wrote each page: about %lu more minor faults for the child, each a copy (cow_copy)",
		  r.pages);
	demo_expect(m);
	demo_pause();

	region_write(&r, 0, r.pages, 'P');
	model_write_range(m, WHO_PARENT, 0, r.pages);
	show_faults(WHO_PARENT);
	show_faults(WHO_CHILD);
	demo_step("parent-write",
		  "the parent wrote each page: about %lu more minor faults for the parent, but each reused its page (wp_reuse), none copied",
		  r.pages);
	demo_expect(m);
	demo_pause();

	peer_quit(&child);
	model_exit(m, WHO_CHILD);
	show_faults(WHO_PARENT);
	demo_step("child-exit", "the child exited; the parent's pages are its own");
	demo_expect(m);
	demo_pause();
	model_free(m);
	return 0;
}
