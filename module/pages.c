// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process record of the pages that COW events touched, by address:
 * whether a COW break installed the page mapped there (so a walk can tell
 * a copied page from one that was merely touched), and how many copy,
 * zero-page and reuse events happened there (the per-VMA event counts).
 *
 * A record is four bytes.  They come in blocks of 512, one PTE table's
 * worth of addresses (2 MiB on x86-64), kept in an xarray per process
 * indexed by address >> PMD_SHIFT; the per-process tables hang off a
 * global xarray indexed by tgid.  The fault probes update a record with
 * the lock of the PTE table that maps its address held, so updates of one
 * block never race each other: the fault path is two RCU look-ups and a
 * few stores, and allocates once per 2 MiB.
 *
 * Records go when the process exits or execs (its address space is gone),
 * on reset, and when their addresses are unmapped (cowlab_pages_zap(),
 * from the unmap_page_range() probe): a page later faulted in at that
 * address is a new page, not a copy.  The number of blocks is capped by
 * the module parameter max_pages.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/hardirq.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cowlab.h"

#define COWLAB_REC_COPIED	BIT(0)	/* a COW break installed this page */

/* What cowlab knows of one page. */
union cowlab_rec {
	u32 all;			/* 0: no record */
	struct {
		u8 events[COWLAB_EV_WP_REUSE + 1];	/* saturating */
		u8 flags;
	};
};

struct cowlab_page_block {
	union cowlab_rec rec[COWLAB_BLOCK_PAGES];
};

static_assert(sizeof(union cowlab_rec) == 4);

struct cowlab_pages {
	struct xarray blocks;	/* address >> PMD_SHIFT -> block */
	atomic_long_t nr;	/* records in use */
	refcount_t ref;		/* the table's, plus one per reader */
	bool dead;		/* under the xa_lock of blocks */
	struct rcu_work free_work;
};

static DEFINE_XARRAY(cowlab_by_tgid);
/* Frees tables after a grace period, in process context (xa_destroy()). */
static struct workqueue_struct *cowlab_pages_wq;
static atomic_long_t cowlab_blocks = ATOMIC_LONG_INIT(0);
static atomic_long_t cowlab_pages_dropped = ATOMIC_LONG_INIT(0);
static unsigned long cowlab_blocks_max;

static unsigned long cowlab_block_index(unsigned long addr)
{
	return addr >> PMD_SHIFT;
}

static unsigned int cowlab_block_slot(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (COWLAB_BLOCK_PAGES - 1);
}

/* The first record of block @idx at or after address @start. */
static unsigned int cowlab_first_slot(unsigned long idx, unsigned long start)
{
	return cowlab_block_index(start) < idx ? 0 : cowlab_block_slot(start);
}

/* The last record of block @idx below address @end (> @start). */
static unsigned int cowlab_last_slot(unsigned long idx, unsigned long end)
{
	return cowlab_block_index(end - 1) > idx ? COWLAB_BLOCK_PAGES - 1 :
	       cowlab_block_slot(end - 1);
}

/*
 * Call @fn on every record of @p in [@start, @end) that lies in an existing
 * block.  Under rcu_read_lock() (or a reference on @p).
 */
typedef void (*cowlab_rec_fn)(union cowlab_rec *r, void *arg);

static void cowlab_recs_apply(struct cowlab_pages *p, unsigned long start,
			      unsigned long end, cowlab_rec_fn fn, void *arg)
{
	struct cowlab_page_block *b;
	unsigned long idx;
	unsigned int i;

	if (start >= end)
		return;
	xa_for_each_range(&p->blocks, idx, b, cowlab_block_index(start),
			  cowlab_block_index(end - 1)) {
		for (i = cowlab_first_slot(idx, start);
		     i <= cowlab_last_slot(idx, end); i++)
			fn(&b->rec[i], arg);
	}
}

NOKPROBE_SYMBOL(cowlab_recs_apply);

/* The record after event @ev.  Pure, for the tests. */
static u32 cowlab_rec_update(u32 all, enum cowlab_event ev)
{
	union cowlab_rec r = { .all = all };

	switch (ev) {
	case COWLAB_EV_COW_COPY:
	case COWLAB_EV_COW_ZERO:
	case COWLAB_EV_WP_REUSE:
		if (r.events[ev] != U8_MAX)
			r.events[ev]++;
		break;
	default:
		break;
	}
	/*
	 * A copy, a zero-page replacement or an unshare installed a page; a
	 * huge zero page replaced by a THP installed every page of the block.
	 */
	if (ev == COWLAB_EV_COW_COPY || ev == COWLAB_EV_COW_ZERO ||
	    ev == COWLAB_EV_UNSHARE || ev == COWLAB_EV_THP_ZERO)
		r.flags |= COWLAB_REC_COPIED;
	return r.all;
}

void cowlab_rec_decode(u32 all, struct cowlab_page_rec *rec)
{
	union cowlab_rec r = { .all = all };
	int ev;

	rec->copied = r.flags & COWLAB_REC_COPIED;
	for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
		rec->events[ev] = r.events[ev];
}

static void cowlab_pages_free(struct work_struct *work)
{
	struct cowlab_pages *p = container_of(to_rcu_work(work),
					      struct cowlab_pages, free_work);
	struct cowlab_page_block *b;
	unsigned long idx, n = 0;

	xa_for_each(&p->blocks, idx, b) {
		kfree(b);
		n++;
	}
	atomic_long_sub(n, &cowlab_blocks);
	xa_destroy(&p->blocks);
	kfree(p);
}

/*
 * Drop a reference; the last one frees the table once no fault can still
 * be using it (they run with preemption off: an RCU grace period).
 */
static void cowlab_pages_put(struct cowlab_pages *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	INIT_RCU_WORK(&p->free_work, cowlab_pages_free);
	queue_rcu_work(cowlab_pages_wq, &p->free_work);
}

/* The record table of @tgid, created if need be and @create.  Never sleeps. */
static struct cowlab_pages *cowlab_pages_of(pid_t tgid, bool create)
{
	struct cowlab_pages *p, *fresh;

	p = xa_load(&cowlab_by_tgid, tgid);
	if (p || !create)
		return p;
	fresh = kzalloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	xa_init(&fresh->blocks);
	refcount_set(&fresh->ref, 1);
	xa_lock(&cowlab_by_tgid);
	p = __xa_cmpxchg(&cowlab_by_tgid, tgid, NULL, fresh,
			 GFP_NOWAIT | __GFP_NOWARN);
	if (xa_is_err(p)) {
		p = NULL;
	} else if (!p) {
		p = fresh;
		fresh = NULL;
	}
	xa_unlock(&cowlab_by_tgid);
	kfree(fresh);
	return p;
}

NOKPROBE_SYMBOL(cowlab_pages_of);

/*
 * The block of @p at @idx, created if need be, @create and allowed.  Never
 * sleeps.
 */
static struct cowlab_page_block *cowlab_block_of(struct cowlab_pages *p,
						 unsigned long idx,
						 bool create)
{
	struct cowlab_page_block *b, *fresh;
	void *old = NULL;

	b = xa_load(&p->blocks, idx);
	if (b || !create)
		return b;
	if (atomic_long_read(&cowlab_blocks) >= READ_ONCE(cowlab_blocks_max))
		return NULL;
	fresh = kzalloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	xa_lock(&p->blocks);
	/* A dead table is on its way out: nothing more goes in. */
	if (!p->dead)
		old = __xa_cmpxchg(&p->blocks, idx, NULL, fresh,
				   GFP_NOWAIT | __GFP_NOWARN);
	if (!p->dead && !old) {
		b = fresh;
		fresh = NULL;
		atomic_long_inc(&cowlab_blocks);
	} else if (!xa_is_err(old)) {
		b = old;
	}
	xa_unlock(&p->blocks);
	kfree(fresh);
	return b;
}

NOKPROBE_SYMBOL(cowlab_block_of);

/*
 * Note event @ev (a 4 KiB copy, zero-page replacement, unshare or reuse)
 * at @addr of the process @tgid, through @h, which remembers that
 * process's records and the block last used (the caller keeps it, and
 * zeroes it when it may be stale: cowlab_stats_invalidate()).  Called from
 * the fault probes with the lock of the PTE table mapping @addr held:
 * never sleeps, and no other fault updates the same block meanwhile.  The
 * tables cannot be freed under us: they go after a grace period, and we
 * run with preemption off.
 */
void cowlab_pages_note_hot(struct cowlab_pages_hot *h, pid_t tgid,
			   unsigned long addr, enum cowlab_event ev)
{
	unsigned long idx = cowlab_block_index(addr);
	unsigned int slot, last;
	union cowlab_rec *r;
	u32 old;

	/*
	 * THP events have no per-page record, but for the huge zero page
	 * replaced by a THP: each of its pages is a copy.  Its PMD lock is
	 * held, and no PTE table maps the block.
	 */
	if (ev > COWLAB_EV_UNSHARE && ev != COWLAB_EV_THP_ZERO)
		return;
	/* In NMI context (a breakpoint kprobe): no locks, no allocation. */
	if (!h->pages) {
		h->pages = cowlab_pages_of(tgid, !in_nmi());
		h->block = NULL;
	}
	if (h->pages && (!h->block || h->idx != idx)) {
		h->block = cowlab_block_of(h->pages, idx, !in_nmi());
		h->idx = idx;
	}
	if (!h->block) {
		atomic_long_inc(&cowlab_pages_dropped);
		return;
	}
	slot = cowlab_block_slot(addr);
	last = ev == COWLAB_EV_THP_ZERO ? COWLAB_BLOCK_PAGES - 1 : slot;
	for (; slot <= last; slot++) {
		r = &h->block->rec[slot];
		old = READ_ONCE(r->all);
		if (!old)
			atomic_long_inc(&h->pages->nr);
		WRITE_ONCE(r->all, cowlab_rec_update(old, ev));
	}
}

NOKPROBE_SYMBOL(cowlab_pages_note_hot);

/*
 * Forget the records of [@start, @end) of @tgid: the range is being
 * unmapped.  From the unmap_page_range() probe; never sleeps.  A fault
 * that races with MADV_DONTNEED on the same page may keep its record.
 */
static void cowlab_rec_clear(union cowlab_rec *r, void *cleared)
{
	if (READ_ONCE(r->all)) {
		WRITE_ONCE(r->all, 0);
		(*(unsigned long *)cleared)++;
	}
}

NOKPROBE_SYMBOL(cowlab_rec_clear);

void cowlab_pages_zap(pid_t tgid, unsigned long start, unsigned long end)
{
	struct cowlab_pages *p;
	unsigned long n = 0;

	rcu_read_lock();
	p = xa_load(&cowlab_by_tgid, tgid);
	if (p) {
		cowlab_recs_apply(p, start, end, cowlab_rec_clear, &n);
		atomic_long_sub(n, &p->nr);
	}
	rcu_read_unlock();
}

NOKPROBE_SYMBOL(cowlab_pages_zap);

/*
 * Drop the records of @tgid, if any.  The fault path may remember them
 * (struct cowlab_pages_hot): it is told to forget before the free is
 * queued, so that a fault that still trusts them started before the grace
 * period the free waits for.
 */
void cowlab_pages_forget(pid_t tgid)
{
	struct cowlab_pages *p = xa_erase(&cowlab_by_tgid, tgid);

	cowlab_stats_invalidate();
	if (!p)
		return;
	xa_lock(&p->blocks);
	p->dead = true;
	xa_unlock(&p->blocks);
	cowlab_pages_put(p);
}

/* The records of @tgid with a reference, or NULL.  cowlab_pages_release(). */
struct cowlab_pages *cowlab_pages_get(pid_t tgid)
{
	struct cowlab_pages *p;

	rcu_read_lock();
	p = xa_load(&cowlab_by_tgid, tgid);
	if (p && !refcount_inc_not_zero(&p->ref))
		p = NULL;
	rcu_read_unlock();
	return p;
}

void cowlab_pages_release(struct cowlab_pages *p)
{
	if (p)
		cowlab_pages_put(p);
}

/*
 * The record of the page at @addr, read through @cur, which remembers the
 * last block looked up (walks go up through the addresses).  The caller
 * holds a reference on @cur->pages, so blocks stay.  0: no record.
 */
u32 cowlab_pages_rec(struct cowlab_pages_cursor *cur, unsigned long addr)
{
	unsigned long idx = cowlab_block_index(addr);

	if (!cur->pages)
		return 0;
	if (!cur->valid || cur->idx != idx) {
		cur->block = xa_load(&cur->pages->blocks, idx);
		cur->idx = idx;
		cur->valid = true;
	}
	if (!cur->block)
		return 0;
	return READ_ONCE(cur->block->rec[cowlab_block_slot(addr)].all);
}

static void cowlab_rec_add_events(union cowlab_rec *r, void *events)
{
	struct cowlab_page_rec rec;
	int ev;

	cowlab_rec_decode(READ_ONCE(r->all), &rec);
	for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
		((u64 *)events)[ev] += rec.events[ev];
}

/* Sum the event counters of records in [@start, @end) into @events. */
void cowlab_pages_events(struct cowlab_pages *p, unsigned long start,
			 unsigned long end, u64 *events)
{
	rcu_read_lock();
	cowlab_recs_apply(p, start, end, cowlab_rec_add_events, events);
	rcu_read_unlock();
}

void cowlab_pages_totals(struct cowlab_pages_totals *t)
{
	struct cowlab_pages *p;
	unsigned long tgid;
	long nr = 0, procs = 0;

	rcu_read_lock();
	xa_for_each(&cowlab_by_tgid, tgid, p) {
		nr += atomic_long_read(&p->nr);
		procs++;
	}
	rcu_read_unlock();
	t->tracked = max(nr, 0L);
	t->dropped = atomic_long_read(&cowlab_pages_dropped);
	t->blocks = atomic_long_read(&cowlab_blocks);
	t->memory_bytes = t->blocks * sizeof(struct cowlab_page_block) +
			  procs * sizeof(struct cowlab_pages);
}

/* Forget every record: reset, and module exit. */
void cowlab_pages_forget_all(void)
{
	unsigned long tgid;
	void *p;

	xa_for_each(&cowlab_by_tgid, tgid, p)
		cowlab_pages_forget(tgid);
	atomic_long_set(&cowlab_pages_dropped, 0);
}

/*
 * At most @max_pages records, in whole blocks.  May be called again (the
 * KUnit suites run before the module's init on 6.1, and call it).
 */
int cowlab_pages_init(unsigned long max_pages)
{
	cowlab_blocks_max = DIV_ROUND_UP(max_pages, COWLAB_BLOCK_PAGES);
	if (!cowlab_pages_wq)
		cowlab_pages_wq = alloc_workqueue("cowlab_pages", WQ_UNBOUND, 0);
	return cowlab_pages_wq ? 0 : -ENOMEM;
}

/* Wait until every table already dropped is freed. */
void cowlab_pages_sync(void)
{
	rcu_barrier();
	if (cowlab_pages_wq)
		flush_workqueue(cowlab_pages_wq);
}

/* Called once no probe or reader can reach the records. */
void cowlab_pages_exit(void)
{
	cowlab_pages_forget_all();
	xa_destroy(&cowlab_by_tgid);
	cowlab_pages_sync();
	if (cowlab_pages_wq)
		destroy_workqueue(cowlab_pages_wq);
	cowlab_pages_wq = NULL;
}

#ifdef CONFIG_COWLAB_KUNIT_TEST
#include "../tests/kunit/pages_kunit.h"
#endif
