// SPDX-License-Identifier: GPL-2.0
/*
 * pathtest: the COW paths that are not an anonymous page copied in
 * do_wp_page() (issue 16), each against the kernel's own witnesses.
 *
 * Per directory given (one filesystem each: tmpfs, ramfs, ...):
 *   - a private file mapping written before it was read: do_cow_fault()
 *     copies the page cache page into a new anon page: file_copy, one
 *     per 4 KiB page, and no wp_page_copy() (wpcopy_count stays);
 *   - read first, then written: do_wp_page() copies it: cow_copy;
 *   - a shared mapping, written first, and written after write-notify
 *     write-protected it (soft-dirty tracking: clear_refs 4): no COW.
 * Then KSM (if the kernel has it):
 *   - M merged pages written: cow_ksm each, not cow_copy;
 *   - M merged pages unmerged (MADV_UNMERGEABLE, break_ksm()): its write
 *     faults (before 6.2) are cow_ksm, its unshare faults (6.2+) unshare.
 *
 * The witnesses, none of them cowlab's: smaps Anonymous of the VMA;
 * /proc/PID/pagemap, /proc/kpageflags and /proc/kpagecount (present, PFN,
 * KPF_ANON, how many map it: KSM pages are the region's pages that share
 * one; the soft-dirty bit the kernel sets on a write fault); the
 * file's and the mapping's contents; /proc/vmstat cow_ksm (the kernel's
 * count of KSM pages copied in do_wp_page()); and delay accounting's
 * wpcopy_count (5.19+), every wp_page_copy() call of a task.
 *
 * Usage: pathtest [-k PAGES] [-m PAGES] [-w SECONDS] [-n] [DIR...]
 *   -k  pages written per file case (16)     -m  KSM pages (32)
 *   -w  how long to wait for KSM to merge (60 s)   -n  no KSM cases
 * cowlab must be loaded.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "ktap.h"
#include "taskstats.h"
#include "testlib.h"

#define CASES_PER_DIR	3
#define KSM_CASES	2

#define KPF_ANON	12
#define PM_SOFT_DIRTY	(1ULL << 55)

#define KSM_DIR		"/sys/kernel/mm/ksm"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned long kpages = 16;
static unsigned long mpages = 32;
static long ksm_wait_s = 60;
static bool have_wpcopy;

/* Counts of a worker, its wpcopy_count, its region's smaps Anonymous. */
struct snap {
	struct counts c;
	unsigned long long wp;
	long anon_kb;
	bool ok;
};

static void take(pid_t pid, unsigned long addr, struct snap *s)
{
	int ret;

	s->ok = snap_ok(pid, &s->c);
	s->anon_kb = smaps_field(pid, addr, "Anonymous");
	if (s->anon_kb < 0) {
		ktap_diag("pid %d: no smaps Anonymous for %#lx", pid, addr);
		s->ok = false;
	}
	if (!have_wpcopy)
		return;
	ret = taskstats_wpcopy(pid, &s->wp);
	if (ret) {
		ktap_diag("pid %d: taskstats: %s", pid, strerror(-ret));
		s->ok = false;
	}
}

/* Did smaps Anonymous of the region grow by @pages pages? */
static bool anon_grew(const struct snap *b, const struct snap *a,
		      unsigned long pages)
{
	if (!b->ok || !a->ok)
		return false;
	if (a->anon_kb - b->anon_kb == (long)(pages * 4))
		return true;
	ktap_diag("smaps Anonymous %ld -> %ld kB, want +%lu", b->anon_kb,
		  a->anon_kb, pages * 4);
	return false;
}

/*
 * Did every class of @pid grow from @b to @a by @want (a class that is
 * not counted here must be expected to stay), and its wpcopy_count by
 * @want_wp?  Every difference is printed.
 */
static bool grew_by(pid_t pid, const struct snap *b, const struct snap *a,
		    const long long *want, long long want_wp)
{
	bool ok = b->ok && a->ok;
	int i;

	for (i = 0; b->ok && a->ok && i < NR_EV; i++) {
		long long d;

		if (b->c.absent[i] || a->c.absent[i]) {
			if (want[i]) {
				ktap_diag("pid %d: %s should grow by %lld, but is not counted here (%s)",
					  pid, ev_names[i], want[i],
					  classes[i].reason);
				ok = false;
			}
			continue;
		}
		d = a->c.ev[i] - b->c.ev[i];
		if (d != want[i]) {
			ktap_diag("pid %d: %s +%lld, want +%lld", pid,
				  ev_names[i], d, want[i]);
			ok = false;
		}
	}
	if (b->ok && a->ok && have_wpcopy && a->wp - b->wp != (unsigned long long)want_wp) {
		ktap_diag("pid %d: wpcopy_count +%llu, want +%lld", pid,
			  a->wp - b->wp, want_wp);
		ok = false;
	}
	return ok;
}

/* ---- what the kernel says of each page ---- */

struct pstate {
	long long pfn;			/* -1: not present */
	unsigned long long kflags;	/* /proc/kpageflags; 0 if not present */
	long long mapcount;		/* /proc/kpagecount; 0 if not present */
	bool soft_dirty;		/* pagemap bit 55 */
};

static bool kflag(const struct pstate *p, int bit)
{
	return p->pfn >= 0 && (p->kflags >> bit & 1);
}

/*
 * The state of @n pages of @pid, pages first, first + stride, ... of the
 * region at @addr.  False (and said why) if pagemap or kpageflags could
 * not be read.
 */
static bool page_states(pid_t pid, unsigned long addr, unsigned long first,
			unsigned long stride, unsigned long n,
			struct pstate *st)
{
	int pm, kf = open("/proc/kpageflags", O_RDONLY);
	int kc = open("/proc/kpagecount", O_RDONLY);
	char path[64];
	unsigned long i;
	bool ok = kf >= 0 && kc >= 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	ok = ok && pm >= 0;
	for (i = 0; ok && i < n; i++) {
		unsigned long a = addr + (first + i * stride) * PAGE;
		uint64_t e = 0, f = 0, c = 0;

		ok = pread(pm, &e, 8, a / PAGE * 8) == 8;
		st[i].pfn = (e & PM_PRESENT) ? (long long)(e & PM_PFN_MASK) : -1;
		st[i].soft_dirty = e & PM_SOFT_DIRTY;
		if (ok && st[i].pfn >= 0)
			ok = pread(kf, &f, 8, st[i].pfn * 8) == 8 &&
			     pread(kc, &c, 8, st[i].pfn * 8) == 8;
		st[i].kflags = f;
		st[i].mapcount = (long long)c;
		/* A present page at PFN 0: PFNs are hidden from us. */
		if (ok && st[i].pfn == 0)
			ok = false;
	}
	if (!ok)
		ktap_diag("pid %d: pagemap or kpageflags unreadable", pid);
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	if (kc >= 0)
		close(kc);
	return ok;
}

/* How many of @n pages are present, with @set flags set, @clear clear. */
static unsigned long pages_with(const struct pstate *st, unsigned long n,
				unsigned long long set, unsigned long long clear)
{
	unsigned long i, hits = 0;

	for (i = 0; i < n; i++)
		hits += st[i].pfn >= 0 && (st[i].kflags & set) == set &&
			!(st[i].kflags & clear);
	return hits;
}

/*
 * How many of @n pages of one private anon region share their physical
 * page with another page of it: in one process only KSM does that (the
 * zero page aside, which these pages are not).  Not KPF_KSM: 6.9 to 6.12
 * (and later, until fixed) set it for every anon page (stable_page_flags()
 * tests mapping & PAGE_MAPPING_KSM, a mask that has the anon bit).
 */
static unsigned long pages_merged(const struct pstate *st, unsigned long n)
{
	unsigned long i, j, merged = 0;

	for (i = 0; i < n; i++) {
		if (st[i].pfn < 0 || st[i].mapcount < 2 ||
		    kflag(&st[i], KPF_ZERO_PAGE))
			continue;
		for (j = 0; j < n; j++)
			if (j != i && st[j].pfn == st[i].pfn)
				break;
		merged += j < n;
	}
	return merged;
}

/* Soft-dirty tracking: the kernel clears the bit and write-protects. */
static bool clear_soft_dirty(pid_t pid)
{
	char path[64];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = open(path, O_WRONLY);
	ok = fd >= 0 && write(fd, "4", 1) == 1;
	if (!ok)
		ktap_diag("%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- cowlab's vmas row ---- */

struct vrow {
	long long resident, exclusive, copied, cow_copy;
};

/* cowlab's vmas row of the VMA of @pid that holds @addr. */
static bool vma_at(pid_t pid, unsigned long addr, struct vrow *v)
{
	static const char *const cols[] = {
		"resident", "exclusive", "copied", "cow_copy",
	};
	char buf[32], *text;
	const char *err;
	struct cowlab_table t;
	size_t r;
	int fd, ret, i, ks, ke;
	bool found = false;

	fd = open(COWLAB_DEBUGFS "/vmas", O_RDWR);
	snprintf(buf, sizeof(buf), "%d\n", pid);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0 ||
	    lseek(fd, 0, SEEK_SET)) {
		ktap_diag("vmas of %d: %s", pid, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	ret = cowlab_read_fd(fd, &text, NULL);
	close(fd);
	if (ret || cowlab_table_parse(&t, text, 1, &err)) {
		ktap_diag("vmas of %d: unreadable", pid);
		if (!ret)
			cowlab_table_free(&t);
		return false;
	}
	ks = cowlab_table_col(&t, "start");
	ke = cowlab_table_col(&t, "end");
	for (r = 0; ks >= 0 && ke >= 0 && r < t.nrows && !found; r++) {
		unsigned long long s, e, x;

		if (cowlab_field_hex(t.rows[r][ks], &s) ||
		    cowlab_field_hex(t.rows[r][ke], &e) || addr < s || addr >= e)
			continue;
		found = true;
		for (i = 0; i < (int)ARRAY_SIZE(cols); i++) {
			int k = cowlab_table_col(&t, cols[i]);

			if (k < 0 || cowlab_field_u64(t.rows[r][k], &x)) {
				ktap_diag("vmas of %d: bad %s", pid, cols[i]);
				found = false;
				break;
			}
			(&v->resident)[i] = (long long)x;
		}
	}
	if (!found)
		ktap_diag("vmas of %d: no row for %#lx", pid, addr);
	cowlab_table_free(&t);
	return found;
}

/* The VMA's copied and resident, and its cow_copy events, as expected? */
static bool vma_is(pid_t pid, unsigned long addr, long long resident,
		   long long copied, long long cow_copy)
{
	struct vrow v;

	if (!vma_at(pid, addr, &v))
		return false;
	if (v.resident == resident && v.copied == copied &&
	    v.cow_copy == cow_copy)
		return true;
	ktap_diag("vmas of %d at %#lx: resident %lld copied %lld cow_copy %lld, want %lld %lld %lld",
		  pid, addr, v.resident, v.copied, v.cow_copy, resident, copied,
		  cow_copy);
	return false;
}

/* ---- files ---- */

/* The byte every page @i of a test file holds (but where it is written). */
static unsigned char file_byte(unsigned long i)
{
	return 'A' + i % 26;
}

static char file_path[4096];

/* A new file of @pages pages in @dir, each page filled with file_byte(). */
static int make_file(const char *dir, const char *tag, unsigned long pages)
{
	unsigned char buf[PAGE];
	unsigned long i;
	int fd;

	snprintf(file_path, sizeof(file_path), "%s/pathtest.%d.%s", dir,
		 getpid(), tag);
	fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; fd >= 0 && i < pages; i++) {
		memset(buf, file_byte(i), sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != sizeof(buf)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "pathtest: %s: %s\n", file_path,
			strerror(errno));
		exit(2);
	}
	return fd;
}

/*
 * Pages first, first + stride, ... (@n) after @value was stored at their
 * first byte: the mapping of @pid at @addr holds @value then the file's
 * bytes; the file holds @value too if @shared, else only its own bytes.
 */
static bool contents_ok(pid_t pid, unsigned long addr, int fd,
			unsigned long first, unsigned long stride,
			unsigned long n, unsigned char value, bool shared)
{
	unsigned char mem[PAGE], file[PAGE];
	char path[64];
	unsigned long i, j, p;
	int mfd;
	bool ok = true;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mfd = open(path, O_RDONLY);
	for (i = 0; ok && i < n; i++) {
		p = first + i * stride;
		if (mfd < 0 ||
		    pread(mfd, mem, PAGE, addr + p * PAGE) != (ssize_t)PAGE ||
		    pread(fd, file, PAGE, p * PAGE) != (ssize_t)PAGE) {
			ktap_diag("page %lu: unreadable", p);
			ok = false;
			break;
		}
		for (j = 1; j < PAGE && mem[j] == file_byte(p) &&
		     file[j] == file_byte(p); j++)
			;
		if (mem[0] != value || j < PAGE ||
		    file[0] != (shared ? value : file_byte(p))) {
			ktap_diag("page %lu: mapping %#x.. file %#x.. (byte %lu), want %#x then %#x, file %#x",
				  p, mem[0], file[0], j, value, file_byte(p),
				  shared ? value : file_byte(p));
			ok = false;
		}
	}
	if (mfd >= 0)
		close(mfd);
	return ok;
}

/* The filesystem @dir is on, by name, for the case names. */
static const char *fs_name(const char *dir)
{
	static char other[32];
	struct statfs sf;

	if (statfs(dir, &sf))
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case 0x01021994:
		return "tmpfs";
	case 0x858458f6:
		return "ramfs";
	case 0xef53:
		return "ext2/3/4";
	case 0x58465342:
		return "xfs";
	case 0x9123683e:
		return "btrfs";
	}
	snprintf(other, sizeof(other), "fs %#lx", (unsigned long)sf.f_type);
	return other;
}

/* A worker, to be stopped with stop_worker(). */
static void start_worker(struct worker *w)
{
	struct worker child;

	if (worker_start(w, &child))
		exit(2);
	worker_forked(&child);
}

/* A worker with a file mapping of @pages pages of @fd at *@addr. */
static bool start_mapped(struct worker *w, int fd, unsigned long pages,
			 int flags, unsigned long *addr)
{
	long ret;

	start_worker(w);
	ret = worker_cmd(w, CMD(.op = OP_MAPFILE, .pages = pages, .fd = fd,
				.flags = flags), addr);
	if (ret) {
		ktap_diag("mmap of %s: %s", file_path, strerror(-ret));
		return false;
	}
	return true;
}

static void stop_worker(struct worker *w)
{
	worker_exit(w);
	waitpid(w->pid, NULL, 0);
}

/* A file case: its file, its worker with the file mapped, page states. */
struct fcase {
	struct worker w;
	int fd;
	unsigned long addr;
	struct pstate *sb, *sa;		/* before and after, @nst pages */
};

/*
 * A file of @pages pages in @dir, mapped by a new worker (@flags:
 * W_SHARED or 0); room for @nst page states.  False if the map failed
 * (said why); end the case with fcase_end() either way.
 */
static bool fcase_start(struct fcase *fc, const char *dir, const char *tag,
			unsigned long pages, unsigned long nst, int flags)
{
	fc->fd = make_file(dir, tag, pages);
	fc->sb = calloc(nst, sizeof(*fc->sb));
	fc->sa = calloc(nst, sizeof(*fc->sa));
	if (!fc->sb || !fc->sa)
		exit(2);
	return start_mapped(&fc->w, fc->fd, pages, flags, &fc->addr);
}

static void fcase_end(struct fcase *fc)
{
	stop_worker(&fc->w);
	close(fc->fd);
	unlink(file_path);
	free(fc->sb);
	free(fc->sa);
}

/*
 * K pages of a private file mapping written before anything read them:
 * K file_copy, nothing else; no wp_page_copy(); Anonymous grows by K
 * pages; each page goes from not present to an anon page holding the
 * file's data (and the file keeps its own); vmas: K resident, K copied.
 */
static void test_private_write_first(const char *dir, const char *fs)
{
	const unsigned long n = 3 * kpages, stride = 3;
	long long want[NR_EV] = { 0 };
	struct fcase fc;
	struct snap b, a;
	pid_t pid;
	bool ok;

	ok = fcase_start(&fc, dir, "wf", n, kpages, 0);
	pid = fc.w.pid;
	if (!ok)
		goto stop;
	worker_warm(&fc.w);
	ktap_diag("%s: pid %d writes %lu pages (every %luth) of a private mapping of %s at %#lx, none read before",
		  fs, pid, kpages, stride, file_path, fc.addr);
	ok = page_states(pid, fc.addr, 0, stride, kpages, fc.sb);
	if (ok && pages_with(fc.sb, kpages, 0, 0)) {
		ktap_diag("before: %lu of the pages present",
			  pages_with(fc.sb, kpages, 0, 0));
		ok = false;
	}
	take(pid, fc.addr, &b);
	worker_cmd(&fc.w, CMD(.op = OP_WRITE, .count = kpages,
			      .stride = stride, .value = 0xa5), NULL);
	take(pid, fc.addr, &a);
	ok = page_states(pid, fc.addr, 0, stride, kpages, fc.sa) && ok;
	if (ok && pages_with(fc.sa, kpages, 1ULL << KPF_ANON, 0) != kpages) {
		ktap_diag("after: %lu of %lu pages anon (kpageflags)",
			  pages_with(fc.sa, kpages, 1ULL << KPF_ANON, 0),
			  kpages);
		ok = false;
	}
	want[EV_FILE_COPY] = kpages;
	/* do_cow_fault() copies without wp_page_copy(): wpcopy_count +0. */
	ok = grew_by(pid, &b, &a, want, 0) && ok;
	ok = anon_grew(&b, &a, kpages) && ok;
	ok = vma_is(pid, fc.addr, kpages, kpages, 0) && ok;
	ok = contents_ok(pid, fc.addr, fc.fd, 0, stride, kpages, 0xa5,
			 false) && ok;
stop:
	fcase_end(&fc);
	ktap_result(ok, "private_file_write_first_is_file_copy (%s)", fs);
}

/*
 * K other pages of a private file mapping read, then written: the read
 * maps the page cache page, the write copies it in do_wp_page(): K
 * cow_copy, no file_copy; wpcopy_count +K (a page written first before,
 * outside the count, gave the VMA its anon_vma: else a write under the
 * per-VMA lock retries, and wpcopy_count counts it twice); Anonymous +K
 * pages; each page goes from a page cache page to a new anon one.
 */
static void test_private_read_write(const char *dir, const char *fs)
{
	const unsigned long n = 3 * (kpages + 1), stride = 3, first = 3;
	long long want[NR_EV] = { 0 };
	unsigned long i, moved = 0;
	struct fcase fc;
	struct snap b, a;
	struct vrow v;
	pid_t pid;
	bool ok;

	ok = fcase_start(&fc, dir, "rw", n, kpages, 0);
	pid = fc.w.pid;
	if (!ok)
		goto stop;
	worker_cmd(&fc.w, CMD(.op = OP_WRITE, .count = 1, .value = 0x11),
		   NULL);
	worker_cmd(&fc.w, CMD(.op = OP_READ, .first = first, .count = kpages,
			      .stride = stride), NULL);
	worker_warm(&fc.w);
	ktap_diag("%s: pid %d reads, then writes %lu pages (every %luth from %lu) of a private mapping of %s at %#lx",
		  fs, pid, kpages, stride, first, file_path, fc.addr);
	ok = page_states(pid, fc.addr, first, stride, kpages, fc.sb);
	if (ok && pages_with(fc.sb, kpages, 0, 1ULL << KPF_ANON) != kpages) {
		ktap_diag("before: %lu of %lu pages present and not anon",
			  pages_with(fc.sb, kpages, 0, 1ULL << KPF_ANON),
			  kpages);
		ok = false;
	}
	take(pid, fc.addr, &b);
	worker_cmd(&fc.w, CMD(.op = OP_WRITE, .first = first, .count = kpages,
			      .stride = stride, .value = 0xa5), NULL);
	take(pid, fc.addr, &a);
	ok = page_states(pid, fc.addr, first, stride, kpages, fc.sa) && ok;
	for (i = 0; ok && i < kpages; i++)
		moved += fc.sa[i].pfn != fc.sb[i].pfn &&
			 kflag(&fc.sa[i], KPF_ANON);
	if (ok && moved != kpages) {
		ktap_diag("after: %lu of %lu pages are new anon pages", moved,
			  kpages);
		ok = false;
	}
	want[EV_COW_COPY] = kpages;
	ok = grew_by(pid, &b, &a, want, kpages) && ok;
	ok = anon_grew(&b, &a, kpages) && ok;
	/* Not resident: the reads' fault-around mapped more pages. */
	ok = vma_at(pid, fc.addr, &v) && ok;
	if (ok && (v.copied != (long long)kpages + 1 ||
		   v.cow_copy != (long long)kpages)) {
		ktap_diag("vmas of %d: copied %lld cow_copy %lld, want %lu (with the page written first) and %lu",
			  pid, v.copied, v.cow_copy, kpages + 1, kpages);
		ok = false;
	}
	ok = contents_ok(pid, fc.addr, fc.fd, first, stride, kpages, 0xa5,
			 false) && ok;
stop:
	fcase_end(&fc);
	ktap_result(ok, "private_file_read_then_write_is_cow_copy (%s)", fs);
}

/*
 * A shared mapping: K pages written first (do_shared_fault()), then K
 * others read and written after soft-dirty tracking write-protected them
 * (write-notify: the write faults, wp_page_shared() makes the PTE
 * writable in place).  The kernel's witness that the second writes
 * faulted: the soft-dirty bit, clear after the read, set after the write.
 * No COW: no event of any class, wpcopy_count +0, no anon page; the
 * pages stay the page cache's, and the file holds what was written.
 */
static void test_shared_write(const char *dir, const char *fs)
{
	const unsigned long n = 2 * kpages;
	long long want[NR_EV] = { 0 };
	unsigned long i, faulted = 0, same = 0, cache;
	struct fcase fc;
	struct snap b, a;
	pid_t pid;
	bool ok;

	ok = fcase_start(&fc, dir, "sh", n, n, W_SHARED);
	pid = fc.w.pid;
	if (!ok)
		goto stop;
	ok = clear_soft_dirty(pid);
	/* Its own pages are write-protected too: fault them back now. */
	worker_rewarm(&fc.w);
	ktap_diag("%s: pid %d writes %lu pages of a shared mapping of %s at %#lx, then reads %lu others and writes them with write-notify on",
		  fs, pid, kpages, file_path, fc.addr, kpages);
	take(pid, fc.addr, &b);
	worker_cmd(&fc.w, CMD(.op = OP_WRITE, .count = kpages, .stride = 1,
			      .value = 0xa5), NULL);
	worker_cmd(&fc.w, CMD(.op = OP_READ, .first = kpages, .count = kpages,
			      .stride = 1), NULL);
	ok = page_states(pid, fc.addr, 0, 1, n, fc.sb) && ok;
	worker_cmd(&fc.w, CMD(.op = OP_WRITE, .first = kpages, .count = kpages,
			      .stride = 1, .value = 0x5b), NULL);
	take(pid, fc.addr, &a);
	ok = page_states(pid, fc.addr, 0, 1, n, fc.sa) && ok;
	for (i = kpages; ok && i < n; i++) {
		faulted += fc.sa[i].pfn >= 0 && !fc.sb[i].soft_dirty &&
			   fc.sa[i].soft_dirty;
		same += fc.sa[i].pfn >= 0 && fc.sa[i].pfn == fc.sb[i].pfn;
	}
	cache = pages_with(fc.sa, n, 0, 1ULL << KPF_ANON);
	if (ok && (faulted != kpages || same != kpages || cache != n)) {
		ktap_diag("write-notify: %lu of %lu writes faulted (soft-dirty set by the write), %lu kept their page; %lu of %lu pages page cache pages",
			  faulted, kpages, same, cache, n);
		ok = false;
	}
	ok = grew_by(pid, &b, &a, want, 0) && ok;
	ok = anon_grew(&b, &a, 0) && !a.anon_kb && ok;
	ok = contents_ok(pid, fc.addr, fc.fd, 0, 1, kpages, 0xa5, true) && ok;
	ok = contents_ok(pid, fc.addr, fc.fd, kpages, 1, kpages, 0x5b,
			 true) && ok;
	/* Every page present, none copied. */
	ok = vma_is(pid, fc.addr, n, 0, 0) && ok;
stop:
	fcase_end(&fc);
	ktap_result(ok, "shared_file_write_is_no_cow (%s)", fs);
}

/* ---- KSM ---- */

static const char *const ksm_knobs[] = {
	"run", "sleep_millisecs", "pages_to_scan", "smart_scan",
};

#define NR_KNOBS	ARRAY_SIZE(ksm_knobs)
static char ksm_saved[NR_KNOBS][32];

/* The number a file holds, or -1. */
static long long file_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long long ksm_value(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), KSM_DIR "/%s", name);
	return file_number(path);
}

static bool ksm_set(const char *name, const char *val)
{
	char path[128];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), KSM_DIR "/%s", name);
	fd = open(path, O_WRONLY);
	ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	if (!ok)
		ktap_diag("%s <- %s: %s", path, val, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Save the knobs and set a fast scan (smart_scan, 6.7+, would skip pages
 * that did not merge at once).
 */
static bool ksm_setup(void)
{
	unsigned int i;
	char val[32];

	for (i = 0; i < NR_KNOBS; i++) {
		long long v = ksm_value(ksm_knobs[i]);

		ksm_saved[i][0] = '\0';
		if (v >= 0)
			snprintf(ksm_saved[i], sizeof(ksm_saved[i]), "%lld", v);
	}
	snprintf(val, sizeof(val), "%lu", 4 * mpages);
	return ksm_set("sleep_millisecs", "20") &&
	       ksm_set("pages_to_scan", val) &&
	       (!ksm_saved[3][0] || ksm_set("smart_scan", "0"));
}

/* Unmerge everything (run=2), then the knobs as they were. */
static void ksm_restore(void)
{
	unsigned int i;

	ksm_set("run", "2");
	for (i = NR_KNOBS; i-- > 0;)
		if (ksm_saved[i][0])
			ksm_set(ksm_knobs[i], ksm_saved[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A worker with M identical pages, merged by KSM: MADV_MERGEABLE, ksmd
 * run until every page shares its physical page (bounded), then
 * stopped (run=0 keeps the merged pages) so that nothing but the worker
 * touches its pages meanwhile.
 */
static bool ksm_merged_worker(struct worker *w, unsigned long *addr,
			      struct pstate *st)
{
	double t0 = now_s(), t;
	unsigned long ksm = 0;
	char path[64];
	long long mp;
	long ret;

	start_worker(w);
	worker_cmd(w, CMD(.op = OP_MAP, .pages = mpages, .flags = W_NOTHP),
		   addr);
	worker_cmd(w, CMD(.op = OP_WRITE, .count = mpages, .stride = 1,
			  .value = 0x5a), NULL);
	ret = worker_cmd(w, CMD(.op = OP_MADVISE, .count = mpages,
				.advice = MADV_MERGEABLE), NULL);
	if (ret || !ksm_set("run", "1")) {
		ktap_diag("MADV_MERGEABLE: %s", strerror(-ret));
		return false;
	}
	do {
		usleep(100000);
		if (!page_states(w->pid, *addr, 0, 1, mpages, st))
			break;
		ksm = pages_merged(st, mpages);
		t = now_s() - t0;
	} while (ksm < mpages && t < ksm_wait_s);
	ksm_set("run", "0");
	snprintf(path, sizeof(path), "/proc/%d/ksm_merging_pages", w->pid);
	mp = file_number(path);
	ktap_diag("pid %d: %lu of %lu pages at %#lx merged after %.1f s (pages_shared %lld, pages_sharing %lld, full_scans %lld, ksm_merging_pages %lld)",
		  w->pid, ksm, mpages, *addr, now_s() - t0,
		  ksm_value("pages_shared"), ksm_value("pages_sharing"),
		  ksm_value("full_scans"), mp);
	if (ksm < mpages)
		return false;
	/* The kernel's count for the process (5.19+) agrees. */
	if (mp >= 0 && mp != (long long)mpages) {
		ktap_diag("ksm_merging_pages %lld, want %lu", mp, mpages);
		return false;
	}
	return true;
}

/* Present, anon, mapped once, and another page than before. */
static unsigned long ksm_copies(const struct pstate *sb,
				const struct pstate *sa, unsigned long n,
				unsigned long *soft_dirty)
{
	unsigned long i, copies = 0;

	*soft_dirty = 0;
	for (i = 0; i < n; i++) {
		bool copy = sa[i].pfn >= 0 && sa[i].pfn != sb[i].pfn &&
			    kflag(&sa[i], KPF_ANON) && sa[i].mapcount == 1;

		copies += copy;
		*soft_dirty += copy && sa[i].soft_dirty;
	}
	return copies;
}

/*
 * M merged pages written (@unmerge false): each write copies the KSM page
 * in do_wp_page() (a KSM page is never reused): M cow_ksm, no cow_copy.
 *
 * M merged pages unmerged by MADV_UNMERGEABLE (@unmerge): break_ksm()
 * faults each in the worker, and do_wp_page() copies it.  Before 6.2 the
 * faults are writes, from 6.2 unshares: the kernel's own record of which
 * is the soft-dirty bit, cleared before, which a write fault sets on the
 * new PTE and an unshare leaves as it was.  cowlab: cow_ksm for those,
 * unshare for the others.
 *
 * Both: every page a new anon page mapped once (pagemap, kpagecount);
 * /proc/vmstat cow_ksm +M (6.1+, counted in do_wp_page() for writes and
 * unshares alike; 5.10 has no such counter, and its pages_sharing is
 * only updated by a scan: the PFNs are the oracle there); wpcopy_count
 * +M; vmas: M resident, M copied.
 */
static void test_ksm(bool unmerge)
{
	const char *name = unmerge ? "ksm_unmerge_copies" :
				     "ksm_page_write_is_cow_ksm";
	struct pstate *sb = calloc(mpages, sizeof(*sb));
	struct pstate *sa = calloc(mpages, sizeof(*sa));
	long long want[NR_EV] = { 0 }, k0, k1;
	unsigned long addr, copies, sd = 0;
	struct snap b, a;
	struct worker w;
	long ret;
	bool ok;

	if (!sb || !sa)
		exit(2);
	ok = ksm_merged_worker(&w, &addr, sb);
	if (!ok)
		goto stop;
	/* Its own pages are write-protected too: warm them again. */
	if (unmerge) {
		ok = clear_soft_dirty(w.pid) &&
		     page_states(w.pid, addr, 0, 1, mpages, sb);
		worker_rewarm(&w);
	} else {
		worker_warm(&w);
	}
	if (ok && pages_merged(sb, mpages) != mpages) {
		ktap_diag("before: %lu of %lu pages merged",
			  pages_merged(sb, mpages), mpages);
		ok = false;
	}
	ktap_diag("pid %d %s its %lu KSM pages", w.pid,
		  unmerge ? "unmerges (MADV_UNMERGEABLE)" : "writes", mpages);
	take(w.pid, addr, &b);
	k0 = vmstat_value("cow_ksm");
	if (unmerge)
		ret = worker_cmd(&w, CMD(.op = OP_MADVISE, .count = mpages,
					 .advice = MADV_UNMERGEABLE), NULL);
	else
		ret = worker_cmd(&w, CMD(.op = OP_WRITE, .count = mpages,
					 .stride = 1, .value = 0x77), NULL);
	k1 = vmstat_value("cow_ksm");
	take(w.pid, addr, &a);
	if (ret) {
		ktap_diag("MADV_UNMERGEABLE: %s", strerror(-ret));
		ok = false;
	}
	ok = page_states(w.pid, addr, 0, 1, mpages, sa) && ok;
	copies = ok ? ksm_copies(sb, sa, mpages, &sd) : 0;
	ktap_diag("oracle: %lu of %lu pages copied (a new anon page, mapped once), %lu soft-dirty; /proc/vmstat cow_ksm %s%lld",
		  copies, mpages, sd, k0 < 0 ? "absent " : "+",
		  k0 < 0 ? 0 : k1 - k0);
	if (copies != mpages)
		ok = false;
	if (k0 >= 0 && k1 - k0 != (long long)mpages) {
		ktap_diag("/proc/vmstat cow_ksm +%lld, want +%lu", k1 - k0,
			  mpages);
		ok = false;
	}
	/* A write sets soft-dirty on every copy; unshares are the rest. */
	want[EV_COW_KSM] = unmerge ? sd : copies;
	want[EV_UNSHARE] = unmerge ? copies - sd : 0;
	ok = grew_by(w.pid, &b, &a, want, mpages) && ok;
	ok = vma_is(w.pid, addr, mpages, mpages, 0) && ok;
stop:
	stop_worker(&w);
	ktap_result(ok, "%s", name);
	free(sb);
	free(sa);
}

/*
 * Delay accounting, on before the first worker forks; wpcopy_count is
 * asked for only where taskstats has it (5.19+).
 */
static void wpcopy_on(void)
{
	unsigned long long v;
	int ret = taskstats_enable();

	if (!ret)
		ret = taskstats_wpcopy(getpid(), &v);
	have_wpcopy = !ret;
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		ktap_diag("no wpcopy_count in this kernel's taskstats (5.19+): cases checked without it");
	else if (ret)
		ktap_diag("delay accounting: %s", strerror(-ret));
	if (ret && ret != -EOPNOTSUPP && ret != -ENOENT)
		exit(2);
}

int main(int argc, char **argv)
{
	bool ksm = true;
	int opt, i, ndirs;

	while ((opt = getopt(argc, argv, "k:m:w:n")) != -1) {
		switch (opt) {
		case 'k':
			kpages = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			mpages = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			ksm_wait_s = strtol(optarg, NULL, 0);
			break;
		case 'n':
			ksm = false;
			break;
		default:
			fprintf(stderr, "usage: pathtest [-k PAGES] [-m PAGES] [-w SECONDS] [-n] [DIR...]\n");
			return 2;
		}
	}
	ndirs = argc - optind;
	if (!kpages || kpages > 4096 || mpages < 2 || mpages > 4096 ||
	    ksm_wait_s <= 0 || (!ndirs && !ksm)) {
		fprintf(stderr, "pathtest: need 0 < PAGES <= 4096, 2 <= KSM PAGES <= 4096, SECONDS > 0, and a DIR or KSM\n");
		return 2;
	}
	if (access(COWLAB_DEBUGFS "/procs", R_OK)) {
		fprintf(stderr, "pathtest: %s/procs: %s (is cowlab loaded?)\n",
			COWLAB_DEBUGFS, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ktap_plan(CASES_PER_DIR * ndirs + (ksm ? KSM_CASES : 0));
	wpcopy_on();
	if (load_classes()) {
		fprintf(stderr, "pathtest: classes unreadable\n");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		const char *fs = fs_name(argv[i]);

		test_private_write_first(argv[i], fs);
		test_private_read_write(argv[i], fs);
		test_shared_write(argv[i], fs);
	}
	if (ksm && access(KSM_DIR "/run", W_OK)) {
		ktap_skip_test("no " KSM_DIR "/run: this kernel has no KSM",
			       "ksm_page_write_is_cow_ksm");
		ktap_skip_test("no " KSM_DIR "/run: this kernel has no KSM",
			       "ksm_unmerge_copies");
	} else if (ksm && !ksm_setup()) {
		ktap_result(0, "ksm_page_write_is_cow_ksm (KSM not set up)");
		ktap_result(0, "ksm_unmerge_copies (KSM not set up)");
		ksm_restore();
	} else if (ksm) {
		test_ksm(false);
		test_ksm(true);
		ksm_restore();
	}
	return ktap_finish();
}
