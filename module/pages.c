// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process record of the pages that COW events touched, by address:
 * whether a COW break installed the page mapped there (so a walk can tell
 * a copied page from one that was merely touched), and how many copy,
 * zero-page and reuse events happened there (the per-VMA event counts).
 *
 * A record is four bytes.  They come in blocks of 512, one PTE table's
 * worth of addresses (2 MiB on x86-64), kept in an xarray per process
 * indexed by address >> PMD_SHIFT; the per-process tables hang off an
 * xarray indexed by tgid, in a page set (struct cowlab_pageset: the
 * module has one; the KUnit suites make their own).  The fault probes
 * update a record with the lock of the PTE table that maps its address
 * held, so faults never race each other on one record: the fault path is
 * two RCU look-ups and a few atomics, and allocates once per 2 MiB.
 *
 * Records go when the process exits or execs (its address space is gone),
 * on reset, and when their addresses are unmapped (cowlab_pages_zap(),
 * from the unmap probe): a page later faulted in at that address is a new
 * page, not a copy.  A block whose last record goes is freed after a
 * grace period.
 *
 * Budget: at most max_pages records (in whole blocks) in the set, and at
 * most user_pages for one user (the real uid of the task whose fault
 * makes a block), so that no user's processes can take the records of
 * another's.  The users table says who was refused.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/cred.h>
#include <linux/hardirq.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cowlab.h"

#define COWLAB_REC_COPIED	BIT(0)	/* a COW break installed this page */

/* A block's record count once it is on its way out: no record goes in. */
#define COWLAB_BLOCK_DYING	INT_MIN

/* What cowlab knows of one page. */
union cowlab_rec {
	u32 all;			/* 0: no record */
	struct {
		u8 events[COWLAB_EV_WP_REUSE + 1];	/* saturating */
		u8 flags;
	};
};

static_assert(sizeof(union cowlab_rec) == 4);

struct cowlab_page_block {
	union cowlab_rec rec[COWLAB_BLOCK_PAGES];
	atomic_t nr;			/* records in use, or DYING */
	struct cowlab_user *user;	/* whose budget it is counted in */
	struct rcu_head rcu;
};

/* One user's share of a page set. */
struct cowlab_user {
	kuid_t uid;
	atomic_long_t blocks;
	atomic_long_t dropped;		/* events refused: over the user's share */
};

struct cowlab_pages {
	struct xarray blocks;	/* address >> PMD_SHIFT -> block */
	atomic_long_t nr;	/* records in use */
	atomic_long_t dropped;	/* events not recorded */
	refcount_t ref;		/* the table's, plus one per reader */
	bool dead;		/* under the xa_lock of blocks */
	pid_t tgid;
	struct cowlab_user *user;	/* who asked for its last block */
	struct cowlab_pageset *set;
	struct rcu_work free_work;
};

struct cowlab_pageset {
	struct xarray by_tgid;		/* tgid -> struct cowlab_pages */
	struct xarray users;		/* uid -> struct cowlab_user */
	/* Frees tables after a grace period, in process context. */
	struct workqueue_struct *wq;
	/* Bumped whenever a table or a block goes: see cowlab_pages_cache. */
	atomic_long_t gen;
	atomic_long_t blocks;
	unsigned long blocks_max, user_blocks_max;
	atomic_long_t dropped;		/* every event not recorded */
	atomic_long_t dropped_set;	/* ... over the set's budget */
	atomic_long_t dropped_user;	/* ... over a user's share */
	atomic_long_t dropped_nomem;	/* ... no memory, or NMI context */
	atomic_long_t blocks_freed;	/* emptied by unmaps */
};

/* The blocks' cache, shared by every page set. */
static DEFINE_MUTEX(cowlab_block_cache_lock);
static struct kmem_cache *cowlab_block_cache;
static unsigned int cowlab_block_cache_users;

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
 * Did @ev install new pages?  A copy, a zero-page replacement, an unshare,
 * a private file page's copy, a KSM page's copy and a page copied by fork
 * install one; a huge
 * zero page replaced by a THP and a hugetlb page copied install every page
 * of their block (the PMD's lock is held, and no PTE table maps the block;
 * a 1 GiB hugetlb page is recorded in its first block only).  The other
 * THP and hugetlb events keep their pages and have no per-page record.
 */
static inline bool cowlab_ev_installs(enum cowlab_event ev)
{
	switch (ev) {
	case COWLAB_EV_COW_COPY:
	case COWLAB_EV_COW_ZERO:
	case COWLAB_EV_UNSHARE:
	case COWLAB_EV_THP_ZERO:
	case COWLAB_EV_FILE_COPY:
	case COWLAB_EV_COW_KSM:
	case COWLAB_EV_HUGE_COPY:
	case COWLAB_EV_FORK_COPY:
		return true;
	default:
		return false;
	}
}

/* The record after event @ev (one that installs a page, or a reuse). */
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
	if (cowlab_ev_installs(ev))
		r.flags |= COWLAB_REC_COPIED;
	return r.all;
}

NOKPROBE_SYMBOL(cowlab_rec_update);

void cowlab_rec_decode(u32 all, struct cowlab_page_rec *rec)
{
	union cowlab_rec r = { .all = all };
	int ev;

	rec->copied = r.flags & COWLAB_REC_COPIED;
	for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
		rec->events[ev] = r.events[ev];
}

static void cowlab_block_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(cowlab_block_cache,
			container_of(rcu, struct cowlab_page_block, rcu));
}

/* Take @b's blocks out of the budgets. */
static void cowlab_block_unaccount(struct cowlab_pageset *ps,
				   struct cowlab_page_block *b)
{
	atomic_long_dec(&b->user->blocks);
	atomic_long_dec(&ps->blocks);
}

/*
 * @b, emptied by an unmap (it is dying), was just taken out of its table by
 * us (with the table's xa_lock held): free it once no fault or reader can
 * still be using it.  The generation goes up first, so that no fault
 * trusts a remembered pointer to it after the grace period.
 */
static void cowlab_block_retire(struct cowlab_pageset *ps,
				struct cowlab_page_block *b)
{
	cowlab_block_unaccount(ps, b);
	atomic_long_inc(&ps->blocks_freed);
	atomic_long_inc(&ps->gen);
	call_rcu(&b->rcu, cowlab_block_free_rcu);
}

NOKPROBE_SYMBOL(cowlab_block_retire);

static void cowlab_pages_free(struct work_struct *work)
{
	struct cowlab_pages *p = container_of(to_rcu_work(work),
					      struct cowlab_pages, free_work);
	struct cowlab_page_block *b;
	unsigned long idx;

	xa_for_each(&p->blocks, idx, b) {
		cowlab_block_unaccount(p->set, b);
		kmem_cache_free(cowlab_block_cache, b);
	}
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
	queue_rcu_work(p->set->wq, &p->free_work);
}

/* The share of @uid, created if need be.  Never sleeps. */
static struct cowlab_user *cowlab_user_of(struct cowlab_pageset *ps,
					  kuid_t uid)
{
	unsigned long key = from_kuid(&init_user_ns, uid);
	struct cowlab_user *u, *fresh;

	u = xa_load(&ps->users, key);
	if (u)
		return u;
	fresh = kzalloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	fresh->uid = uid;
	u = xa_cmpxchg(&ps->users, key, NULL, fresh, GFP_NOWAIT | __GFP_NOWARN);
	if (!u)
		return fresh;
	kfree(fresh);
	return xa_is_err(u) ? NULL : u;
}

NOKPROBE_SYMBOL(cowlab_user_of);

/* The record table of @tgid, created if need be and @create.  Never sleeps. */
static struct cowlab_pages *cowlab_pages_of(struct cowlab_pageset *ps,
					    pid_t tgid, bool create)
{
	struct cowlab_pages *p, *fresh;

	p = xa_load(&ps->by_tgid, tgid);
	if (p || !create)
		return p;
	fresh = kzalloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	xa_init(&fresh->blocks);
	refcount_set(&fresh->ref, 1);
	fresh->tgid = tgid;
	fresh->set = ps;
	p = xa_cmpxchg(&ps->by_tgid, tgid, NULL, fresh,
		       GFP_NOWAIT | __GFP_NOWARN);
	if (!p)
		return fresh;
	kfree(fresh);
	return xa_is_err(p) ? NULL : p;
}

NOKPROBE_SYMBOL(cowlab_pages_of);

/* Count one more block against @ps and @u, or say which budget is full. */
static atomic_long_t *cowlab_block_charge(struct cowlab_pageset *ps,
					  struct cowlab_user *u)
{
	if (atomic_long_inc_return(&ps->blocks) > READ_ONCE(ps->blocks_max)) {
		atomic_long_dec(&ps->blocks);
		return &ps->dropped_set;
	}
	if (atomic_long_inc_return(&u->blocks) >
	    READ_ONCE(ps->user_blocks_max)) {
		atomic_long_dec(&u->blocks);
		atomic_long_dec(&ps->blocks);
		atomic_long_inc(&u->dropped);
		return &ps->dropped_user;
	}
	return NULL;
}

NOKPROBE_SYMBOL(cowlab_block_charge);

/*
 * A live block of @p at @idx: the one there, or a new one in place of none
 * or of a dying one.  Never sleeps.  NULL (with the reason counted in
 * *@why) when none can be had.  A new block counts in the share of the
 * user the faulting task runs as now (a server that forks and then drops
 * its privileges is charged as the user it became).
 */
static struct cowlab_page_block *cowlab_block_install(struct cowlab_pages *p,
						      unsigned long idx,
						      atomic_long_t **why)
{
	struct cowlab_pageset *ps = p->set;
	struct cowlab_page_block *b, *fresh;
	struct cowlab_user *u;
	void *old;

	*why = &ps->dropped_nomem;
	u = cowlab_user_of(ps, current_uid());
	if (!u)
		return NULL;
	/* The process is the user's, got it a block or not (users: short). */
	WRITE_ONCE(p->user, u);
	*why = cowlab_block_charge(ps, u);
	if (*why)
		return NULL;
	fresh = kmem_cache_zalloc(cowlab_block_cache,
				  GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh) {
		atomic_long_dec(&u->blocks);
		atomic_long_dec(&ps->blocks);
		*why = &ps->dropped_nomem;
		return NULL;
	}
	fresh->user = u;
	xa_lock(&p->blocks);
	b = xa_load(&p->blocks, idx);
	/* A dead table is on its way out: nothing more goes in. */
	if (p->dead || (b && atomic_read(&b->nr) >= 0))
		goto out;
	old = __xa_store(&p->blocks, idx, fresh, GFP_NOWAIT | __GFP_NOWARN);
	if (xa_is_err(old)) {
		b = NULL;
		*why = &ps->dropped_nomem;
		goto out;
	}
	/* We took the dying block out: ours to free. */
	if (b)
		cowlab_block_retire(ps, b);
	b = fresh;
	fresh = NULL;
out:
	xa_unlock(&p->blocks);
	if (fresh) {
		cowlab_block_unaccount(ps, fresh);
		kmem_cache_free(cowlab_block_cache, fresh);
	}
	if (!b && !*why)
		*why = &ps->dropped_nomem;
	return b;
}

NOKPROBE_SYMBOL(cowlab_block_install);

/*
 * Put @ev into @r, a record of @b.  A new record is counted in the block
 * first, which fails if the block is dying (an unmap emptied it): false,
 * and nothing changed.
 */
static bool cowlab_rec_note(struct cowlab_pages *p,
			    struct cowlab_page_block *b, union cowlab_rec *r,
			    enum cowlab_event ev)
{
	u32 old = READ_ONCE(r->all), seen;

	for (;;) {
		if (!old && !atomic_inc_unless_negative(&b->nr))
			return false;
		seen = cmpxchg(&r->all, old, cowlab_rec_update(old, ev));
		if (seen == old)
			break;
		/* An unmap cleared it meanwhile: start again from there. */
		if (!old)
			atomic_dec(&b->nr);
		old = seen;
	}
	if (!old)
		atomic_long_inc(&p->nr);
	return true;
}

NOKPROBE_SYMBOL(cowlab_rec_note);

/*
 * Note event @ev (a 4 KiB copy, zero-page replacement, unshare or reuse,
 * or a huge zero page replaced) at @addr of the process @c->tgid, through
 * @c, which remembers that process's records and the block last used (the
 * caller zeroes it when it changes process).  Called from the fault probes
 * with the lock of the page table mapping @addr held: never sleeps, and no
 * other fault updates the same records meanwhile.  Tables and blocks
 * cannot be freed under us: they go after a grace period, and we run with
 * preemption off.
 */
void cowlab_pages_note(struct cowlab_pageset *ps,
		       struct cowlab_pages_cache *c, unsigned long addr,
		       enum cowlab_event ev)
{
	unsigned long idx = cowlab_block_index(addr);
	unsigned long gen = atomic_long_read_acquire(&ps->gen);
	atomic_long_t *why = &ps->dropped_nomem;
	struct cowlab_page_block *b;
	unsigned int slot, last;
	int tries = 0;

	if (!cowlab_ev_installs(ev) && ev != COWLAB_EV_WP_REUSE)
		return;
	if (c->gen != gen) {
		c->pages = NULL;
		c->gen = gen;
	}
	/* In NMI context (a breakpoint kprobe): no locks, no allocation. */
	if (!c->pages) {
		c->pages = cowlab_pages_of(ps, c->tgid, !in_nmi());
		c->block = NULL;
	}
	if (!c->pages)
		goto drop;
	slot = cowlab_block_slot(addr);
	last = ev == COWLAB_EV_THP_ZERO || ev == COWLAB_EV_HUGE_COPY ?
	       COWLAB_BLOCK_PAGES - 1 : slot;
again:
	if (!c->block || c->idx != idx) {
		c->block = xa_load(&c->pages->blocks, idx);
		c->idx = idx;
	}
	b = c->block;
	if (!b || atomic_read(&b->nr) < 0) {
		b = in_nmi() || tries++ ? NULL :
		    cowlab_block_install(c->pages, idx, &why);
		c->block = b;
		if (!b)
			goto drop;
	}
	for (; slot <= last; slot++) {
		if (!cowlab_rec_note(c->pages, b, &b->rec[slot], ev)) {
			c->block = NULL;
			goto again;
		}
	}
	return;
drop:
	atomic_long_inc(&ps->dropped);
	atomic_long_inc(why);
	if (c->pages)
		atomic_long_inc(&c->pages->dropped);
}

NOKPROBE_SYMBOL(cowlab_pages_note);

/*
 * Clear the records of @b from @first to @last; free @b if that emptied
 * it.  Returns how many records went.
 */
static unsigned long cowlab_block_clear(struct cowlab_pages *p,
					unsigned long idx,
					struct cowlab_page_block *b,
					unsigned int first, unsigned int last)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = first; i <= last; i++)
		if (READ_ONCE(b->rec[i].all) && xchg(&b->rec[i].all, 0))
			n++;
	if (!n || atomic_sub_return(n, &b->nr) ||
	    atomic_cmpxchg(&b->nr, 0, COWLAB_BLOCK_DYING))
		return n;
	/* Empty, and dying now: whoever takes it out of the table frees it. */
	xa_lock(&p->blocks);
	if (xa_load(&p->blocks, idx) == b) {
		__xa_erase(&p->blocks, idx);
		cowlab_block_retire(p->set, b);
	}
	xa_unlock(&p->blocks);
	return n;
}

NOKPROBE_SYMBOL(cowlab_block_clear);

/*
 * Forget the records of [@start, @end) of @tgid: the range is being
 * unmapped.  From the unmap probe; never sleeps.  A fault that races with
 * MADV_DONTNEED on the same page may keep its record.
 */
void cowlab_pages_zap(struct cowlab_pageset *ps, pid_t tgid,
		      unsigned long start, unsigned long end)
{
	struct cowlab_page_block *b;
	struct cowlab_pages *p;
	unsigned long idx, n = 0;

	if (start >= end)
		return;
	rcu_read_lock();
	p = xa_load(&ps->by_tgid, tgid);
	if (p) {
		xa_for_each_range(&p->blocks, idx, b, cowlab_block_index(start),
				  cowlab_block_index(end - 1))
			n += cowlab_block_clear(p, idx, b,
						cowlab_first_slot(idx, start),
						cowlab_last_slot(idx, end));
		atomic_long_sub(n, &p->nr);
	}
	rcu_read_unlock();
}

NOKPROBE_SYMBOL(cowlab_pages_zap);

/*
 * Drop the records of @tgid, if any.  The fault path may remember them
 * (struct cowlab_pages_cache): the generation goes up before the free is
 * queued, so that a fault that still trusts them started before the grace
 * period the free waits for.
 */
void cowlab_pages_forget(struct cowlab_pageset *ps, pid_t tgid)
{
	struct cowlab_pages *p = xa_erase(&ps->by_tgid, tgid);

	if (!p)
		return;
	atomic_long_inc(&ps->gen);
	xa_lock(&p->blocks);
	p->dead = true;
	xa_unlock(&p->blocks);
	cowlab_pages_put(p);
}

/* The records of @tgid with a reference, or NULL.  cowlab_pages_release(). */
struct cowlab_pages *cowlab_pages_get(struct cowlab_pageset *ps, pid_t tgid)
{
	struct cowlab_pages *p;

	rcu_read_lock();
	p = xa_load(&ps->by_tgid, tgid);
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
 * holds a reference on @cur->pages and rcu_read_lock(), and starts @cur
 * afresh (cowlab_pages_cursor_reset()) whenever it took a break from RCU:
 * blocks are freed after a grace period.  0: no record.
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

/* Sum the event counters of records in [@start, @end) into @events. */
void cowlab_pages_events(struct cowlab_pages *p, unsigned long start,
			 unsigned long end, u64 *events)
{
	struct cowlab_page_block *b;
	struct cowlab_page_rec rec;
	unsigned long idx;
	unsigned int i;
	int ev;

	if (start >= end)
		return;
	rcu_read_lock();
	xa_for_each_range(&p->blocks, idx, b, cowlab_block_index(start),
			  cowlab_block_index(end - 1)) {
		for (i = cowlab_first_slot(idx, start);
		     i <= cowlab_last_slot(idx, end); i++) {
			cowlab_rec_decode(READ_ONCE(b->rec[i].all), &rec);
			for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
				events[ev] += rec.events[ev];
		}
	}
	rcu_read_unlock();
}

void cowlab_pages_totals(struct cowlab_pageset *ps,
			 struct cowlab_pages_totals *t)
{
	struct cowlab_pages *p;
	unsigned long tgid;
	long nr = 0, procs = 0;

	rcu_read_lock();
	xa_for_each(&ps->by_tgid, tgid, p) {
		nr += atomic_long_read(&p->nr);
		procs++;
	}
	rcu_read_unlock();
	t->tracked = max(nr, 0L);
	t->dropped = atomic_long_read(&ps->dropped);
	t->dropped_set = atomic_long_read(&ps->dropped_set);
	t->dropped_user = atomic_long_read(&ps->dropped_user);
	t->dropped_nomem = atomic_long_read(&ps->dropped_nomem);
	t->blocks = atomic_long_read(&ps->blocks);
	t->blocks_freed = atomic_long_read(&ps->blocks_freed);
	t->user_max_pages = ps->user_blocks_max * COWLAB_BLOCK_PAGES;
	t->memory_bytes = t->blocks * sizeof(struct cowlab_page_block) +
			  procs * sizeof(struct cowlab_pages);
}

/*
 * The share of the user after @*uid (or the first, with *@first), into
 * @u.  False when there is none.
 */
bool cowlab_pages_user_next(struct cowlab_pageset *ps, unsigned long *key,
			    bool first, struct cowlab_user_snap *snap)
{
	struct cowlab_user *u;
	struct cowlab_pages *p;
	unsigned long tgid;

	rcu_read_lock();
	u = first ? xa_find(&ps->users, key, ULONG_MAX, XA_PRESENT) :
		    xa_find_after(&ps->users, key, ULONG_MAX, XA_PRESENT);
	if (u) {
		snap->uid = *key;
		snap->pages = atomic_long_read(&u->blocks) *
			      COWLAB_BLOCK_PAGES;
		snap->dropped = atomic_long_read(&u->dropped);
		snap->procs = 0;
		snap->short_tgid = 0;
		snap->short_dropped = 0;
		xa_for_each(&ps->by_tgid, tgid, p) {
			long d = atomic_long_read(&p->dropped);

			if (READ_ONCE(p->user) != u)
				continue;
			snap->procs++;
			if (d > snap->short_dropped) {
				snap->short_dropped = d;
				snap->short_tgid = tgid;
			}
		}
	}
	rcu_read_unlock();
	return u;
}

/* Forget every record and who was refused: reset. */
void cowlab_pages_forget_all(struct cowlab_pageset *ps)
{
	struct cowlab_user *u;
	unsigned long key;
	void *p;

	xa_for_each(&ps->by_tgid, key, p)
		cowlab_pages_forget(ps, key);
	xa_for_each(&ps->users, key, u)
		atomic_long_set(&u->dropped, 0);
	atomic_long_set(&ps->dropped, 0);
	atomic_long_set(&ps->dropped_set, 0);
	atomic_long_set(&ps->dropped_user, 0);
	atomic_long_set(&ps->dropped_nomem, 0);
	atomic_long_set(&ps->blocks_freed, 0);
}

static int cowlab_block_cache_get(void)
{
	int err = 0;

	mutex_lock(&cowlab_block_cache_lock);
	if (!cowlab_block_cache_users) {
		cowlab_block_cache = KMEM_CACHE(cowlab_page_block, 0);
		if (!cowlab_block_cache)
			err = -ENOMEM;
	}
	if (!err)
		cowlab_block_cache_users++;
	mutex_unlock(&cowlab_block_cache_lock);
	return err;
}

/* After rcu_barrier(): no block of any set is still waiting. */
static void cowlab_block_cache_put(void)
{
	mutex_lock(&cowlab_block_cache_lock);
	if (!--cowlab_block_cache_users) {
		kmem_cache_destroy(cowlab_block_cache);
		cowlab_block_cache = NULL;
	}
	mutex_unlock(&cowlab_block_cache_lock);
}

/*
 * A page set of at most @max_pages records, and @user_pages for the
 * processes of one user (0: half of @max_pages), in whole blocks.
 */
struct cowlab_pageset *cowlab_pageset_create(unsigned long max_pages,
					     unsigned long user_pages)
{
	struct cowlab_pageset *ps = kzalloc(sizeof(*ps), GFP_KERNEL);

	if (!ps)
		return ERR_PTR(-ENOMEM);
	/* Half by default, and at least one block while there is any. */
	if (!user_pages)
		user_pages = max(max_pages / 2, min(max_pages, 1UL));
	ps->blocks_max = DIV_ROUND_UP(max_pages, COWLAB_BLOCK_PAGES);
	ps->user_blocks_max = DIV_ROUND_UP(min(user_pages, max_pages),
					   COWLAB_BLOCK_PAGES);
	xa_init(&ps->by_tgid);
	xa_init(&ps->users);
	atomic_long_set(&ps->gen, 1);
	ps->wq = alloc_workqueue("cowlab_pages", WQ_UNBOUND, 0);
	if (!ps->wq) {
		kfree(ps);
		return ERR_PTR(-ENOMEM);
	}
	if (cowlab_block_cache_get()) {
		destroy_workqueue(ps->wq);
		kfree(ps);
		return ERR_PTR(-ENOMEM);
	}
	return ps;
}

/* Wait until every table and block already dropped is freed. */
static void cowlab_pages_sync(struct cowlab_pageset *ps)
{
	rcu_barrier();
	flush_workqueue(ps->wq);
}

/* Called once no probe or reader can reach @ps. */
void cowlab_pageset_destroy(struct cowlab_pageset *ps)
{
	struct cowlab_user *u;
	unsigned long key;

	if (IS_ERR_OR_NULL(ps))
		return;
	cowlab_pages_forget_all(ps);
	xa_destroy(&ps->by_tgid);
	cowlab_pages_sync(ps);
	destroy_workqueue(ps->wq);
	xa_for_each(&ps->users, key, u)
		kfree(u);
	xa_destroy(&ps->users);
	cowlab_block_cache_put();
	kfree(ps);
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/pages_kunit.h"
#endif
