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

#include "demo_util.h"

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

static void __noreturn child_main(const struct region *r, unsigned long half,
				  struct peer *parent, int status_fd)
{
	char cmd;

	while ((cmd = peer_recv(parent)) != 'q') {
		if (cmd == 'w') {
			region_write(r, 0, half, 'c');
			demo_say("child  pid=%d: before exec: wrote the first %lu page(s)",
				 getpid(), half);
		} else if (cmd == 'x') {
			demo_say("child  pid=%d: exec %s", getpid(),
				 env.exec_argv[0]);
			demo_exec_child(status_fd);
		}
		peer_done(parent);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int status[2], st;
	unsigned long half;
	struct peer child;
	struct region r;
	struct model *m;

	demo_init(&info, argc, argv);
	region_map(&r, "buffer", env.pages, false);
	half = (r.pages + 1) / 2;
	m = model_new(&r);

	memset(r.start, 'p', r.len);
	model_write_range(m, WHO_PARENT, 0, r.pages);
	demo_say("parent pid=%d", getpid());
	demo_step("touched", "parent pid %d wrote all %lu pages: each its own",
		  getpid(), r.pages);
	demo_expect(m);
	demo_pause();

	/* closed by a successful exec: EOF tells the parent it happened */
	if (pipe2(status, O_CLOEXEC))
		demo_die_errno("pipe2");
	if (!demo_fork(&child)) {
		close(status[0]);
		child_main(&r, half, &child, status[1]);
	}
	close(status[1]);
	model_fork(m);
	demo_step("fork",
		  "child %d shares all %lu pages with the parent, write-protected; nothing copied",
		  child.pid, r.pages);
	demo_expect(m);
	demo_pause();

	peer_call(&child, 'w');
	model_write_range(m, WHO_CHILD, 0, half);
	demo_step("child-write",
		  "the child wrote the first %lu page(s): each copied for the child (cow_copy); the rest stay shared",
		  half);
	demo_expect(m);
	demo_pause();

	peer_send(&child, 'x');
	demo_wait_exec(status[0], child.pid);
	close(child.rd);
	close(child.wr);
	model_exit(m, WHO_CHILD);
	demo_step("exec",
		  "child %d exec'd %s: its old memory, copies included, is gone; the parent maps every page alone",
		  child.pid, env.exec_argv[0]);
	demo_expect(m);
	demo_pause();

	region_write(&r, 0, r.pages, 'P');
	model_write_range(m, WHO_PARENT, 0, r.pages);
	demo_step("parent-write",
		  "the parent wrote all %lu pages: still write-protected since the fork, but nobody else maps them, so each is reused (wp_reuse), none copied",
		  r.pages);
	demo_expect(m);
	demo_pause();

	st = demo_reap(child.pid);
	if (st)
		demo_say("parent pid=%d: note: %s ended with status %d",
			 getpid(), env.exec_argv[0], st);
	demo_step("child-exit", "the child has completed; the parent's pages are unchanged");
	demo_expect(m);
	demo_pause();
	model_free(m);
	return 0;
}
