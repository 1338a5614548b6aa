// SPDX-License-Identifier: GPL-2.0
/*
 * cowsteps: run a kselftest (the kernel's cow selftest) and say, for each of
 * its scenarios, which cowlab event classes its faults landed in.
 *
 * The selftest announces every scenario with a "# [RUN] ..." line on its
 * (line-buffered) stdout.  cowsteps runs it under ptrace, its stdout on a
 * pipe, and stops it after each write() to stdout: while it is stopped,
 * cowlab's procs table is read and the counts of the selftest and all its
 * descendants are summed.  The difference between two [RUN] lines is what
 * that scenario did, children included (the selftest reaps each scenario's
 * children before it announces the next one).  Every line of the selftest
 * is copied to stdout unchanged; after each scenario one more line, with
 * the classes of cowlab's classes file in its order, "-" for one that is
 * not counted on this kernel (unshare on 5.10):
 *
 *   # cowlab: cow_copy 1 cow_zero 0 wp_reuse 0 unshare 0 thp_reuse 0 thp_split 0 thp_zero 0
 *
 * Reading the selftest's memory is never needed (the pipe carries its
 * output), so the tracing itself causes no faults in it.  Load cowlab with
 * a max_procs larger than the number of processes the selftest forks: a
 * recycled entry would lose counts (reported as "# cowlab: WARNING").
 *
 * Usage: cowsteps PROGRAM [ARGS...]; exits with PROGRAM's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table.h"

/* The classes, from cowlab's classes file: name, and whether counted. */
#define MAX_EV	32
static char *ev_names[MAX_EV];
static int ev_counted[MAX_EV];
static int nr_ev;

/*
 * Read and parse the cowlab file @name into @t (@rest: its last column
 * runs to the end of the line).  0, or -errno with nothing to free.
 */
static int read_table(const char *name, int rest, struct cowlab_table *t)
{
	char path[128];
	const char *err;
	char *text;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", COWLAB_DEBUGFS, name);
	ret = cowlab_read_file(path, &text, NULL);
	if (ret)
		return ret;
	ret = cowlab_table_parse(t, text, rest, &err);
	if (ret) {
		fprintf(stderr, "cowsteps: %s: %s\n", name, err);
		cowlab_table_free(t);
	}
	return ret;
}

/* Read the classes file ("class status reason").  0 or -errno. */
static int load_classes(void)
{
	struct cowlab_table t;
	int nc, sc, ret;
	size_t r;

	ret = read_table("classes", 1, &t);
	if (ret)
		return ret;
	nc = cowlab_table_col(&t, "class");
	sc = cowlab_table_col(&t, "status");
	if (nc < 0 || sc < 0) {
		fprintf(stderr, "cowsteps: classes: no class or status column\n");
		ret = -EINVAL;
		goto out;
	}
	for (r = 0; r < t.nrows && nr_ev < MAX_EV; r++) {
		ev_names[nr_ev] = strdup(t.rows[r][nc]);
		if (!ev_names[nr_ev]) {
			ret = -ENOMEM;
			goto out;
		}
		ev_counted[nr_ev++] = !strcmp(t.rows[r][sc], "counted");
	}
out:
	cowlab_table_free(&t);
	return ret;
}

/* PID_MAX_LIMIT on 64-bit: any pid fits. */
#define MAX_PIDS	(4 * 1024 * 1024)

/* Sum the counts of @root and its descendants into @sum.  0 or -errno. */
static int snapshot(pid_t root, long long sum[MAX_EV])
{
	static char member[MAX_PIDS + 1];	/* by pid */
	int pc, ppc, ec[MAX_EV], i, changed;
	struct cowlab_table t;
	size_t r;
	int ret;

	ret = read_table("procs", 0, &t);
	if (ret)
		return ret;
	pc = cowlab_table_col(&t, "pid");
	ppc = cowlab_table_col(&t, "ppid");
	for (i = 0; i < nr_ev; i++)
		ec[i] = cowlab_table_col(&t, ev_names[i]);
	memset(member, 0, sizeof(member));
	if (root > 0 && (size_t)root < sizeof(member))
		member[root] = 1;
	/* Descendants: entries are in pool order, not creation order. */
	do {
		changed = 0;
		for (r = 0; r < t.nrows; r++) {
			long pid = atol(t.rows[r][pc]);
			long ppid = atol(t.rows[r][ppc]);

			if (pid <= 0 || (size_t)pid >= sizeof(member) ||
			    ppid <= 0 || (size_t)ppid >= sizeof(member))
				continue;
			if (member[ppid] && !member[pid] && pid != ppid) {
				member[pid] = 1;
				changed = 1;
			}
		}
	} while (changed);
	memset(sum, 0, nr_ev * sizeof(sum[0]));
	for (r = 0; r < t.nrows; r++) {
		long pid = atol(t.rows[r][pc]);

		if (pid <= 0 || (size_t)pid >= sizeof(member) || !member[pid])
			continue;
		for (i = 0; i < nr_ev; i++) {
			unsigned long long v;

			if (ec[i] >= 0 && !cowlab_field_u64(t.rows[r][ec[i]], &v))
				sum[i] += (long long)v;
		}
	}
	cowlab_table_free(&t);
	return ret;
}

static pid_t child;
static long long last[MAX_EV];
static int have_scenario;

/* The counts since the last [RUN] line, for the scenario it announced. */
static void close_scenario(void)
{
	long long now[MAX_EV];
	int i, negative = 0;

	if (snapshot(child, now)) {
		printf("# cowlab: procs unreadable\n");
		return;
	}
	if (have_scenario) {
		printf("# cowlab:");
		for (i = 0; i < nr_ev; i++) {
			if (!ev_counted[i]) {
				printf(" %s -", ev_names[i]);
				continue;
			}
			printf(" %s %lld", ev_names[i], now[i] - last[i]);
			negative |= now[i] < last[i];
		}
		printf("\n");
		if (negative)
			printf("# cowlab: WARNING: counts went down (entries recycled? raise max_procs)\n");
	}
	memcpy(last, now, sizeof(last));
	fflush(stdout);
}

static void line_out(const char *line)
{
	if (!strncmp(line, "# [RUN]", 7)) {
		close_scenario();
		have_scenario = 1;
	}
	printf("%s\n", line);
	fflush(stdout);
}

/* Copy whatever the selftest wrote, line by line. */
static void drain(int fd)
{
	static char buf[1 << 16];
	static size_t have;
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			line_out(buf);
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1) {	/* a giant line: pass it on */
			line_out(buf);
			have = 0;
		}
	}
}

/* Report a failed call, for main() to return 1. */
static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	struct __ptrace_syscall_info info;
	int fds[2], status, sig = 0, to_stdout = 0, ret;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: cowsteps PROGRAM [ARGS...]\n"
			"Runs a kselftest; after each \"# [RUN]\" scenario prints the cowlab\n"
			"events of the selftest and its children: # cowlab: cow_copy N ...\n");
		return 2;
	}
	ret = load_classes();
	if (ret) {
		fprintf(stderr, "cowsteps: %s/classes: %s\n", COWLAB_DEBUGFS,
			strerror(-ret));
		return 1;
	}
	if (pipe(fds))
		return fail("pipe");
	child = fork();
	if (child < 0)
		return fail("fork");
	if (!child) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(127);
		raise(SIGSTOP);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
		fprintf(stderr, "cowsteps: %s did not start\n", argv[1]);
		return 1;
	}
	if (ptrace(PTRACE_SETOPTIONS, child, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return fail("PTRACE_SETOPTIONS");
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, child, NULL, (void *)(long)sig))
			return fail("PTRACE_SYSCALL");
		sig = 0;
		if (waitpid(child, &status, 0) != child)
			return fail("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* A signal for the selftest: deliver it. */
			if (WSTOPSIG(status) != SIGTRAP)
				sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, child,
			   (void *)sizeof(info), &info) <= 0)
			continue;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			to_stdout = info.entry.nr == SYS_write &&
				    info.entry.args[0] == 1;
		} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && to_stdout) {
			to_stdout = 0;
			drain(fds[0]);
		}
	}
	fcntl(fds[0], F_SETFL, 0);
	drain(fds[0]);
	close_scenario();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
