// SPDX-License-Identifier: GPL-2.0
/*
 * fork_msg: basic fork with copy-on-write. The parent writes a message,
 * forks; the child prints the message, changes it and prints it again; the
 * parent, once the child is gone, still prints its own message. The
 * child's change copied the message's page for the child only.
 */
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define PARENT_MSG	"Hello from the parent process!"
#define CHILD_MSG	"Hello from the child process!"

static const struct demo_info info = {
	.name = "fork_msg",
	.summary = "basic fork: the child changes a message, the parent keeps its own",
	.help =
	"The parent writes \"" PARENT_MSG "\" at the start of the region\n"
	"(the rest is zeroed) and forks. The child prints the message (reading\n"
	"shares), replaces it with \"" CHILD_MSG "\" (the page is\n"
	"copied for the child) and exits. The parent then prints its message,\n"
	"unchanged.",
	.examples =
	"  fork_msg                   run once\n"
	"  fork_msg --wait            stop at each step until a line is read",
	.default_pages = 1,
	.min_pages = 1,
	.flags = 0,
};

/* The child: 'r' prints the message, 'w' changes it. */
static void child_do(char cmd, void *message)
{
	if (cmd == 'r') {
		demo_say("child  pid=%d: message before change: %s",
			 getpid(), (char *)message);
	} else if (cmd == 'w') {
		memcpy(message, CHILD_MSG, sizeof(CHILD_MSG));
		demo_say("child  pid=%d: message after change:  %s",
			 getpid(), (char *)message);
	}
}

int main(int argc, char **argv)
{
	struct peer child;
	struct region r;
	struct model *m;
	char *message;

	demo_init(&info, argc, argv);
	m = demo_map(&r, "message", false);
	message = r.start;

	memset(r.start, 0, r.len);
	memcpy(message, PARENT_MSG, sizeof(PARENT_MSG));
	demo_say("parent pid=%d: before fork: message: %s", getpid(), message);
	demo_wrote(WHO_PARENT, "message",
		   "parent pid %d wrote its message into page 0 (%lu page(s) in all, each its own)",
		   getpid(), r.pages);

	if (!demo_fork(&child))
		peer_serve(&child, child_do, message);
	checkpoint("fork",
		   "child %d created: it maps the parent's pages, write-protected in both; nothing copied",
		   child.pid);

	peer_call(&child, 'r');
	model_read(m, WHO_CHILD, 0);
	checkpoint("child-read",
		   "the child read the message from the same physical page as the parent: no copy");

	peer_call(&child, 'w');
	model_write(m, WHO_CHILD, 0);
	checkpoint("child-write",
		   "the child changed its message: page 0 was copied for the child (cow_copy); the parent's page is untouched");

	demo_quit(&child);
	demo_say("parent pid=%d: after the child exited: message: %s",
		 getpid(), message);
	checkpoint("child-exit",
		   "the child exited; the parent still reads its own message from its own page");
	return demo_end();
}
