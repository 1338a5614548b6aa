// SPDX-License-Identifier: GPL-2.0
/*
 * hugetest: hugetlb COW (issue 16).  A private MAP_HUGETLB mapping of H
 * huge pages, written, then shared by a fork: the child's writes to C of
 * them copy each (huge_copy, one event per huge page), which
 * HugePages_Free witnesses (it drops by one per copy); the parent's writes
 * to all H once the child is gone reuse them (huge_reuse: HugePages_Free
 * unchanged).  A shared MAP_HUGETLB mapping written after a fork is not
 * COW: no event.
 *
 * vmas (docs/debugfs.md: counts in 4 KiB pages, a 2 MiB huge page is 512
 * of them) after each step: the child's C copied huge pages are copied,
 * the H - C it did not write shared in both processes, against smaps'
 * Shared_Hugetlb and Private_Hugetlb of the VMA; a shared hugetlb VMA, and
 * huge pages of another size than 2 MiB, show "-".
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
#include "testlib.h"
#include "vmarow.h"

#define H	3	/* huge pages mapped */
#define C	2	/* of them written by the child */

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

static void write_pages(char *p, size_t hsize, int n)
{
	static char v;
	int i;

	v++;
	for (i = 0; i < n; i++)
		*(volatile char *)(p + i * hsize) = v;
}

/*
 * A child of ours that writes the first @n of @p's pages when told, then
 * waits to exit.
 */
static pid_t writer(char *p, size_t hsize, int n, int *go, int *done)
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
		write_pages(p, hsize, n);
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

/*
 * @who's vmas row for the private hugetlb VMA at @p (H huge pages of
 * @hsize): @shared huge pages shared, @copied copied, the rest exclusive,
 * in 4 KiB pages; smaps' Shared_Hugetlb and Private_Hugetlb agree on the
 * shared ones.  Huge pages of another size than 2 MiB are not walked:
 * "-".
 */
static bool check_vmas(const char *who, pid_t pid, char *p, size_t hsize,
		       long long shared, long long copied)
{
	long long per = hsize / PAGE, kb = hsize / 1024;
	long sh = smaps_field(pid, (unsigned long)p, "Shared_Hugetlb");
	long pr = smaps_field(pid, (unsigned long)p, "Private_Hugetlb");
	struct vma_counts vc;
	bool ok;

	if (vma_counts_at(pid, (unsigned long)p, &vc))
		return false;
	printf("# %s pid %d vmas %s: resident %lld shared %lld exclusive %lld copied %lld; smaps Shared_Hugetlb %ld kB, Private_Hugetlb %ld kB\n",
	       who, pid, vc.perms, vc.v[VR_RESIDENT], vc.v[VR_SHARED],
	       vc.v[VR_EXCLUSIVE], vc.v[VR_COPIED], sh, pr);
	if (hsize != HPAGE) {
		printf("# %zu kB huge pages: not walked, want -\n", hsize / 1024);
		return vc.v[VR_RESIDENT] == -1 && vc.v[VR_COPIED] == -1;
	}
	printf("# want resident %lld shared %lld exclusive %lld copied %lld\n",
	       H * per, shared * per, (H - shared) * per, copied * per);
	ok = vc.v[VR_RESIDENT] == H * per && vc.v[VR_SHARED] == shared * per &&
	     vc.v[VR_EXCLUSIVE] == (H - shared) * per && vc.v[VR_ZERO] == 0 &&
	     vc.v[VR_COPIED] == copied * per;
	return ok && sh == shared * kb && pr == (H - shared) * kb;
}

int main(void)
{
	size_t hsize = (size_t)meminfo("Hugepagesize") * 1024;
	long free0, free1;
	long long copy, reuse, copy0, reuse0;
	struct vma_counts vc = { 0 };
	int go, done, flags;
	char *p, *s;
	pid_t child;
	bool ok;

	ktap_plan(7);
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
	write_pages(p, hsize, H);

	/* The child's writes: a copy of each huge page it writes. */
	child = writer(p, hsize, C, &go, &done);
	free0 = meminfo("HugePages_Free");
	ask(go, done);
	free1 = meminfo("HugePages_Free");
	copy = count_of(child, "huge_copy");
	reuse = count_of(child, "huge_reuse");
	ktap_result(copy == C && reuse == 0 && free0 - free1 == C,
		    "fork, child writes %d of %d huge pages: huge_copy %lld, huge_reuse %lld; HugePages_Free -%ld (want %d each, 0 reuse)",
		    C, H, copy, reuse, free0 - free1, C);
	ok = check_vmas("child", child, p, hsize, H - C, C);
	ok = check_vmas("parent", getpid(), p, hsize, H - C, 0) && ok;
	ktap_result(ok, "vmas after the child's writes: child %d huge pages copied, %d shared; parent %d shared, none copied (smaps agrees)",
		    C, H - C, H - C);
	if (write(go, "q", 1) != 1)
		kill(child, 9);
	waitpid(child, NULL, 0);

	/* The parent's writes, the child gone: its pages are its own. */
	copy0 = count_of(getpid(), "huge_copy");
	reuse0 = count_of(getpid(), "huge_reuse");
	free0 = meminfo("HugePages_Free");
	write_pages(p, hsize, H);
	free1 = meminfo("HugePages_Free");
	copy = count_of(getpid(), "huge_copy") - copy0;
	reuse = count_of(getpid(), "huge_reuse") - reuse0;
	ktap_result(reuse == H && copy == 0 && free0 == free1,
		    "child exited, parent writes %d huge pages: huge_reuse +%lld, huge_copy +%lld, HugePages_Free %+ld (want +%d, +0, +0)",
		    H, reuse, copy, free1 - free0, H);
	ktap_result(check_vmas("parent", getpid(), p, hsize, 0, 0),
		    "vmas after the parent's writes: %d huge pages exclusive, none shared or copied (smaps agrees)",
		    H);
	munmap(p, H * hsize);

	/* A shared hugetlb mapping: written after a fork, nothing is COW. */
	s = mmap(NULL, H * hsize, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (s == MAP_FAILED) {
		ktap_result(0, "mmap of %d shared huge pages: %s", H,
			    strerror(errno));
		ktap_result(0, "shared: parent's writes");
		ktap_result(0, "shared: vmas");
		return ktap_finish();
	}
	write_pages(s, hsize, H);
	child = writer(s, hsize, H, &go, &done);
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
	write_pages(s, hsize, H);
	ktap_result(count_of(getpid(), "huge_copy") == copy0 &&
		    count_of(getpid(), "huge_reuse") == reuse0,
		    "shared hugetlb mapping, parent writes: no huge_copy, no huge_reuse");
	ok = !vma_counts_at(getpid(), (unsigned long)s, &vc) &&
	     !strcmp(vc.perms, "rw-s") && vc.v[VR_RESIDENT] == -1 &&
	     vc.v[VR_SHARED] == -1 && vc.v[VR_COPIED] == -1;
	ktap_result(ok, "vmas: the shared hugetlb VMA (%s) is not walked, its counts are - (resident %lld)",
		    vc.perms, vc.v[VR_RESIDENT]);
	munmap(s, H * hsize);
	return ktap_finish();
}
