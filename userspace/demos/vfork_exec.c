// SPDX-License-Identifier: GPL-2.0
/*
 * vfork_exec: vfork, then exec at once. The child borrows the parent's
 * address space (no page table is copied, nothing is write-protected) and
 * the parent is suspended until the child has exec'd. Afterwards the
 * parent's pages are exactly as before: writing them does not even fault.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_info info = {
	.name = "vfork_exec",
	.summary = "vfork then exec: no page is shared or copied, the parent waits for the exec",
	.help =
	"The parent fills the region and calls vfork(). The child execs PROG\n"
	"(default /bin/true) with the ARGs at once; vfork() returns in the\n"
	"parent only after that exec. The parent's pages were never shared or\n"
	"write-protected: writing all of them afterwards takes no fault at all\n"
	"(compare with fork_exec, where each write is a wp_reuse).",
	.examples =
	"  vfork_exec                          exec /bin/true\n"
	"  vfork_exec --exec /bin/echo hello   exec echo with an argument",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = DEMO_EXEC,
};

/* Kept apart so that nothing of main()'s frame is live across vfork(). */
static noinline pid_t vfork_exec(int status_fd)
{
	pid_t pid = vfork();

	if (pid == 0)
		demo_exec_child(status_fd);
	return pid;
}

int main(int argc, char **argv)
{
	struct region r;
	int status[2];
	pid_t pid;

	demo_init(&info, argc, argv);
	demo_map(&r, "buffer", false);

	memset(r.start, 'p', r.len);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote all %lu pages: each its own",
		   getpid(), r.pages);

	if (pipe2(status, O_CLOEXEC))
		demo_die_errno("pipe2");
	demo_say("parent pid=%d: calling vfork(); it returns once the child has exec'd %s",
		 getpid(), env.exec_argv[0]);
	pid = vfork_exec(status[1]);
	if (pid < 0)
		demo_die_errno("vfork");
	close(status[1]);
	/* the child already exec'd (or failed): this read does not block */
	demo_wait_exec(status[0], pid);
	demo_say("parent pid=%d: resumed: child pid=%d has already exec'd %s",
		 getpid(), pid, env.exec_argv[0]);
	checkpoint("vfork-exec",
		   "the child ran in the parent's address space until its exec: no page was shared, write-protected or copied");

	region_write(&r, 0, r.pages, 'P');
	demo_wrote(WHO_PARENT, "parent-write",
		   "the parent wrote all %lu pages: no fault at all, they were never write-protected",
		   r.pages);

	demo_reap_exec(pid);
	checkpoint("child-exit",
		   "the child has completed; the parent's pages are unchanged");
	return demo_end();
}
