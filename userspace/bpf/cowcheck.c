// SPDX-License-Identifier: GPL-2.0
/*
 * cowcheck: count copy-on-write breaks per process with BPF, independently
 * of the cowlab module, and print them in the format of cowlab's procs
 * table so that the two can be compared.
 * This file: options, loading and attaching, waiting, the table.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cowcheck.h"
#include "cowcheck.skel.h"

#ifndef COWCHECK_VERSION
#define COWCHECK_VERSION "0.1"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct env {
	long duration;		/* seconds; 0: until SIGINT/SIGTERM */
	const char *ready_file;	/* created once every probe is attached */
	bool verbose;		/* libbpf's debug messages */
} env;

static const char *const event_names[] = {
	[COWCHECK_EV_COW_COPY] = "cow_copy",
	[COWCHECK_EV_COW_ZERO] = "cow_zero",
	[COWCHECK_EV_WP_REUSE] = "wp_reuse",
	[COWCHECK_EV_UNSHARE] = "unshare",
	[COWCHECK_EV_THP_REUSE] = "thp_reuse",
	[COWCHECK_EV_THP_SPLIT] = "thp_split",
};

static_assert(ARRAY_SIZE(event_names) == COWCHECK_NR_EVENTS,
	      "event_names and enum cowcheck_event drifted apart");

static const char *const stat_names[] = {
	[COWCHECK_ST_INFLIGHT_LOST] = "inflight_lost",
	[COWCHECK_ST_COUNTS_LOST] = "counts_lost",
	[COWCHECK_ST_UNATTRIBUTED] = "unattributed",
};

static_assert(ARRAY_SIZE(stat_names) == COWCHECK_NR_STATS,
	      "stat_names and enum cowcheck_stat drifted apart");

static const char usage[] =
"Usage: cowcheck [-d SECONDS] [-r FILE] [-v]\n"
"\n"
"Count copy-on-write breaks per process with BPF (fentry/fexit), without\n"
"the cowlab module, until SIGINT/SIGTERM or --duration; then print one\n"
"line per process in the format of /sys/kernel/debug/cowlab/procs:\n"
"\n"
"  pid cow_copy cow_zero wp_reuse unshare thp_reuse thp_split\n"
"\n"
"Only processes with at least one event are listed.  Events are counted\n"
"for the process owning the faulting mm (mm->owner), like cowlab.\n"
"Loss counters go to stderr as 'cowcheck: stat NAME VALUE' lines.\n"
"\n"
"Options:\n"
"  -d, --duration SECONDS  stop after SECONDS (default: at SIGINT/SIGTERM)\n"
"  -r, --ready FILE        create FILE once attached (for scripts)\n"
"  -v, --verbose           libbpf's debug messages on stderr\n"
"  -h, --help              this help\n"
"  -V, --version           the version\n"
"\n"
"Examples:\n"
"  cowcheck -d 10                 count for 10 s, then print the table\n"
"  cowcheck -r /tmp/ready > t &   count until 'kill $!'; the table is in t\n"
"\n"
"Exit status: 0 ok; 1 runtime failure (load, attach, or events lost: the\n"
"table is printed but incomplete); 2 usage error.  Needs root and a kernel\n"
"with BTF (CONFIG_DEBUG_INFO_BTF).\n";

static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowcheck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Returns 0, or 2 after printing a usage error; *done for --help/-V. */
static int parse_args(int argc, char **argv, bool *done)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "ready", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*done = false;
	while ((c = getopt_long(argc, argv, "d:r:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			env.duration = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    env.duration <= 0 || env.duration > INT_MAX) {
				err_msg("--duration: '%s' is not a number of seconds (1..%d)",
					optarg, INT_MAX);
				return 2;
			}
			break;
		case 'r':
			env.ready_file = optarg;
			break;
		case 'v':
			env.verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			*done = true;
			return 0;
		case 'V':
			printf("cowcheck %s\n", COWCHECK_VERSION);
			*done = true;
			return 0;
		default:
			fprintf(stderr, "Try 'cowcheck --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		err_msg("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	return 0;
}

/* One attachment: the kernel function and the program that hooks it. */
struct hook {
	const char *func;
	struct bpf_program *prog;
	struct bpf_link **link;
};

/*
 * The hooks in attach order: the fexits first, then the inner functions,
 * then the fentries, so that a window is never opened without being seen
 * closing.  *nr_hooks is set to the number filled in.
 */
static int pick_hooks(struct cowcheck_bpf *skel, const struct btf *vmlinux,
		      struct hook *hooks, size_t max, size_t *nr_hooks)
{
#define HOOK(fn, prog) { fn, skel->progs.prog, &skel->links.prog }
	const struct hook all[] = {
		HOOK("do_wp_page", wp_exit),
		HOOK("do_huge_pmd_wp_page", huge_wp_exit),
		HOOK("folio_add_new_anon_rmap", folio_new_anon),
		HOOK("page_add_new_anon_rmap", page_new_anon),
		HOOK("ptep_set_access_flags", pte_access),
		HOOK("pmdp_set_access_flags", pmd_access),
		HOOK("__split_huge_pmd", pmd_split),
		HOOK("do_wp_page", wp_enter),
		HOOK("do_huge_pmd_wp_page", huge_wp_enter),
	};
#undef HOOK
	bool have_folio, have_page;
	size_t i, n = 0;

	have_folio = btf__find_by_name_kind(vmlinux, "folio_add_new_anon_rmap",
					    BTF_KIND_FUNC) >= 0;
	have_page = btf__find_by_name_kind(vmlinux, "page_add_new_anon_rmap",
					   BTF_KIND_FUNC) >= 0;
	if (!have_folio && !have_page) {
		err_msg("neither folio_add_new_anon_rmap nor page_add_new_anon_rmap is in this kernel's BTF: cannot see copies here");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		bool want = true;

		/* One new-anon-rmap hook: the folio one where it exists. */
		if (all[i].prog == skel->progs.folio_new_anon)
			want = have_folio;
		else if (all[i].prog == skel->progs.page_new_anon)
			want = !have_folio;
		if (!want) {
			bpf_program__set_autoload(all[i].prog, false);
			continue;
		}
		if (btf__find_by_name_kind(vmlinux, all[i].func,
					   BTF_KIND_FUNC) < 0) {
			err_msg("%s is not in this kernel's BTF (inlined or renamed?): cowcheck cannot run here",
				all[i].func);
			return -ENOENT;
		}
		if (n == max)
			return -E2BIG;
		hooks[n++] = all[i];
	}
	*nr_hooks = n;
	return 0;
}

static int attach_hooks(struct hook *hooks, size_t nr_hooks)
{
	struct bpf_link *link;
	size_t i;
	int err;

	for (i = 0; i < nr_hooks; i++) {
		link = bpf_program__attach(hooks[i].prog);
		if (!link) {
			err = -errno;
			err_msg("attaching %s to %s failed: %s",
				bpf_program__name(hooks[i].prog), hooks[i].func,
				strerror(-err));
			return err;
		}
		*hooks[i].link = link;
	}
	return 0;
}

static int signal_ready(const struct hook *hooks, size_t nr_hooks)
{
	size_t i;
	int fd;

	if (env.ready_file) {
		fd = open(env.ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0) {
			err_msg("cannot create --ready file %s: %s",
				env.ready_file, strerror(errno));
			return -errno;
		}
		close(fd);
	}
	fprintf(stderr, "cowcheck: attached:");
	for (i = 0; i < nr_hooks; i++)
		fprintf(stderr, " %s", bpf_program__section_name(hooks[i].prog));
	fprintf(stderr, "\ncowcheck: ready\n");
	return 0;
}

/* Wait for SIGINT/SIGTERM (blocked by the caller) or the end of --duration. */
static void wait_for_end(const sigset_t *stop)
{
	struct timespec now, deadline, left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += env.duration;
	for (;;) {
		if (!env.duration) {
			if (sigwaitinfo(stop, NULL) >= 0)
				return;
			continue;	/* EINTR */
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return;
		if (sigtimedwait(stop, NULL, &left) >= 0)
			return;
		if (errno == EAGAIN)
			return;
	}
}

struct row {
	__u32 pid;
	struct cowcheck_counts c;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Print the counts map as a procs-style table, sorted by pid. */
static int print_table(int map_fd)
{
	struct row *rows;
	size_t n = 0, i;
	__u32 key, next;
	__u32 *prev = NULL;
	int err = 0, e;

	rows = calloc(COWCHECK_MAX_PROCS, sizeof(*rows));
	if (!rows) {
		err_msg("out of memory");
		return -ENOMEM;
	}
	while (n < COWCHECK_MAX_PROCS &&
	       !bpf_map_get_next_key(map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &rows[n].c)) {
			err = -errno;
			err_msg("reading the counts of pid %u failed: %s", key,
				strerror(errno));
			goto cleanup;
		}
		rows[n++].pid = key;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	printf("pid");
	for (e = 0; e < COWCHECK_NR_EVENTS; e++)
		printf(" %s", event_names[e]);
	printf("\n");
	for (i = 0; i < n; i++) {
		printf("%u", rows[i].pid);
		for (e = 0; e < COWCHECK_NR_EVENTS; e++)
			printf(" %llu", (unsigned long long)rows[i].c.ev[e]);
		printf("\n");
	}
	if (fflush(stdout)) {
		err = -errno;
		err_msg("writing the table failed: %s", strerror(errno));
	}
cleanup:
	free(rows);
	return err;
}

/* Print the loss counters; returns how many are non-zero. */
static int print_stats(struct cowcheck_bpf *skel, const struct hook *hooks,
		       size_t nr_hooks)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	__u64 misses = 0;
	int bad = 0, s;
	size_t i;

	for (i = 0; i < nr_hooks; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(hooks[i].prog),
					   &info, &len)) {
			err_msg("reading the info of %s failed: %s",
				bpf_program__name(hooks[i].prog),
				strerror(errno));
			bad++;
			continue;
		}
		misses += info.recursion_misses;
	}
	fprintf(stderr, "cowcheck: stat prog_misses %llu\n",
		(unsigned long long)misses);
	bad += misses != 0;
	for (s = 0; s < COWCHECK_NR_STATS; s++) {
		__u64 v = skel->bss->stats[s];

		fprintf(stderr, "cowcheck: stat %s %llu\n", stat_names[s],
			(unsigned long long)v);
		bad += v != 0;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct hook hooks[16];
	size_t nr_hooks = 0;
	struct cowcheck_bpf *skel = NULL;
	struct btf *vmlinux = NULL;
	sigset_t stop;
	bool done;
	int err, bad;

	err = parse_args(argc, argv, &done);
	if (err || done)
		return err;

	libbpf_set_print(libbpf_print);

	/* Delivered only through sigwaitinfo(), whenever they arrive. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, NULL)) {
		err_msg("sigprocmask: %s", strerror(errno));
		return 1;
	}

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		err_msg("cannot read this kernel's BTF (/sys/kernel/btf/vmlinux): %s; cowcheck needs CONFIG_DEBUG_INFO_BTF=y",
			strerror(errno));
		err = 1;
		goto cleanup;
	}

	skel = cowcheck_bpf__open();
	if (!skel) {
		err_msg("opening the BPF object failed: %s", strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (pick_hooks(skel, vmlinux, hooks, ARRAY_SIZE(hooks), &nr_hooks)) {
		err = 1;
		goto cleanup;
	}
	err = cowcheck_bpf__load(skel);
	if (err) {
		err_msg("loading the BPF programs failed: %s%s", strerror(-err),
			err == -EPERM ? " (run as root)" : " (see above; -v for more)");
		err = 1;
		goto cleanup;
	}
	if (attach_hooks(hooks, nr_hooks)) {
		err = 1;
		goto cleanup;
	}
	if (signal_ready(hooks, nr_hooks)) {
		err = 1;
		goto cleanup;
	}

	wait_for_end(&stop);

	/* Detach first: the table is what was counted while attached. */
	cowcheck_bpf__detach(skel);
	err = print_table(bpf_map__fd(skel->maps.counts)) ? 1 : 0;
	bad = print_stats(skel, hooks, nr_hooks);
	if (bad) {
		err_msg("%d loss counter(s) are not zero: the table is incomplete",
			bad);
		err = 1;
	}

cleanup:
	cowcheck_bpf__destroy(skel);
	btf__free(vmlinux);
	return err;
}
