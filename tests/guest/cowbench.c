// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench: one measurement of one scenario, printed as a single number
 * (nanoseconds per operation) so that a driver can interleave rounds with
 * cowlab loaded and not, and take medians.  Absolute times under TCG mean
 * little; the driver reports ratios.
 *
 *   cowbench cow PAGES        write fault on pages shared after fork (COW)
 *   cowbench touch PAGES      first-touch anonymous write fault
 *   cowbench fileread PAGES   read fault on a page-cache file (tmpfs)
 *   cowbench fork MIB         fork() of a process with MIB touched
 *   cowbench procs NPROCS     read of procs with NPROCS extra processes
 *   cowbench vmas VMAS MIB ROUNDS
 *                             per-VMA read against /proc/PID/smaps: prints
 *                             "cowlab_ns smaps_ns" per round
 *   cowbench forkwrite ITERS  fork, child writes 64 pages, exit; per iteration
 *   cowbench cowmem PAGES     cowlab loaded: bytes of page-record memory
 *                             (its stats file: pages_memory_bytes) per
 *                             record, while a child holds PAGES copied pages
 */
#include <sys/stat.h>
#include <time.h>

#include "testlib.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char *map_anon(unsigned long pages)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("cowbench: mmap");
		exit(1);
	}
	madvise(m, pages * PAGE, MADV_NOHUGEPAGE);
	return m;
}

static double bench_cow(unsigned long pages)
{
	volatile char *m = map_anon(pages);
	unsigned long i;
	long long t;
	int fds[2];
	pid_t pid;
	double ns = -1;

	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	if (pipe(fds))
		exit(1);
	pid = fork();
	if (pid == 0) {
		t = now_ns();
		for (i = 0; i < pages; i++)
			m[i * PAGE] = 2;
		t = now_ns() - t;
		if (write(fds[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], &t, sizeof(t)) == sizeof(t))
		ns = (double)t / pages;
	waitpid(pid, NULL, 0);
	return ns;
}

static double bench_touch(unsigned long pages)
{
	volatile char *m = map_anon(pages);
	unsigned long i;
	long long t = now_ns();

	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	t = now_ns() - t;
	munmap((void *)m, pages * PAGE);
	return (double)t / pages;
}

static double bench_fileread(unsigned long pages)
{
	const char *path = "/tmp/cowbench.data";
	volatile char *m;
	unsigned long i, sum = 0;
	long long t;
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		exit(1);
	if ((unsigned long)st.st_size != pages * PAGE) {
		char buf[4096];

		memset(buf, 7, sizeof(buf));
		for (i = 0; i < pages; i++)
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				exit(1);
	}
	m = mmap(NULL, pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		exit(1);
	t = now_ns();
	for (i = 0; i < pages; i++)
		sum += m[i * PAGE];
	t = now_ns() - t;
	munmap((void *)m, pages * PAGE);
	close(fd);
	return sum ? (double)t / pages : -1;
}

static double bench_fork(unsigned long mib)
{
	unsigned long pages = mib << 8, i;
	volatile char *m = map_anon(pages);
	long long t, total = 0;
	int n;

	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	for (n = 0; n < 5; n++) {
		pid_t pid;

		t = now_ns();
		pid = fork();
		if (pid == 0)
			_exit(0);
		total += now_ns() - t;
		waitpid(pid, NULL, 0);
	}
	return (double)total / n;
}

static double bench_procs(int nprocs)
{
	int fds[2], i, reads = 20;
	pid_t *kids = calloc(nprocs, sizeof(*kids));
	long long t;
	char *text;

	if (pipe(fds) || !kids)
		exit(1);
	for (i = 0; i < nprocs; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char b;

			close(fds[1]);
			_exit(read(fds[0], &b, 1) < 0);
		}
	}
	t = now_ns();
	for (i = 0; i < reads; i++) {
		if (cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, NULL))
			exit(1);
		free(text);
	}
	t = now_ns() - t;
	close(fds[1]);
	for (i = 0; i < nprocs; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	return (double)t / reads;
}

static long long time_read(const char *path, pid_t pid)
{
	char id[32], *text;
	long long t = now_ns();
	int fd = open(path, pid ? O_RDWR : O_RDONLY);

	if (fd < 0)
		exit(1);
	if (pid) {
		snprintf(id, sizeof(id), "%d", pid);
		if (write(fd, id, strlen(id)) < 0)
			exit(1);
		lseek(fd, 0, SEEK_SET);
	}
	if (cowlab_read_fd(fd, &text, NULL))
		exit(1);
	close(fd);
	free(text);
	return now_ns() - t;
}

/* VMAS regions holding MIB in all, in a child; ROUNDS alternating reads. */
static void bench_vmas(int nvmas, unsigned long mib, int rounds)
{
	unsigned long per = (mib << 8) / nvmas;
	int fds[2], ready[2], r;
	char path[64], b = 0;
	pid_t pid;

	if (pipe(fds) || pipe(ready))
		exit(1);
	pid = fork();
	if (pid == 0) {
		int i;

		close(fds[1]);
		close(ready[0]);
		for (i = 0; i < nvmas; i++) {
			volatile char *m = mmap(NULL, per * PAGE,
				PROT_READ | PROT_WRITE | (i & 1 ? PROT_EXEC : 0),
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			unsigned long k;

			if (m == MAP_FAILED)
				_exit(1);
			for (k = 0; k < per; k++)
				m[k * PAGE] = 1;
		}
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		_exit(read(fds[0], &b, 1) < 0);
	}
	if (read(ready[0], &b, 1) != 1)
		exit(1);
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	for (r = 0; r < rounds; r++) {
		long long a, s;

		if (r & 1) {
			s = time_read(path, 0);
			a = time_read(COWLAB_DEBUGFS "/vmas", pid);
		} else {
			a = time_read(COWLAB_DEBUGFS "/vmas", pid);
			s = time_read(path, 0);
		}
		printf("%lld %lld\n", a, s);
	}
	close(fds[1]);
	waitpid(pid, NULL, 0);
}

static double bench_forkwrite(int iters)
{
	unsigned long pages = 64, i;
	volatile char *m = map_anon(pages);
	long long t;
	int n;

	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	t = now_ns();
	for (n = 0; n < iters; n++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (i = 0; i < pages; i++)
				m[i * PAGE]++;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return (double)(now_ns() - t) / iters;
}

static double bench_cowmem(unsigned long pages)
{
	unsigned long long n0, n1, b0, b1;
	volatile char *m = map_anon(pages);
	int go[2], done[2];
	unsigned long i;
	double per = -1;
	char c = 0;
	pid_t pid;

	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	if (pipe(go) || pipe(done))
		exit(1);
	if (!stat_value("pages_tracked", &n0) ||
	    !stat_value("pages_memory_bytes", &b0))
		return -1;
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < pages; i++)
			m[i * PAGE] = 2;
		if (write(done[1], &c, 1) != 1)
			_exit(1);
		/* Hold the copies until the parent has measured. */
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (read(done[0], &c, 1) != 1)
		exit(1);
	if (stat_value("pages_tracked", &n1) &&
	    stat_value("pages_memory_bytes", &b1) && n1 > n0 && b1 >= b0)
		per = (double)(b1 - b0) / (double)(n1 - n0);
	if (write(go[1], &c, 1) != 1)
		exit(1);
	waitpid(pid, NULL, 0);
	return per;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	double ns;

	if (argc < 3) {
		fprintf(stderr, "usage: cowbench cow|touch|fileread|fork|procs|vmas|forkwrite|cowmem N [...]\n");
		return 2;
	}
	if (!strcmp(argv[1], "cow"))
		ns = bench_cow(n);
	else if (!strcmp(argv[1], "touch"))
		ns = bench_touch(n);
	else if (!strcmp(argv[1], "fileread"))
		ns = bench_fileread(n);
	else if (!strcmp(argv[1], "fork"))
		ns = bench_fork(n);
	else if (!strcmp(argv[1], "procs"))
		ns = bench_procs((int)n);
	else if (!strcmp(argv[1], "cowmem"))
		ns = bench_cowmem(n);
	else if (!strcmp(argv[1], "forkwrite"))
		ns = bench_forkwrite((int)n);
	else if (!strcmp(argv[1], "vmas") && argc == 5) {
		bench_vmas((int)n, strtoul(argv[3], NULL, 0), atoi(argv[4]));
		return 0;
	} else {
		fprintf(stderr, "cowbench: unknown scenario %s\n", argv[1]);
		return 2;
	}
	if (ns < 0)
		return 1;
	printf("%.1f\n", ns);
	return 0;
}
