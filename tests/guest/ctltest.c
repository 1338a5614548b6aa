// SPDX-License-Identifier: GPL-2.0
/*
 * ctltest: the control file and the table's limits.
 *
 *   ctltest            garbage is refused with EINVAL and changes nothing;
 *                      reset PID / reset; unknown pid gives ESRCH; the
 *                      probes and stats files.
 *   ctltest --cap N    with cowlab loaded with max_procs=N: exited processes
 *                      are recycled, live ones beyond the cap are dropped
 *                      and counted.
 */
#include <sys/utsname.h>

#include "ktap.h"
#include "testlib.h"

#define CONTROL COWLAB_DEBUGFS "/control"

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

static void test_probes_stats(void)
{
	/* break_ksm() is probed from 6.2, where its faults unshare: last. */
	static const char *const probes[] = {
		"ptep_clear_flush", "ptep_set_access_flags", "__get_user_pages",
		"do_huge_pmd_wp_page", "pmdp_set_access_flags",
		"unmap_page_range", "break_ksm",
	};
	unsigned int nprobes = sizeof(probes) / sizeof(probes[0]);
	struct utsname u;
	int major = 0, minor = 0;
	static const char *const stats[] = {
		"procs_tracked", "procs_capacity", "procs_dropped",
		"events_dropped", "events_unattributed", "proc_entry_bytes",
		"memory_bytes",
	};
	struct cowlab_table t;
	const char *err, *f;
	char *text;
	unsigned int i;
	bool ok;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		ktap_diag("uname: cannot read the kernel version");
	if (major < 6 || (major == 6 && minor < 2))
		nprobes--;
	ok = !cowlab_read_file(COWLAB_DEBUGFS "/probes", &text, NULL) &&
	     !cowlab_table_parse(&t, text, 0, &err);
	for (i = 0; ok && i < nprobes; i++) {
		int k = cowlab_table_col(&t, "symbol");

		f = cowlab_table_lookup(&t, k, probes[i],
					cowlab_table_col(&t, "status"));
		if (!f || strcmp(f, "ok")) {
			ktap_diag("probe %s: status %s", probes[i], f ? f : "absent");
			ok = false;
		}
		f = cowlab_table_lookup(&t, k, probes[i],
					cowlab_table_col(&t, "nmissed"));
		if (!f || strcmp(f, "0")) {
			ktap_diag("probe %s: nmissed %s", probes[i], f ? f : "?");
			ok = false;
		}
	}
	if (ok && t.nrows != nprobes) {
		ktap_diag("probes lists %zu probes, expected %u", t.nrows, nprobes);
		ok = false;
	}
	ktap_result(ok, "probes_all_registered_none_missed");
	cowlab_table_free(&t);

	ok = !cowlab_read_file(COWLAB_DEBUGFS "/stats", &text, NULL) &&
	     !cowlab_table_parse(&t, text, 0, &err);
	for (i = 0; ok && i < sizeof(stats) / sizeof(stats[0]); i++) {
		unsigned long long v;

		f = cowlab_table_lookup(&t, cowlab_table_col(&t, "name"),
					stats[i], cowlab_table_col(&t, "value"));
		if (!f || cowlab_field_u64(f, &v)) {
			ktap_diag("stats: %s missing or not a number", stats[i]);
			ok = false;
		}
	}
	f = ok ? cowlab_table_lookup(&t, 0, "procs_capacity", 1) : NULL;
	ktap_result(ok && f && !strcmp(f, "4096"), "stats_names_and_default_capacity");
	cowlab_table_free(&t);
}

/* With max_procs=@cap: recycling of exited entries, then drops. */
static void test_cap(unsigned int cap)
{
	unsigned long long d0, d1;
	int live[64], fds[2], i, untracked = 0, n = cap + 8;
	struct counts c;
	pid_t last = 0;
	bool ok = true;

	/* 3 * cap short-lived processes: all fit, by recycling. */
	for (i = 0; i < 3 * (int)cap; i++) {
		last = fork();
		if (last == 0)
			_exit(0);
		waitpid(last, NULL, 0);
	}
	ok = snap_ok(last, &c) && !strcmp(c.state, "exited");
	ok = stat_value("procs_dropped", &d0) && d0 == 0 && ok;
	ktap_result(ok, "cap_exited_recycled_oldest_first (max_procs=%u)", cap);

	/* cap + 8 live processes cannot all fit: the rest are dropped. */
	if (pipe(fds))
		exit(2);
	for (i = 0; i < n; i++) {
		live[i] = fork();
		if (live[i] == 0) {
			char b;

			close(fds[1]);
			_exit(read(fds[0], &b, 1) < 0);
		}
	}
	stat_value("procs_dropped", &d1);
	for (i = 0; i < n; i++)
		if (read_counts(live[i], &c) == -ENOENT)
			untracked++;
	close(fds[1]);
	for (i = 0; i < n; i++)
		waitpid(live[i], NULL, 0);
	ktap_diag("%d of %d live children untracked, procs_dropped +%llu",
		  untracked, n, d1 - d0);
	ktap_result(untracked >= 8 && d1 - d0 == (unsigned long long)untracked,
		    "cap_live_overflow_counted_as_dropped (max_procs=%u)", cap);
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
		ktap_plan(2);
		test_cap(strtoul(argv[2], NULL, 0));
		return ktap_finish();
	}
	ktap_plan(6);
	test_garbage();
	test_reset();
	test_probes_stats();
	return ktap_finish();
}
