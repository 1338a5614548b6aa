// SPDX-License-Identifier: GPL-2.0
/*
 * budget: the page records' budget (issue 12, review item 5).  One user's
 * processes cannot take the records another user's processes need, and
 * blocks of records emptied by an unmap are freed.
 *
 * cowlab must be loaded with max_pages_per_user below max_pages, both in
 * whole blocks of 512 pages, and max_pages small enough that the test can
 * ask for more blocks than it holds (budget.sh: 64 and 16 blocks).
 *
 * A user process (uid 1000) maps more 2 MiB regions than the whole budget
 * has blocks, touches one page in each, forks; its child writes each page:
 * one COW copy per region, one record block each.  The user's share is
 * spent after max_pages_per_user / 512 of them: every later event of the
 * user is refused (users: dropped), and a root process's copies still get
 * their records (vmas: copied).  Then the child unmaps regions that have
 * blocks: exactly that many blocks are freed, and the user's processes can
 * take as many new ones (the parent's reuse faults).  A root process's
 * block emptied in two MADV_DONTNEED halves is freed only at the second.
 *
 * Usage: budget    (as root)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "table.h"

#define PAGE		4096UL
#define REGION		(2UL << 20)	/* one block of records */
#define BLOCK_PAGES	512UL
#define USER		1000
#define ROOT_PAGES	64UL

static unsigned long long stat_of(const char *name)
{
	unsigned long long v = ~0ULL;
	struct cowlab_table t;
	const char *err, *f;
	char *text;

	if (cowlab_read_file(COWLAB_DEBUGFS "/stats", &text, NULL))
		return v;
	if (!cowlab_table_parse(&t, text, 0, &err)) {
		f = cowlab_table_lookup(&t, 0, name,
					cowlab_table_col(&t, "value"));
		if (!f || cowlab_field_u64(f, &v))
			v = ~0ULL;
	}
	cowlab_table_free(&t);
	return v;
}

struct user_row {
	bool found;
	unsigned long long pages, limit, dropped, procs, short_pid,
			   short_dropped;
};

static const char *const user_cols[] = {
	"pages", "limit", "dropped", "procs", "short_pid", "short_dropped",
};

static struct user_row user_of(unsigned int uid)
{
	struct user_row r = { 0 };
	struct cowlab_table t;
	const char *err, *f;
	char *text, key[16];
	unsigned int i;

	if (cowlab_read_file(COWLAB_DEBUGFS "/users", &text, NULL))
		return r;
	if (cowlab_table_parse(&t, text, 0, &err))
		goto out;
	snprintf(key, sizeof(key), "%u", uid);
	for (i = 0; i < 6; i++) {
		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "uid"), key,
					cowlab_table_col(&t, user_cols[i]));
		if (!f || cowlab_field_u64(f, &(&r.pages)[i]))
			goto out;
	}
	r.found = true;
out:
	cowlab_table_free(&t);
	return r;
}

/* Select @pid on a fresh vmas descriptor: the `copied` of its VMA at @addr. */
static long long copied_of(pid_t pid, unsigned long addr)
{
	struct cowlab_table t;
	const char *err, *f;
	char buf[32], *text;
	unsigned long long v;
	long long ret = -1;
	int fd;

	fd = open(COWLAB_DEBUGFS "/vmas", O_RDWR);
	if (fd < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%d\n", pid);
	if (write(fd, buf, strlen(buf)) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0 || cowlab_read_fd(fd, &text, NULL)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (!cowlab_table_parse(&t, text, 1, &err)) {
		snprintf(buf, sizeof(buf), "%lx", addr);
		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "start"), buf,
					cowlab_table_col(&t, "copied"));
		if (f && !cowlab_field_u64(f, &v))
			ret = (long long)v;
	}
	cowlab_table_free(&t);
	return ret;
}

/* One byte over a pipe each way. */
static int chan[4][2];		/* main->U, U->main, main->U2, U2->main */
#define TO_U	chan[0][1]
#define FROM_U	chan[1][0]
#define TO_U2	chan[2][1]
#define FROM_U2	chan[3][0]

static char ask(int to, int from, char cmd)
{
	char c = 0;

	if (write(to, &cmd, 1) != 1 || read(from, &c, 1) != 1)
		return 0;
	return c;
}

/* A store, not a read-modify-write: no zero page is mapped first. */
static void write_each(char *base, unsigned long n)
{
	static char v;
	unsigned long i;

	v++;
	for (i = 0; i < n; i++)
		*(volatile char *)&base[i * REGION] = v;
}

/*
 * U2, the user's child: say its pid, then for 'w' write every region (one
 * COW copy each), for a command K ('1'..'9') unmap the first K regions.
 */
static void run_u2(char *base, unsigned long n)
{
	pid_t pid = getpid();
	char c;

	if (write(chan[3][1], &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	while (read(chan[2][0], &c, 1) == 1 && c != 'q') {
		if (c == 'w')
			write_each(base, n);
		else if (c >= '1' && c <= '9')
			c = munmap(base, (c - '0') * REGION) ? 'n' : 'w';
		c = c == 'w' ? 'y' : 'n';
		if (write(chan[3][1], &c, 1) != 1)
			break;
	}
	_exit(0);
}

/*
 * U, the user's process: @n regions of 2 MiB with one page touched in
 * each, shared with U2 by a fork; 'w' writes each region again.
 */
static void run_u(unsigned long n)
{
	char *base, c;

	if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER))
		_exit(1);
	/* Each region one block of records, shared with no other mapping. */
	base = mmap(NULL, (n + 1) * REGION, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	base = (char *)(((unsigned long)base + REGION - 1) & ~(REGION - 1));
	madvise(base, n * REGION, MADV_NOHUGEPAGE);
	write_each(base, n);
	if (fork() == 0)
		run_u2(base, n);
	while (read(chan[0][0], &c, 1) == 1 && c != 'q') {
		if (c == 'w')
			write_each(base, n);
		c = c == 'w' ? 'y' : 'n';
		if (write(chan[1][1], &c, 1) != 1)
			break;
	}
	wait(NULL);
	_exit(0);
}

/*
 * R, a root process's child: writes the ROOT_PAGES pages it shares with
 * its parent, then 'a' and 'b' MADV_DONTNEED the first and second half.
 */
static void run_r(char *base, int to, int from)
{
	unsigned long half = ROOT_PAGES / 2 * PAGE, i;
	char c = 'y';

	for (i = 0; i < ROOT_PAGES; i++)
		*(volatile char *)&base[i * PAGE] = 2;
	if (write(to, &c, 1) != 1)
		_exit(1);
	while (read(from, &c, 1) == 1 && c != 'q') {
		c = (c == 'a' || c == 'b') &&
		    !madvise(base + (c == 'b' ? half : 0), half, MADV_DONTNEED) ?
		    'y' : 'n';
		if (write(to, &c, 1) != 1)
			break;
	}
	_exit(0);
}

/* The user's row once it says @pages and @procs (tables go after a grace period). */
static struct user_row user_settled(unsigned long long pages,
				    unsigned long long procs)
{
	struct user_row r;
	int i;

	for (i = 0; i < 100; i++) {
		r = user_of(USER);
		if (r.found && r.pages == pages && r.procs == procs)
			break;
		usleep(20000);
	}
	return r;
}

static bool tests_ok(void)
{
	return ktap_fail == 0;
}

/* Show cowlab's @file, for a failure. */
static void dump(const char *file)
{
	char path[128], *text, *line, *save;

	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	if (cowlab_read_file(path, &text, NULL))
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ktap_diag("%s: %s", file, line);
	free(text);
}

int main(void)
{
	unsigned long long max_pages, user_max, d0, f0, t0, v;
	unsigned long blocks, share, n, k;
	int rto[2], rfrom[2], fd, i;
	struct user_row row, pre;
	unsigned long left;
	pid_t u, u2, r;
	char buf[64], c, *root, *map;
	long long cp;
	ssize_t len;

	if (geteuid()) {
		printf("1..0 # SKIP needs root\n");
		return 4;
	}
	fd = open("/sys/module/cowlab/parameters/max_pages", O_RDONLY);
	len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	user_max = stat_of("pages_user_max");
	ktap_plan(9);
	if (len <= 0 || user_max == ~0ULL) {
		ktap_result(0, "cowlab loaded, stats has pages_user_max");
		return ktap_finish();
	}
	buf[len] = '\0';
	max_pages = strtoull(buf, NULL, 10);
	blocks = max_pages / BLOCK_PAGES;
	share = user_max / BLOCK_PAGES;
	n = blocks + 8;
	k = share < 4 ? share : 4;
	ktap_result(share >= 2 && share + 2 <= blocks &&
		    max_pages % BLOCK_PAGES == 0 && user_of(USER).found == 0,
		    "budget of %lu blocks, %lu per user; uid %d has no row yet",
		    blocks, share, USER);

	for (i = 0; i < 4; i++)
		if (pipe(chan[i]))
			return 1;
	d0 = stat_of("pages_dropped_user_max");
	u = fork();
	if (u == 0)
		run_u(n);
	if (read(FROM_U2, &u2, sizeof(u2)) != sizeof(u2)) {
		ktap_result(0, "the user's processes ran");
		return ktap_finish();
	}

	/*
	 * One COW copy per region, each in a block of its own.  What the
	 * user's processes hold already (their stacks' and data's blocks) is
	 * read first: the regions get what is left of the share.
	 */
	pre = user_of(USER);
	c = ask(TO_U2, FROM_U2, 'w');
	row = user_of(USER);
	left = share - pre.pages / BLOCK_PAGES;
	ktap_result(c == 'y' && row.found && row.pages == share * BLOCK_PAGES &&
		    row.limit == user_max &&
		    row.dropped - pre.dropped == n - left,
		    "uid %d: %lu COW copies in %lu regions of 2 MiB fill its share (pages %llu, want %lu) and the rest are refused (dropped +%llu, want +%lu: %lu blocks were left)",
		    USER, n, n, row.pages, share * BLOCK_PAGES,
		    row.dropped - pre.dropped, n - left, left);
	v = stat_of("pages_dropped_user_max");
	ktap_result(row.short_pid == (unsigned long long)u2 &&
		    row.short_dropped == row.dropped && v - d0 == row.dropped,
		    "users names the process that is short (short_pid %llu, want %d; short_dropped %llu, want %llu) and stats counts the refusals (pages_dropped_user_max +%llu)",
		    row.short_pid, u2, row.short_dropped, row.dropped, v - d0);
	if (!tests_ok())
		dump("users");

	/* A root process's copies keep their records meanwhile. */
	map = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	root = (char *)(((unsigned long)map + REGION - 1) & ~(REGION - 1));
	madvise(root, REGION, MADV_NOHUGEPAGE);
	for (i = 0; i < (int)ROOT_PAGES; i++)
		root[i * PAGE] = 1;
	if (pipe(rto) || pipe(rfrom))
		return 1;
	r = fork();
	if (r == 0)
		run_r(root, rfrom[1], rto[0]);
	if (read(rfrom[0], &c, 1) != 1)
		c = 0;
	cp = copied_of(r, (unsigned long)root);
	ktap_result(c == 'y' && cp == (long long)ROOT_PAGES,
		    "a root process's %lu COW copies while uid %d's share is spent: copied %lld",
		    ROOT_PAGES, USER, cp);

	/* Half a block emptied: kept; the other half: the block is freed. */
	f0 = stat_of("pages_blocks_freed");
	t0 = stat_of("pages_tracked");
	c = ask(rto[1], rfrom[0], 'a');
	v = stat_of("pages_blocks_freed");
	ktap_result(c == 'y' && v == f0 && stat_of("pages_tracked") == t0 - ROOT_PAGES / 2,
		    "MADV_DONTNEED of half a block: block kept (blocks_freed +%llu, want +0), %lu records gone",
		    v - f0, ROOT_PAGES / 2);
	c = ask(rto[1], rfrom[0], 'b');
	v = stat_of("pages_blocks_freed");
	ktap_result(c == 'y' && v == f0 + 1 && stat_of("pages_tracked") == t0 - ROOT_PAGES,
		    "MADV_DONTNEED of the other half: the block is freed (blocks_freed +%llu, want +1)",
		    v - f0);

	/* The user's child unmaps k regions with blocks: k blocks freed. */
	f0 = stat_of("pages_blocks_freed");
	c = ask(TO_U2, FROM_U2, '0' + k);
	v = stat_of("pages_blocks_freed");
	row = user_settled((share - k) * BLOCK_PAGES, 1);
	ktap_result(c == 'y' && v == f0 + k &&
		    row.pages == (share - k) * BLOCK_PAGES,
		    "munmap of %lu regions with records: blocks_freed +%llu (want +%lu), uid %d holds %llu pages (want %lu)",
		    k, v - f0, k, USER, row.pages, (share - k) * BLOCK_PAGES);

	/* The parent's n faults may take the k blocks given back, no more. */
	pre = row;
	c = ask(TO_U, FROM_U, 'w');
	row = user_of(USER);
	ktap_result(c == 'y' && row.pages == share * BLOCK_PAGES &&
		    row.procs == 2 && row.dropped - pre.dropped == n - k,
		    "uid %d's parent writes its %lu regions: the %lu blocks given back are taken (pages %llu, want %lu), the rest refused (dropped +%llu, want +%lu), procs %llu",
		    USER, n, k, row.pages, share * BLOCK_PAGES,
		    row.dropped - pre.dropped, n - k, row.procs);
	if (!tests_ok())
		dump("users");

	/* Everything ends: the user's records go with its processes. */
	if (write(rto[1], "q", 1) != 1)
		kill(r, SIGKILL);
	waitpid(r, NULL, 0);
	if (write(TO_U2, "q", 1) != 1 || write(TO_U, "q", 1) != 1)
		kill(u, SIGKILL);
	waitpid(u, NULL, 0);
	row = user_settled(0, 0);
	ktap_result(row.found && row.pages == 0 && row.procs == 0,
		    "uid %d's processes exited: its records are gone (pages %llu, procs %llu)",
		    USER, row.pages, row.procs);
	munmap(map, 2 * REGION);
	return ktap_finish();
}
