/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared plumbing for the cowlab course demos: options, the region the demo
 * works on, parent/child synchronisation over pipes, step checkpoints, and
 * a model of the kernel's copy-on-write rules that predicts what cowlab
 * should show for the region (README.md describes the output format).
 */
#ifndef COWLAB_DEMO_UTIL_H
#define COWLAB_DEMO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel's spellings, as in tools/include/linux/compiler.h */
#define __printf(a, b)		__attribute__((__format__(__printf__, a, b)))
#define __noreturn		__attribute__((__noreturn__))
#define noinline		__attribute__((__noinline__))
#define BIT(nr)			(1U << (nr))
/* One real load or store: the access itself is what the demo is about. */
#define READ_ONCE(x)		(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile typeof(x) *)&(x) = (val))

#define DEMO_VERSION	"0.1.0"
#define DEMO_PAGE_SIZE	4096UL
#define DEMO_HPAGE_SIZE	(2UL << 20)
#define DEMO_MAX_PAGES	262144UL	/* 1 GiB */

/* struct demo_info.flags */
#define DEMO_LOOPS		BIT(0)	/* runs forever unless --steps */
#define DEMO_INTERACTIVE	BIT(1)	/* --wait is the default */
#define DEMO_EXEC		BIT(2)	/* --exec PATH [ARG...] */

struct demo_info {
	const char *name;
	const char *summary;	/* one line */
	const char *help;	/* the steps, for --help */
	const char *examples;	/* for --help */
	unsigned long default_pages;
	unsigned long min_pages;
	unsigned int flags;
};

/* The options, filled by demo_init(). */
struct env {
	unsigned long pages;	/* region size in 4 KiB pages */
	long steps;		/* iterations; -1: forever (DEMO_LOOPS demos) */
	bool wait;		/* pause at every checkpoint for a stdin line */
	bool huge;		/* let THP back the region */
	long interval_ms;	/* pacing between iterations when not waiting */
	char **exec_argv;	/* DEMO_EXEC: program and arguments, NULL-ended */
};

extern struct env env;

/*
 * Parse the command line (exits 2 on a usage error, 0 after --help or
 * --version), pin the process to one CPU and print the banner.
 */
void demo_init(const struct demo_info *info, int argc, char **argv);

/* Print one line (or a few) to stdout with a single write(2). */
void demo_say(const char *fmt, ...) __printf(1, 2);

/* Print "NAME: message" on stderr and exit 1; _errno appends strerror. */
void demo_die(const char *fmt, ...)
	__printf(1, 2) __noreturn;
void demo_die_errno(const char *fmt, ...)
	__printf(1, 2) __noreturn;

/* The region a demo works on: its own VMA, between two PROT_NONE guards. */
struct region {
	const char *name;
	char *start;
	size_t len;
	unsigned long pages;
	bool shared;		/* MAP_SHARED instead of MAP_PRIVATE */
};

/* Map @pages pages (anonymous), apply --huge/--nohuge, print a banner. */
void region_map(struct region *r, const char *name, unsigned long pages,
		bool shared);

static inline char *region_page(const struct region *r, unsigned long i)
{
	return r->start + i * DEMO_PAGE_SIZE;
}

/* Write @val to the first byte of pages [@first, @first + @n). */
void region_write(const struct region *r, unsigned long first,
		  unsigned long n, char val);

/* Read the first byte of pages [@first, @first + @n); returns their sum. */
unsigned long region_read(const struct region *r, unsigned long first,
			  unsigned long n);

/* The processes a demo predicts: index into demo_pids[] and the model. */
enum demo_who {
	WHO_PARENT,
	WHO_CHILD,
	WHO_NR,
};

extern pid_t demo_pids[WHO_NR];

/*
 * One end of a parent/child link: two O_CLOEXEC pipes. Commands are single
 * bytes; the child answers each with 'k' once the command is done.
 */
struct peer {
	pid_t pid;		/* the process at the other end */
	int rd;
	int wr;
};

/*
 * fork() with a link. In the parent, returns the child's pid and records it
 * in demo_pids[WHO_CHILD]; in the child, returns 0. Dies on failure.
 */
pid_t demo_fork(struct peer *p);

void peer_send(struct peer *p, char cmd);
/* Next byte from the other end; a child exits 1, a parent dies, on EOF. */
char peer_recv(struct peer *p);
/* Parent: send @cmd, wait for the child's 'k'. */
void peer_call(struct peer *p, char cmd);
/* Child: tell the parent the command is done. */
void peer_done(struct peer *p);
/* Parent: send 'q', close the link, reap the child, die unless it exit(0)ed. */
void peer_quit(struct peer *p);

/* Exec env.exec_argv; on failure write errno to @status_fd and _exit(127). */
void demo_exec_child(int status_fd) __noreturn;
/*
 * Parent: wait until the child has exec'd (EOF on the O_CLOEXEC status
 * pipe). Dies, after reaping @pid, if the exec failed.
 */
void demo_wait_exec(int status_fd, pid_t pid);
/*
 * Parent: reap @pid and print how it ended. Returns its exit status, or
 * 128 + the signal that killed it.
 */
int demo_reap(pid_t pid);

/*
 * The model: per process and page, what the kernel maps (nothing, the zero
 * page, or a page identified by a number) and whether the PTE is writable.
 * It applies the rules of mm/memory.c for order-0 anonymous pages and
 * counts the events cowlab reports for the region's VMA. With --huge it
 * also follows 2 MiB blocks mapped by a PMD (mm/huge_memory.c): where the
 * kernel may or may not install a THP (allocation, and 7.x's write over
 * the huge zero page), /proc/vmstat thp_fault_alloc says which it did.
 */
enum demo_event {
	EV_NONE,	/* no fault: already mapped (writable for a write) */
	EV_NEW,		/* fault on an empty PTE: a fresh page */
	EV_ZERO_MAP,	/* read fault on an empty PTE: the zero page */
	EV_COW_COPY,	/* wp fault on a shared page: copied */
	EV_COW_ZERO,	/* wp fault on the zero page: a fresh zeroed page */
	EV_WP_REUSE,	/* wp fault on a page nobody else maps: reused */
	/* --huge: a fault on a PMD (the 4 KiB fault after a split is apart) */
	EV_THP_SPLIT,	/* wp fault on a THP still shared: PMD split */
	EV_THP_REUSE,	/* wp fault on a THP nobody else maps: reused */
	EV_THP_ZERO,	/* wp fault on the huge zero page: a new THP (7.x) */
	EV_NR,
};

struct model;

struct model *model_new(const struct region *r);
void model_free(struct model *m);
enum demo_event model_read(struct model *m, enum demo_who who,
			   unsigned long page);
enum demo_event model_write(struct model *m, enum demo_who who,
			    unsigned long page);
/* Write (or read) @n pages from @first; returns the last page's event. */
enum demo_event model_write_range(struct model *m, enum demo_who who,
				  unsigned long first, unsigned long n);
enum demo_event model_read_range(struct model *m, enum demo_who who,
				 unsigned long first, unsigned long n);
/* fork(): the child gets the parent's PTEs, write-protected in both. */
void model_fork(struct model *m);
/* exit() or execve(): @who's mappings are gone. */
void model_exit(struct model *m, enum demo_who who);
const char *demo_event_str(enum demo_event ev);

/*
 * Checkpoints. demo_step() prints "# step N NAME: SENTENCE" (N counts from
 * 0), demo_expect() one "# expect" line per live process of @m, and
 * demo_pause() "# waiting" and a blocking read of one stdin line (--wait),
 * or sleeps env.interval_ms (pacing for people, never synchronisation).
 */
void demo_step(const char *name, const char *fmt, ...)
	__printf(2, 3);
void demo_expect(struct model *m);
void demo_pause(void);

/* Minor and major faults of @pid as ps shows them; -1 if unreadable. */
int demo_faults(pid_t pid, unsigned long *min_flt, unsigned long *maj_flt);

#endif /* COWLAB_DEMO_UTIL_H */
