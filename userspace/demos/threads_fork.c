// SPDX-License-Identifier: GPL-2.0
/*
 * threads_fork: threads versus fork. Threads of one process share its
 * address space: their writes to the buffer take no fault and copy nothing.
 * A forked child has an address space of its own: its writes copy every
 * page. After that the parent's threads write again, and every page, no
 * longer shared, is reused in place.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define NR_THREADS	2

static const struct demo_info info = {
	.name = "threads_fork",
	.summary = "threads share memory, no copy; a forked child writing it copies",
	.help =
	"The parent fills the buffer. Two threads then write every page (each\n"
	"thread one half): one address space, no fault, no copy. The parent\n"
	"forks and the child writes every page: each is copied (cow_copy). Two\n"
	"new threads of the parent write every page again: the child has its\n"
	"own copies, so each page is reused in place (wp_reuse).",
	.examples =
	"  threads_fork               run once\n"
	"  threads_fork --wait        stop at each step until a line is read",
	.default_pages = 2560,
	.min_pages = 1,
	.flags = 0,
};

struct slice {
	const struct region *r;
	unsigned long first;
	unsigned long n;
	int nr;
	char val;
};

static void *writer(void *arg)
{
	struct slice *s = arg;

	region_write(s->r, s->first, s->n, s->val);
	demo_say("thread %d (tid %d) of pid %d: wrote pages %lu-%lu",
		 s->nr, gettid(), getpid(), s->first, s->first + s->n - 1);
	return NULL;
}

/* Write every page of @r with NR_THREADS threads, one slice each. */
static void threads_write(const struct region *r, char val)
{
	struct slice s[NR_THREADS];
	pthread_t t[NR_THREADS];
	unsigned long first = 0;
	int i, err;

	for (i = 0; i < NR_THREADS; i++) {
		s[i] = (struct slice){
			.r = r,
			.first = first,
			.n = r->pages / NR_THREADS +
			     (i < (int)(r->pages % NR_THREADS)),
			.nr = i + 1,
			.val = val,
		};
		first += s[i].n;
	}
	for (i = 0; i < NR_THREADS; i++) {
		if (!s[i].n)
			continue;
		err = pthread_create(&t[i], NULL, writer, &s[i]);
		if (err) {
			errno = err;
			demo_die_errno("pthread_create");
		}
	}
	for (i = 0; i < NR_THREADS; i++) {
		if (s[i].n)
			pthread_join(t[i], NULL);
	}
}

/* The forked child, at 'w': write every page. */
static void child_write(char cmd, void *arg)
{
	const struct region *r = arg;

	(void)cmd;
	region_write(r, 0, r->pages, 'c');
	demo_say("child  pid=%d: wrote all %lu pages", getpid(), r->pages);
}

int main(int argc, char **argv)
{
	struct peer child;
	struct region r;

	demo_init(&info, argc, argv);
	demo_map(&r, "buffer", false);

	memset(r.start, 0, r.len);
	demo_wrote(WHO_PARENT, "touched",
		   "parent pid %d wrote all %lu pages: each its own",
		   getpid(), r.pages);

	threads_write(&r, 't');
	demo_wrote(WHO_PARENT, "threads-write",
		   "%d threads of pid %d wrote every page: one address space, no fault, no copy",
		   NR_THREADS, getpid());

	if (!demo_fork(&child))
		peer_serve(&child, child_write, &r);
	checkpoint("fork",
		   "child %d maps the same %lu pages, write-protected in both; nothing copied",
		   child.pid, r.pages);

	peer_call(&child, 'w');
	demo_wrote(WHO_CHILD, "child-write",
		   "the forked child wrote every page: another address space, so each page was copied (cow_copy)");

	threads_write(&r, 'T');
	demo_wrote(WHO_PARENT, "threads-write-again",
		   "%d new threads of the parent wrote every page: the child has its own copies, so each page was reused in place (wp_reuse)",
		   NR_THREADS);

	demo_quit(&child);
	checkpoint("child-exit", "the child exited; the parent's pages are its own");
	return demo_end();
}
