/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model the demos' "# expect" lines come from: per process and page,
 * what the kernel maps (nothing, the zero page, or a page identified by a
 * number) and whether the PTE is writable.  It applies the rules of
 * mm/memory.c for order-0 anonymous pages and counts the events cowlab
 * reports for the region's VMA.  With --huge (a region_map()ped region
 * with r->huge) it also follows 2 MiB blocks mapped by a PMD
 * (mm/huge_memory.c): where the kernel may or may not install a THP
 * (allocation, and 7.x's write over the huge zero page), the rules'
 * fault_allocs() says which it did.  README.md, "Why the expectations are
 * exact", states the rules; tests/demos/model_test.c checks them.
 *
 * No I/O: the THP questions go through struct thp_rules, internal errors
 * to demo_die().
 */
#ifndef COWLAB_DEMO_MODEL_H
#define COWLAB_DEMO_MODEL_H

#include <stdbool.h>
#include <sys/types.h>

#include "region.h"
#include "thp.h"

/* The processes a demo predicts. */
enum demo_who {
	WHO_PARENT,
	WHO_CHILD,
	WHO_NR,
};

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

/* The model's state; demos and tests use the functions below. */
#define ID_NONE	0U
#define ID_ZERO	1U

#define HPAGE_PAGES	(DEMO_HPAGE_SIZE / DEMO_PAGE_SIZE)

struct mpage {
	unsigned int id;	/* ID_NONE, ID_ZERO, or a physical page */
	unsigned int folio;	/* the THP it belongs to (its first id), or 0 */
	unsigned char wr;	/* the PTE (or PMD) is writable */
	unsigned char copied;	/* obtained through a COW break */
};

/* What maps a 2 MiB block of the region in one process (--huge). */
enum mblock {
	BLK_NONE,	/* nothing: a fault here may map a whole PMD */
	BLK_PTE,	/* a page table: every fault here is a 4 KiB one */
	BLK_THP,	/* a PMD maps a THP */
	BLK_HZP,	/* a PMD maps the huge zero page */
};

struct mproc {
	bool live;
	pid_t pid;
	struct mpage *pg;
	unsigned char *blk;		/* enum mblock, per 2 MiB block */
	unsigned long ev[EV_NR];	/* since the last model_take() */
};

struct model {
	const struct region *r;
	const struct thp_rules *thp;	/* r->huge: what THP may do, else NULL */
	bool anon_vma;		/* private: a page was ever written */
	unsigned int next_id;
	unsigned int *shmem;	/* shared: the page cache, by index */
	unsigned long blocks;	/* 2 MiB blocks wholly inside the region */
	/*
	 * --huge: the kernel's own count of THPs installed by a fault
	 * (/proc/vmstat thp_fault_alloc) when the model last took one.
	 */
	unsigned long long thp_seen;
	struct mproc p[WHO_NR];
};

/*
 * A model of @r, mapped by the process @parent alone; @thp: the rules
 * when r->huge (ignored otherwise).  Dies if out of memory.
 */
struct model *model_new(const struct region *r, const struct thp_rules *thp,
			pid_t parent);
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
/* fork(): the child @pid gets the parent's PTEs, write-protected in both. */
void model_fork(struct model *m, pid_t pid);
/* exit() or execve(): @who's mappings are gone. */
void model_exit(struct model *m, enum demo_who who);

/* What cowlab's vmas row of the region shows for one process. */
struct model_view {
	pid_t pid;
	unsigned long resident;
	unsigned long shared;	/* mapped by the other process too */
	unsigned long exclusive;
	unsigned long zero;
	unsigned long copied;	/* exclusive, obtained through a COW break */
	unsigned long ev[EV_NR];	/* since the previous model_take() */
};

/*
 * @who's view now; false if @who does not live.  Its events count from
 * zero again.
 */
bool model_take(struct model *m, enum demo_who who, struct model_view *v);

/*
 * --huge: THPs the kernel installed by faults since the previous call,
 * beyond the ones the model took (elsewhere, or a wrong prediction); from
 * then on the model counts from the kernel's count.  0 without THP.
 */
unsigned long long model_thp_resync(struct model *m);

const char *model_event_str(enum demo_event ev);

#endif /* COWLAB_DEMO_MODEL_H */
