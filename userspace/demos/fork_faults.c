// SPDX-License-Identifier: GPL-2.0
/*
 * fork_faults: the lab that tells demand paging from copy-on-write by the
 * page-fault counts of the parent and the child (ps -o min_flt,maj_flt).
 * Steps: allocate, touch (demand paging: one fault per page), fork, the
 * child reads (no fault: the PTEs were copied), the child writes (one
 * copy-on-write fault per page), the parent writes (one reuse fault per
 * page). Interactive by default, like the lab: Enter moves to the next step.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "demo.h"

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

/* Minor and major faults of @pid as ps shows them; -1 if unreadable. */
static int read_faults(pid_t pid, unsigned long *min_flt,
		       unsigned long *maj_flt)
{
	char path[64], buf[1024], *p;
	struct rusage ru;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			/* fields 10 and 12, counted after "pid (comm)" */
			p = strrchr(buf, ')');
			if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %lu %*u %lu",
					min_flt, maj_flt) == 2)
				return 0;
		}
	}
	if (pid == getpid() && !getrusage(RUSAGE_SELF, &ru)) {
		*min_flt = ru.ru_minflt;
		*maj_flt = ru.ru_majflt;
		return 0;
	}
	return -1;
}

static void show_faults(enum demo_who who, pid_t pid)
{
	unsigned long min_flt, maj_flt;
	const char *name = who == WHO_PARENT ? "parent" : "child ";

	if (read_faults(pid, &min_flt, &maj_flt)) {
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

/* The faults of parent and child. */
static void show_both(const struct peer *child)
{
	show_faults(WHO_PARENT, getpid());
	show_faults(WHO_CHILD, child->pid);
}

/* The child: 'r' reads every page, 'w' writes every page. */
static void child_do(char cmd, void *arg)
{
	const struct region *r = arg;
	unsigned long sum;

	if (cmd == 'r') {
		sum = region_read(r, 0, r->pages);
		demo_say("child  pid=%d: read %lu pages (sum %lu)",
			 getpid(), r->pages, sum);
	} else if (cmd == 'w') {
		region_write(r, 0, r->pages, 'c');
		demo_say("child  pid=%d: wrote %lu pages", getpid(),
			 r->pages);
	}
}

int main(int argc, char **argv)
{
	struct peer child;
	struct region r;

	demo_init(&info, argc, argv);
	show_faults(WHO_PARENT, getpid());

	demo_map(&r, "buffer", false);
	show_faults(WHO_PARENT, getpid());
	checkpoint("allocate",
		   "%lu pages mapped: mmap alone takes no fault and makes nothing resident",
		   r.pages);

	region_write(&r, 0, r.pages, 'p');
	show_faults(WHO_PARENT, getpid());
	demo_wrote(WHO_PARENT, "touch",
		   "the parent wrote each page: about %lu more minor faults, one per page (demand paging)",
		   r.pages);

	if (!demo_fork(&child))
		peer_serve(&child, child_do, &r);
	demo_say("in another terminal: ps -o pid,min_flt,maj_flt -p %d,%d",
		 getpid(), child.pid);
	show_both(&child);
	checkpoint("fork",
		   "child %d maps the same %lu pages, write-protected in both: the parent's faults do not grow",
		   child.pid, r.pages);

	peer_call(&child, 'r');
	show_both(&child);
	demo_read(WHO_CHILD, "child-read",
		  "the child read each page: no page fault for them, fork copied the page table entries");

	peer_call(&child, 'w');
	show_both(&child);
	demo_wrote(WHO_CHILD, "child-write",
		   "the child wrote each page: about %lu more minor faults for the child, each a copy (cow_copy)",
		   r.pages);

	region_write(&r, 0, r.pages, 'P');
	show_both(&child);
	demo_wrote(WHO_PARENT, "parent-write",
		   "the parent wrote each page: about %lu more minor faults for the parent, but each reused its page (wp_reuse), none copied",
		   r.pages);

	demo_quit(&child);
	show_faults(WHO_PARENT, getpid());
	checkpoint("child-exit", "the child exited; the parent's pages are its own");
	return demo_end();
}
