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
#include <sys/utsname.h>

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

/* How the fault path is hooked: see pick_mode(). */
enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE };

static struct env {
	long duration;		/* seconds; 0: until SIGINT/SIGTERM */
	const char *ready_file;	/* created once every probe is attached */
	bool verbose;		/* libbpf's debug messages */
	enum attach_mode attach;
} env;

static const char *const event_names[] = {
	[COWCHECK_EV_COW_COPY] = "cow_copy",
	[COWCHECK_EV_COW_ZERO] = "cow_zero",
	[COWCHECK_EV_WP_REUSE] = "wp_reuse",
	[COWCHECK_EV_UNSHARE] = "unshare",
	[COWCHECK_EV_THP_REUSE] = "thp_reuse",
	[COWCHECK_EV_THP_SPLIT] = "thp_split",
	[COWCHECK_EV_THP_ZERO] = "thp_zero",
	[COWCHECK_EV_FILE_COPY] = "file_copy",
	[COWCHECK_EV_COW_KSM] = "cow_ksm",
	[COWCHECK_EV_HUGE_COPY] = "huge_copy",
	[COWCHECK_EV_HUGE_REUSE] = "huge_reuse",
};

static_assert(ARRAY_SIZE(event_names) == COWCHECK_NR_EVENTS,
	      "event_names and enum cowcheck_event drifted apart");

static const char *const stat_names[] = {
	[COWCHECK_ST_INFLIGHT_LOST] = "inflight_lost",
	[COWCHECK_ST_COUNTS_LOST] = "counts_lost",
	[COWCHECK_ST_UNATTRIBUTED] = "unattributed",
	[COWCHECK_ST_LATE] = "late_closes",
};

static_assert(ARRAY_SIZE(stat_names) == COWCHECK_NR_STATS,
	      "stat_names and enum cowcheck_stat drifted apart");

static const char usage[] =
"Usage: cowcheck [-d SECONDS] [-r FILE] [-a auto|fentry|kprobe] [-v]\n"
"\n"
"Count copy-on-write breaks per process with BPF, without the cowlab\n"
"module, until SIGINT/SIGTERM or --duration; then print one\n"
"line per process in the format of /sys/kernel/debug/cowlab/procs:\n"
"\n"
"  pid cow_copy cow_zero wp_reuse unshare thp_reuse thp_split thp_zero\n"
"      file_copy cow_ksm huge_copy huge_reuse\n"
"\n"
"Only processes with at least one event are listed.  Events are counted\n"
"for the process owning the faulting mm (mm->owner), like cowlab.  A class\n"
"this kernel cannot have shows '-' (unshare before 5.19), and stderr says\n"
"why ('cowcheck: class NAME absent REASON').  Loss counters go to stderr as\n"
"'cowcheck: stat NAME VALUE' lines ('-': not counted by this kernel), other\n"
"counters as 'cowcheck: info NAME VALUE'.\n"
"\n"
"Options:\n"
"  -d, --duration SECONDS  stop after SECONDS (default: at SIGINT/SIGTERM)\n"
"  -r, --ready FILE        create FILE once attached (for scripts)\n"
"  -a, --attach MODE       fentry: BPF trampolines (fentry/fexit); kprobe:\n"
"                          kprobes and kretprobes; auto (default): fentry\n"
"                          unless this kernel preempts trampoline programs\n"
"                          (full or lazy preemption, 5.12 on), which makes it\n"
"                          skip them for other tasks.  Either way kprobes for\n"
"                          a by-value struct argument before 6.1\n"
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
		{ "attach", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*done = false;
	while ((c = getopt_long(argc, argv, "d:r:a:vhV", opts, NULL)) != -1) {
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
		case 'a':
			if (!strcmp(optarg, "auto")) {
				env.attach = ATTACH_AUTO;
			} else if (!strcmp(optarg, "fentry")) {
				env.attach = ATTACH_FENTRY;
			} else if (!strcmp(optarg, "kprobe")) {
				env.attach = ATTACH_KPROBE;
			} else {
				err_msg("--attach: '%s' is not auto, fentry or kprobe",
					optarg);
				return 2;
			}
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
 * A hook as written: its fentry/fexit program (or a tracepoint program)
 * and the kprobe/kretprobe program that can replace it (none for a
 * tracepoint).
 */
struct hook_def {
	struct hook tramp;
	struct hook kp;
};

/* Does @btf have @name as a function?  Its prototype in *@proto. */
static bool btf_func(const struct btf *btf, const char *name,
		     const struct btf_type **proto)
{
	const struct btf_type *t;
	int id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	if (proto)
		*proto = btf__type_by_id(btf, t->type);
	return true;
}

/* Does function @name take a struct or union by value? */
static bool btf_func_takes_struct(const struct btf *btf, const char *name)
{
	const struct btf_type *proto, *t;
	const struct btf_param *p;
	int i, id;

	if (!btf_func(btf, name, &proto) || !proto || !btf_is_func_proto(proto))
		return false;
	p = btf_params(proto);
	for (i = 0; i < btf_vlen(proto); i++) {
		id = btf__resolve_type(btf, p[i].type);
		t = id < 0 ? NULL : btf__type_by_id(btf, id);
		if (t && btf_is_composite(t))
			return true;
	}
	return false;
}

/*
 * How many arguments function @name takes (0 if it is not in @btf).  x86
 * trampolines take at most six before 6.6 (6.1's hugetlb_wp() has seven:
 * its fexit fails with -ENOTSUPP); a kprobe has no such limit.
 */
#define TRAMP_MAX_ARGS	6

static int btf_func_nargs(const struct btf *btf, const char *name)
{
	const struct btf_type *proto;

	if (!btf_func(btf, name, &proto) || !proto || !btf_is_func_proto(proto))
		return 0;
	return btf_vlen(proto);
}

/*
 * Does the type @tname of @kind (BTF_KIND_STRUCT or BTF_KIND_ENUM) in @btf
 * have a member, or a value, called @name?
 */
static bool btf_has(const struct btf *btf, const char *tname, __u32 kind,
		    const char *name)
{
	const struct btf_type *t;
	__u32 off;
	int i, id;

	id = btf__find_by_name_kind(btf, tname, kind);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (i = 0; i < btf_vlen(t); i++) {
		off = kind == BTF_KIND_ENUM ? btf_enum(t)[i].name_off :
					      btf_members(t)[i].name_off;
		if (!strcmp(btf__name_by_offset(btf, off), name))
			return true;
	}
	return false;
}

static bool btf_struct_has(const struct btf *btf, const char *sname,
			   const char *mname)
{
	return btf_has(btf, sname, BTF_KIND_STRUCT, mname);
}

/*
 * Trampolines (fentry/fexit) take by-value struct arguments from 6.1 on:
 * the x86 support for them added btf_func_model.arg_flags.  Before, such a
 * function cannot be attached to at all (5.10: ptep_set_access_flags()'s
 * pte_t, do_huge_pmd_wp_page()'s pmd_t).
 */
static bool tramp_takes_structs(const struct btf *btf)
{
	return btf_struct_has(btf, "btf_func_model", "arg_flags");
}

/*
 * Can a trampoline program be preempted while it runs?  The kernel then
 * skips it for every other task that reaches it on that CPU meanwhile
 * (recursion_misses: seen on 7.x, whose PREEMPT_LAZY preempts the fexit of
 * do_wp_page() inside its map updates, thousands of times under load).
 * Only from 5.12, which brought the per-program recursion check (and
 * bpf_prog_info.recursion_misses).  The mode is in parentheses in
 * /sys/kernel/debug/sched/preempt ("none voluntary (full) lazy"); without
 * it, uname's version string says how the kernel was built (a
 * PREEMPT_DYNAMIC one whose mode is unknown counts as preemptible).
 * *why says what decided.
 */
static bool tramp_preemptible(const struct btf *btf, const char **why)
{
	static char mode[64];
	struct utsname u;
	char line[256];
	char *a, *b;
	FILE *f;

	if (!btf_struct_has(btf, "bpf_prog_info", "recursion_misses")) {
		*why = "no recursion check before 5.12";
		return false;
	}
	f = fopen("/sys/kernel/debug/sched/preempt", "r");
	if (f) {
		a = fgets(line, sizeof(line), f) ? strchr(line, '(') : NULL;
		b = a ? strchr(a, ')') : NULL;
		fclose(f);
		if (a && b && b - a < (long)sizeof(mode)) {
			snprintf(mode, sizeof(mode), "preemption %.*s",
				 (int)(b - a - 1), a + 1);
			*why = mode;
			return strncmp(a, "(none)", 6) &&
			       strncmp(a, "(voluntary)", 11);
		}
	}
	if (uname(&u)) {
		*why = "preemption unknown";
		return true;
	}
	if (strstr(u.version, "PREEMPT_RT") ||
	    strstr(u.version, "PREEMPT_DYNAMIC")) {
		*why = "preemption dynamic or RT, mode unknown";
		return true;
	}
	a = strstr(u.version, "PREEMPT");
	if (a && (a[7] == ' ' || !a[7])) {
		*why = "built with full preemption";
		return true;
	}
	*why = "built without full preemption";
	return false;
}

/*
 * hugetlb's write-protect fault and the function that maps its copy, by
 * their names on the kernels there are (newest first), and the names this
 * kernel's BTF has (find_absent_classes()); NULL if none: then huge_copy
 * and huge_reuse are absent.
 */
static const char *const hugetlb_windows[] = {
	"hugetlb_wp", "hugetlb_cow", NULL,
};
static const char *const hugetlb_rmaps[] = {
	"hugetlb_add_new_anon_rmap", "hugepage_add_new_anon_rmap", NULL,
};
static const char *hugetlb_window, *hugetlb_rmap;

/* Is @func in the NULL-terminated @names? */
static bool name_in(const char *func, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(func, *names))
			return true;
	return false;
}

/*
 * The hooks in attach order: the fault ends first (and task exit, which
 * closes windows whose end was not seen: the sched_process_exit
 * tracepoint, or a kprobe on do_exit() where programs may be preempted,
 * like the others), then the inner functions, then
 * the fault starts, so that a window is never opened without being seen
 * closing.  *nr_hooks is set to the number filled in.
 */
static int pick_hooks(struct cowcheck_bpf *skel, const struct btf *vmlinux,
		      struct hook *hooks, size_t max, size_t *nr_hooks)
{
#define T(fn, p) { fn, skel->progs.p, &skel->links.p }
#define HOOK(fn, prog, kprog) { T(fn, prog), T(fn, kprog) }
	const struct hook_def all[] = {
		HOOK("do_wp_page", wp_exit, wp_exit_kp),
		HOOK("do_huge_pmd_wp_page", huge_wp_exit, huge_wp_exit_kp),
		HOOK("hugetlb_wp", hugetlb_wp_exit, hugetlb_wp_exit_kp),
		HOOK("hugetlb_cow", hugetlb_cow_exit, hugetlb_cow_exit_kp),
		{ T("sched_process_exit", task_exit), T("do_exit", task_exit_kp) },
		HOOK("folio_add_new_anon_rmap", folio_new_anon,
		     folio_new_anon_kp),
		HOOK("page_add_new_anon_rmap", page_new_anon, page_new_anon_kp),
		HOOK("ptep_set_access_flags", pte_dirtied, pte_dirtied_kp),
		HOOK("pmdp_set_access_flags", pmd_dirtied, pmd_dirtied_kp),
		HOOK("__split_huge_pmd", pmd_split, pmd_split_kp),
		HOOK("hugetlb_add_new_anon_rmap", hugetlb_new_anon,
		     hugetlb_new_anon_kp),
		HOOK("hugepage_add_new_anon_rmap", hugepage_new_anon,
		     hugepage_new_anon_kp),
		HOOK("do_wp_page", wp_enter, wp_enter_kp),
		HOOK("do_huge_pmd_wp_page", huge_wp_enter, huge_wp_enter_kp),
		HOOK("hugetlb_wp", hugetlb_wp_enter, hugetlb_wp_enter_kp),
		HOOK("hugetlb_cow", hugetlb_cow_enter, hugetlb_cow_enter_kp),
	};
#undef HOOK
#undef T
	bool have_folio, have_page, structs = tramp_takes_structs(vmlinux);
	bool kprobes = env.attach == ATTACH_KPROBE;
	const char *why = "asked for";
	size_t i, n = 0;

	if (env.attach == ATTACH_AUTO)
		kprobes = tramp_preemptible(vmlinux, &why);
	fprintf(stderr, "cowcheck: attach %s (%s)\n",
		kprobes ? "kprobe" : "fentry", why);
	have_folio = btf_func(vmlinux, "folio_add_new_anon_rmap", NULL);
	have_page = btf_func(vmlinux, "page_add_new_anon_rmap", NULL);
	if (!have_folio && !have_page) {
		err_msg("neither folio_add_new_anon_rmap nor page_add_new_anon_rmap is in this kernel's BTF: cannot see copies here");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		const struct hook_def *d = &all[i];
		const struct hook *use = &d->tramp;
		bool want = true, by_kprobe;

		/* One new-anon-rmap hook: the folio one where it exists. */
		if (d->tramp.prog == skel->progs.folio_new_anon)
			want = have_folio;
		else if (d->tramp.prog == skel->progs.page_new_anon)
			want = !have_folio;
		/* hugetlb's: by the names found, or none. */
		else if (name_in(d->tramp.func, hugetlb_windows) ||
			 name_in(d->tramp.func, hugetlb_rmaps))
			want = hugetlb_window &&
			       (!strcmp(d->tramp.func, hugetlb_window) ||
				!strcmp(d->tramp.func, hugetlb_rmap));
		/* A tracepoint is no function; do_exit() always is. */
		if (want && d->kp.prog && d->tramp.prog != skel->progs.task_exit &&
		    !btf_func(vmlinux, d->tramp.func, NULL)) {
			err_msg("%s is not in this kernel's BTF (inlined or renamed?): cowcheck cannot run here",
				d->tramp.func);
			return -ENOENT;
		}
		by_kprobe = kprobes ||
			btf_func_nargs(vmlinux, d->tramp.func) > TRAMP_MAX_ARGS ||
			(!structs &&
			 btf_func_takes_struct(vmlinux, d->tramp.func));
		if (d->kp.prog && by_kprobe)
			use = &d->kp;
		bpf_program__set_autoload(d->tramp.prog, want && use == &d->tramp);
		if (d->kp.prog)
			bpf_program__set_autoload(d->kp.prog,
						  want && use == &d->kp);
		if (!want)
			continue;
		if (n == max)
			return -E2BIG;
		hooks[n++] = *use;
	}
	*nr_hooks = n;
	return 0;
}

/*
 * The kernel symbols the BPF side reads as weak __ksyms: one name of the
 * zero page's pfn, and the huge zero page's.  0 if present, else -ENOENT
 * after saying which is missing.
 */
static int check_ksyms(void)
{
	bool zero = false, huge_zero = false;
	char line[512], name[256];
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		err_msg("cannot read /proc/kallsyms: %s", strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s", name) != 1)
			continue;
		if (!strcmp(name, "zero_pfn") || !strcmp(name, "zero_page_pfn"))
			zero = true;
		else if (!strcmp(name, "huge_zero_pfn"))
			huge_zero = true;
	}
	fclose(f);
	if (!zero)
		err_msg("neither zero_pfn nor zero_page_pfn is in /proc/kallsyms: cannot tell the zero page");
	if (!huge_zero)
		err_msg("huge_zero_pfn is not in /proc/kallsyms: cannot tell the huge zero page");
	return zero && huge_zero ? 0 : -ENOENT;
}

/*
 * The classes this kernel cannot have: why, or NULL.  Their column shows
 * '-' (as in cowlab's procs).
 */
static const char *class_absent[COWCHECK_NR_EVENTS];

/* The first of @names (NULL-terminated) that @btf has as a function. */
static const char *btf_first_func(const struct btf *btf,
				  const char *const *names)
{
	for (; *names; names++)
		if (btf_func(btf, *names, NULL))
			return *names;
	return NULL;
}

static void find_absent_classes(const struct btf *vmlinux)
{
	int e;

	if (!btf_has(vmlinux, "fault_flag", BTF_KIND_ENUM, "FAULT_FLAG_UNSHARE"))
		class_absent[COWCHECK_EV_UNSHARE] =
			"no FAULT_FLAG_UNSHARE in this kernel's BTF (unshare faults came in 5.19)";
	hugetlb_window = btf_first_func(vmlinux, hugetlb_windows);
	hugetlb_rmap = btf_first_func(vmlinux, hugetlb_rmaps);
	if (!hugetlb_window || !hugetlb_rmap) {
		hugetlb_window = hugetlb_rmap = NULL;
		class_absent[COWCHECK_EV_HUGE_COPY] =
			class_absent[COWCHECK_EV_HUGE_REUSE] =
			"neither hugetlb_wp nor hugetlb_cow, or neither hugetlb_add_new_anon_rmap nor hugepage_add_new_anon_rmap, in this kernel's BTF (no hugetlbfs, or inlined)";
	}
	for (e = 0; e < COWCHECK_NR_EVENTS; e++)
		if (class_absent[e])
			fprintf(stderr, "cowcheck: class %s absent %s\n",
				event_names[e], class_absent[e]);
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

/*
 * Detach in the reverse order: no window is opened once the fault ends
 * are gone.
 */
static void detach_hooks(struct hook *hooks, size_t nr_hooks)
{
	size_t i;

	for (i = nr_hooks; i-- > 0;) {
		bpf_link__destroy(*hooks[i].link);
		*hooks[i].link = NULL;
	}
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
			if (class_absent[e])
				printf(" -");
			else
				printf(" %llu",
				       (unsigned long long)rows[i].c.ev[e]);
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

/*
 * Print the loss counters, then the others; returns how many loss
 * counters are non-zero.
 */
static int print_stats(struct cowcheck_bpf *skel, const struct btf *vmlinux,
		       const struct hook *hooks, size_t nr_hooks)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	__u64 misses = 0;
	int bad = 0, s;
	size_t i;

	/*
	 * Runs skipped because the program was already running on that CPU:
	 * counted from 5.12 (bpf_prog_info.recursion_misses), which also
	 * brought the skipping to trampolines; kprobe programs skipped on
	 * 5.10 (another kprobe program running on that CPU) are not counted.
	 */
	if (!btf_struct_has(vmlinux, "bpf_prog_info", "recursion_misses")) {
		fprintf(stderr, "cowcheck: stat prog_misses - (no recursion_misses before 5.12)\n");
		goto maps;
	}
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
		if (info.recursion_misses)
			fprintf(stderr, "cowcheck: misses %s %llu\n",
				bpf_program__section_name(hooks[i].prog),
				(unsigned long long)info.recursion_misses);
	}
	fprintf(stderr, "cowcheck: stat prog_misses %llu\n",
		(unsigned long long)misses);
	bad += misses != 0;
maps:
	for (s = 0; s < COWCHECK_NR_STATS; s++) {
		__u64 v = skel->bss->stats[s];

		fprintf(stderr, "cowcheck: %s %s %llu\n",
			s < COWCHECK_NR_LOSSES ? "stat" : "info", stat_names[s],
			(unsigned long long)v);
		if (s < COWCHECK_NR_LOSSES)
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

	if (check_ksyms()) {
		err = 1;
		goto cleanup;
	}
	find_absent_classes(vmlinux);

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
	detach_hooks(hooks, nr_hooks);
	err = print_table(bpf_map__fd(skel->maps.counts)) ? 1 : 0;
	bad = print_stats(skel, vmlinux, hooks, nr_hooks);
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
