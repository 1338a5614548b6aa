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
 *   vmatest --big      10,000 VMAs holding 1 GiB, read in full
 */
#include <sys/resource.h>

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

	/* The process exits while a reader is in the middle of it. */
	{
		char path[] = COWLAB_DEBUGFS "/vmas", buf[4096], id[32];
		int fd = open(path, O_RDWR), status;
		ssize_t n, total = 0;
		bool ok = fd >= 0;

		snprintf(id, sizeof(id), "%d", pid);
		ok = ok && write(fd, id, strlen(id)) > 0;
		lseek(fd, 0, SEEK_SET);
		ok = ok && read(fd, buf, sizeof(buf)) > 0;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		ok = ok && n == 0;
		if (fd >= 0)
			close(fd);
		ktap_result(ok, "vmas_pid_exits_during_read_clean_end (%zd more bytes)",
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
