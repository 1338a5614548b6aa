// SPDX-License-Identifier: GPL-2.0
/*
 * vmatest: per-VMA shared / exclusive / zero / copied counts, exact, and
 * checked against two independent oracles read in the same pause:
 * /proc/PID/smaps (Shared_* and Private_*) and /proc/PID/pagemap (present,
 * PM_MMAP_EXCLUSIVE bit 56, the zero page's pfn).  THP off and on.
 *
 *   vmatest            the exact-count cases and error handling
 *   vmatest --big      10,000 VMAs holding 1 GiB, read in full
 */
#include <sys/resource.h>

#include "ktap.h"
#include "testlib.h"

static unsigned long npages = 1024, kwrites = 100, jwrites = 50;
static uint64_t zero_pfn;

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
	for (i = 0; i < sizeof(vma_cols) / sizeof(vma_cols[0]); i++) {
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

/* The oracles, for [addr, addr + len) of @pid. */
struct oracle {
	long long rss_kb, shared_kb, private_kb;	/* smaps */
	long long present, exclusive, zero;		/* pagemap */
};

static bool read_oracles(pid_t pid, unsigned long addr, unsigned long len,
			 struct oracle *o)
{
	char path[64];
	uint64_t *pm;
	unsigned long i, n = len / PAGE;
	int fd;

	memset(o, 0, sizeof(*o));
	o->rss_kb = smaps_field(pid, addr, "Rss");
	o->shared_kb = smaps_field(pid, addr, "Shared_Clean") +
		       smaps_field(pid, addr, "Shared_Dirty");
	o->private_kb = smaps_field(pid, addr, "Private_Clean") +
			smaps_field(pid, addr, "Private_Dirty");
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	pm = calloc(n, sizeof(*pm));
	if (!pm || pread(fd, pm, n * 8, (off_t)(addr / PAGE) * 8) != (ssize_t)(n * 8)) {
		free(pm);
		close(fd);
		return false;
	}
	close(fd);
	for (i = 0; i < n; i++) {
		if (!(pm[i] >> 63))
			continue;
		o->present++;
		if ((pm[i] & ((1ULL << 55) - 1)) == zero_pfn)
			o->zero++;
		else if (pm[i] >> 56 & 1)
			o->exclusive++;
	}
	free(pm);
	return true;
}

/* Print the first pages where pagemap and cowlab's pages file disagree. */
static void show_page_diffs(pid_t pid, unsigned long addr)
{
	unsigned long n = npages, i, shown = 0;
	char path[64], *text, *line, *save;
	uint64_t *pm = calloc(n, sizeof(*pm));
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (!pm || fd < 0 || pread(fd, pm, n * 8, (off_t)(addr / PAGE) * 8) != (ssize_t)(n * 8) ||
	    read_selected("pages", pid, &text)) {
		if (fd >= 0)
			close(fd);
		free(pm);
		return;
	}
	close(fd);
	for (line = strtok_r(text, "\n", &save); line && shown < 8;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long a;
		char map[80];

		if (sscanf(line, "%lx %79s", &a, map) != 2 || a < addr ||
		    a >= addr + n * PAGE)
			continue;
		for (i = 0; map[i] && shown < 8; i++) {
			unsigned long idx = (a - addr) / PAGE + i;
			bool pm_excl = pm[idx] >> 56 & 1;
			bool ours = map[i] == 'X' || map[i] == 'C';

			if (pm_excl == ours || map[i] == 'Z' || map[i] == '.')
				continue;
			ktap_diag("page %#lx: cowlab '%c', pagemap %016llx",
				  a + i * PAGE, map[i], (unsigned long long)pm[idx]);
			shown++;
		}
	}
	free(text);
	free(pm);
}

struct want {
	long long resident, shared, exclusive, zero, copied;
};

/* Compare cowlab's VMA with @w and with both oracles. */
static bool check_vma(const char *who, pid_t pid, unsigned long addr,
		      const struct want *w, bool pagemap_exact)
{
	struct vma_row r;
	struct oracle o;
	bool ok = true;

	if (!cowlab_vma(pid, addr, &r) ||
	    !read_oracles(pid, addr, npages * PAGE, &o))
		return false;
#define EXPECT(what, got, want) do { if ((got) != (want)) { \
	ktap_diag("%s %d: %s = %lld, expected %lld", who, pid, what, \
		  (long long)(got), (long long)(want)); ok = false; } } while (0)
	EXPECT("resident", r.resident, w->resident);
	EXPECT("shared", r.shared, w->shared);
	EXPECT("exclusive", r.exclusive, w->exclusive);
	EXPECT("zero", r.zero, w->zero);
	EXPECT("copied", r.copied, w->copied);
	EXPECT("resident = shared + exclusive + zero", r.resident,
	       r.shared + r.exclusive + r.zero);
	/* smaps leaves the zero page out of Rss. */
	EXPECT("smaps Rss kB", o.rss_kb, (r.shared + r.exclusive) * 4);
	EXPECT("smaps Shared_* kB", o.shared_kb, r.shared * 4);
	EXPECT("smaps Private_* kB", o.private_kb, r.exclusive * 4);
	EXPECT("pagemap present", o.present, r.resident);
	EXPECT("pagemap zero-page pfn", o.zero, r.zero);
	if (pagemap_exact)
		EXPECT("pagemap PM_MMAP_EXCLUSIVE", o.exclusive, r.exclusive);
#undef EXPECT
	if (!ok)
		show_page_diffs(pid, addr);
	return ok;
}

/*
 * Is pagemap's PM_MMAP_EXCLUSIVE an exact oracle for THP-backed memory?  On
 * 6.1, pagemap_pmd_range() gives all 512 pages of a PMD-mapped THP the head
 * page's bit, and after the PMD was split in both processes it was seen to
 * leave the bit clear on pages that smaps (and cowlab) count as private.
 * 6.12 computes it per page.  smaps stays an exact oracle on both.
 */
static bool pagemap_per_page(void)
{
	const char *k = getenv("COWLAB_KERNEL");

	return !k || strncmp(k, "6.1.", 4);
}

static void test_fork_vmas(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	unsigned long stride = npages / kwrites, addr;
	long long n = npages, k = kwrites, j = jwrites;
	struct worker p, c;
	struct want w;
	bool ok, exact = !thp || pagemap_per_page();

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
		  mode, exact ? "" : " (pagemap's exclusive bit is per THP here)");

	/* 1: the child writes K pages. */
	worker_cmd(&c, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 2), NULL);
	w = (struct want){ n, n - k, k, 0, k };
	ok = check_vma("child", c.pid, addr, &w, exact);
	w.copied = 0;
	ok = check_vma("parent", p.pid, addr, &w, exact) && ok;
	ktap_result(ok, "vmas_child_writes_k (%s)", mode);

	/* 2: the parent writes J other pages. */
	worker_cmd(&p, CMD(.op = OP_WRITE, .first = stride / 2, .count = jwrites,
			   .stride = stride, .value = 3), NULL);
	w = (struct want){ n, n - k - j, k + j, 0, j };
	ok = check_vma("parent", p.pid, addr, &w, exact);
	w.copied = k;
	ok = check_vma("child", c.pid, addr, &w, exact) && ok;
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
		w = (struct want){ k, 0, k, 0, 0 };
		ok = check_vma("child", c.pid, addr, &w, exact);
		w = (struct want){ n, 0, n, 0, j };
		ok = check_vma("parent", p.pid, addr, &w, exact) && ok;
		ktap_result(ok, "vmas_dontneed_then_write_not_copied (%s)",
			    mode);
	}

	/* 3: the child exits. */
	worker_exit(&c);
	worker_cmd(&p, CMD(.op = OP_WAIT), NULL);
	w = (struct want){ n, 0, n, 0, j };
	ok = check_vma("parent", p.pid, addr, &w, exact);
	ktap_result(ok, "vmas_child_exit_all_exclusive (%s)", mode);
	worker_exit(&p);
	waitpid(p.pid, NULL, 0);
}

static void test_zero_vmas(bool thp)
{
	const char *mode = thp ? "thp=on" : "thp=off";
	unsigned long stride = npages / kwrites, addr;
	long long n = npages, k = kwrites;
	struct worker p, c;
	struct want w;

	if (worker_start(&p, &c))
		exit(2);
	worker_forked(&c);
	worker_cmd(&p, CMD(.op = OP_MAP, .pages = npages,
			   .flags = thp ? W_THP : W_NOTHP), &addr);
	worker_cmd(&p, CMD(.op = OP_READ, .count = npages, .stride = 1), NULL);
	worker_cmd(&p, CMD(.op = OP_WRITE, .count = kwrites, .stride = stride,
			   .value = 1), NULL);
	w = (struct want){ n, 0, k, n - k, k };
	ktap_result(check_vma("process", p.pid, addr, &w, true),
		    "vmas_zero_page_read_n_write_k (%s)", mode);
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

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
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

static void find_zero_pfn(void)
{
	volatile char *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	(void)m[0];
	if (fd >= 0 && pread(fd, &e, 8, (off_t)((unsigned long)m / PAGE) * 8) == 8)
		zero_pfn = e & ((1ULL << 55) - 1);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
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
	find_zero_pfn();
	ktap_plan(11);
	test_fork_vmas(false);
	test_zero_vmas(false);
	if (!strcmp(thp_mode(), "never")) {
		ktap_skip_test("THP disabled in sysfs", "vmas_child_writes_k (thp=on)");
		ktap_skip_test("THP disabled in sysfs", "vmas_parent_writes_j_others (thp=on)");
		ktap_skip_test("THP disabled in sysfs", "vmas_child_exit_all_exclusive (thp=on)");
		ktap_skip_test("THP disabled in sysfs", "vmas_zero_page_read_n_write_k (thp=on)");
	} else {
		test_fork_vmas(true);
		test_zero_vmas(true);
	}
	test_errors();
	return ktap_finish();
}
