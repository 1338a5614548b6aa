// SPDX-License-Identifier: GPL-2.0
/*
 * ctltest: the control file and the table's limits.
 *
 *   ctltest            garbage is refused with EINVAL and changes nothing;
 *                      reset PID / reset; unknown pid gives ESRCH; the
 *                      probes, classes and stats files.
 *   ctltest --cap N    with cowlab loaded with max_procs=N: exited processes
 *                      are recycled, the oldest exit first, a batch at a
 *                      time; live ones beyond the cap are dropped and
 *                      counted.
 */
#include <sys/utsname.h>

#include "ktap.h"
#include "testlib.h"

#define CONTROL COWLAB_DEBUGFS "/control"
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Write @len bytes of @s to the control file; 0 or -errno. */
static int control(const char *s, size_t len)
{
	int fd = open(CONTROL, O_WRONLY), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* The procs table without the header and without our own row. */
static char *procs_others(void)
{
	char *text, *out, *line, *save, self[32];
	size_t len;

	if (cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, &len))
		return NULL;
	out = calloc(1, len + 1);
	snprintf(self, sizeof(self), "%d ", getpid());
	line = strtok_r(text, "\n", &save);	/* header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strncmp(line, self, strlen(self)))
			continue;
		strcat(out, line);
		strcat(out, "\n");
	}
	free(text);
	return out;
}

/* A worker that copied @k pages after a fork and now waits, quiet. */
static void busy_pair(struct worker *p, struct worker *c, unsigned long k)
{
	unsigned long addr;

	if (worker_start(p, c))
		exit(2);
	worker_cmd(p, CMD(.op = OP_MAP, .pages = 512, .flags = W_NOTHP), &addr);
	worker_cmd(p, CMD(.op = OP_WRITE, .count = 512, .stride = 1, .value = 1),
		   NULL);
	c->pid = worker_cmd(p, CMD(.op = OP_FORK), NULL);
	worker_forked(c);
	worker_warm(c);
	worker_cmd(c, CMD(.op = OP_WRITE, .count = k, .stride = 1, .value = 2),
		   NULL);
}

static void stop_pair(struct worker *p, struct worker *c)
{
	worker_exit(c);
	worker_cmd(p, CMD(.op = OP_WAIT), NULL);
	worker_exit(p);
	waitpid(p->pid, NULL, 0);
}

static const struct {
	const char *desc;
	const char *text;
	size_t len;		/* 0: strlen(text) */
} garbage[] = {
	{ "empty write", "", 0 },
	{ "unknown command", "bogus", 0 },
	{ "upper case", "RESET", 0 },
	{ "trailing space", "reset ", 0 },
	{ "leading space", " reset", 0 },
	{ "two newlines", "reset\n\n", 0 },
	{ "pid not a number", "reset x", 0 },
	{ "pid with junk", "reset 12x", 0 },
	{ "negative pid", "reset -5", 0 },
	{ "pid zero", "reset 0", 0 },
	{ "pid overflows int", "reset 99999999999999", 0 },
	{ "two pids", "reset 1 2", 0 },
	{ "embedded NUL", "reset\0 1", 8 },
	{ "too long", "resetresetresetresetresetresetresetresetresetresetresetresetreset", 0 },
};

static void test_garbage(void)
{
	struct worker p, c;
	char *before, *after;
	unsigned int i;
	bool ok = true;

	busy_pair(&p, &c, 20);
	before = procs_others();
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		size_t len = garbage[i].len ? garbage[i].len :
			     strlen(garbage[i].text);
		int ret = control(garbage[i].text, len);

		if (ret != -EINVAL) {
			ktap_diag("%s: got %s, want EINVAL", garbage[i].desc,
				  ret ? strerror(-ret) : "success");
			ok = false;
		}
	}
	after = procs_others();
	if (!before || !after || strcmp(before, after)) {
		ktap_diag("procs changed:\n--- before\n%s--- after\n%s",
			  before ? before : "(unreadable)",
			  after ? after : "(unreadable)");
		ok = false;
	}
	ktap_result(ok, "control_garbage_einval_changes_nothing");
	free(before);
	free(after);

	/* A pid that is not tracked. */
	before = procs_others();
	i = control("reset 4194303", strlen("reset 4194303"));
	after = procs_others();
	ktap_result((int)i == -ESRCH && before && after && !strcmp(before, after),
		    "control_reset_unknown_pid_esrch");
	free(before);
	free(after);
	stop_pair(&p, &c);
}

static void test_reset(void)
{
	struct worker p1, c1, p2, c2;
	struct counts a, b, b2;
	char cmd[64];
	bool ok;
	int i;

	busy_pair(&p1, &c1, 10);
	busy_pair(&p2, &c2, 30);
	ok = snap_ok(c1.pid, &a) && a.ev[EV_COW_COPY] >= 10 &&
	     snap_ok(c2.pid, &b) && b.ev[EV_COW_COPY] >= 30;
	snprintf(cmd, sizeof(cmd), "reset %d\n", c1.pid);
	ok = control(cmd, strlen(cmd)) == 0 && ok;
	ok = snap_ok(c1.pid, &a) && snap_ok(c2.pid, &b2) && ok;
	for (i = 0; ok && i < NR_EV; i++) {
		if (a.ev[i] || b2.ev[i] != b.ev[i]) {
			ktap_diag("%s: reset pid %lld (want 0), other %lld (want %lld)",
				  ev_names[i], a.ev[i], b2.ev[i], b.ev[i]);
			ok = false;
		}
	}
	ktap_result(ok, "control_reset_pid_zeroes_one");

	stop_pair(&p1, &c1);
	/* c1 exited: reset forgets it, and zeroes the live ones. */
	ok = snap_ok(c1.pid, &a) && !strcmp(a.state, "exited");
	ok = control("reset", 5) == 0 && ok;
	ok = read_counts(c1.pid, &a) == -ENOENT && ok;
	ok = snap_ok(c2.pid, &b) && ok;
	for (i = 0; ok && i < NR_EV; i++)
		ok = b.ev[i] == 0;
	ktap_result(ok, "control_reset_all_forgets_exited");
	stop_pair(&p2, &c2);
}

/* Read and parse cowlab's file @name into @t: false (said why) if not. */
static bool load_table(const char *name, struct cowlab_table *t)
{
	char path[128], *text;
	const char *err;
	int ret;

	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", name);
	ret = cowlab_read_file(path, &text, NULL);
	if (ret) {
		ktap_diag("%s: %s", path, strerror(-ret));
		return false;
	}
	if (cowlab_table_parse(t, text, 0, &err)) {
		ktap_diag("%s: %s", path, err);
		cowlab_table_free(t);
		return false;
	}
	return true;
}

/* Is @name a function of the running kernel (/proc/kallsyms)? */
static bool kernel_has(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
			!strcmp(sym, name);
	fclose(f);
	return found;
}

/* Is the running kernel at least @major.@minor? */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2) {
		ktap_diag("uname: cannot read the kernel version");
		return false;
	}
	return ma > major || (ma == major && mi >= minor);
}

struct want_probe {
	const char *symbol;
	const char *kind;
	bool listed;		/* must it be in probes? */
	const char *why;	/* why it is, or is not */
};

/*
 * The probes this kernel must show, from the classes file and the kernel
 * itself, not from a list per version.
 */
static unsigned int wanted_probes(struct want_probe *w)
{
	unsigned int n = 0;

	w[n++] = (struct want_probe){ "ptep_clear_flush", "kprobe", true,
				      "copies" };
	w[n++] = (struct want_probe){ "finish_fault", "kretprobe", true,
				      "file_copy" };
	w[n++] = (struct want_probe){ "ptep_set_access_flags", "kprobe", true,
				      "reuses" };
	/* Only where unshare can happen at all. */
	w[n++] = (struct want_probe){ "__get_user_pages", "kretprobe",
				      classes[EV_UNSHARE].status != CLASS_ABSENT,
				      classes[EV_UNSHARE].status == CLASS_ABSENT ?
				      "unshare is absent" : "unshare" };
	/*
	 * break_ksm() faults with FAULT_FLAG_UNSHARE since 6.2 (before, its
	 * copies were writes); no interface shows that change, so the
	 * version does.
	 */
	w[n++] = (struct want_probe){ "break_ksm", "kretprobe",
				      kernel_at_least(6, 2),
				      "KSM unmerges unshare from 6.2" };
	w[n++] = (struct want_probe){ "do_huge_pmd_wp_page", "kretprobe", true,
				      "THP write faults" };
	w[n++] = (struct want_probe){ "pmdp_set_access_flags", "kprobe", true,
				      "thp_reuse" };
	w[n++] = (struct want_probe){ "pmdp_huge_clear_flush", "kprobe", true,
				      "thp_zero" };
	w[n++] = (struct want_probe){ "copy_page_range", "kretprobe", true,
				      "fork_copy" };
	/* unmap_page_range() became __zap_vma_range() (7.x). */
	w[n++] = (struct want_probe){
		kernel_has("unmap_page_range") ? "unmap_page_range" :
		"__zap_vma_range", "kprobe", true, "unmaps" };
	return n;
}

/* The class whose classes row says @symbol is its missing probe, or -1. */
static int class_missing_probe(const char *symbol)
{
	int i;

	for (i = 0; i < NR_EV; i++)
		if (classes[i].status == CLASS_MISSING &&
		    !strcmp(classes[i].probe, symbol))
			return i;
	return -1;
}

static void test_probes(void)
{
	struct want_probe w[16];
	unsigned int nw, i, listed = 0;
	struct cowlab_table t;
	int ks, kk, kst, ke, km;
	bool ok;

	ok = !load_classes() && load_table("probes", &t);
	if (!ok) {
		ktap_result(0, "probes_as_this_kernel_needs_none_missed");
		return;
	}
	ks = cowlab_table_col(&t, "symbol");
	kk = cowlab_table_col(&t, "kind");
	kst = cowlab_table_col(&t, "status");
	ke = cowlab_table_col(&t, "error");
	km = cowlab_table_col(&t, "nmissed");
	if (ks < 0 || kk < 0 || kst < 0 || ke < 0 || km < 0) {
		ktap_diag("probes: header lacks symbol, kind, status, error or nmissed");
		ok = false;
	}
	nw = ok ? wanted_probes(w) : 0;
	for (i = 0; ok && i < nw; i++) {
		const char *kind = cowlab_table_lookup(&t, ks, w[i].symbol, kk);
		const char *st = cowlab_table_lookup(&t, ks, w[i].symbol, kst);
		const char *e = cowlab_table_lookup(&t, ks, w[i].symbol, ke);
		const char *nm = cowlab_table_lookup(&t, ks, w[i].symbol, km);
		int cls = class_missing_probe(w[i].symbol);

		if (!w[i].listed) {
			if (st) {
				ktap_diag("probe %s is listed, but should not be (%s)",
					  w[i].symbol, w[i].why);
				ok = false;
			}
			continue;
		}
		listed++;
		if (!st) {
			ktap_diag("probe %s (%s) is not listed", w[i].symbol,
				  w[i].why);
			ok = false;
			continue;
		}
		if (strcmp(kind, w[i].kind)) {
			ktap_diag("probe %s: kind %s, want %s", w[i].symbol,
				  kind, w[i].kind);
			ok = false;
		}
		/* Not registered: fine only if classes says what it costs. */
		if (cls >= 0) {
			ktap_diag("probe %s: %s (classes: %s %s)", w[i].symbol,
				  st, ev_names[cls], classes[cls].reason);
			if (!strcmp(st, "ok") || !strcmp(e, "0")) {
				ktap_diag("probe %s: status %s error %s, but classes says it is missing",
					  w[i].symbol, st, e);
				ok = false;
			}
			continue;
		}
		if (strcmp(st, "ok") || strcmp(e, "0")) {
			ktap_diag("probe %s: status %s error %s, and no class says it is missing",
				  w[i].symbol, st, e);
			ok = false;
		}
		if (strcmp(nm, "0")) {
			ktap_diag("probe %s: nmissed %s", w[i].symbol, nm);
			ok = false;
		}
	}
	/* A class can only miss a probe that is listed as not ok. */
	for (i = 0; ok && i < NR_EV; i++) {
		const char *st;

		if (classes[i].status != CLASS_MISSING)
			continue;
		st = cowlab_table_lookup(&t, ks, classes[i].probe, kst);
		if (!st || !strcmp(st, "ok")) {
			ktap_diag("classes: %s misses probe %s, which probes lists as %s",
				  ev_names[i], classes[i].probe,
				  st ? st : "(absent)");
			ok = false;
		}
	}
	if (ok && t.nrows != listed) {
		ktap_diag("probes lists %zu probes, expected %u:", t.nrows,
			  listed);
		for (i = 0; i < t.nrows; i++)
			ktap_diag("  %s", t.rows[i][ks]);
		ok = false;
	}
	ktap_result(ok, "probes_as_this_kernel_needs_none_missed");
	cowlab_table_free(&t);
}

/* The columns of procs after its classes. */
#define NR_EXPOSURE	3
static const char *const exposure_cols[NR_EXPOSURE] = {
	"fork_shared", "by_parent", "by_self",
};

/*
 * The classes file: its header, one row per class column of procs in
 * procs' order, and a status that matches the "-" of every procs row;
 * then the exposure columns, last.
 */
static void test_classes(void)
{
	struct cowlab_table t;
	size_t r, first;
	int i, kc, kp;
	bool ok;

	/* Header, rows in testlib's order, statuses well-formed. */
	ok = !load_classes() && load_table("procs", &t);
	if (!ok) {
		ktap_result(0, "classes_match_procs_columns");
		return;
	}
	kc = cowlab_table_col(&t, "comm");
	kp = cowlab_table_col(&t, "pid");
	first = kc + 1;
	/* After the classes, the exposure columns, last (docs/debugfs.md). */
	if (kc < 0 || kp < 0 || t.ncols - first != NR_EV + NR_EXPOSURE) {
		ktap_diag("procs has %zu columns after comm, want %d classes (classes has %d rows) and %d exposure columns",
			  kc < 0 ? 0 : t.ncols - first, NR_EV, NR_EV,
			  NR_EXPOSURE);
		ok = false;
	}
	for (i = 0; ok && i < NR_EXPOSURE; i++) {
		if (strcmp(t.cols[first + NR_EV + i], exposure_cols[i])) {
			ktap_diag("procs column %zu is %s, want %s",
				  first + NR_EV + i + 1,
				  t.cols[first + NR_EV + i], exposure_cols[i]);
			ok = false;
		}
	}
	for (i = 0; ok && i < NR_EV; i++) {
		if (strcmp(t.cols[first + i], ev_names[i])) {
			ktap_diag("procs column %zu is %s, classes row %d is %s",
				  first + i + 1, t.cols[first + i], i + 1,
				  ev_names[i]);
			ok = false;
		}
	}
	for (r = 0; ok && r < t.nrows; r++) {
		for (i = 0; i < NR_EV; i++) {
			const char *f = t.rows[r][first + i];
			bool dash = !strcmp(f, "-");

			if (dash != !class_counted(i)) {
				ktap_diag("procs pid %s: %s is %s, classes says %s %s",
					  t.rows[r][kp], ev_names[i], f,
					  class_counted(i) ? "counted" :
					  "not counted:", classes[i].reason);
				ok = false;
			}
		}
	}
	for (i = 0; i < NR_EV; i++)
		if (!class_counted(i))
			ktap_diag("class %s not counted: %s", ev_names[i],
				  classes[i].reason);
	ktap_result(ok && t.nrows > 0, "classes_match_procs_columns");
	cowlab_table_free(&t);
}

static void test_stats(void)
{
	static const char *const stats[] = {
		"procs_tracked", "procs_capacity", "procs_dropped",
		"events_dropped", "events_unattributed", "proc_entry_bytes",
		"memory_bytes",
	};
	struct cowlab_table t;
	const char *f;
	unsigned int i;
	bool ok, good = true;

	ok = load_table("stats", &t);
	for (i = 0; ok && good && i < sizeof(stats) / sizeof(stats[0]); i++) {
		unsigned long long v;

		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "name"),
					stats[i], cowlab_table_col(&t, "value"));
		if (!f || cowlab_field_u64(f, &v)) {
			ktap_diag("stats: %s missing or not a number", stats[i]);
			good = false;
		}
	}
	f = ok && good ? cowlab_table_lookup(&t, 0, "procs_capacity", 1) : NULL;
	ktap_result(ok && good && f && !strcmp(f, "4096"),
		    "stats_names_and_default_capacity");
	if (ok)
		cowlab_table_free(&t);
}

/* A child that waits until @go's write end is closed, then exits. */
static pid_t fork_waiting(int go_read, int go_write)
{
	pid_t pid = fork();

	if (pid == 0) {
		char b;

		close(go_write);
		_exit(read(go_read, &b, 1) < 0);
	}
	return pid;
}

/*
 * How @n pids are listed in procs, one read: states[i] is 'L' (live), 'E'
 * (exited) or '-' (not listed).  False if procs is unreadable.
 */
static bool procs_states(const pid_t *pids, int n, char *states)
{
	struct cowlab_table t;
	char key[32];
	const char *st;
	int i, kp, ks;

	if (!load_table("procs", &t))
		return false;
	kp = cowlab_table_col(&t, "pid");
	ks = cowlab_table_col(&t, "state");
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%d", pids[i]);
		st = kp >= 0 && ks >= 0 ?
		     cowlab_table_lookup(&t, kp, key, ks) : NULL;
		states[i] = !st ? '-' : !strcmp(st, "live") ? 'L' :
			    !strcmp(st, "exited") ? 'E' : '?';
	}
	cowlab_table_free(&t);
	return true;
}

/* One value of stats, or -1 (said why). */
static long long stat_or(const char *name)
{
	unsigned long long v;

	if (stat_value(name, &v))
		return (long long)v;
	ktap_diag("stats: no %s", name);
	return -1;
}

/*
 * The exiters, in exit order @ex[0..k): the first @gone must have been
 * recycled (not listed), the others still listed as exited.
 */
static bool check_recycled(const pid_t *ex, int k, int gone, const char *when)
{
	char *st = calloc(k, 1);
	bool ok = st && procs_states(ex, k, st);
	int j;

	for (j = 0; ok && j < k; j++) {
		char want = j < gone ? '-' : 'E';

		if (st[j] != want) {
			ktap_diag("%s: pid %d, exit %d of %d: %s, want %s", when,
				  ex[j], j + 1, k,
				  st[j] == '-' ? "recycled" : st[j] == 'E' ?
				  "still listed, exited" : "listed, live",
				  want == '-' ? "recycled" : "still listed");
			ok = false;
		}
	}
	if (!ok) {
		for (j = 0; st && j < k; j++)
			ktap_diag("  exit %d: pid %d %c", j + 1, ex[j], st[j]);
	}
	free(st);
	return ok;
}

/*
 * Exited entries are recycled oldest exit first, a batch (an eighth of
 * the table, at least one) at a time, only when the table is full.  After
 * a reset, fill the table: K processes that will exit (forked in one
 * order, exiting in another: a stride through them, so neither fork order
 * nor pid order nor table order is exit order) and live ones for the rest.
 * Then each new process must recycle exactly the oldest exited batch:
 * the first fork the first B to exit, B - 1 more forks nothing, the next
 * the following B.
 */
static bool test_recycle_order(unsigned int cap)
{
	int batch = cap / 8 ? (int)(cap / 8) : 1, k = 2 * batch + 2;
	int hold[2], nlive = 0, i, j, s = 0;
	static const int strides[] = { 5, 7, 11, 3 };
	long long tracked, capacity, free_n;
	pid_t *fk, *ex, *live;
	bool ok = true;

	for (i = 0; i < (int)ARRAY_SIZE(strides); i++) {
		int a = strides[i] % k, b = k;

		while (b) {		/* gcd(stride, k) */
			int t = a % b;

			a = b;
			b = t;
		}
		if (a == 1 && strides[i] % k > 1) {
			s = strides[i] % k;
			break;
		}
	}
	if (!s || control("reset", 5)) {
		ktap_diag("no stride for %d processes, or reset failed", k);
		return false;
	}
	tracked = stat_or("procs_tracked");
	capacity = stat_or("procs_capacity");
	free_n = capacity - tracked;
	if (tracked < 0 || capacity != cap || free_n < k + 1) {
		ktap_diag("after reset: %lld of %lld entries used, need %d free",
			  tracked, capacity, k + 1);
		return false;
	}
	fk = calloc(k, sizeof(*fk));
	ex = calloc(k, sizeof(*ex));
	live = calloc(free_n + batch + 1, sizeof(*live));
	if (!fk || !ex || !live || pipe(hold))
		exit(2);
	/* K to be killed later, one at a time; then live ones. */
	for (i = 0; i < k; i++) {
		fk[i] = fork();
		if (fk[i] == 0)
			for (;;)
				pause();
	}
	for (i = k; i < free_n; i++)
		live[nlive++] = fork_waiting(hold[0], hold[1]);
	tracked = stat_or("procs_tracked");
	if (tracked != capacity || stat_or("procs_dropped") != 0) {
		ktap_diag("table not exactly full: %lld of %lld used, %lld dropped",
			  tracked, capacity, stat_or("procs_dropped"));
		ok = false;
	}
	/* Exit order: fk[0], fk[s], fk[2s], ... (mod K). */
	for (j = 0; j < k; j++) {
		i = (int)((long)j * s % k);
		ex[j] = fk[i];
		kill(ex[j], SIGKILL);
		waitpid(ex[j], NULL, 0);
	}
	ok = check_recycled(ex, k, 0, "all exited, table full") && ok;
	/* One fork: the oldest batch goes, one of its entries is taken. */
	live[nlive++] = fork_waiting(hold[0], hold[1]);
	ok = check_recycled(ex, k, batch, "1 fork into a full table") && ok;
	for (i = 1; i < batch; i++)
		live[nlive++] = fork_waiting(hold[0], hold[1]);
	ok = check_recycled(ex, k, batch, "forks that use the freed entries") &&
	     ok;
	live[nlive++] = fork_waiting(hold[0], hold[1]);
	ok = check_recycled(ex, k, 2 * batch, "the next fork into a full table") &&
	     ok;
	ok = stat_or("procs_dropped") == 0 && ok;
	ktap_diag("max_procs=%u: %d exited (forked %d, %d, ..., exit stride %d)",
		  cap, k, fk[0], fk[1], s);
	ktap_diag("  %d live, batch %d", nlive, batch);
	close(hold[1]);
	close(hold[0]);
	for (i = 0; i < nlive; i++)
		waitpid(live[i], NULL, 0);
	free(fk);
	free(ex);
	free(live);
	return ok;
}

/*
 * With max_procs=@cap: 3 * cap short-lived processes all tracked by
 * recycling; recycling oldest exit first; then live ones beyond the cap
 * dropped and counted.
 */
static void test_cap(unsigned int cap)
{
	unsigned long long d0, d1;
	int fds[2], i, untracked = 0, n = cap + 8;
	pid_t *live = calloc(n, sizeof(*live));
	struct counts c;
	pid_t last = 0;
	bool ok = true;

	if (!live)
		exit(2);
	/* 3 * cap short-lived processes: all fit, by recycling. */
	for (i = 0; i < 3 * (int)cap; i++) {
		last = fork();
		if (last == 0)
			_exit(0);
		waitpid(last, NULL, 0);
	}
	ok = snap_ok(last, &c) && !strcmp(c.state, "exited");
	ok = stat_value("procs_dropped", &d0) && d0 == 0 && ok;
	ktap_result(ok, "cap_short_lived_all_tracked_by_recycling (max_procs=%u)",
		    cap);

	ktap_result(test_recycle_order(cap),
		    "cap_exited_recycled_oldest_first (max_procs=%u)", cap);

	/* cap + 8 live processes cannot all fit: the rest are dropped. */
	stat_value("procs_dropped", &d0);
	if (pipe(fds))
		exit(2);
	for (i = 0; i < n; i++)
		live[i] = fork_waiting(fds[0], fds[1]);
	stat_value("procs_dropped", &d1);
	for (i = 0; i < n; i++)
		if (read_counts(live[i], &c) == -ENOENT)
			untracked++;
	close(fds[1]);
	close(fds[0]);
	for (i = 0; i < n; i++)
		waitpid(live[i], NULL, 0);
	ktap_diag("%d of %d live children untracked, procs_dropped +%llu",
		  untracked, n, d1 - d0);
	ktap_result(untracked >= 8 && d1 - d0 == (unsigned long long)untracked,
		    "cap_live_overflow_counted_as_dropped (max_procs=%u)", cap);
	free(live);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (access(CONTROL, W_OK)) {
		fprintf(stderr, "ctltest: %s: %s (is cowlab loaded?)\n",
			CONTROL, strerror(errno));
		return 2;
	}
	if (argc == 3 && !strcmp(argv[1], "--cap")) {
		ktap_plan(3);
		test_cap(strtoul(argv[2], NULL, 0));
		return ktap_finish();
	}
	ktap_plan(7);
	test_garbage();
	test_reset();
	test_probes();
	test_classes();
	test_stats();
	return ktap_finish();
}
