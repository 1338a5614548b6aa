// SPDX-License-Identifier: GPL-2.0
/*
 * fork_exec: fork, then exec in the child. The child writes half of the
 * region first (copying those pages), then execs another program: its whole
 * address space, copies included, is thrown away, and the parent's pages
 * are mapped by the parent alone again.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "fork_exec",
	.summary = "fork then exec: exec throws away the child's memory, copies included",
	.help =
	"The parent fills the region and forks. The child writes the first half\n"
	"of the region (each page is copied for it), then execs PROG (default\n"
	"/bin/true) with the ARGs. The exec discards the child's address space:\n"
	"its copies are freed and nothing is shared any more. The parent then\n"
	"writes every page: nobody else maps them, so each write fault reuses\n"
	"the page in place (wp_reuse). The parent waits for the child.",
	.examples =
	"  fork_exec                          exec /bin/true\n"
	"  fork_exec --exec /bin/echo hello   exec echo with an argument\n"
	"  fork_exec --exec ls -- -l /        arguments that look like options",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = DEMO_EXEC,
};

/* What the child needs to know. */
struct child_arg {
	const struct region *r;
	unsigned long half;
	int status_fd;		/* the parent reads how the exec went */
};

/* The child: 'w' writes the first half, 'x' execs. */
static void child_do(char cmd, void *arg)
{
	const struct child_arg *c = arg;

	if (cmd == 'w') {
		region_write(c->r, 0, c->half, 'c');
		demo_say("child  pid=%d: before exec: wrote the first %lu page(s)",
			 getpid(), c->half);
	} else if (cmd == 'x') {
		demo_say("child  pid=%d: exec %s", getpid(), env.exec_argv[0]);
		demo_exec_child(c->status_fd);
	}
}

int main(int argc, char **argv)
{
	struct child_arg ca;
	unsigned long half;
	int status[2];
	struct peer child;
	struct region r;
	struct model *m;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "buffer", false);
	half = (r.pages + 1) / 2;

	memset(r.start, 'p', r.len);
	demo_say("parent pid=%d", getpid());
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote all %lu pages: each its own",
		   getpid(), r.pages);

	/* closed by a successful exec: EOF tells the parent it happened */
	if (pipe2(status, O_CLOEXEC))
		demo_die_errno("pipe2");
	if (!demo_fork(&child)) {
		close(status[0]);
		ca = (struct child_arg){ &r, half, status[1] };
		peer_serve(&child, child_do, &ca);
	}
	close(status[1]);
	checkpoint("fork",
		   "child %d shares all %lu pages with the parent, write-protected; nothing copied",
		   child.pid, r.pages);

	peer_call(&child, 'w');
	model_write_range(m, WHO_CHILD, 0, half);
	checkpoint("child-write",
		   "the child wrote the first %lu page(s): each copied for the child (cow_copy); the rest stay shared",
		   half);

	peer_send(&child, 'x');
	demo_wait_exec(status[0], child.pid);
	peer_close(&child);
	demo_child_gone();
	checkpoint("exec",
		   "child %d exec'd %s: its old memory, copies included, is gone; the parent maps every page alone",
		   child.pid, env.exec_argv[0]);

	region_write(&r, 0, r.pages, 'P');
	demo_wrote(WHO_PARENT, "parent-write",
		   "the parent wrote all %lu pages: still write-protected since the fork, but nobody else maps them, so each is reused (wp_reuse), none copied",
		   r.pages);

	demo_reap_exec(child.pid);
	checkpoint("child-exit",
		   "the child has completed; the parent's pages are unchanged");
	return demo_end();
}
