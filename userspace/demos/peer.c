// SPDX-License-Identifier: GPL-2.0
/*
 * Parent and child (peer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "peer.h"

pid_t peer_fork(struct peer *p)
{
	pid_t pid, self = getpid();
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		demo_die_errno("pipe2");
	pid = fork();
	if (pid < 0)
		demo_die_errno("fork");
	if (pid == 0) {
		demo_in_child();
		close(down[1]);
		close(up[0]);
		p->pid = self;
		p->parent = true;
		p->rd = down[0];
		p->wr = up[1];
		return 0;
	}
	close(down[0]);
	close(up[1]);
	p->pid = pid;
	p->parent = false;
	p->rd = up[0];
	p->wr = down[1];
	return pid;
}

void peer_send(struct peer *p, char cmd)
{
	demo_write_all(p->wr, &cmd, 1);
}

char peer_recv(struct peer *p)
{
	ssize_t n;
	char c;

	do {
		n = read(p->rd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		return c;
	if (n < 0)
		demo_die_errno("read from pid %d", p->pid);
	if (p->parent)
		demo_die("parent pid=%d went away", p->pid);
	demo_die("child pid=%d went away", p->pid);
}

void peer_call(struct peer *p, char cmd)
{
	char c;

	peer_send(p, cmd);
	c = peer_recv(p);
	if (c != 'k')
		demo_die("child pid=%d answered '%c' to '%c'", p->pid, c, cmd);
}

void peer_done(struct peer *p)
{
	peer_send(p, 'k');
}

void peer_serve(struct peer *parent, void (*fn)(char cmd, void *arg),
		void *arg)
{
	char cmd;

	while ((cmd = peer_recv(parent)) != 'q') {
		fn(cmd, arg);
		peer_done(parent);
	}
	_exit(0);
}

int demo_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			demo_die_errno("waitpid(%d)", pid);
	}
	if (WIFSIGNALED(status)) {
		demo_say("child pid=%d was killed by signal %d", pid,
			 WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	demo_say("child pid=%d exited with status %d", pid,
		 WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

void demo_reap_exec(pid_t pid)
{
	int st = demo_reap(pid);

	if (st)
		demo_say("parent pid=%d: note: %s ended with status %d",
			 getpid(), env.exec_argv[0], st);
}

void peer_close(struct peer *p)
{
	close(p->wr);
	close(p->rd);
}

void peer_quit(struct peer *p)
{
	peer_send(p, 'q');
	peer_close(p);
	if (demo_reap(p->pid))
		demo_die("child pid=%d failed", p->pid);
}

void demo_exec_child(int status_fd)
{
	int err;

	execvp(env.exec_argv[0], env.exec_argv);
	err = errno;
	if (write(status_fd, &err, sizeof(err)) < 0)
		err = 0;	/* the parent then sees EOF and the 127 */
	_exit(127);
}

void demo_wait_exec(int status_fd, pid_t pid)
{
	ssize_t n;
	int err;

	do {
		n = read(status_fd, &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(status_fd);
	if (n == 0)
		return;
	demo_reap(pid);
	if (n == sizeof(err))
		demo_die("child pid=%d cannot exec '%s': %s (give a program with --exec)",
			 pid, env.exec_argv[0], strerror(err));
	demo_die_errno("read exec status of pid %d", pid);
}
