// SPDX-License-Identifier: GPL-2.0
/*
 * pintest: pages copied by fork itself (issue 16, fork_copy).  A page the
 * forking process may have pinned (FOLL_PIN) is not shared with the child
 * write-protected: copy_present_page() copies it for the child at once.
 *
 * This process pins pages of its own with io_uring fixed buffers
 * (IORING_REGISTER_BUFFERS, raw syscalls), forks a child that does
 * nothing but wait, and compares the two processes' pages:
 *   - N base pages pinned (THP off), in two buffers: the child's PFNs
 *     differ from ours for exactly those N pages, ours did not change, and
 *     the copies hold our bytes; the child's fork_copy is N, its vmas row
 *     for the region says N copied and no fault event, its pages map has
 *     C exactly there and S elsewhere;
 *   - the same region after IORING_UNREGISTER_BUFFERS: a fork copies
 *     nothing (fork_copy 0, every page shared);
 *   - N pages of a THP pinned: the pin marks the whole folio maybe-pinned,
 *     so fork splits the PMD and copies all 512 pages (the PFN oracle says
 *     how many; 512 expected), and fork_copy equals it.
 *
 * The witnesses are the kernel's: /proc/PID/pagemap (PFNs, read as root),
 * /proc/kpagecount and /proc/kpageflags, /proc/PID/mem.  The child never
 * touches the region, so no fault copied anything there.
 *
 * Usage: pintest [-n PAGES]   (pages pinned, 2..64, default 16)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <linux/io_uring.h>

#include "ktap.h"
#include "testlib.h"

#define REGION_PAGES	128		/* the base-page case's region */
#define THP_PAGES	(HPAGE / PAGE)
#define KPF_THP_BIT	22

static unsigned long npin = 16;

/* ---- io_uring, without liburing ---- */

static int ring_setup(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return (int)syscall(__NR_io_uring_setup, 4, &p);
}

/* Pin @n buffers (@iov) in ring @fd: 0 or -errno. */
static int ring_register(int fd, struct iovec *iov, unsigned int n)
{
	return syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS,
		       iov, n) ? -errno : 0;
}

static int ring_unregister(int fd)
{
	return syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS,
		       NULL, 0) ? -errno : 0;
}

/*
 * io_uring set up, or why not: "" when it works; a skip reason when the
 * kernel has none (ENOSYS); NULL on any other failure (said why).  Sets
 * /proc/sys/kernel/io_uring_disabled (6.6+) to 0 if it stops root.
 */
static const char *ring_probe(int *fd)
{
	static const char *knob = "/proc/sys/kernel/io_uring_disabled";
	int k;

	*fd = ring_setup();
	if (*fd < 0 && errno == EPERM && !access(knob, W_OK)) {
		k = open(knob, O_WRONLY);
		if (k >= 0 && write(k, "0", 1) == 1)
			ktap_diag("%s was set: now 0", knob);
		if (k >= 0)
			close(k);
		*fd = ring_setup();
	}
	if (*fd >= 0)
		return "";
	if (errno == ENOSYS)
		return "io_uring_setup: ENOSYS, this kernel has no io_uring (CONFIG_IO_URING)";
	ktap_diag("io_uring_setup: %s", strerror(errno));
	return NULL;
}

/* ---- the child, and what the kernel says of the pages ---- */

struct kid {
	pid_t pid;
	int go;			/* our end of its pipe: close to end it */
};

/* A child that waits, touching nothing of ours, until its pipe closes. */
static bool fork_kid(struct kid *k)
{
	int p[2];
	char c;

	if (pipe(p))
		return false;
	fflush(NULL);
	k->pid = fork();
	if (k->pid < 0)
		return false;
	if (k->pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	k->go = p[1];
	return true;
}

static void end_kid(struct kid *k)
{
	close(k->go);
	waitpid(k->pid, NULL, 0);
}

/* The PFNs of @n pages of @pid at @addr: false (said why) if unreadable. */
static bool pfns(pid_t pid, unsigned long addr, unsigned long n,
		 long long *pfn)
{
	int ret = pagemap_pfns(pid, addr, n, pfn);

	if (ret)
		ktap_diag("pagemap of %d: %s", pid, strerror(-ret));
	return !ret;
}

/*
 * The oracle: how many of @n pages the child maps at another PFN than
 * we do (both present), marking them in @moved; false if a page is not
 * present in either, or a map count is not what it must be (1 each for
 * a copy, 2 for a page both map).
 */
static bool compare(const long long *ours, const long long *kids,
		    unsigned long n, bool *moved, unsigned long *nmoved)
{
	long long *c1 = calloc(n, sizeof(*c1)), *c2 = calloc(n, sizeof(*c2));
	unsigned long i, bad = 0;
	bool ok;

	ok = c1 && c2 && !kpage_values("kpagecount", ours, n, c1) &&
	     !kpage_values("kpagecount", kids, n, c2);
	if (!ok)
		ktap_diag("/proc/kpagecount unreadable");
	*nmoved = 0;
	for (i = 0; ok && i < n; i++) {
		moved[i] = ours[i] != kids[i];
		*nmoved += moved[i];
		if (ours[i] < 0 || kids[i] < 0 ||
		    (moved[i] ? c1[i] != 1 || c2[i] != 1 :
				c1[i] != 2)) {
			if (!bad++)
				ktap_diag("page %lu: pfn %lld (mapped %lld) / child %lld (mapped %lld)",
					  i, ours[i], c1[i], kids[i], c2[i]);
		}
	}
	free(c1);
	free(c2);
	if (bad)
		ktap_diag("%lu pages not present, or mapped an unexpected number of times",
			  bad);
	return ok && !bad;
}

/* Does the child's copy of [@addr, +@n pages) hold what ours does? */
static bool same_bytes(pid_t pid, unsigned long addr, unsigned long n)
{
	unsigned char *buf = malloc(n * PAGE);
	char path[64];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY);
	ok = buf && fd >= 0 &&
	     pread(fd, buf, n * PAGE, addr) == (ssize_t)(n * PAGE) &&
	     !memcmp(buf, (void *)addr, n * PAGE);
	if (!ok)
		ktap_diag("%s: the child's pages differ from ours, or are unreadable",
			  path);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* ---- cowlab's side ---- */

/* cowlab's @file (vmas, pages) for @pid, parsed into @t. */
static bool pid_table(const char *file, pid_t pid, int rest,
		      struct cowlab_table *t)
{
	char path[96], buf[32], *text;
	const char *err;
	int fd, ret = -1;

	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	snprintf(buf, sizeof(buf), "%d\n", pid);
	fd = open(path, O_RDWR);
	if (fd >= 0 && write(fd, buf, strlen(buf)) > 0 && !lseek(fd, 0, SEEK_SET))
		ret = cowlab_read_fd(fd, &text, NULL);
	if (fd >= 0)
		close(fd);
	if (!ret && cowlab_table_parse(t, text, rest, &err)) {
		cowlab_table_free(t);
		ret = -1;
	}
	if (ret)
		ktap_diag("%s of %d: unreadable", file, pid);
	return !ret;
}

/* The child's fork_copy in procs, or -1 (said why). */
static long long fork_copies(pid_t pid)
{
	struct counts c;

	if (!snap_ok(pid, &c))
		return -1;
	if (c.absent[EV_FORK_COPY]) {
		ktap_diag("fork_copy not counted here: %s",
			  classes[EV_FORK_COPY].reason);
		return -1;
	}
	return c.ev[EV_FORK_COPY];
}

/*
 * The child's vmas row for the VMA at @addr: its copied pages and its
 * fault events (cow_copy + cow_zero + wp_reuse) into *@copied, *@faults.
 */
static bool vma_row(pid_t pid, unsigned long addr, long long *copied,
		    long long *faults)
{
	static const char *const cols[] = {
		"start", "end", "copied", "cow_copy", "cow_zero", "wp_reuse",
	};
	unsigned long long v[6];
	struct cowlab_table t;
	size_t r, i;
	bool found = false;

	if (!pid_table("vmas", pid, 1, &t))
		return false;
	for (r = 0; r < t.nrows && !found; r++) {
		for (i = 0; i < 6; i++) {
			int k = cowlab_table_col(&t, cols[i]);
			const char *f = k < 0 ? "" : t.rows[r][k];

			if (i < 2 ? cowlab_field_hex(f, &v[i]) :
				    cowlab_field_u64(f, &v[i]))
				break;
		}
		found = i == 6 && addr >= v[0] && addr < v[1];
	}
	cowlab_table_free(&t);
	if (!found) {
		ktap_diag("vmas of %d: no readable row for %#lx", pid, addr);
		return false;
	}
	*copied = (long long)v[2];
	*faults = (long long)(v[3] + v[4] + v[5]);
	return true;
}

/* The child's pages map of @n pages at @addr, into @map ('.' if absent). */
static bool pages_map(pid_t pid, unsigned long addr, unsigned long n,
		      char *map)
{
	struct cowlab_table t;
	int ka, km;
	size_t r;

	memset(map, '.', n);
	map[n] = '\0';
	if (!pid_table("pages", pid, 0, &t))
		return false;
	ka = cowlab_table_col(&t, "addr");
	km = cowlab_table_col(&t, "map");
	for (r = 0; ka >= 0 && km >= 0 && r < t.nrows; r++) {
		unsigned long long a;
		const char *m = t.rows[r][km];
		size_t j;

		if (cowlab_field_hex(t.rows[r][ka], &a))
			continue;
		for (j = 0; m[j]; j++) {
			unsigned long p = a + j * PAGE;

			if (p >= addr && p < addr + n * PAGE)
				map[(p - addr) / PAGE] = m[j];
		}
	}
	cowlab_table_free(&t);
	return ka >= 0 && km >= 0;
}

/*
 * cowlab's view of the child @pid after a fork that copied @nmoved pages,
 * those of @moved, of the @n at @addr: fork_copy, the VMA's copied count
 * (@vma_pages: the VMA is exactly the region), no fault event there, and
 * the pages map (@map_check: C where copied, S elsewhere).
 */
static bool cowlab_agrees(pid_t pid, unsigned long addr, unsigned long n,
			  const bool *moved, unsigned long nmoved,
			  bool map_check)
{
	long long fc = fork_copies(pid), copied = -1, faults = -1;
	char *map = malloc(n + 1), *want = malloc(n + 1);
	unsigned long i;
	bool ok = fc == (long long)nmoved;

	if (fc >= 0 && !ok)
		ktap_diag("child %d: fork_copy %lld, want %lu", pid, fc,
			  nmoved);
	if (!vma_row(pid, addr, &copied, &faults) ||
	    copied != (long long)nmoved || faults) {
		ktap_diag("child %d: vmas copied %lld, fault events %lld; want %lu, 0",
			  pid, copied, faults, nmoved);
		ok = false;
	}
	for (i = 0; map && want && i < n; i++)
		want[i] = moved[i] ? 'C' : 'S';
	if (map && want)
		want[n] = '\0';
	if (map_check && (!map || !want || !pages_map(pid, addr, n, map) ||
			  strcmp(map, want))) {
		ktap_diag("child %d: pages %s", pid, map ? map : "?");
		ktap_diag("    want        %s", want ? want : "?");
		ok = false;
	}
	free(map);
	free(want);
	return ok;
}

/* ---- the cases ---- */

/* An anonymous region of @pages pages, 2 MiB aligned, every page written. */
static unsigned char *region(unsigned long pages, int advice)
{
	unsigned char *p = mmap(NULL, pages * PAGE + HPAGE,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long a, i;

	if (p == MAP_FAILED) {
		perror("pintest: mmap");
		exit(2);
	}
	a = ((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1);
	if (a > (unsigned long)p)
		munmap(p, a - (unsigned long)p);
	munmap((void *)(a + pages * PAGE),
	       (unsigned long)p + HPAGE - a);
	p = (unsigned char *)a;
	if (madvise(p, pages * PAGE, advice)) {
		perror("pintest: madvise");
		exit(2);
	}
	/* Plain stores: a read first would map the (huge) zero page. */
	for (i = 0; i < pages * PAGE; i += 64)
		p[i] = (unsigned char)(i / PAGE * 7 + i / 64);
	return p;
}

/*
 * Fork a child and check the oracle and cowlab against each other: the
 * child maps another page than ours at @want_moved pages (@pinned: those
 * we pinned, or NULL: any @want_moved of them), ours kept their PFNs, the
 * copies hold our bytes, and cowlab says the same.
 */
static bool fork_and_check(unsigned char *p, unsigned long n,
			   const bool *pinned, unsigned long want_moved,
			   bool map_check)
{
	long long *before = calloc(n, sizeof(*before));
	long long *ours = calloc(n, sizeof(*ours));
	long long *kids = calloc(n, sizeof(*kids));
	bool *moved = calloc(n, sizeof(*moved));
	unsigned long addr = (unsigned long)p, i, nmoved = 0, diff = 0;
	struct kid k;
	bool ok;

	if (!before || !ours || !kids || !moved)
		exit(2);
	ok = pfns(getpid(), addr, n, before);
	if (!fork_kid(&k)) {
		perror("pintest: fork");
		exit(2);
	}
	ok = ok && pfns(getpid(), addr, n, ours) && pfns(k.pid, addr, n, kids);
	for (i = 0; ok && i < n; i++)
		diff += before[i] != ours[i];
	if (diff) {
		ktap_diag("fork moved %lu of our own pages", diff);
		ok = false;
	}
	ok = ok && compare(ours, kids, n, moved, &nmoved);
	ktap_diag("child %d: %lu of %lu pages at %#lx are copies (pagemap), %lu expected",
		  k.pid, nmoved, n, addr, want_moved);
	if (ok && nmoved != want_moved)
		ok = false;
	for (i = 0, diff = 0; ok && pinned && i < n; i++)
		diff += moved[i] != pinned[i];
	if (diff) {
		ktap_diag("%lu pages copied that were not pinned, or pinned and not copied",
			  diff);
		ok = false;
	}
	ok = ok && same_bytes(k.pid, addr, n);
	ok = cowlab_agrees(k.pid, addr, n, moved, nmoved, map_check) && ok;
	end_kid(&k);
	free(before);
	free(ours);
	free(kids);
	free(moved);
	return ok;
}

/*
 * Pin npin pages of @p in two io_uring fixed buffers, pages @first +
 * [0, npin/2) and @second + [0, npin - npin/2), marking them in @pinned.
 */
static bool pin(int ring, unsigned char *p, unsigned long first,
		unsigned long second, bool *pinned)
{
	struct iovec iov[2] = {
		{ p + first * PAGE, npin / 2 * PAGE },
		{ p + second * PAGE, (npin - npin / 2) * PAGE },
	};
	unsigned long i;
	int ret = ring_register(ring, iov, 2);

	if (ret) {
		ktap_diag("IORING_REGISTER_BUFFERS: %s", strerror(-ret));
		return false;
	}
	for (i = 0; i < npin / 2; i++)
		pinned[first + i] = true;
	for (i = 0; i < npin - npin / 2; i++)
		pinned[second + i] = true;
	return true;
}

/* The first page of @p is a THP page, says /proc/kpageflags. */
static bool is_thp(unsigned char *p)
{
	long long pfn, fl;

	return !pagemap_pfns(getpid(), (unsigned long)p, 1, &pfn) &&
	       !kpage_values("kpageflags", &pfn, 1, &fl) && fl >= 0 &&
	       (fl >> KPF_THP_BIT & 1);
}

int main(int argc, char **argv)
{
	bool pinned[REGION_PAGES] = { false }, *tpinned;
	static const char *const names[3] = {
		"fork_copies_pinned_pages", "fork_after_unpin_copies_nothing",
		"fork_copies_pinned_thp_whole",
	};
	const char *why;
	unsigned char *p;
	int opt, ring, i;
	bool ok;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: pintest [-n PAGES]\n");
			return 2;
		}
		npin = strtoul(optarg, NULL, 0);
	}
	if (npin < 2 || npin > 64) {
		fprintf(stderr, "pintest: PAGES must be 2..64\n");
		return 2;
	}
	if (access(COWLAB_DEBUGFS "/procs", R_OK) || load_classes()) {
		fprintf(stderr, "pintest: %s/classes: unreadable (is cowlab loaded?)\n",
			COWLAB_DEBUGFS);
		return 2;
	}
	ktap_plan(3);
	why = ring_probe(&ring);
	if (!why || *why) {
		/* A skip only for ENOSYS: the kernel has no io_uring. */
		for (i = 0; i < 3; i++) {
			if (why)
				ktap_skip_test(why, "%s", names[i]);
			else
				ktap_result(0, "%s (io_uring_setup failed)",
					    names[i]);
		}
		return ktap_finish();
	}

	/* Base pages: two buffers, N pages in all, in a region of 128. */
	p = region(REGION_PAGES, MADV_NOHUGEPAGE);
	ktap_diag("pid %d pins %lu of %d pages at %#lx (io_uring fixed buffers), then forks",
		  getpid(), npin, REGION_PAGES, (unsigned long)p);
	ok = pin(ring, p, 8, 70, pinned) &&
	     fork_and_check(p, REGION_PAGES, pinned, npin, true);
	ktap_result(ok, "%s (%lu pinned, THP off)", names[0], npin);

	ok = !ring_unregister(ring);
	if (!ok)
		ktap_diag("IORING_UNREGISTER_BUFFERS: %s", strerror(errno));
	memset(pinned, 0, sizeof(pinned));
	ok = ok && fork_and_check(p, REGION_PAGES, pinned, 0, true);
	ktap_result(ok, "%s", names[1]);
	munmap(p, REGION_PAGES * PAGE);

	/* A THP: N pages pinned, the whole folio copied. */
	p = region(THP_PAGES, MADV_HUGEPAGE);
	tpinned = calloc(THP_PAGES, sizeof(*tpinned));
	if (!tpinned)
		exit(2);
	if (!strcmp(thp_mode(), "never")) {
		ktap_skip_test("THP is off in this kernel (transparent_hugepage/enabled: never)",
			       "%s", names[2]);
	} else if (!is_thp(p)) {
		ktap_result(0, "%s (the region is not a THP, kpageflags)",
			    names[2]);
	} else {
		ktap_diag("pid %d pins %lu pages of the THP at %#lx, then forks",
			  getpid(), npin, (unsigned long)p);
		ok = pin(ring, p, 100, 300, tpinned) &&
		     fork_and_check(p, THP_PAGES, NULL, THP_PAGES, true);
		ktap_result(ok, "%s (%lu pinned, %lu copied)", names[2], npin,
			    THP_PAGES);
		ring_unregister(ring);
	}
	free(tpinned);
	close(ring);
	return ktap_finish();
}
