// SPDX-License-Identifier: GPL-2.0
/*
 * hammer: keep a few kernel functions hot for the MTTCG stale-int3
 * reproducer (tests/repro/mttcg-int3.sh).  Forever: fork a child that
 * writes PAGES pages of a private mapping (copy-on-write faults, so
 * do_wp_page() and ptep_clear_flush() run) and exits; the parent writes
 * them too, reaps the child and bumps a counter at the start of COUNTER
 * (a file, read by the guest script to tell a live hammer from a stuck
 * one).
 *
 * Usage: hammer COUNTER [PAGES]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long pages = argc > 2 ? strtoul(argv[2], NULL, 0) : 16;
	unsigned long *count;
	unsigned long i;
	char *buf;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: hammer COUNTER [PAGES]\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		perror("hammer: counter");
		return 1;
	}
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (count == MAP_FAILED || buf == MAP_FAILED) {
		perror("hammer: mmap");
		return 1;
	}
	for (i = 0; i < pages; i++)
		buf[i * 4096] = 1;
	for (;;) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("hammer: fork");
			return 1;
		}
		if (pid == 0) {
			for (i = 0; i < pages; i++)
				buf[i * 4096]++;
			_exit(0);
		}
		for (i = 0; i < pages; i++)
			buf[i * 4096]++;
		if (waitpid(pid, NULL, 0) < 0) {
			perror("hammer: waitpid");
			return 1;
		}
		__atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
	}
}
