// SPDX-License-Identifier: GPL-2.0
/*
 * vmatest: per-VMA shared / exclusive / zero / copied counts, exact, and
 * checked against independent oracles read in the same pause:
 * /proc/PID/smaps (Rss, Shared_*, Private_*, AnonHugePages),
 * /proc/PID/pagemap (present, the pfn, PM_MMAP_EXCLUSIVE bit 56) and
 * /proc/kpagecount (each present page's mapcount, by the pfn from pagemap:
 * shared = mapcount > 1).  The `pages` file is checked page by page against
 * them.  THP off and on, and the huge zero page written over.
 *
 *   vmatest            the exact-count cases and error handling
 *   vmatest --big      10,000 VMAs holding 1 GiB, read in full, and the
 *                      process killed in the middle of a read
 *   vmatest --rel      what a reader must never do: keep a killed
 *                      process's memory (256 MiB), take unbounded time or
 *                      output on a 64 TiB reservation, break under pid
 *                      writes racing on one descriptor
 */
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include "ktap.h"
#include "testlib.h"

#define PM_EXCLUSIVE	(1ULL << 56)
#define HPAGE_PAGES	(HPAGE / PAGE)
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static unsigned long npages = 1024, kwrites = 100, jwrites = 50;
static uint64_t zero_pfn, huge_zero_pfn;	/* 0: none found */

/*
 * Is pagemap's PM_MMAP_EXCLUSIVE right for each page of a PMD-mapped THP?
 * Decided by probe_pagemap_thp(), never by the kernel's version.  Where it
 * is not, pagemap's bit is compared only for VMAs without PMD mappings
 * (smaps AnonHugePages 0); kpagecount is compared everywhere.
 */
static bool pagemap_thp_per_page;

struct vma_row {
	long long resident, shared, exclusive, zero, copied;
	long long cow_copy, cow_zero, wp_reuse;
	bool found;
};

static const char *const vma_cols[] = {
	"resident", "shared", "exclusive", "zero", "copied",
	"cow_copy", "cow_zero", "wp_reuse",
};

/*
 * Select @pid on a fresh descriptor of @file, read it whole.  Returns 0 and
 * the text, or -errno of the write or the read.
 */
static int read_selected(const char *file, pid_t pid, char **text)
{
	char path[128], buf[32];
	int fd, ret;

	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%d\n", pid);
	if (write(fd, buf, strlen(buf)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	lseek(fd, 0, SEEK_SET);
	ret = cowlab_read_fd(fd, text, NULL);
	close(fd);
	return ret;
}

/* cowlab's row for the VMA starting at @addr in @pid. */
static bool cowlab_vma(pid_t pid, unsigned long addr, struct vma_row *r)
{
	struct cowlab_table t;
	const char *err, *f;
	char *text, key[32];
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = read_selected("vmas", pid, &text);
	if (ret) {
		ktap_diag("vmas of %d: %s", pid, strerror(-ret));
		return false;
	}
	if (cowlab_table_parse(&t, text, 1, &err)) {
		ktap_diag("vmas of %d: %s", pid, err);
		cowlab_table_free(&t);
		return false;
	}
	snprintf(key, sizeof(key), "%lx", addr);
	for (i = 0; i < ARRAY_SIZE(vma_cols); i++) {
		unsigned long long v;

		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "start"), key,
					cowlab_table_col(&t, vma_cols[i]));
		if (!f || cowlab_field_u64(f, &v)) {
			ktap_diag("vmas of %d: no %s for the VMA at %s", pid,
				  vma_cols[i], key);
			cowlab_table_free(&t);
			return false;
		}
		(&r->resident)[i] = (long long)v;
	}
	r->found = true;
	cowlab_table_free(&t);
	return true;
}

/*
 * cowlab's `pages` letters for the @n pages from @addr of @pid, in a new
 * string; '.' where no line covers a page.  NULL if unreadable.
 */
static char *cowlab_page_map(pid_t pid, unsigned long addr, unsigned long n)
{
	char *text, *line, *save, *map = malloc(n + 1);
	unsigned long a, i;

	if (!map)
		return NULL;
	if (read_selected("pages", pid, &text)) {
		free(map);
		return NULL;
	}
	memset(map, '.', n);
	map[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char run[80];

		if (sscanf(line, "%lx %79s", &a, run) != 2)
			continue;
		for (i = 0; run[i]; i++)
			if (a + i * PAGE >= addr && a + i * PAGE < addr + n * PAGE)
				map[(a - addr) / PAGE + i] = run[i];
	}
	free(text);
	return map;
}

/* pagemap entries of the @n pages from @addr of @pid into @pm. */
static bool read_pagemap(pid_t pid, unsigned long addr, unsigned long n,
			 uint64_t *pm)
{
	char path[64];
	ssize_t want = (ssize_t)(n * sizeof(*pm));
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ok = pread(fd, pm, want, (off_t)(addr / PAGE) * 8) == want;
	close(fd);
	return ok;
}

/* /proc/kpagecount for @pfn: the page's mapcount, or -1. */
static long long kpagecount(uint64_t pfn)
{
	long long p = (long long)pfn, v = -1;

	return kpage_values("kpagecount", &p, 1, &v) ? -1 : v;
}

static bool is_zero_pfn(uint64_t pfn)
{
	return pfn == zero_pfn ||
	       (huge_zero_pfn && pfn - huge_zero_pfn < HPAGE_PAGES);
}

/* The oracles, for [addr, addr + n pages) of @pid. */
struct oracle {
	long long rss_kb, shared_kb, private_kb, anon_huge_kb;	/* smaps */
	long long present, zero, pm_exclusive;			/* pagemap */
	long long kpc_shared, kpc_exclusive, kpc_odd;		/* kpagecount */
	uint64_t *pm;		/* pagemap entries */
	long long *pfn;		/* of a present page, not a zero page; or -1 */
	long long *kpc;		/* kpagecount of that pfn, or -1 */
	/*
	 * Each page: '.' not present, 'Z' a zero page (4 KiB or huge), 'S'
	 * mapcount > 1, 'E' mapcount 1, '?' a present page of mapcount 0.
	 */
	char *letters;
};

static void free_oracles(struct oracle *o)
{
	free(o->pm);
	free(o->pfn);
	free(o->kpc);
	free(o->letters);
}

static bool read_oracles(pid_t pid, unsigned long addr, unsigned long n,
			 struct oracle *o)
{
	unsigned long i;

	memset(o, 0, sizeof(*o));
	o->rss_kb = smaps_field(pid, addr, "Rss");
	o->shared_kb = smaps_field(pid, addr, "Shared_Clean") +
		       smaps_field(pid, addr, "Shared_Dirty");
	o->private_kb = smaps_field(pid, addr, "Private_Clean") +
			smaps_field(pid, addr, "Private_Dirty");
	o->anon_huge_kb = smaps_field(pid, addr, "AnonHugePages");
	o->pm = calloc(n, sizeof(*o->pm));
	o->pfn = calloc(n, sizeof(*o->pfn));
	o->kpc = calloc(n, sizeof(*o->kpc));
	o->letters = calloc(n + 1, 1);
	if (!o->pm || !o->pfn || !o->kpc || !o->letters ||
	    !read_pagemap(pid, addr, n, o->pm)) {
		free_oracles(o);
		return false;
	}
	for (i = 0; i < n; i++) {
		uint64_t pfn = o->pm[i] & PM_PFN_MASK;

		o->pfn[i] = o->pm[i] & PM_PRESENT && !is_zero_pfn(pfn) ?
			    (long long)pfn : -1;
	}
	if (kpage_values("kpagecount", o->pfn, n, o->kpc)) {
		ktap_diag("/proc/kpagecount: unreadable");
		free_oracles(o);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!(o->pm[i] & PM_PRESENT))
			o->letters[i] = '.';
		else if (o->pfn[i] < 0)
			o->letters[i] = 'Z';
		else if (o->kpc[i] > 0)
			o->letters[i] = o->kpc[i] > 1 ? 'S' : 'E';
		else
			o->letters[i] = '?';
		switch (o->letters[i]) {
		case '.':
			continue;
		case 'Z':
			o->zero++;
			break;
		case 'S':
			o->kpc_shared++;
			break;
		case 'E':
			o->kpc_exclusive++;
			break;
		default:
			o->kpc_odd++;
			break;
		}
		o->present++;
		if (o->letters[i] != 'Z' && (o->pm[i] & PM_EXCLUSIVE))
			o->pm_exclusive++;
	}
	return true;
}

/*
 * Compare cowlab's `pages` letters with the oracles page by page: S with
 * mapcount > 1, X and C with mapcount 1 (and with pagemap's bit if
 * @pm_valid), Z with a zero pfn, '.' with not present.  Returns the number
 * of pages that differ (printing the first few) or -1; *@copied gets the
 * number of C.
 */
static long compare_pages(pid_t pid, unsigned long addr, unsigned long n,
			  const struct oracle *o, bool pm_valid,
			  long long *copied)
{
	char *map = cowlab_page_map(pid, addr, n);
	unsigned long i;
	long bad = 0;

	*copied = 0;
	if (!map) {
		ktap_diag("pages of %d: unreadable", pid);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = map[i], want = o->letters[i];
		bool ok, mine = c == 'X' || c == 'C';

		*copied += c == 'C';
		ok = want == 'E' ? mine : c == want;
		if (ok && pm_valid && o->pfn[i] >= 0 &&
		    !(o->pm[i] & PM_EXCLUSIVE) == mine)
			ok = false;
		if (ok)
			continue;
		if (bad++ < 8)
			ktap_diag("page %#lx: cowlab '%c', pagemap %016llx, kpagecount %lld",
				  addr + i * PAGE, c,
				  (unsigned long long)o->pm[i], o->kpc[i]);
	}
	if (bad > 8)
		ktap_diag("... %ld pages differ", bad);
	free(map);
	return bad;
}

/* -1 in a field: not checked. */
struct want {
	long long resident, shared, exclusive, zero, copied;
	long long anon_huge_kb;
	long long cow_copy, cow_zero, wp_reuse;
};

#define WANT(res, sh, ex, z, cp, ahp) ((struct want){ res, sh, ex, z, cp, \
	ahp, -1, -1, -1 })

/*
 * Compare cowlab's VMA of @n pages at @addr with @w and with the oracles:
 * smaps always, kpagecount always, pagemap's exclusive bit where it is per
 * page (see pagemap_thp_per_page).
 */
static bool check_vma(const char *who, pid_t pid, unsigned long addr,
		      unsigned long n, const struct want *w)
{
	struct vma_row r;
	struct oracle o;
	long long copied;
	bool ok = true, pm_valid;
	long bad;

	if (!cowlab_vma(pid, addr, &r) || !read_oracles(pid, addr, n, &o))
		return false;
	pm_valid = pagemap_thp_per_page || o.anon_huge_kb == 0;
#define EXPECT(what, got, want) do { if ((got) != (want)) { \
	ktap_diag("%s %d: %s = %lld, expected %lld", who, pid, what, \
		  (long long)(got), (long long)(want)); ok = false; } } while (0)
#define EXPECT_W(what, got, want) do { \
	if ((want) >= 0) \
		EXPECT(what, got, want); \
	} while (0)
	EXPECT("resident", r.resident, w->resident);
	EXPECT("shared", r.shared, w->shared);
	EXPECT("exclusive", r.exclusive, w->exclusive);
	EXPECT("zero", r.zero, w->zero);
	EXPECT("copied", r.copied, w->copied);
	EXPECT_W("cow_copy events", r.cow_copy, w->cow_copy);
	EXPECT_W("cow_zero events", r.cow_zero, w->cow_zero);
	EXPECT_W("wp_reuse events", r.wp_reuse, w->wp_reuse);
	EXPECT("resident = shared + exclusive + zero", r.resident,
	       r.shared + r.exclusive + r.zero);
	/* smaps leaves both zero pages out of Rss. */
	EXPECT("smaps Rss kB", o.rss_kb, (r.shared + r.exclusive) * 4);
	EXPECT("smaps Shared_* kB", o.shared_kb, r.shared * 4);
	EXPECT("smaps Private_* kB", o.private_kb, r.exclusive * 4);
	EXPECT_W("smaps AnonHugePages kB", o.anon_huge_kb, w->anon_huge_kb);
	EXPECT("pagemap present", o.present, r.resident);
	EXPECT("pagemap zero-page pfn", o.zero, r.zero);
	EXPECT("kpagecount > 1", o.kpc_shared, r.shared);
	EXPECT("kpagecount == 1", o.kpc_exclusive, r.exclusive);
	EXPECT("kpagecount 0 on a present page", o.kpc_odd, 0);
	if (pm_valid)
		EXPECT("pagemap PM_MMAP_EXCLUSIVE", o.pm_exclusive,
		       r.exclusive);
	bad = compare_pages(pid, addr, n, &o, pm_valid, &copied);
	EXPECT("pages differing from the oracles", bad, 0);
	EXPECT("C in pages", copied, r.copied);
#undef EXPECT_W
#undef EXPECT
	free_oracles(&o);
	return ok;
}

/* A 2 MiB aligned, THP-eligible private anonymous region of @len bytes. */
static unsigned char *map_thp_region(unsigned long len)
{
	unsigned char *p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1);
	if (a > (unsigned long)p)
		munmap(p, a - (unsigned long)p);
	munmap((void *)(a + len), (unsigned long)p + HPAGE - a);
	if (madvise((void *)a, len, MADV_HUGEPAGE)) {
		munmap((void *)a, len);
		return NULL;
	}
	return (unsigned char *)a;
}

/*
 * Ask the kernel how its pagemap and kpagecount describe a PMD-mapped THP
 * shared with a child that wrote one of its tail pages (page 5): that page
 * is then mapped by this process alone, its head page (0) and page 6 by
 * both.  Returns true if kpagecount said 1 for page 5 and 2 for pages 0
 * and 6 (the THP still PMD-mapped here); sets pagemap_thp_per_page if
 * pagemap's bit was set for page 5 and clear for 0 and 6.
 *
 * Seen in a one-off experiment (two THPs PMD-mapped in a parent; its child
 * wrote page 5, a tail, and page 512, the second THP's head): kpagecount
 * said 1 for pages 5 and 512 and 2 for the others sampled (0, 1, 6, 511,
 * 513, 517, 1023) on 5.10.0-46, 6.1.0-57 (page_mapcount(): the page's own
 * _mapcount plus the compound mapcount), 6.12.117 and 7.3.4
 * (folio_precise_page_mapcount(); on 7.x with CONFIG_PAGE_MAPCOUNT=y, as
 * in Debian's config; without it 7.x reports the folio's average), and 1
 * everywhere before the fork and after the child's exit.  pagemap's bit
 * was 0 on all the sampled pages of the first THP and 1 on all of the
 * second's on 5.10, 6.1 and 7.3 (pagemap_pmd_range() asks the head page
 * for the whole PMD), per page on 6.12.  The 4 KiB and the huge zero page:
 * kpagecount 0, and the huge zero page's 512 pfns follow each other.
 */
static bool probe_pagemap_thp(void)
{
	unsigned char *p = map_thp_region(HPAGE), c = 0;
	long long kpc[3] = { -1, -1, -1 };
	static const unsigned long idx[3] = { 0, 5, 6 };
	uint64_t pm[3];
	int go[2], done[2], i;
	bool ok = false;
	pid_t pid;

	if (!p)
		return false;
	if (pipe(go) || pipe(done)) {
		munmap(p, HPAGE);
		return false;
	}
	for (i = 0; i < (int)HPAGE_PAGES; i++)
		p[i * PAGE] = 1;
	if (smaps_field(getpid(), (unsigned long)p, "AnonHugePages") != 2048) {
		ktap_diag("probe: no THP for a 2 MiB aligned MADV_HUGEPAGE store");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		p[5 * PAGE] = 2;
		if (write(done[1], &c, 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0);
	}
	if (write(go[1], &c, 1) == 1 && read(done[0], &c, 1) == 1 &&
	    smaps_field(getpid(), (unsigned long)p, "AnonHugePages") == 2048) {
		for (i = 0; i < 3; i++) {
			read_pagemap(getpid(), (unsigned long)p + idx[i] * PAGE,
				     1, &pm[i]);
			kpc[i] = kpagecount(pm[i] & PM_PFN_MASK);
		}
		ok = kpc[0] == 2 && kpc[1] == 1 && kpc[2] == 2;
		pagemap_thp_per_page = ok && (pm[1] & PM_EXCLUSIVE) &&
				       !(pm[0] & PM_EXCLUSIVE) &&
				       !(pm[2] & PM_EXCLUSIVE);
		ktap_diag("probe: pages 0, 5, 6 of a PMD-mapped THP, page 5 written by the child: kpagecount %lld %lld %lld, pagemap exclusive %d %d %d",
			  kpc[0], kpc[1], kpc[2], !!(pm[0] & PM_EXCLUSIVE),
			  !!(pm[1] & PM_EXCLUSIVE), !!(pm[2] & PM_EXCLUSIVE));
	}
	close(go[1]);
	go[1] = -1;
	waitpid(pid, NULL, 0);
out:
	if (go[1] >= 0)
		close(go[1]);
	close(go[0]);
	close(done[0]);
	close(done[1]);
	munmap(p, HPAGE);
	return ok;
}

static void test_fork_vmas(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	unsigned long stride = npages / kwrites, addr;
	long long n = npages, k = kwrites, j = jwrites;
	/* THP on: the parent's two THPs stay PMD-mapped until it writes. */
	long long huge = thp ? n * 4 : 0, half = thp ? n * 2 : 0;
	struct worker p, c;
	struct want w;
	bool ok;

	if (worker_start(&p, &c))
		exit(2);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	ktap_diag("parent %d, child %d, region %#lx, %s%s", p.pid, c.pid, addr,
		  mode, !thp || pagemap_thp_per_page ? "" :
		  " (pagemap's exclusive bit is per PMD here)");

	/*
	 * 1: the child writes K pages, splitting its PMDs; the parent's stay.
	 */
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 2), NULL);
	w = WANT(n, n - k, k, 0, k, 0);
	ok = check_vma("child", c.pid, addr, npages, &w);
	w.copied = 0;
	w.anon_huge_kb = huge;
	ok = check_vma("parent", p.pid, addr, npages, &w) && ok;
	ktap_result(ok, "vmas_child_writes_k (%s)", mode);

	/* 2: the parent writes J other pages, all in its first THP. */
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = stride / 2, .count = jwrites,
			   .stride = stride, .value = 3), NULL);
	w = WANT(n, n - k - j, k + j, 0, j, half);
	ok = check_vma("parent", p.pid, addr, npages, &w);
	w.copied = k;
	w.anon_huge_kb = 0;
	ok = check_vma("child", c.pid, addr, npages, &w) && ok;
	ktap_result(ok, "vmas_parent_writes_j_others (%s)", mode);

	/*
	 * 2b (THP off: a fresh fault in a THP region may or may not get a
	 * huge page): the child drops the whole region and writes its K
	 * pages again.  They are new pages, not copies: the unmap dropped
	 * their records.  The parent's pages are all its own now.
	 */
	if (!thp) {
		worker_cmd(&c, CMD(.op = OP_DONTNEED, .count = npages), NULL);
		worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites,
				   .stride = stride, .value = 4), NULL);
		w = WANT(k, 0, k, 0, 0, 0);
		ok = check_vma("child", c.pid, addr, npages, &w);
		w = WANT(n, 0, n, 0, j, 0);
		ok = check_vma("parent", p.pid, addr, npages, &w) && ok;
		ktap_result(ok, "vmas_dontneed_then_write_not_copied (%s)",
			    mode);
	}

	/* 3: the child exits. */
	worker_exit(&c);
	worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	w = WANT(n, 0, n, 0, j, half);
	ok = check_vma("parent", p.pid, addr, npages, &w);
	ktap_result(ok, "vmas_child_exit_all_exclusive (%s)", mode);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

static void test_zero_vmas(void)
{
	unsigned long stride = npages / kwrites, addr;
	long long n = npages, k = kwrites;
	struct worker p, c;
	struct want w;

	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages, .flags = W_NOTHP),
		   &addr);
	worker_cmd(&p, CMD(.op = OP_READ, .count = npages, .stride = 1), NULL);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 1), NULL);
	w = WANT(n, 0, k, n - k, k, 0);
	w.cow_copy = 0;
	w.cow_zero = k;
	w.wp_reuse = 0;
	ktap_result(check_vma("process", p.pid, addr, npages, &w),
		    "vmas_zero_page_read_n_write_k (thp=off)");
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

/*
 * The huge zero page, then stores over it, in three 2 MiB blocks: a read of
 * each maps the huge zero page; then ZW0 stores in block 0 and one (its
 * last page) in block 1; block 2 is only read.
 *
 * 7.3 (do_huge_pmd_wp_page() -> do_huge_zero_wp_pmd()): the first store in
 * a block installs a whole new THP, so 1,024 pages are copied (cowlab's
 * thp_zero, one per block) and /proc/vmstat thp_fault_alloc grows by 2.
 * 6.12 and older: the PMD is split into 512 PTEs of the 4 KiB zero page
 * (thp_split_pmd grows by 2) and each store replaces one (cow_zero), so
 * ZW0 + 1 pages are copied and the rest stay zero.  7.x takes the split
 * path too if the THP cannot be allocated: thp_fault_alloc says which.
 */
#define ZW0		10
static void test_thp_zero(void)
{
	const unsigned long blocks = 3, n = blocks * HPAGE_PAGES;
	long long fa, sp, tz, cz, nw = ZW0 + 1;
	struct counts c0, c1;
	struct worker p, c;
	unsigned long addr;
	struct want w;
	bool ok;

	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = n, .flags = W_THP), &addr);
	worker_cmd(&p, CMD(.op = OP_READ, .count = n, .stride = 1), NULL);
	w = WANT(n, 0, 0, n, 0, 0);
	ktap_result(check_vma("process", p.pid, addr, n, &w),
		    "vmas_huge_zero_page_read (thp=on)");

	fa = vmstat_value("thp_fault_alloc");
	sp = vmstat_value("thp_split_pmd");
	ok = snap_ok(p.pid, &c0);
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = 3, .count = ZW0,
			   .stride = 50, .value = 1), NULL);
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = 2 * HPAGE_PAGES - 1,
			   .count = 1, .value = 1), NULL);
	fa = vmstat_value("thp_fault_alloc") - fa;
	sp = vmstat_value("thp_split_pmd") - sp;
	ok = snap_ok(p.pid, &c1) && ok;
	tz = c1.ev[EV_THP_ZERO] - c0.ev[EV_THP_ZERO];
	cz = c1.ev[EV_COW_ZERO] - c0.ev[EV_COW_ZERO];
	ktap_diag("process %d, region %#lx: thp_fault_alloc +%lld, thp_split_pmd +%lld",
		  p.pid, addr, fa, sp);
	if (fa == 2 && sp == 0) {
		/* Two new THPs, every page of them copied; block 2 zero. */
		w = WANT(n, 0, 2 * HPAGE_PAGES, HPAGE_PAGES, 2 * HPAGE_PAGES,
			 2 * HPAGE / 1024);
		w.cow_zero = 0;
	} else if (fa == 0 && sp == 2) {
		/* Split: each store replaced one 4 KiB zero page. */
		w = WANT(n, 0, nw, n - nw, nw, 0);
		w.cow_zero = nw;
	} else {
		ktap_diag("neither a THP per written block nor a split of each");
		w = WANT(-1, -1, -1, -1, -1, -1);
	}
	w.cow_copy = 0;
	w.wp_reuse = 0;
	ok = w.resident >= 0 && check_vma("process", p.pid, addr, n, &w) &&
	     ok;
	/* A thp_zero that is not counted here reads 0. */
	if (tz != fa || cz != w.cow_zero) {
		ktap_diag("process %d: procs thp_zero +%lld, cow_zero +%lld; expected +%lld, +%lld",
			  p.pid, tz, cz, fa, w.cow_zero);
		ok = false;
	}
	ktap_result(ok, "vmas_huge_zero_page_write (thp=on, %s path)",
		    fa == 2 ? "THP" : fa == 0 ? "split" : "unknown");
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

static void test_errors(void)
{
	char *text = NULL;
	int fd, ret;
	bool ok;

	ret = read_selected("vmas", 4194303, &text);
	ktap_result(ret == -ESRCH, "vmas_unknown_pid_esrch (got %s)",
		    ret ? strerror(-ret) : "success");
	free(text);
	text = NULL;

	fd = open(COWLAB_DEBUGFS "/vmas", O_RDWR);
	ok = fd >= 0;
	if (ok) {
		static const char *const bad[] = {
			"abc", "12x", "-1", "0", "", " 1", "1 2",
			"99999999999999999999",
		};
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			errno = 0;
			if (write(fd, bad[i], strlen(bad[i])) >= 0 ||
			    errno != EINVAL) {
				ktap_diag("vmas write \"%s\": %s, want EINVAL",
					  bad[i], strerror(errno));
				ok = false;
			}
		}
		close(fd);
	}
	ktap_result(ok, "vmas_garbage_einval");
}

/* A process with @nvmas VMAs of @per pages each, all touched; -> its pid. */
static pid_t make_big(int nvmas, unsigned long per, int *go)
{
	int fds[2], ready[2];
	pid_t pid;

	if (pipe(fds) || pipe(ready))
		exit(2);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		char b;
		int i;

		setrlimit(RLIMIT_AS, &rl);
		for (i = 0; i < nvmas; i++) {
			/* Alternate protections so neighbours never merge. */
			int prot = PROT_READ | PROT_WRITE |
				   (i & 1 ? PROT_EXEC : 0);
			char *m = mmap(NULL, per * PAGE, prot,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			unsigned long k;

			if (m == MAP_FAILED)
				_exit(1);
			for (k = 0; k < per; k++)
				m[k * PAGE] = 1;
		}
		b = 1;
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		_exit(read(fds[0], &b, 1) < 0);
	}
	close(fds[0]);
	close(ready[1]);
	{
		char b;

		if (read(ready[0], &b, 1) != 1)
			return -1;
	}
	close(ready[0]);
	*go = fds[1];
	return pid;
}

/* Read the whole table of @pid through a small buffer; count lines. */
static long count_lines(const char *file, pid_t pid, long long *resident)
{
	struct cowlab_table t;
	const char *err;
	char *text;
	size_t r;
	int col;

	*resident = 0;
	if (read_selected(file, pid, &text))
		return -1;
	if (cowlab_table_parse(&t, text, !strcmp(file, "vmas"), &err)) {
		cowlab_table_free(&t);
		return -1;
	}
	col = cowlab_table_col(&t, "resident");
	for (r = 0; col >= 0 && r < t.nrows; r++) {
		unsigned long long v;

		if (!cowlab_field_u64(t.rows[r][col], &v))
			*resident += v;
	}
	r = t.nrows;
	cowlab_table_free(&t);
	return (long)r;
}

static void test_big(void)
{
	const int nvmas = 10000;
	const unsigned long per = (1UL << 30) / PAGE / nvmas + 1;
	long long resident;
	long lines;
	pid_t pid;
	int go;

	pid = make_big(nvmas, per, &go);
	if (pid < 0) {
		ktap_result(0, "vmas_10000_vmas_1gib");
		return;
	}
	lines = count_lines("vmas", pid, &resident);
	ktap_diag("pid %d: %ld VMAs listed, %lld pages resident (want >= %d VMAs, >= %lu pages)",
		  pid, lines, resident, nvmas, nvmas * per);
	ktap_result(lines >= nvmas && resident >= (long long)(nvmas * per),
		    "vmas_10000_vmas_1gib_read_in_full");
	lines = count_lines("pages", pid, &resident);
	ktap_result(lines >= (long)(nvmas * ((per + 63) / 64)),
		    "pages_10000_vmas_1gib_read_in_full (%ld lines)", lines);

	/*
	 * The process is killed and reaped while a reader is in the middle
	 * of it.  The descriptor holds no user reference on the address space,
	 * so what follows is at most the rest of the line that the first read
	 * cut (formatted before the kill, still in the file's buffer), then
	 * the end of the file: never the process's other VMAs.
	 */
	{
		char path[] = COWLAB_DEBUGFS "/vmas", buf[4096], rest[4096];
		char id[32], *nl;
		int fd = open(path, O_RDWR), status;
		ssize_t n = -1, total = 0;
		bool ok = fd >= 0;

		snprintf(id, sizeof(id), "%d", pid);
		ok = ok && write(fd, id, strlen(id)) > 0;
		lseek(fd, 0, SEEK_SET);
		ok = ok && read(fd, buf, sizeof(buf)) > 0;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		while (ok && (n = read(fd, buf, sizeof(buf))) > 0) {
			if (total + n <= (ssize_t)sizeof(rest))
				memcpy(rest + total, buf, n);
			total += n;
		}
		if (ok && n < 0)
			ktap_diag("read after the kill: %s", strerror(errno));
		nl = total && total <= (ssize_t)sizeof(rest) ?
		     memchr(rest, '\n', total) : NULL;
		ok = ok && n == 0 && (total == 0 || nl == rest + total - 1);
		if (fd >= 0)
			close(fd);
		ktap_result(ok, "vmas_pid_exits_during_read_ends_at_the_cut (%zd bytes after)",
			    total);
	}
	close(go);
}

/* Read one byte at @p: a read fault where nothing is mapped. */
static unsigned char read_byte(const void *p)
{
	return *(const volatile unsigned char *)p;
}

static void find_zero_pfn(void)
{
	void *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	uint64_t e = 0;

	if (m == MAP_FAILED)
		return;
	read_byte(m);
	if (read_pagemap(getpid(), (unsigned long)m, 1, &e))
		zero_pfn = e & PM_PFN_MASK;
	munmap(m, PAGE);
}

/*
 * A read of a THP-eligible 2 MiB block maps the huge zero page (unless
 * use_zero_page is 0): 512 consecutive pfns, mapcount 0.
 */
static void find_huge_zero_pfn(void)
{
	unsigned char *p = map_thp_region(HPAGE);
	uint64_t pm[2], pfn;

	if (!p)
		return;
	read_byte(p);
	if (read_pagemap(getpid(), (unsigned long)p, 2, pm) &&
	    (pm[0] & PM_PRESENT) && (pm[1] & PM_PRESENT)) {
		pfn = pm[0] & PM_PFN_MASK;
		if (pfn != zero_pfn && pfn % HPAGE_PAGES == 0 &&
		    (pm[1] & PM_PFN_MASK) == pfn + 1 && kpagecount(pfn) == 0)
			huge_zero_pfn = pfn;
	}
	munmap(p, HPAGE);
}

/*
 * khugepaged could collapse a region between a command and the check
 * (the split path's PTE tables of zero pages qualify): let it sleep for an
 * hour while the test runs, and put its setting back at exit.
 */
#define KHUGEPAGED_SLEEP \
	"/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"
static char khugepaged_sleep[32];

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

static void khugepaged_restore(void)
{
	write_str(KHUGEPAGED_SLEEP, khugepaged_sleep);
}

static void khugepaged_pause(void)
{
	int fd = open(KHUGEPAGED_SLEEP, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, khugepaged_sleep,
				   sizeof(khugepaged_sleep) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0 || !write_str(KHUGEPAGED_SLEEP, "3600000")) {
		ktap_diag("khugepaged not paused: %s", strerror(errno));
		return;
	}
	khugepaged_sleep[n] = '\0';
	atexit(khugepaged_restore);
}

/* ---- reliability: what a reader must never do to the process it reads ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Free memory in KiB: MemFree, plus the pages waiting in the per-CPU free
 * lists (the "count" of each pageset in /proc/zoneinfo), which MemFree
 * leaves out: right after 256 MiB were freed they held 78 to 173 MiB of
 * it on 7.3 (MemFree alone rose by a third to a half).  -1 if unreadable.
 */
static long long free_kb(long long *pcp_kb)
{
	long long mf = proc_value("/proc/meminfo", "MemFree", ':');
	long long pcp = 0, c;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f || mf < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &c) == 1)
			pcp += c;
	fclose(f);
	*pcp_kb = pcp * (long long)(PAGE / 1024);
	return mf + *pcp_kb;
}

/*
 * A child that runs @setup, sends back the two addresses it returns (0, 0:
 * it failed), then waits, quiet, until @go is closed or it is killed.
 * Returns its pid (or -1) with its addresses in @addr and the write end of
 * its go pipe in *@go.
 */
typedef bool (*setup_fn)(void *arg, unsigned long addr[2]);

static pid_t spawn_idle(setup_fn setup, void *arg, unsigned long addr[2],
			int *go)
{
	int gofd[2], ready[2];
	pid_t pid;

	if (pipe(gofd) || pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		unsigned long a[2] = { 0, 0 };
		char b;

		close(gofd[1]);
		close(ready[0]);
		if (!setup(arg, a)) {
			a[0] = 0;
			a[1] = 0;
		}
		if (write(ready[1], a, sizeof(a)) != sizeof(a))
			_exit(1);
		_exit(read(gofd[0], &b, 1) < 0);
	}
	close(gofd[0]);
	close(ready[1]);
	if (pid < 0 || read(ready[0], addr, 2 * sizeof(*addr)) !=
	    2 * sizeof(*addr) || !addr[0]) {
		close(ready[0]);
		close(gofd[1]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	close(ready[0]);
	*go = gofd[1];
	return pid;
}

/* Children forked later hold copies of @go: a signal, not EOF, ends it. */
static void stop_idle(pid_t pid, int go)
{
	kill(pid, SIGKILL);
	close(go);
	waitpid(pid, NULL, 0);
}

/* Map @arg pages (4 KiB pages, no THP) and write each: addr[0] = start. */
static bool setup_touched(void *arg, unsigned long addr[2])
{
	unsigned long n = *(unsigned long *)arg, i;
	char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || madvise(p, n * PAGE, MADV_NOHUGEPAGE))
		return false;
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	addr[0] = (unsigned long)p;
	addr[1] = n;
	return true;
}

/* Length of the first @n lines of @text, or 0 if it has fewer. */
static size_t lines_len(const char *text, int n)
{
	const char *p = text;

	while (n-- > 0) {
		p = strchr(p, '\n');
		if (!p)
			return 0;
		p++;
	}
	return p - text;
}

#define PIN_MIB		256UL

/*
 * A process with 256 MiB of touched anonymous memory; a vmas descriptor on
 * it, read once (the header and the first VMA); the process SIGKILLed and
 * reaped.  With the descriptor still open, its memory must be free again:
 * /proc/kpagecount says its pages are no longer mapped, MemFree grows by
 * about 256 MiB.  The descriptor then reads end of file (or ESRCH), never
 * the rest of the dead process's VMAs; read from the start, ESRCH.
 */
static void test_kill_frees_memory(void)
{
	unsigned long n = PIN_MIB << 20 >> 12, addr[2], present = 0, mapped = 0;
	unsigned long i;
	long long *pfn = calloc(n, sizeof(*pfn)), *kpc = calloc(n, sizeof(*kpc));
	long long free0, free1, pcp0 = 0, pcp1 = 0;
	char *ref = NULL, buf[4096], id[32];
	int fd = -1, go, err;
	bool ok, ok2;
	size_t first;
	ssize_t r;
	pid_t pid;

	pid = spawn_idle(setup_touched, &n, addr, &go);
	ok = pid > 0 && pfn && kpc;
	ok = ok && !pagemap_pfns(pid, addr[0], n, pfn) &&
	     !kpage_values("kpagecount", pfn, n, kpc);
	for (i = 0; ok && i < n; i++) {
		present += pfn[i] >= 0;
		mapped += kpc[i] > 0;
	}
	if (ok && (present != n || mapped != n)) {
		ktap_diag("pid %d: %lu of %lu pages present, %lu mapped before the kill",
			  pid, present, n, mapped);
		ok = false;
	}
	/* What the first read must return: the header and the first VMA. */
	err = ok ? read_selected("vmas", pid, &ref) : -EINVAL;
	first = err ? 0 : lines_len(ref, 2);
	ok = ok && first > 0 && first <= sizeof(buf);
	if (ok) {
		fd = open(COWLAB_DEBUGFS "/vmas", O_RDWR);
		snprintf(id, sizeof(id), "%d\n", pid);
		ok = fd >= 0 && write(fd, id, strlen(id)) == (ssize_t)strlen(id);
		r = ok ? read(fd, buf, first) : -1;
		ok = ok && r == (ssize_t)first && !memcmp(buf, ref, first);
		if (!ok)
			ktap_diag("first read of vmas of %d: %zd bytes, want %zu",
				  pid, r, first);
	}
	free0 = free_kb(&pcp0);
	if (pid > 0)
		stop_idle(pid, go);
	free1 = free_kb(&pcp1);
	mapped = 0;
	if (ok && kpage_values("kpagecount", pfn, n, kpc))
		ok = false;
	for (i = 0; ok && i < n; i++)
		mapped += kpc[i] > 0;
	ktap_diag("pid %d, %lu MiB touched, killed and reaped, a vmas fd open:",
		  pid, PIN_MIB);
	ktap_diag("  free memory %+lld kB (%+lld kB in per-CPU lists)",
		  free1 - free0, pcp1 - pcp0);
	ktap_diag("  %lu of its %lu pages still mapped", mapped, n);
	/* Freed pages may be reused at once: most, not all. */
	ktap_result(ok && free0 >= 0 && free1 >= 0 && mapped <= n / 16 &&
		    free1 - free0 >= (long long)(PIN_MIB << 10) * 3 / 4,
		    "vmas_open_fd_does_not_pin_killed_process_memory (%lu MiB)",
		    PIN_MIB);

	ok2 = fd >= 0;
	if (ok2) {
		errno = 0;
		r = read(fd, buf, sizeof(buf) - 1);
		if (r > 0) {
			buf[r] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			ktap_diag("read after the kill: %zd bytes, starting \"%s\"",
				  r, buf);
		} else if (r < 0 && errno != ESRCH) {
			ktap_diag("read after the kill: %s", strerror(errno));
		}
		ok2 = r == 0 || (r < 0 && errno == ESRCH);
		lseek(fd, 0, SEEK_SET);
		errno = 0;
		r = read(fd, buf, sizeof(buf));
		if (r >= 0 || errno != ESRCH) {
			ktap_diag("read from the start after the kill: %zd, %s",
				  r, strerror(errno));
			ok2 = false;
		}
		close(fd);
	}
	ktap_result(ok2, "vmas_read_after_kill_eof_or_esrch_not_old_vmas");
	free(ref);
	free(pfn);
	free(kpc);
}

#define RESERVE		(64UL << 40)	/* 64 TiB */

/* Pages of the window written, and read (the zero page). */
static const unsigned int win_written[] = { 0, 1, 2, 3, 64, 130, 511 };
static const unsigned int win_read[] = { 200 };

/*
 * A 64 TiB PROT_NONE reservation (MAP_NORESERVE), what ASan's shadow, V8's
 * cage or a JVM heap reservation look like, with a 2 MiB read-write window
 * in its middle where a few pages are written and one is read: addr[0] is
 * the reservation, addr[1] the window.
 */
static bool setup_reserve(void *arg, unsigned long addr[2])
{
	char *r = mmap(NULL, RESERVE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long w;
	unsigned int i;

	(void)arg;
	if (r == MAP_FAILED)
		return false;
	w = ((unsigned long)r + RESERVE / 2) & ~(HPAGE - 1);
	if (mprotect((void *)w, HPAGE, PROT_READ | PROT_WRITE) ||
	    madvise((void *)w, HPAGE, MADV_NOHUGEPAGE))
		return false;
	for (i = 0; i < ARRAY_SIZE(win_written); i++)
		((char *)w)[win_written[i] * PAGE] = 1;
	for (i = 0; i < ARRAY_SIZE(win_read); i++)
		read_byte((char *)w + win_read[i] * PAGE);
	addr[0] = (unsigned long)r;
	addr[1] = w;
	return true;
}

/*
 * Read a file of @pid through one descriptor, giving up after @max_bytes
 * or @max_s seconds.  Returns the text read (NUL-terminated), with
 * *@eof set if the end was reached and *@secs the time it took; NULL if
 * it could not be read at all.
 */
static char *read_bounded(const char *file, pid_t pid, size_t max_bytes,
			  double max_s, bool *eof, double *secs)
{
	char path[128], id[32], *buf = malloc(max_bytes + 1);
	double t0 = now_s();
	size_t len = 0;
	ssize_t r = 0;
	int fd;

	*eof = false;
	*secs = 0;
	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	fd = buf ? open(path, O_RDWR) : -1;
	snprintf(id, sizeof(id), "%d\n", pid);
	if (fd < 0 || write(fd, id, strlen(id)) != (ssize_t)strlen(id)) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while (len < max_bytes && now_s() - t0 < max_s) {
		r = read(fd, buf + len, max_bytes - len < 65536 ?
			 max_bytes - len : 65536);
		if (r <= 0)
			break;
		len += r;
	}
	*secs = now_s() - t0;
	*eof = r == 0;
	if (r < 0)
		ktap_diag("%s of %d: %s", file, pid, strerror(errno));
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* A VMA of the vmas table: walked (counts given) or not ("-"). */
struct vma_span {
	unsigned long start, end;
	bool walked;
};

static int parse_vma_spans(char *text, struct vma_span **out)
{
	struct cowlab_table t;
	struct vma_span *v;
	const char *err;
	int ks, ke, kr;
	size_t i;

	if (cowlab_table_parse(&t, text, 1, &err))
		goto bad;
	ks = cowlab_table_col(&t, "start");
	ke = cowlab_table_col(&t, "end");
	kr = cowlab_table_col(&t, "resident");
	v = calloc(t.nrows + 1, sizeof(*v));
	if (ks < 0 || ke < 0 || kr < 0 || !v)
		goto bad;
	for (i = 0; i < t.nrows; i++) {
		unsigned long long s, e;

		if (cowlab_field_hex(t.rows[i][ks], &s) ||
		    cowlab_field_hex(t.rows[i][ke], &e))
			goto bad;
		v[i].start = s;
		v[i].end = e;
		v[i].walked = strcmp(t.rows[i][kr], "-");
	}
	*out = v;
	i = t.nrows;
	cowlab_table_free(&t);
	return (int)i;
bad:
	ktap_diag("vmas: %s", err ? err : "malformed");
	cowlab_table_free(&t);
	return -1;
}

/*
 * Compare the lines of @pages (text of the pages file) with the VMAs and
 * pagemap of @pid: each line inside one walked VMA, 64 pages apart from
 * its start, in order; in every walked VMA of at most 1 GiB, a letter
 * other than '.' exactly where pagemap says present, 'Z' exactly at the
 * zero page; in the larger ones (the PROT_NONE reservation) no line, and
 * smaps Rss 0.  Returns the number of differences (the first few printed).
 */
static long compare_pages_with_pagemap(pid_t pid, char *pages,
				       struct vma_span *v, int nv,
				       unsigned long *present)
{
	unsigned long last_end = 0;
	char *line, *save;
	long bad = 0;
	int i;

	/* Page letters of each small VMA, from the lines. */
	char **letters = calloc(nv, sizeof(*letters));

	*present = 0;
	if (!letters)
		return -1;
	for (i = 0; i < nv; i++) {
		unsigned long n = (v[i].end - v[i].start) / PAGE;

		if (!v[i].walked || v[i].end - v[i].start > (1UL << 30))
			continue;
		letters[i] = malloc(n);
		if (!letters[i])
			return -1;
		memset(letters[i], '.', n);
	}
#define BAD(...) do { if (bad++ < 8) ktap_diag(__VA_ARGS__); } while (0)
	line = strtok_r(pages, "\n", &save);		/* header */
	if (!line || strcmp(line, "addr map"))
		BAD("pages: header \"%s\"", line ? line : "");
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long a, len;
		char map[80];

		if (sscanf(line, "%lx %79s", &a, map) != 2) {
			BAD("pages: bad line \"%s\"", line);
			continue;
		}
		len = strlen(map);
		for (i = 0; i < nv; i++)
			if (a >= v[i].start && a < v[i].end)
				break;
		if (i == nv || !v[i].walked || a + len * PAGE > v[i].end ||
		    (a - v[i].start) % (64 * PAGE) || a < last_end || !len ||
		    len > 64) {
			BAD("pages: line at %lx (%lu pages) out of place", a,
			    len);
			continue;
		}
		last_end = a + len * PAGE;
		if (!letters[i]) {
			BAD("pages: a line at %lx, inside the %lu GiB VMA at %lx",
			    a, (v[i].end - v[i].start) >> 30, v[i].start);
			continue;
		}
		memcpy(letters[i] + (a - v[i].start) / PAGE, map, len);
	}
	for (i = 0; i < nv; i++) {
		unsigned long n = (v[i].end - v[i].start) / PAGE, k;
		uint64_t *pm;

		if (!v[i].walked)
			continue;
		if (!letters[i]) {
			long rss = smaps_field(pid, v[i].start, "Rss");

			if (rss != 0)
				BAD("smaps: Rss %ld kB in the VMA at %lx", rss,
				    v[i].start);
			continue;
		}
		pm = calloc(n, sizeof(*pm));
		if (!pm || !read_pagemap(pid, v[i].start, n, pm)) {
			BAD("pagemap of %d at %lx unreadable", pid, v[i].start);
			free(pm);
			continue;
		}
		for (k = 0; k < n; k++) {
			bool here = pm[k] & PM_PRESENT;
			bool zero = here && is_zero_pfn(pm[k] & PM_PFN_MASK);
			char c = letters[i][k];

			*present += here;
			if ((c != '.') != here || (c == 'Z') != zero)
				BAD("page %lx: pages '%c', pagemap %016llx",
				    v[i].start + k * PAGE, c,
				    (unsigned long long)pm[k]);
		}
		free(pm);
		free(letters[i]);
	}
#undef BAD
	if (bad > 8)
		ktap_diag("... %ld differences", bad);
	free(letters);
	return bad;
}

/*
 * `pages` and `vmas` of a process with a 64 TiB reservation: read whole in
 * bounded time and size, and the lines are exactly the present pages.
 * The guest is TCG: the time bounds are generous for a walk that skips
 * empty upper levels (a few hundred steps), and far below one that steps
 * every 2 MiB of the reservation (2^25 steps; 1.95 s for vmas on 6.12).
 */
#define PAGES_MAX_S	3.0
#define PAGES_MAX_LINES	100
#define VMAS_MAX_S	0.5
static void test_reservation(void)
{
	unsigned long addr[2], present = 0;
	struct vma_span *v = NULL;
	double tv = 0, tp = 0;
	char *vmas = NULL, *pages = NULL;
	bool eof_v = false, eof_p = false, ok;
	long lines = 0, bad = -1;
	int go, nv = -1;
	pid_t pid;
	char *p;

	pid = spawn_idle(setup_reserve, NULL, addr, &go);
	if (pid > 0) {
		vmas = read_bounded("vmas", pid, 1 << 20, 30, &eof_v, &tv);
		pages = read_bounded("pages", pid, 4 << 20, 30, &eof_p, &tp);
	}
	for (p = pages; p && (p = strchr(p, '\n')); p++)
		lines++;
	lines -= lines > 0;	/* the header */
	ktap_diag("pid %d: 64 TiB PROT_NONE at %lx, window at %lx", pid,
		  addr[0], addr[1]);
	ktap_diag("  vmas: %zu bytes in %.3f s%s", vmas ? strlen(vmas) : 0,
		  tv, eof_v ? "" : " (not to the end)");
	ktap_diag("  pages: %ld lines, %zu bytes in %.3f s%s", lines,
		  pages ? strlen(pages) : 0, tp,
		  eof_p ? "" : " (gave up before the end)");
	ktap_result(pages && eof_p && lines < PAGES_MAX_LINES &&
		    tp < PAGES_MAX_S,
		    "pages_64tib_reservation_bounded (%ld lines < %d, %.3f s < %.0f s)",
		    lines, PAGES_MAX_LINES, tp, PAGES_MAX_S);

	if (vmas && eof_v)
		nv = parse_vma_spans(strdup(vmas), &v);
	if (nv > 0 && pages && eof_p)
		bad = compare_pages_with_pagemap(pid, pages, v, nv, &present);
	ok = bad == 0 && present >= ARRAY_SIZE(win_written) +
		ARRAY_SIZE(win_read);
	ktap_result(ok, "pages_64tib_reservation_lines_are_the_present_pages (%lu present)",
		    present);
	ktap_result(vmas && eof_v && tv < VMAS_MAX_S,
		    "vmas_64tib_reservation_bounded (%.3f s < %.1f s)", tv,
		    VMAS_MAX_S);
	if (pid > 0)
		stop_idle(pid, go);
	free(v);
	free(vmas);
	free(pages);
}

/* Map @arg pages (0: none), touching each: two processes told apart. */
static bool setup_extra(void *arg, unsigned long addr[2])
{
	unsigned long n = *(unsigned long *)arg;

	addr[0] = 1;
	addr[1] = 0;
	return !n || setup_touched(arg, addr);
}

/*
 * What of @pid's vmas text (@text, taken over) cannot change while the
 * process sleeps: every column but shared and exclusive (the processes
 * share pages with this one, which keeps writing).  NULL if it does not
 * parse.
 */
static char *vmas_stable(char *text)
{
	static const char *const cols[] = {
		"start", "end", "perms", "resident", "zero", "copied",
		"cow_copy", "cow_zero", "wp_reuse", "name",
	};
	struct cowlab_table t;
	size_t r, len = 0, cap = 4096;
	const char *err;
	char *out = malloc(cap);
	unsigned int i;
	int k[ARRAY_SIZE(cols)];

	if (!out || cowlab_table_parse(&t, text, 1, &err)) {
		cowlab_table_free(&t);
		free(out);
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(cols); i++) {
		k[i] = cowlab_table_col(&t, cols[i]);
		if (k[i] < 0)
			goto bad;
	}
	out[0] = '\0';
	for (r = 0; r < t.nrows; r++) {
		for (i = 0; i < ARRAY_SIZE(cols); i++) {
			size_t n = strlen(t.rows[r][k[i]]) + 2;

			if (len + n >= cap) {
				char *o = realloc(out, cap *= 2);

				if (!o)
					goto bad;
				out = o;
			}
			len += sprintf(out + len, "%s%c", t.rows[r][k[i]],
				       i + 1 < ARRAY_SIZE(cols) ? ' ' : '\n');
		}
	}
	cowlab_table_free(&t);
	return out;
bad:
	cowlab_table_free(&t);
	free(out);
	return NULL;
}

struct race {
	int fd;
	pid_t pid[2], dead;
	int iters;
	int writers_done, reading;	/* __atomic */
	const char *ref[2];		/* vmas_stable() of pid[0], pid[1] */
};

struct race_thread {
	struct race *r;
	int idx;
	long ops, bad, hits[2];
	char first_bad[160];
};

/*
 * Writers: one pid after another on the shared descriptor, every 16th a
 * pid that exited (ESRCH, the documented answer); the rest must return
 * their length.
 */
static void *race_writer(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->r;
	char buf[32];
	int i;

	while (!__atomic_load_n(&r->reading, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < r->iters; i++, t->ops++) {
		pid_t pid = i % 16 == 15 ? r->dead : r->pid[(i + t->idx) & 1];
		size_t len = snprintf(buf, sizeof(buf), "%d\n", pid);
		ssize_t n;
		bool ok;

		errno = 0;
		n = write(r->fd, buf, len);
		ok = pid == r->dead ? n < 0 && errno == ESRCH :
		     n == (ssize_t)len;
		if (!ok && !t->bad++)
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "write %d: %zd, %s", pid, n, strerror(errno));
	}
	return NULL;
}

/* The reader: each pass from the start must be one process's table. */
static void *race_reader(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->r;

	while (!__atomic_load_n(&r->writers_done, __ATOMIC_ACQUIRE) ||
	       t->ops < 10) {
		char *text, *st;
		int ret;

		t->ops++;
		__atomic_store_n(&r->reading, 1, __ATOMIC_RELEASE);
		lseek(r->fd, 0, SEEK_SET);
		ret = cowlab_read_fd(r->fd, &text, NULL);
		if (ret) {
			if (!t->bad++)
				snprintf(t->first_bad, sizeof(t->first_bad),
					 "read: %s", strerror(-ret));
			continue;
		}
		st = vmas_stable(text);
		if (st && !strcmp(st, r->ref[0])) {
			t->hits[0]++;
		} else if (st && !strcmp(st, r->ref[1])) {
			t->hits[1]++;
		} else if (!t->bad++) {
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "a read %s neither process's table",
				 st ? "parsed into" : "did not parse:");
		}
		free(st);
	}
	return NULL;
}

/* Write @pid to @fd, read it from the start: 1 if it is @ref's table. */
static int select_reads(int fd, pid_t pid, const char *ref)
{
	char buf[32], *text = NULL, *st;
	int ret;

	snprintf(buf, sizeof(buf), "%d\n", pid);
	if (write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		ktap_diag("select pid %d: %s", pid, strerror(errno));
		return 0;
	}
	ret = cowlab_read_fd(fd, &text, NULL);
	if (ret) {
		ktap_diag("read after selecting pid %d: %s", pid, strerror(-ret));
		return 0;
	}
	st = vmas_stable(text);		/* takes @text */
	ret = st && !strcmp(st, ref);
	if (!ret)
		ktap_diag("after selecting pid %d, the fd read another table", pid);
	free(st);
	return ret;
}

/*
 * Reports of the kernel since @fd was opened at the end of /dev/kmsg:
 * lines that name a bug.  Returns how many (the first few printed).
 */
static int kmsg_reports(int fd)
{
	static const char *const marks[] = {
		"BUG", "WARNING", "refcount_t", "KASAN", "Oops",
		"general protection", "UBSAN", "use-after-free", "corruption",
	};
	char rec[8192];
	int found = 0;
	unsigned int i;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(marks); i++) {
			if (strstr(rec, marks[i])) {
				if (found++ < 8)
					ktap_diag("dmesg: %s", rec +
						  strcspn(rec, ";") + 1);
				break;
			}
		}
	}
	return found;
}

/* Writes per writer: COWLAB_T_RACE_ITERS, or a few thousand. */
#define RACE_ITERS	4000

/*
 * Two threads write pids to one vmas descriptor while a third reads it
 * from the start again and again: every write returns its length (or
 * ESRCH for an exited pid), every read is one process's whole table, and
 * the kernel reports nothing (the debug kernels' KASAN sees a pid put
 * twice or taken after it was freed).
 */
static void test_pid_write_race(void)
{
	const char *env = getenv("COWLAB_T_RACE_ITERS");
	struct race r = { .fd = -1, .iters = env ? atoi(env) : RACE_ITERS };
	struct race_thread th[3];
	pthread_t tid[3];
	unsigned long extra[2] = { 0, 3 }, a[2];
	char *text, *ref[2] = { NULL, NULL };
	int go[2] = { -1, -1 }, kfd, i, reports = -1;
	long bad = 0;
	bool ok = true;
	int selected = 0;

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	else
		ktap_diag("/dev/kmsg: %s: no check of the kernel log", strerror(errno));
	for (i = 0; i < 2; i++) {
		r.pid[i] = spawn_idle(setup_extra, &extra[i], a, &go[i]);
		ok = ok && r.pid[i] > 0;
		if (ok && !read_selected("vmas", r.pid[i], &text))
			ref[i] = vmas_stable(text);
		ok = ok && ref[i];
	}
	r.ref[0] = ref[0];
	r.ref[1] = ref[1];
	ok = ok && strcmp(ref[0], ref[1]);
	r.dead = fork();
	if (r.dead == 0)
		_exit(0);
	waitpid(r.dead, NULL, 0);
	r.fd = ok ? open(COWLAB_DEBUGFS "/vmas", O_RDWR) : -1;
	ok = r.fd >= 0;
	memset(th, 0, sizeof(th));
	/* The reader first: the writers wait for its first pass. */
	for (i = 3; ok && i-- > 0; ) {
		th[i].r = &r;
		th[i].idx = i;
		if (pthread_create(&tid[i], NULL, i < 2 ? race_writer :
				   race_reader, &th[i])) {
			ktap_diag("pthread_create failed");
			exit(2);
		}
	}
	if (ok) {
		pthread_join(tid[0], NULL);
		pthread_join(tid[1], NULL);
		__atomic_store_n(&r.writers_done, 1, __ATOMIC_RELEASE);
		pthread_join(tid[2], NULL);
		for (i = 0; i < 3; i++) {
			bad += th[i].bad;
			if (th[i].bad)
				ktap_diag("%s: %ld of %ld bad, first: %s",
					  i < 2 ? "writer" : "reader",
					  th[i].bad, th[i].ops,
					  th[i].first_bad);
		}
		ktap_diag("%ld + %ld writes, %ld reads (%ld of %d, %ld of %d)",
			  th[0].ops, th[1].ops, th[2].ops, th[2].hits[0],
			  r.pid[0], th[2].hits[1], r.pid[1]);
		/*
		 * Which pid the reader happened to see during the race is
		 * up to the scheduler; after it, the descriptor must read
		 * exactly the process last written to it, each in turn.
		 */
		for (i = 0; i < 2; i++)
			selected += select_reads(r.fd, r.pid[i], ref[i]);
		close(r.fd);
	}
	/* The pids' last references go with the processes. */
	for (i = 0; i < 2; i++)
		if (r.pid[i] > 0)
			stop_idle(r.pid[i], go[i]);
	if (kfd >= 0) {
		reports = kmsg_reports(kfd);
		close(kfd);
	}
	ktap_result(ok && !bad && reports == 0 && selected == 2,
		    "vmas_two_pid_writers_and_a_reader_on_one_fd (%d writes each)",
		    r.iters);
	free(ref[0]);
	free(ref[1]);
}

int main(int argc, char **argv)
{
	static const char *const thp_tests[] = {
		"oracle_kpagecount_per_page_of_a_thp",
		"vmas_child_writes_k (thp=on)",
		"vmas_parent_writes_j_others (thp=on)",
		"vmas_child_exit_all_exclusive (thp=on)",
		"vmas_huge_zero_page_read (thp=on)",
		"vmas_huge_zero_page_write (thp=on)",
	};
	unsigned int i;
	bool probed;

	signal(SIGPIPE, SIG_IGN);
	if (access(COWLAB_DEBUGFS "/vmas", W_OK)) {
		fprintf(stderr, "vmatest: %s/vmas: %s (is cowlab loaded?)\n",
			COWLAB_DEBUGFS, strerror(errno));
		return 2;
	}
	if (argc == 2 && !strcmp(argv[1], "--big")) {
		ktap_plan(3);
		test_big();
		return ktap_finish();
	}
	if (argc == 2 && !strcmp(argv[1], "--rel")) {
		find_zero_pfn();
		if (strcmp(thp_mode(), "never"))
			find_huge_zero_pfn();
		khugepaged_pause();
		ktap_plan(6);
		test_kill_frees_memory();
		test_reservation();
		test_pid_write_race();
		return ktap_finish();
	}
	if (access("/proc/kpagecount", R_OK)) {
		fprintf(stderr, "vmatest: /proc/kpagecount: %s\n",
			strerror(errno));
		return 2;
	}
	find_zero_pfn();
	ktap_plan(13);
	khugepaged_pause();
	test_fork_vmas(false);
	test_zero_vmas();
	if (!strcmp(thp_mode(), "never")) {
		for (i = 0; i < ARRAY_SIZE(thp_tests); i++)
			ktap_skip_test("THP disabled in sysfs", "%s",
				       thp_tests[i]);
	} else {
		probed = probe_pagemap_thp();
		ktap_result(probed, "%s (pagemap's exclusive bit: per %s)",
			    thp_tests[0],
			    pagemap_thp_per_page ? "page" : "PMD");
		test_fork_vmas(true);
		find_huge_zero_pfn();
		if (huge_zero_pfn) {
			test_thp_zero();
		} else {
			ktap_skip_test("a read maps no huge zero page here (use_zero_page 0?)",
				       "%s", thp_tests[4]);
			ktap_skip_test("a read maps no huge zero page here (use_zero_page 0?)",
				       "%s", thp_tests[5]);
		}
	}
	test_errors();
	return ktap_finish();
}
