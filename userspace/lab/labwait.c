// SPDX-License-Identifier: GPL-2.0
/*
 * labwait: block until a demo's log holds enough lines matching a pattern,
 * or until a process exits, without polling: inotify on the log, a pidfd
 * on the process, one poll(2) on both with a deadline.  For the lab shell
 * (userspace/lab/lab.sh), which runs the course demos in the background with
 * their output in a file and must wait for "the demo has reached step N".
 *
 * Usage:
 *   labwait [-t SECONDS] [-p PID] FILE PATTERN COUNT
 *       Wait until FILE has at least COUNT complete lines that match the
 *       fnmatch(3) PATTERN (the whole line: "# waiting", "# step * fork:*").
 *       With -p, give up when PID exits and the lines are still not there.
 *   labwait [-t SECONDS] -p PID
 *       Wait until PID has exited (a zombie counts as exited).
 *
 * Exit status: 0 done; 1 PID exited first; 2 usage or system error;
 * 3 timeout (default 120 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define LINE_MAX_LEN	4096

enum { DONE = 0, EXITED = 1, FAIL = 2, TIMEOUT = 3 };

/* Incremental line counter over a file that only grows. */
struct scan {
	int fd;
	const char *pattern;
	char line[LINE_MAX_LEN];
	size_t len;		/* bytes of the current, unfinished line */
	bool overlong;		/* the current line did not fit: never matches */
	unsigned long matched;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: labwait [-t SECONDS] [-p PID] FILE PATTERN COUNT\n"
		"       labwait [-t SECONDS] -p PID\n");
	exit(FAIL);
}

static void end_line(struct scan *s)
{
	s->line[s->len] = '\0';
	if (!s->overlong && !fnmatch(s->pattern, s->line, 0))
		s->matched++;
	s->len = 0;
	s->overlong = false;
}

/* Read what was appended since the last call; returns -1 on error. */
static int scan_more(struct scan *s)
{
	char buf[8192];
	ssize_t n, i;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n')
				end_line(s);
			else if (s->len < sizeof(s->line) - 1)
				s->line[s->len++] = buf[i];
			else
				s->overlong = true;
		}
	}
}

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* Wait for a pidfd to become readable: the process has exited. */
static int wait_exit(int pidfd, long timeout_s)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	struct timespec deadline;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	do {
		ret = poll(&pfd, 1, ms_left(&deadline));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		perror("labwait: poll");
		return FAIL;
	}
	return ret ? DONE : TIMEOUT;
}

int main(int argc, char **argv)
{
	struct scan s = { .fd = -1 };
	struct timespec deadline;
	struct pollfd pfd[2];
	unsigned long count = 0;
	long timeout_s = 120;
	int pidfd = -1, ifd = -1, nfd = 0, opt, ret;
	bool exited = false;
	char ev[4096];
	pid_t pid = 0;

	while ((opt = getopt(argc, argv, "t:p:h")) != -1) {
		switch (opt) {
		case 't':
			timeout_s = strtol(optarg, NULL, 10);
			break;
		case 'p':
			pid = (pid_t)strtol(optarg, NULL, 10);
			if (pid <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind == 3) {
		s.pattern = argv[optind + 1];
		count = strtoul(argv[optind + 2], NULL, 10);
	} else if (argc - optind != 0 || !pid) {
		usage();
	}

	if (pid) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0 && errno != ESRCH) {
			perror("labwait: pidfd_open");
			return FAIL;
		}
		exited = pidfd < 0;
	}
	if (!s.pattern)
		return exited ? DONE : wait_exit(pidfd, timeout_s);

	/* Watch first, then read: an append in between still wakes poll. */
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0 ||
	    inotify_add_watch(ifd, argv[optind], IN_MODIFY | IN_CLOSE_WRITE) < 0) {
		fprintf(stderr, "labwait: watch %s: %s\n", argv[optind],
			strerror(errno));
		return FAIL;
	}
	s.fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (s.fd < 0) {
		fprintf(stderr, "labwait: %s: %s\n", argv[optind],
			strerror(errno));
		return FAIL;
	}
	pfd[nfd++] = (struct pollfd){ .fd = ifd, .events = POLLIN };
	if (pidfd >= 0)
		pfd[nfd++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	for (;;) {
		if (scan_more(&s) < 0) {
			perror("labwait: read");
			return FAIL;
		}
		if (s.matched >= count)
			return DONE;
		/* The process is gone and its last lines are read. */
		if (exited)
			return EXITED;
		ret = poll(pfd, nfd, ms_left(&deadline));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			perror("labwait: poll");
			return FAIL;
		}
		if (ret == 0)
			return TIMEOUT;
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
		if (nfd > 1 && pfd[1].revents)
			exited = true;
	}
}
