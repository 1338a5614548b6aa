// SPDX-License-Identifier: GPL-2.0
/*
 * mthptest: COW of multi-size THPs (mTHP, issue 16): anonymous memory in
 * large folios smaller than a PMD, enabled per size under
 * /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/enabled (6.8+;
 * 5.10 and 6.1 have no such files: every case is skipped there).
 *
 * Per variant (a folio size, the PMD size's THP mode): one size enabled
 * ("always"), the others "never", and PMD-sized THP as the variant says;
 * a parent worker maps P pages (less than 2 MiB: no PMD THP fits, THP on
 * or off) and stores into each.  Then:
 *
 *   1. the region is in large folios of that size: the size's
 *      stats/anon_fault_alloc grew by P / folio pages (where the stats
 *      exist), /proc/kpageflags shows one KPF_COMPOUND_HEAD per folio at
 *      an aligned PFN and KPF_COMPOUND_TAIL on the contiguous rest, and
 *      smaps has no AnonHugePages;
 *   2. fork; the child writes K pages: each copies (a folio both map is
 *      never reused), and for both processes cow_copy's growth equals
 *      delay accounting's wpcopy_count growth, wp_reuse's equals the
 *      faults that did not copy (minflt in /proc/PID/stat: every fault
 *      counted there is a write fault here), the other classes stay;
 *   3. vmas: the child's region has K copied pages, P - K shared; the
 *      parent's P - K shared and K exclusive, none copied; shared equals
 *      what /proc/kpagecount says (pages mapped twice);
 *   4. the child exits and the parent writes the same K pages: the kernel
 *      may copy (6.12 never reuses a large folio) or reuse (6.15+, when
 *      only this process maps it): whatever it did, cow_copy = wpcopy_count
 *      growth and wp_reuse = faults - copies, and the answer is printed;
 *   5. vmas: the parent's region has as many copied pages as it copied,
 *      none shared.
 *
 * Usage: mthptest [-p PAGES] [-k WRITES]   (root, cowlab loaded)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>

#include "ktap.h"
#include "taskstats.h"
#include "testlib.h"
#include "vmarow.h"

#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define PMD_KB		(HPAGE / 1024)
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16

struct variant {
	unsigned long kb;	/* the folio size enabled */
	const char *pmd;	/* PMD-sized THP: "never" or "always" */
};

static const struct variant variants[] = {
	{ 64, "never" },
	{ 64, "always" },
	{ 16, "never" },
};

#define TESTS_PER_VARIANT	5
#define NR_VARIANTS	(sizeof(variants) / sizeof(variants[0]))

static unsigned long npages = 256;	/* 1 MiB: no PMD THP fits */
static unsigned long kwrites = 32;

/* The THP sysfs modes as found, to put back. */
#define MAX_SIZES	16
static struct size_mode {
	unsigned long kb;
	char mode[16];
} saved[MAX_SIZES];
static unsigned int nsaved;
static char saved_top[16];

/* The selected mode ("[always] madvise never") of sysfs file @path. */
static int mode_read(const char *path, char *mode, size_t len)
{
	char buf[128], *s, *e;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	s = fgets(buf, sizeof(buf), f) ? strchr(buf, '[') : NULL;
	fclose(f);
	e = s ? strchr(s, ']') : NULL;
	if (!e || (size_t)(e - s) >= len)
		return -EPROTO;
	snprintf(mode, len, "%.*s", (int)(e - s - 1), s + 1);
	return 0;
}

static bool mode_write(const char *path, const char *mode)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(mode, f) >= 0;

	if (f && fclose(f))
		ok = false;
	if (!ok)
		ktap_diag("%s: cannot write \"%s\": %s", path, mode,
			  strerror(errno));
	return ok;
}

static void size_path(char *path, size_t len, unsigned long kb,
		      const char *file)
{
	snprintf(path, len, THP_DIR "/hugepages-%lukB/%s", kb, file);
}

/* Remember every size's mode and the top-level one; false: none found. */
static bool save_modes(void)
{
	char path[160];
	struct dirent *d;
	DIR *dir = opendir(THP_DIR);
	unsigned long kb;

	if (!dir)
		return false;
	while ((d = readdir(dir)) && nsaved < MAX_SIZES) {
		if (sscanf(d->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		size_path(path, sizeof(path), kb, "enabled");
		if (mode_read(path, saved[nsaved].mode,
			      sizeof(saved[nsaved].mode)))
			continue;
		saved[nsaved++].kb = kb;
	}
	closedir(dir);
	return nsaved && !mode_read(THP_DIR "/enabled", saved_top,
				    sizeof(saved_top));
}

static void restore_modes(void)
{
	char path[160];
	unsigned int i;

	for (i = 0; i < nsaved; i++) {
		size_path(path, sizeof(path), saved[i].kb, "enabled");
		mode_write(path, saved[i].mode);
	}
	if (*saved_top)
		mode_write(THP_DIR "/enabled", saved_top);
}

/*
 * Only @v's size always, the PMD size as the top-level mode says
 * ("inherit"), every other size never.
 */
static bool configure(const struct variant *v)
{
	char path[160];
	unsigned int i;
	bool ok = mode_write(THP_DIR "/enabled", v->pmd);

	for (i = 0; i < nsaved; i++) {
		size_path(path, sizeof(path), saved[i].kb, "enabled");
		ok = mode_write(path, saved[i].kb == v->kb ? "always" :
				saved[i].kb == PMD_KB ? "inherit" : "never") &&
		     ok;
	}
	return ok;
}

/* Counter @name of size @kb's stats, or -1 (no stats before 6.9). */
static long long size_stat(unsigned long kb, const char *name)
{
	char path[160], rel[64], buf[32], *end;
	long long v;
	ssize_t n;
	int fd;

	snprintf(rel, sizeof(rel), "stats/%s", name);
	size_path(path, sizeof(path), kb, rel);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtoll(buf, &end, 10);
	return end > buf ? v : -1;
}

/* minflt of @pid (the 10th field of /proc/PID/stat), or -1. */
static long long minflt(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu", &v) != 1)
		return -1;
	return (long long)v;
}

/* A worker's counts, wpcopy_count and minflt at one moment. */
struct snap {
	struct counts c;
	unsigned long long wp;
	long long flt;
};

static bool take(pid_t pid, struct snap *s)
{
	int ret;

	if (!snap_ok(pid, &s->c))
		return false;
	ret = taskstats_wpcopy(pid, &s->wp);
	if (ret) {
		ktap_diag("pid %d: taskstats: %s", pid, strerror(-ret));
		return false;
	}
	s->flt = minflt(pid);
	if (s->flt < 0) {
		ktap_diag("pid %d: no minflt in /proc/%d/stat", pid, pid);
		return false;
	}
	return true;
}

static long long delta(const struct snap *b, const struct snap *a, int ev)
{
	return a->c.ev[ev] - b->c.ev[ev];
}

/*
 * Between @b and @a, @who (@pid) took faults that each copied or reused a
 * page: cowlab's cow_copy must equal wpcopy_count's growth, its wp_reuse
 * the faults that did not copy, and no other class may move.  With
 * @copies >= 0, exactly that many copies.  *@copied: the copies.
 */
static bool check_oracle(const char *who, pid_t pid, const struct snap *b,
			 const struct snap *a, long long copies,
			 long long *copied)
{
	long long wp = (long long)(a->wp - b->wp), flt = a->flt - b->flt;
	long long cc = delta(b, a, EV_COW_COPY), re = delta(b, a, EV_WP_REUSE);
	bool ok = cc == wp && re == flt - wp;
	int i;

	ktap_diag("%s pid %d: %lld faults, wpcopy_count +%lld; cowlab cow_copy +%lld, wp_reuse +%lld",
		  who, pid, flt, wp, cc, re);
	if (copies >= 0 && wp != copies) {
		ktap_diag("%s pid %d: %lld copies, want %lld", who, pid, wp,
			  copies);
		ok = false;
	}
	for (i = 0; i < NR_EV; i++) {
		if (i == EV_COW_COPY || i == EV_WP_REUSE ||
		    a->c.absent[i] || !delta(b, a, i))
			continue;
		ktap_diag("%s pid %d: %s +%lld, want +0", who, pid,
			  ev_names[i], delta(b, a, i));
		ok = false;
	}
	if (copied)
		*copied = wp;
	return ok;
}

/*
 * Are the @n pages of @pid at @addr in folios of @fp pages each, as
 * kpageflags tells (a head at an aligned PFN, then contiguous tails)?
 */
static bool in_folios(pid_t pid, unsigned long addr, unsigned long n,
		      unsigned long fp)
{
	long long *pfn = calloc(n, sizeof(*pfn)), *fl = calloc(n, sizeof(*fl));
	const long long head = 1LL << KPF_COMPOUND_HEAD;
	const long long tail = 1LL << KPF_COMPOUND_TAIL;
	unsigned long i, heads = 0, bad = n;
	bool ok = pfn && fl && !pagemap_pfns(pid, addr, n, pfn) &&
		  !kpage_values("kpageflags", pfn, n, fl);

	for (i = 0; ok && i < n; i++) {
		unsigned long j = i % fp;
		bool good = pfn[i] >= 0 && (j ?
			(fl[i] & (head | tail)) == tail &&
			pfn[i] == pfn[i - j] + (long long)j :
			(fl[i] & (head | tail)) == head && pfn[i] % fp == 0);

		heads += !j && good;
		if (!good && bad == n)
			bad = i;
	}
	if (!pfn || !fl)
		ktap_diag("out of memory");
	else if (!ok)
		ktap_diag("pid %d: pagemap or kpageflags unreadable", pid);
	else if (bad < n)
		ktap_diag("pid %d: page %lu (pfn %lld, kpageflags %#llx) is not where a %lu-page folio puts it",
			  pid, bad, pfn[bad], fl[bad], fp);
	else
		ktap_diag("kpageflags: %lu folios of %lu pages, each a head at an aligned pfn and %lu contiguous tails",
			  heads, fp, fp - 1);
	ok = ok && bad == n;
	free(pfn);
	free(fl);
	return ok;
}

/*
 * @pid's vmas row for its region at @addr: resident npages, @shared
 * shared, @copied copied (the rest exclusive), and the same count of
 * shared pages as kpagecount's pages mapped twice.
 */
static bool check_vmas(const char *who, pid_t pid, unsigned long addr,
		       long long shared, long long copied)
{
	long long twice = kpagecount_is(pid, addr, npages, 2);
	struct vma_counts vc;
	bool ok;

	if (vma_counts_at(pid, addr, &vc))
		return false;
	ktap_diag("%s pid %d vmas %lx-%llx: resident %lld shared %lld exclusive %lld copied %lld (want %lu, %lld, %lld, %lld); kpagecount 2: %lld pages",
		  who, pid, addr, vc.end, vc.v[VR_RESIDENT], vc.v[VR_SHARED],
		  vc.v[VR_EXCLUSIVE], vc.v[VR_COPIED], npages, shared,
		  (long long)npages - shared, copied, twice);
	ok = vc.end == addr + npages * PAGE &&
	     vc.v[VR_RESIDENT] == (long long)npages &&
	     vc.v[VR_SHARED] == shared && vc.v[VR_ZERO] == 0 &&
	     vc.v[VR_EXCLUSIVE] == (long long)npages - shared &&
	     vc.v[VR_COPIED] == copied && twice == shared;
	return ok;
}

static void not_ok_rest(int from, const char *name, const char *why)
{
	int i;

	for (i = from; i <= TESTS_PER_VARIANT; i++)
		ktap_result(0, "%s: step %d (%s)", name, i, why);
}

static void test_variant(const struct variant *v)
{
	unsigned long fp = v->kb * 1024 / PAGE, stride = npages / kwrites;
	struct snap pb, pa, cb, ca;
	long long a0, a1, copies = 0;
	char name[64];
	struct worker p, c;
	unsigned long addr;
	bool ok;

	snprintf(name, sizeof(name), "mthp %lukB (thp=%s)", v->kb,
		 strcmp(v->pmd, "never") ? "on" : "off");
	if (!configure(v)) {
		not_ok_rest(1, name, "THP sysfs not writable");
		return;
	}
	if (worker_start(&p, &c))
		exit(2);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages), &addr);
	a0 = size_stat(v->kb, "anon_fault_alloc");
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = npages, .stride = 1,
			   .value = 1), NULL);
	a1 = size_stat(v->kb, "anon_fault_alloc");
	ktap_diag("%s: pid %d stored into %lu pages at %#lx: anon_fault_alloc %+lld%s",
		  name, p.pid, npages, addr, a1 - a0,
		  a0 < 0 ? " (no stats: kpageflags alone)" : "");
	ok = in_folios(p.pid, addr, npages, fp) &&
	     (a0 < 0 || a1 - a0 == (long long)(npages / fp)) &&
	     smaps_field(p.pid, addr, "AnonHugePages") == 0;
	ktap_result(ok, "%s: %lu pages in %lu folios of %lu pages (stats, kpageflags, no AnonHugePages)",
		    name, npages, npages / fp, fp);
	if (!ok) {
		not_ok_rest(2, name, "the region is not in such folios");
		goto out;
	}

	c.pid = worker_cmd(&p, CMD(.op = OP_FORK), NULL);
	worker_forked(&c);
	worker_warm(&p);
	worker_warm(&c);
	ok = take(p.pid, &pb) && take(c.pid, &cb);
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 2), NULL);
	ok = ok && take(p.pid, &pa) && take(c.pid, &ca);
	ok = ok && check_oracle("child", c.pid, &cb, &ca, kwrites, NULL) &&
	     check_oracle("parent", p.pid, &pb, &pa, 0, NULL) &&
	     pa.flt == pb.flt;
	ktap_result(ok, "%s: fork, child writes %lu pages (every %luth): %lu copies; cow_copy = wpcopy_count, wp_reuse = faults - copies",
		    name, kwrites, stride, kwrites);

	ok = check_vmas("child", c.pid, addr, npages - kwrites, kwrites);
	ok = check_vmas("parent", p.pid, addr, npages - kwrites, 0) && ok;
	ktap_result(ok, "%s: vmas: child %lu copied, %lu shared; parent %lu shared, 0 copied (kpagecount agrees)",
		    name, kwrites, npages - kwrites, npages - kwrites);

	worker_exit(&c);
	ok = worker_cmd(&p, CMD(.op = OP_WAIT), NULL) == 0;
	worker_warm(&p);
	ok = take(p.pid, &pb) && ok;
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 3), NULL);
	ok = take(p.pid, &pa) && ok;
	ok = ok && check_oracle("parent", p.pid, &pb, &pa, -1, &copies);
	ktap_diag("%s: this kernel, the child gone, for %lu writes of the parent: %lld faults, %lld copied, %lld reused in place",
		  name, kwrites, pa.flt - pb.flt, copies,
		  delta(&pb, &pa, EV_WP_REUSE));
	ktap_result(ok, "%s: child exited, parent writes the %lu pages: cow_copy = wpcopy_count (%lld), wp_reuse = faults - copies",
		    name, kwrites, copies);

	ok = check_vmas("parent", p.pid, addr, 0, copies);
	ktap_result(ok, "%s: vmas: parent 0 shared, %lld copied (its copies)",
		    name, copies);
out:
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

int main(int argc, char **argv)
{
	char path[160], why[200];
	unsigned long long wp;
	unsigned int i;
	int opt, ret;

	while ((opt = getopt(argc, argv, "p:k:")) != -1) {
		if (opt == 'p')
			npages = strtoul(optarg, NULL, 0);
		else if (opt == 'k')
			kwrites = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!npages || npages * PAGE >= HPAGE || !kwrites || kwrites > npages) {
		fprintf(stderr, "mthptest: want 0 < WRITES <= PAGES < 512\n");
		return 2;
	}
	ktap_plan(NR_VARIANTS * TESTS_PER_VARIANT);
	if (!save_modes()) {
		snprintf(why, sizeof(why),
			 "no mTHP sysfs (%s/hugepages-<size>kB/enabled, 6.8+)",
			 THP_DIR);
		for (i = 0; i < NR_VARIANTS * TESTS_PER_VARIANT; i++)
			ktap_skip_test(why, "mthp %lukB step %d",
				       variants[i / TESTS_PER_VARIANT].kb,
				       i % TESTS_PER_VARIANT + 1);
		return ktap_finish();
	}
	/* Accounting first: only tasks forked afterwards have it. */
	ret = taskstats_enable();
	if (!ret)
		ret = taskstats_wpcopy(getpid(), &wp);
	if (ret || load_classes()) {
		ktap_diag("delay accounting or cowlab's classes: %s",
			  strerror(-ret));
		exit(2);
	}
	for (i = 0; i < NR_VARIANTS; i++) {
		size_path(path, sizeof(path), variants[i].kb, "enabled");
		if (access(path, W_OK)) {
			snprintf(why, sizeof(why), "%s: %s", path,
				 strerror(errno));
			for (ret = 1; ret <= TESTS_PER_VARIANT; ret++)
				ktap_skip_test(why, "mthp %lukB step %d",
					       variants[i].kb, ret);
			continue;
		}
		test_variant(&variants[i]);
	}
	restore_modes();
	return ktap_finish();
}
