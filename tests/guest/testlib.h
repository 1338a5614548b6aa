/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by cowlab's guest tests: reading cowlab's tables, and worker
 * processes driven through pipes.
 *
 * A worker is a process that owns a memory region and does exactly what it
 * is told, one command at a time: map, read, write, fork, exit.  The test
 * process (which is never measured) reads cowlab's counts between
 * commands.  Workers never print and never allocate after they fork, and
 * they pre-fault their stack, so that the only COW faults between two reads
 * are the ones the command asked for.
 */
#ifndef COWLAB_TESTLIB_H
#define COWLAB_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table.h"

#define PAGE	4096UL
#define HPAGE	(2UL << 20)

enum { EV_COW_COPY, EV_COW_ZERO, EV_WP_REUSE, EV_UNSHARE, EV_THP_REUSE,
       EV_THP_SPLIT, EV_THP_ZERO, EV_FILE_COPY, EV_COW_KSM, EV_HUGE_COPY,
       EV_HUGE_REUSE, EV_FORK_COPY, NR_EV };
static const char *const ev_names[NR_EV] = {
	"cow_copy", "cow_zero", "wp_reuse", "unshare", "thp_reuse", "thp_split",
	"thp_zero", "file_copy", "cow_ksm", "huge_copy", "huge_reuse",
	"fork_copy",
};

struct counts {
	long long ev[NR_EV];
	bool absent[NR_EV];	/* "-" in procs: not counted on this kernel */
	char state[16];
	bool valid;		/* read_counts() filled it in */
};

/* A row of the classes file. */
enum class_status { CLASS_COUNTED, CLASS_ABSENT, CLASS_MISSING };

struct class_info {
	enum class_status status;
	char reason[160];	/* "-" when counted */
	char probe[64];		/* CLASS_MISSING: the probe named */
};

static struct class_info classes[NR_EV];
static bool classes_loaded;

/*
 * Read the classes file once (it does not change while cowlab is loaded):
 * header "class status reason", one row per class, in procs' column order.
 * Returns 0, or -errno / -EPROTO (malformed; the reason is printed).
 */
static inline int load_classes(void)
{
	struct cowlab_table t;
	const char *err;
	char *text;
	int i, ret;

	if (classes_loaded)
		return 0;
	ret = cowlab_read_file(COWLAB_DEBUGFS "/classes", &text, NULL);
	if (ret)
		return ret;
	ret = cowlab_table_parse(&t, text, 1, &err);
	if (ret) {
		printf("# classes: %s\n", err);
		cowlab_table_free(&t);
		return ret;
	}
	ret = -EPROTO;
	if (t.ncols != 3 || strcmp(t.cols[0], "class") ||
	    strcmp(t.cols[1], "status") || strcmp(t.cols[2], "reason")) {
		printf("# classes: header is not \"class status reason\"\n");
		goto out;
	}
	if (t.nrows != NR_EV) {
		printf("# classes: %zu rows, want %d\n", t.nrows, NR_EV);
		goto out;
	}
	for (i = 0; i < NR_EV; i++) {
		const char *st = t.rows[i][1], *why = t.rows[i][2];
		struct class_info *ci = &classes[i];

		if (strcmp(t.rows[i][0], ev_names[i])) {
			printf("# classes: row %d is %s, want %s\n", i + 1,
			       t.rows[i][0], ev_names[i]);
			goto out;
		}
		ci->probe[0] = '\0';
		if (!strcmp(st, "counted") && !strcmp(why, "-")) {
			ci->status = CLASS_COUNTED;
		} else if (!strcmp(st, "absent") && *why && strcmp(why, "-")) {
			ci->status = CLASS_ABSENT;
		} else if (!strcmp(st, "missing") &&
			   sscanf(why, "probe %63s", ci->probe) == 1) {
			ci->status = CLASS_MISSING;
		} else {
			printf("# classes: %s: bad status \"%s %s\"\n",
			       ev_names[i], st, why);
			goto out;
		}
		snprintf(ci->reason, sizeof(ci->reason), "%s", why);
	}
	classes_loaded = true;
	ret = 0;
out:
	cowlab_table_free(&t);
	return ret;
}

/* Is class @ev counted on this kernel (classes loaded)? */
static inline bool class_counted(int ev)
{
	return classes_loaded && classes[ev].status == CLASS_COUNTED;
}

/*
 * Read @pid's row of procs.  Returns 0, -ENOENT if not listed, -errno;
 * -EPROTO if a class shows "-" where the classes file says it is counted,
 * or a number where it says it is not.
 */
static inline int read_counts(pid_t pid, struct counts *c)
{
	struct cowlab_table t;
	const char *err, *f;
	char key[32], *text;
	int i, ret, kc;

	c->valid = false;
	ret = load_classes();
	if (ret)
		return ret;
	ret = cowlab_read_file(COWLAB_DEBUGFS "/procs", &text, NULL);
	if (ret)
		return ret;
	ret = cowlab_table_parse(&t, text, 0, &err);
	if (ret) {
		fprintf(stderr, "procs: %s\n", err);
		cowlab_table_free(&t);
		return ret;
	}
	snprintf(key, sizeof(key), "%d", pid);
	kc = cowlab_table_col(&t, "pid");
	ret = -ENOENT;
	if (!cowlab_table_lookup(&t, kc, key, kc))
		goto out;
	for (i = 0; i < NR_EV; i++) {
		unsigned long long v = 0;
		int r;

		f = cowlab_table_lookup(&t, kc, key,
					cowlab_table_col(&t, ev_names[i]));
		r = f ? cowlab_field_u64(f, &v) : -EINVAL;
		if (r && r != -ENOENT) {
			printf("# procs: pid %d: %s is \"%s\"\n", pid,
			       ev_names[i], f ? f : "(no such column)");
			ret = -EINVAL;
			goto out;
		}
		c->absent[i] = r == -ENOENT;
		if (c->absent[i] == class_counted(i)) {
			printf("# procs: pid %d: %s is \"%s\" but classes says \"%s %s\"\n",
			       pid, ev_names[i], f,
			       class_counted(i) ? "counted" : "not counted",
			       classes[i].reason);
			ret = -EPROTO;
			goto out;
		}
		c->ev[i] = (long long)v;
	}
	f = cowlab_table_lookup(&t, kc, key, cowlab_table_col(&t, "state"));
	snprintf(c->state, sizeof(c->state), "%s", f ? f : "?");
	c->valid = true;
	ret = 0;
out:
	cowlab_table_free(&t);
	return ret;
}

/* read_counts(), saying why it failed. */
static inline bool snap_ok(pid_t pid, struct counts *c)
{
	int ret = read_counts(pid, c);

	if (ret)
		printf("# pid %d not readable in procs: %s\n", pid,
		       strerror(-ret));
	return !ret;
}

/* One value of the stats file. */
static inline bool stat_value(const char *name, unsigned long long *v)
{
	struct cowlab_table t;
	const char *err, *f;
	char *text;
	bool ok;

	if (cowlab_read_file(COWLAB_DEBUGFS "/stats", &text, NULL))
		return false;
	ok = !cowlab_table_parse(&t, text, 0, &err);
	f = ok ? cowlab_table_lookup(&t, cowlab_table_col(&t, "name"), name,
				     cowlab_table_col(&t, "value")) : NULL;
	ok = f && !cowlab_field_u64(f, v);
	cowlab_table_free(&t);
	return ok;
}

/*
 * Write @what on a fresh descriptor of @path, a file that shows one
 * process (sites, timeline): 0 or -errno; the descriptor in *@fdp if
 * given, else closed.
 */
static inline int pid_file_select(const char *path, const char *what,
				  int *fdp)
{
	int fd = open(path, O_RDWR), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		err = -errno;
	if (fdp && !err)
		*fdp = fd;
	else
		close(fd);
	return err;
}

/* @pid's text of such a file, into @text of @size bytes: 0 or -errno. */
static inline int pid_file_read(const char *path, pid_t pid, char *text,
				size_t size)
{
	char buf[16];
	ssize_t n;
	int fd, err;

	snprintf(buf, sizeof(buf), "%d\n", pid);
	err = pid_file_select(path, buf, &fd);
	if (err)
		return err;
	n = read(fd, text, size - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (!err)
		text[n] = '\0';
	return err;
}

/* ---- workers ---- */

enum worker_op {
	OP_NOP,
	OP_MAP,		/* arg: pages; flags: MAP_SHARED?, thp */
	OP_WRITE,	/* write pages first, first+stride, ... (count) */
	OP_READ,	/* read them */
	OP_FORK,	/* fork the child worker; reply: its pid */
	OP_WAIT,	/* reap the child worker */
	OP_EXIT,
	OP_CHECK,	/* reply: the byte at page first */
	OP_DONTNEED,	/* MADV_DONTNEED pages [first, first + count) */
	OP_VMREAD,	/* count pages at addr of pid into ours from first */
	OP_MAPFILE,	/* arg: pages of file fd from offset 0; flags: W_SHARED? */
	OP_MADVISE,	/* madvise(advice) pages [first, first + count) */
	OP_STACK,	/* write every page of the stack prefault_stack() made */
};

#define W_SHARED	1
#define W_THP		2
#define W_NOTHP		4

struct worker_cmd {
	int op;
	int flags;
	unsigned long pages, first, count, stride;
	unsigned char value;
	pid_t pid;		/* OP_VMREAD */
	unsigned long addr;	/* OP_VMREAD */
	int fd;			/* OP_MAPFILE: a descriptor the worker inherited */
	int advice;		/* OP_MADVISE */
};

struct worker_reply {
	long ret;
	unsigned long addr;
};

struct worker {
	pid_t pid;
	int cmd, reply;		/* our ends */
	int wcmd, wreply;	/* the worker's ends */
};

static unsigned char *w_region;
static unsigned long w_len;

static inline void prefault_stack(void)
{
	volatile char pad[256 * 1024];
	size_t i;

	for (i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 1;
}

static inline long worker_map(const struct worker_cmd *c, unsigned long *addr)
{
	unsigned long len = c->pages * PAGE;
	int share = (c->flags & W_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	unsigned char *p;

	/* Over-allocate and trim, so THP-sized regions are 2 MiB aligned. */
	p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		 share | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (!(c->flags & W_SHARED)) {
		unsigned long a = ((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1);

		if (a > (unsigned long)p)
			munmap(p, a - (unsigned long)p);
		munmap((void *)(a + len), (unsigned long)p + len + HPAGE - a - len);
		p = (unsigned char *)a;
	}
	if ((c->flags & W_THP) && madvise(p, len, MADV_HUGEPAGE))
		return -errno;
	if ((c->flags & W_NOTHP) && madvise(p, len, MADV_NOHUGEPAGE))
		return -errno;
	w_region = p;
	w_len = len;
	*addr = (unsigned long)p;
	return 0;
}

/* A file mapping: the file's first pages, where the kernel puts them. */
static inline long worker_map_file(const struct worker_cmd *c,
				   unsigned long *addr)
{
	int share = (c->flags & W_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	unsigned char *p = mmap(NULL, c->pages * PAGE, PROT_READ | PROT_WRITE,
				share, c->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	w_region = p;
	w_len = c->pages * PAGE;
	*addr = (unsigned long)p;
	return 0;
}

static inline void worker_loop(struct worker *self, struct worker *child);

static inline long worker_do(struct worker *self, struct worker *child,
		      const struct worker_cmd *c, unsigned long *addr)
{
	volatile unsigned char *r = w_region;
	unsigned long i, sum = 0;
	pid_t pid;
	int status;

	switch (c->op) {
	case OP_NOP:
		return 0;
	case OP_STACK:
		prefault_stack();
		return 0;
	case OP_MAP:
		return worker_map(c, addr);
	case OP_WRITE:
		for (i = 0; i < c->count; i++)
			r[(c->first + i * c->stride) * PAGE] = c->value;
		return 0;
	case OP_READ:
		for (i = 0; i < c->count; i++)
			sum += r[(c->first + i * c->stride) * PAGE];
		return (long)sum;
	case OP_CHECK:
		return r[c->first * PAGE];
	case OP_DONTNEED:
		return madvise((void *)(r + c->first * PAGE), c->count * PAGE,
			       MADV_DONTNEED) ? -errno : 0;
	case OP_MAPFILE:
		return worker_map_file(c, addr);
	case OP_MADVISE:
		return madvise((void *)(r + c->first * PAGE), c->count * PAGE,
			       c->advice) ? -errno : 0;
	case OP_VMREAD: {
		struct iovec l = { (void *)(r + c->first * PAGE),
				   c->count * PAGE };
		struct iovec rm = { (void *)c->addr, c->count * PAGE };
		/* The syscall: its wrapper needs _GNU_SOURCE. */
		long n = syscall(SYS_process_vm_readv, c->pid, &l, 1UL, &rm,
				 1UL, 0UL);

		return n < 0 ? -errno : n;
	}
	case OP_FORK:
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			close(self->cmd);
			close(self->reply);
			worker_loop(child, NULL);
		}
		child->pid = pid;
		return pid;
	case OP_WAIT:
		if (waitpid(child->pid, &status, 0) < 0)
			return -errno;
		return status;
	case OP_EXIT:
		_exit(0);
	}
	return -EINVAL;
}

/* Serve commands on @self's pipe ends until OP_EXIT. */
static inline void worker_loop(struct worker *self, struct worker *child)
{
	struct worker_cmd c;
	struct worker_reply r;

	prefault_stack();
	for (;;) {
		if (read(self->wcmd, &c, sizeof(c)) != sizeof(c))
			_exit(1);
		r.addr = 0;
		r.ret = worker_do(self, child, &c, &r.addr);
		if (write(self->wreply, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
}

static inline int worker_pipes(struct worker *w)
{
	int a[2], b[2];

	if (pipe(a) || pipe(b))
		return -errno;
	w->wcmd = a[0];
	w->cmd = a[1];
	w->reply = b[0];
	w->wreply = b[1];
	return 0;
}

/*
 * Start parent worker @p, which will fork child worker @c on OP_FORK.
 * Both sets of pipes are made here, so the test talks to each directly.
 */
static inline int worker_start(struct worker *p, struct worker *c)
{
	if (worker_pipes(p) || worker_pipes(c))
		return -1;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0)
		worker_loop(p, c);
	close(p->wcmd);
	close(p->wreply);
	return 0;
}

/* Send one command; returns the worker's result (and *@addr), or exits. */
static inline long worker_cmd(struct worker *w, struct worker_cmd c,
		       unsigned long *addr)
{
	struct worker_reply r;

	if (write(w->cmd, &c, sizeof(c)) != sizeof(c) ||
	    read(w->reply, &r, sizeof(r)) != sizeof(r)) {
		fprintf(stderr, "worker %d: pipe broken\n", w->pid);
		exit(2);
	}
	if (addr)
		*addr = r.addr;
	return r.ret;
}

/* Tell @w to exit: it does not reply. */
static inline void worker_exit(struct worker *w)
{
	struct worker_cmd c = { .op = OP_EXIT };

	if (write(w->cmd, &c, sizeof(c)) != sizeof(c))
		fprintf(stderr, "worker %d: pipe broken\n", w->pid);
}

/* After OP_FORK: the test's own copies of the child's worker ends. */
static inline void worker_forked(struct worker *c)
{
	close(c->wcmd);
	close(c->wreply);
}

#define CMD(...)	((struct worker_cmd){ __VA_ARGS__ })

/* Run one round trip with each worker so that its code and stack are warm. */
static inline void worker_warm(struct worker *w)
{
	worker_cmd(w, CMD(.op = OP_WRITE, .count = 0), NULL);
	worker_cmd(w, CMD(.op = OP_READ, .count = 0), NULL);
	worker_cmd(w, CMD(.op = OP_NOP), NULL);
}

/*
 * After clear_refs write-protected all of @w's pages: write its whole
 * stack again, not only what one round trip uses.  The stack's start is
 * randomised within a page, so a call a little deeper than those (the
 * madvise() wrapper) would otherwise now and then write to a page still
 * write-protected: a wp_reuse the test did not ask for.
 */
static inline void worker_rewarm(struct worker *w)
{
	worker_cmd(w, CMD(.op = OP_STACK), NULL);
	worker_warm(w);
}

/* AnonHugePages of the VMA at @addr in /proc/@pid/smaps, in KiB, or -1. */
static inline long smaps_field(pid_t pid, unsigned long addr, const char *field)
{
	char path[64], line[512];
	bool in = false;
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		size_t n = strlen(field);

		/* A VMA header; "Field: value kB" lines never parse so. */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = addr >= s && addr < e;
			continue;
		}
		if (in && !strncmp(line, field, n) && line[n] == ':') {
			val = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* THP "enabled" mode from sysfs: "always", "madvise" or "never". */
static inline const char *thp_mode(void)
{
	static char mode[16];
	char buf[128], *s, *e;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return "never";
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return "never";
	}
	fclose(f);
	s = strchr(buf, '[');
	e = s ? strchr(s, ']') : NULL;
	if (!s || !e || e - s > 15)
		return "never";
	memcpy(mode, s + 1, e - s - 1);
	mode[e - s - 1] = '\0';
	return mode;
}

/*
 * The number after "@name@sep" at the start of a line of @path (as in
 * /proc/vmstat, "name value", or /proc/meminfo, "Name:   value kB"), or
 * -1 if there is none.
 */
static inline long long proc_value(const char *path, const char *name,
				   char sep)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(name);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == sep) {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* One counter of /proc/vmstat, or -1 if it is not there. */
static inline long long vmstat_value(const char *name)
{
	return proc_value("/proc/vmstat", name, ' ');
}

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define KPF_THP		22
#define KPF_ZERO_PAGE	24

/*
 * The PFNs of @n pages of @pid from @addr, from /proc/@pid/pagemap: -1 for
 * a page not present.  Returns 0 or -errno (-EPERM: PFNs hidden).
 */
static inline int pagemap_pfns(pid_t pid, unsigned long addr, unsigned long n,
			       long long *pfn)
{
	uint64_t *ent = calloc(n, sizeof(*ent));
	size_t len = n * sizeof(*ent);
	char path[64];
	unsigned long i;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = ent ? open(path, O_RDONLY) : -1;
	if (fd < 0 || pread(fd, ent, len, addr / PAGE * 8) != (ssize_t)len)
		ret = !ent ? -ENOMEM : fd < 0 ? -errno : -EIO;
	for (i = 0; !ret && i < n; i++) {
		/* A PFN of 0 in a present entry: PFNs hidden (not root). */
		if ((ent[i] & PM_PRESENT) && !(ent[i] & PM_PFN_MASK))
			ret = -EPERM;
		pfn[i] = ent[i] & PM_PRESENT ? (long long)(ent[i] & PM_PFN_MASK)
					     : -1;
	}
	if (fd >= 0)
		close(fd);
	free(ent);
	return ret;
}

/*
 * The 8-byte values that /proc/@kfile (kpagecount or kpageflags) holds for
 * @n PFNs: -1 where the PFN is -1.  Returns 0 or -errno.
 */
static inline int kpage_values(const char *kfile, const long long *pfn,
			       unsigned long n, long long *out)
{
	char path[64];
	unsigned long i;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%s", kfile);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		uint64_t v;

		out[i] = -1;
		if (pfn[i] < 0)
			continue;
		if (pread(fd, &v, 8, pfn[i] * 8) != 8) {
			ret = -EIO;
			break;
		}
		out[i] = (long long)v;
	}
	close(fd);
	return ret;
}

/*
 * How many of @n pages of @pid at @addr are present and mapped exactly
 * @want times, says /proc/kpagecount; -1 if it cannot be read.
 */
static inline long kpagecount_is(pid_t pid, unsigned long addr,
				 unsigned long n, long long want)
{
	long long *pfn = calloc(n, sizeof(*pfn)), *cnt = calloc(n, sizeof(*cnt));
	unsigned long i;
	long hits = -1;

	if (pfn && cnt && !pagemap_pfns(pid, addr, n, pfn) &&
	    !kpage_values("kpagecount", pfn, n, cnt)) {
		hits = 0;
		for (i = 0; i < n; i++)
			hits += pfn[i] >= 0 && cnt[i] == want;
	}
	free(pfn);
	free(cnt);
	return hits;
}

#endif /* COWLAB_TESTLIB_H */
