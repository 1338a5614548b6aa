// SPDX-License-Identifier: GPL-2.0
/*
 * hugetest: hugetlb COW (issue 16).  A private MAP_HUGETLB mapping of H
 * huge pages, written, then shared by a fork: the child's writes copy each
 * huge page (huge_copy, one event per huge page), which HugePages_Free
 * witnesses (it drops by one per copy); the parent's writes once the child
 * is gone reuse them (huge_reuse: HugePages_Free unchanged).  A shared
 * MAP_HUGETLB mapping written after a fork is not COW: no event.
 *
 * Needs H + 2 free huge pages of the default size (hugetest.sh reserves
 * them with /proc/sys/vm/nr_hugepages).
 *
 * Usage: hugetest    (as root, cowlab loaded)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "table.h"

#define H	3

/* A /proc/meminfo value, or -1. */
static long meminfo(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Class @name's count for @pid in procs; -1 if unreadable. */
static long long count_of(pid_t pid, const char *name)
{
	unsigned long long v;
	long long ret = -1;
	struct cowlab_table t;
	const char *err, *f;
	char *text, key[16];

	if (cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, NULL))
		return -1;
	if (!cowlab_table_parse(&t, text, 0, &err)) {
		snprintf(key, sizeof(key), "%d", pid);
		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "pid"), key,
					cowlab_table_col(&t, name));
		if (f && !cowlab_field_u64(f, &v))
			ret = (long long)v;
		else if (!f)
			ret = 0;	/* not tracked: no event */
	}
	cowlab_table_free(&t);
	return ret;
}

static void write_pages(char *p, size_t hsize)
{
	static char v;
	int i;

	v++;
	for (i = 0; i < H; i++)
		*(volatile char *)(p + i * hsize) = v;
}

/* A child of ours that writes @p's pages when told, then waits to exit. */
static pid_t writer(char *p, size_t hsize, int *go, int *done)
{
	int a[2], b[2];
	pid_t pid;
	char c;

	if (pipe(a) || pipe(b))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (read(a[0], &c, 1) != 1)
			_exit(1);
		write_pages(p, hsize);
		if (write(b[1], "y", 1) != 1 || read(a[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	*go = a[1];
	*done = b[0];
	return pid;
}

static bool ask(int go, int done)
{
	char c;

	return write(go, "w", 1) == 1 && read(done, &c, 1) == 1;
}

int main(void)
{
	size_t hsize = (size_t)meminfo("Hugepagesize") * 1024;
	long free0, free1;
	long long copy, reuse, copy0, reuse0;
	int go, done, flags;
	char *p, *s;
	pid_t child;

	ktap_plan(4);
	if (hsize <= 0 || meminfo("HugePages_Free") < H + 2) {
		ktap_result(0, "%d free huge pages reserved (HugePages_Free %ld)",
			    H + 2, meminfo("HugePages_Free"));
		return ktap_finish();
	}
	flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	p = mmap(NULL, H * hsize, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		ktap_result(0, "mmap of %d huge pages: %s", H, strerror(errno));
		return ktap_finish();
	}
	write_pages(p, hsize);

	/* The child's writes: a copy of each huge page. */
	child = writer(p, hsize, &go, &done);
	free0 = meminfo("HugePages_Free");
	ask(go, done);
	free1 = meminfo("HugePages_Free");
	copy = count_of(child, "huge_copy");
	reuse = count_of(child, "huge_reuse");
	ktap_result(copy == H && reuse == 0 && free0 - free1 == H,
		    "fork, child writes %d huge pages: huge_copy %lld, huge_reuse %lld; HugePages_Free -%ld (want %d each, 0 reuse)",
		    H, copy, reuse, free0 - free1, H);
	if (write(go, "q", 1) != 1)
		kill(child, 9);
	waitpid(child, NULL, 0);

	/* The parent's writes, the child gone: its pages are its own. */
	copy0 = count_of(getpid(), "huge_copy");
	reuse0 = count_of(getpid(), "huge_reuse");
	free0 = meminfo("HugePages_Free");
	write_pages(p, hsize);
	free1 = meminfo("HugePages_Free");
	copy = count_of(getpid(), "huge_copy") - copy0;
	reuse = count_of(getpid(), "huge_reuse") - reuse0;
	ktap_result(reuse == H && copy == 0 && free0 == free1,
		    "child exited, parent writes %d huge pages: huge_reuse +%lld, huge_copy +%lld, HugePages_Free %+ld (want +%d, +0, +0)",
		    H, reuse, copy, free1 - free0, H);
	munmap(p, H * hsize);

	/* A shared hugetlb mapping: written after a fork, nothing is COW. */
	s = mmap(NULL, H * hsize, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (s == MAP_FAILED) {
		ktap_result(0, "mmap of %d shared huge pages: %s", H,
			    strerror(errno));
		ktap_result(0, "shared: parent's writes");
		return ktap_finish();
	}
	write_pages(s, hsize);
	child = writer(s, hsize, &go, &done);
	free0 = meminfo("HugePages_Free");
	ask(go, done);
	copy = count_of(child, "huge_copy");
	reuse = count_of(child, "huge_reuse");
	ktap_result(copy == 0 && reuse == 0 &&
		    meminfo("HugePages_Free") == free0,
		    "shared hugetlb mapping, child writes after fork: huge_copy %lld, huge_reuse %lld (want 0, 0: write-notify is not COW)",
		    copy, reuse);
	if (write(go, "q", 1) != 1)
		kill(child, 9);
	waitpid(child, NULL, 0);
	copy0 = count_of(getpid(), "huge_copy");
	reuse0 = count_of(getpid(), "huge_reuse");
	write_pages(s, hsize);
	ktap_result(count_of(getpid(), "huge_copy") == copy0 &&
		    count_of(getpid(), "huge_reuse") == reuse0,
		    "shared hugetlb mapping, parent writes: no huge_copy, no huge_reuse");
	munmap(s, H * hsize);
	return ktap_finish();
}
