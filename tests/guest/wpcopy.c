// SPDX-License-Identifier: GPL-2.0
/*
 * wpcopy: delay accounting's wpcopy_count for shell tests.
 *
 *   wpcopy --enable     turn on delay accounting (task_delayacct = 1);
 *                       only tasks forked afterwards are accounted
 *   wpcopy PID...       print "PID COUNT" per pid (a thread id works too)
 *
 * Exit status: 0; 1 on an error (message on stderr); 2 on bad usage; 3 when
 * the kernel's taskstats has no wpcopy_count (before 5.19).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "taskstats.h"

#define EXIT_NO_WPCOPY	3

static int usage(void)
{
	fprintf(stderr, "usage: wpcopy --enable | wpcopy PID...\n");
	return 2;
}

static int no_wpcopy(void)
{
	fprintf(stderr,
		"wpcopy: this kernel's taskstats has no wpcopy_count (5.19+)\n");
	return EXIT_NO_WPCOPY;
}

int main(int argc, char **argv)
{
	unsigned long long count;
	int i, err, ret = 0;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--enable")) {
		if (argc != 2)
			return usage();
		err = taskstats_enable();
		/* No task_delayacct before 5.14: say why nothing can work. */
		if (err == -ENOENT &&
		    taskstats_wpcopy(getpid(), &count) == -EOPNOTSUPP)
			return no_wpcopy();
		if (err) {
			fprintf(stderr, "wpcopy: task_delayacct: %s\n",
				strerror(-err));
			return 1;
		}
		return 0;
	}
	for (i = 1; i < argc; i++) {
		char *end;
		long pid;

		errno = 0;
		pid = strtol(argv[i], &end, 10);
		if (errno || end == argv[i] || *end || pid <= 0)
			return usage();
		err = taskstats_wpcopy(pid, &count);
		if (err == -EOPNOTSUPP)
			return no_wpcopy();
		if (err) {
			fprintf(stderr, "wpcopy: pid %ld: %s\n", pid,
				strerror(-err));
			ret = 1;
			continue;
		}
		printf("%ld %llu\n", pid, count);
	}
	fflush(stdout);
	return ret;
}
