// SPDX-License-Identifier: GPL-2.0
/*
 * forkloop: fork-and-write load for load/unload tests.  Forks a child that
 * writes PAGES pages of a shared-after-fork region and exits, then writes
 * them itself, forever or ITERATIONS times.
 *
 * Usage: forkloop [PAGES [ITERATIONS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	long iters = argc > 2 ? strtol(argv[2], NULL, 0) : -1;
	unsigned long i;
	char *buf;

	buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("forkloop: mmap");
		return 1;
	}
	memset(buf, 1, pages * 4096);
	while (iters < 0 || iters--) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("forkloop: fork");
			return 1;
		}
		if (pid == 0) {
			for (i = 0; i < pages; i++)
				buf[i * 4096]++;
			_exit(0);
		}
		for (i = 0; i < pages; i += 2)
			buf[i * 4096]++;
		if (waitpid(pid, NULL, 0) < 0) {
			perror("forkloop: waitpid");
			return 1;
		}
	}
	return 0;
}
