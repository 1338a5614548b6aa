/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parent and child: fork with a link, commands over pipes, exec, reaping.
 * The processes take turns: the child acts only when told to, then
 * answers, so the order of their writes is fixed (README.md, "Why the
 * expectations are exact").
 */
#ifndef COWLAB_DEMO_PEER_H
#define COWLAB_DEMO_PEER_H

#include <stdbool.h>
#include <sys/types.h>

#include "compiler.h"

/*
 * One end of a parent/child link: two O_CLOEXEC pipes. Commands are single
 * bytes; the child answers each with 'k' once the command is done.
 */
struct peer {
	pid_t pid;		/* the process at the other end */
	bool parent;		/* ... which is our parent: we are the child */
	int rd;
	int wr;
};

/*
 * fork() with a link. In the parent, returns the child's pid; in the
 * child, returns 0. Dies on failure.
 */
pid_t peer_fork(struct peer *p);

void peer_send(struct peer *p, char cmd);
/* Next byte from the other end; a child exits 1, a parent dies, on EOF. */
char peer_recv(struct peer *p);
/* Parent: send @cmd, wait for the child's 'k'. */
void peer_call(struct peer *p, char cmd);
/* Child: tell the parent the command is done. */
void peer_done(struct peer *p);
/*
 * Child: for each command the parent sends, @fn(cmd, @arg), then
 * peer_done(); _exit(0) at 'q'.
 */
void peer_serve(struct peer *parent, void (*fn)(char cmd, void *arg),
		void *arg) __noreturn;
/* Parent: close the link (the child is gone or has exec'd). */
void peer_close(struct peer *p);
/* Parent: send 'q', close the link, reap the child, die unless it exit(0)ed. */
void peer_quit(struct peer *p);

/* Exec env.exec_argv; on failure write errno to @status_fd and _exit(127). */
void demo_exec_child(int status_fd) __noreturn;
/*
 * Parent: wait until the child has exec'd (EOF on the O_CLOEXEC status
 * pipe). Dies, after reaping @pid, if the exec failed.
 */
void demo_wait_exec(int status_fd, pid_t pid);
/*
 * Parent: reap @pid and print how it ended. Returns its exit status, or
 * 128 + the signal that killed it.
 */
int demo_reap(pid_t pid);
/* Parent: demo_reap() the child that exec'd; say so if it did not exit 0. */
void demo_reap_exec(pid_t pid);

#endif /* COWLAB_DEMO_PEER_H */
