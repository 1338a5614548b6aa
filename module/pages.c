// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process record of the pages that COW events touched, by address:
 * which page a COW break installed (so a later walk can tell a copied page
 * from one that was merely touched), and how many copy, zero-page and reuse
 * events happened there (the per-VMA event counts).
 *
 * One xarray per process, indexed by virtual page number; each entry is an
 * xarray value packing the pfn of the page the last COW break installed
 * (0: none) and three saturating event counters.  The per-process records
 * hang off a global xarray indexed by tgid.  They are dropped when the
 * process exits or execs (its address space is gone), or on reset.  The
 * total number of entries is capped by the module parameter max_pages.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cowlab.h"

#define PFN_BITS	40
#define COPY_SHIFT	40
#define COPY_BITS	8
#define ZERO_SHIFT	48
#define ZERO_BITS	7
#define REUSE_SHIFT	55
#define REUSE_BITS	7

struct cowlab_pages {
	struct xarray pages;	/* vpn -> packed value */
	refcount_t ref;		/* the table's, plus one per reader */
	bool dead;		/* under the xa_lock of pages */
	struct rcu_head rcu;
};

static DEFINE_XARRAY(cowlab_by_tgid);
static atomic_long_t cowlab_pages_count = ATOMIC_LONG_INIT(0);
static atomic_long_t cowlab_pages_dropped = ATOMIC_LONG_INIT(0);
static unsigned long cowlab_pages_max;

static unsigned long cowlab_field(unsigned long v, int shift, int bits)
{
	return (v >> shift) & ((1UL << bits) - 1);
}

static unsigned long cowlab_bump(unsigned long v, int shift, int bits)
{
	if (cowlab_field(v, shift, bits) == (1UL << bits) - 1)
		return v;	/* saturated */
	return v + (1UL << shift);
}

void cowlab_page_decode(void *entry, struct cowlab_page_rec *rec)
{
	unsigned long v = xa_to_value(entry);

	rec->pfn = cowlab_field(v, 0, PFN_BITS);
	rec->events[COWLAB_EV_COW_COPY] = cowlab_field(v, COPY_SHIFT, COPY_BITS);
	rec->events[COWLAB_EV_COW_ZERO] = cowlab_field(v, ZERO_SHIFT, ZERO_BITS);
	rec->events[COWLAB_EV_WP_REUSE] = cowlab_field(v, REUSE_SHIFT, REUSE_BITS);
}

static unsigned long cowlab_page_update(unsigned long v, enum cowlab_event ev,
					unsigned long pfn)
{
	switch (ev) {
	case COWLAB_EV_COW_COPY:
		v = cowlab_bump(v, COPY_SHIFT, COPY_BITS);
		break;
	case COWLAB_EV_COW_ZERO:
		v = cowlab_bump(v, ZERO_SHIFT, ZERO_BITS);
		break;
	case COWLAB_EV_WP_REUSE:
		return cowlab_bump(v, REUSE_SHIFT, REUSE_BITS);
	default:
		break;
	}
	/* A COW break installed a new page here. */
	return (v & ~((1UL << PFN_BITS) - 1)) | (pfn & ((1UL << PFN_BITS) - 1));
}

static void cowlab_pages_free_rcu(struct rcu_head *rcu)
{
	struct cowlab_pages *p = container_of(rcu, struct cowlab_pages, rcu);

	kfree(p);
}

static void cowlab_pages_put(struct cowlab_pages *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	xa_destroy(&p->pages);
	call_rcu(&p->rcu, cowlab_pages_free_rcu);
}

/*
 * Store event @ev for the page at @vpn in @p.  The record cannot be freed
 * under us: only the exit, exec and reset paths drop the table's
 * reference, and they mark it dead first under this lock; we run with
 * preemption disabled, so call_rcu() waits.
 */
static void cowlab_pages_store(struct cowlab_pages *p, unsigned long vpn,
			       enum cowlab_event ev, unsigned long pfn)
{
	XA_STATE(xas, &p->pages, vpn);
	bool stored, full;
	unsigned long v;
	void *old;

	/*
	 * One descent of the tree for the look-up and the store; xas_nomem()
	 * allocates a node when the store needed one, and frees what an
	 * earlier pass allocated when this one stored nothing.
	 */
	do {
		stored = false;
		xas_lock(&xas);
		old = xas_load(&xas);
		full = !old &&
		       atomic_long_read(&cowlab_pages_count) >= cowlab_pages_max;
		if (!p->dead && !full) {
			v = old ? xa_to_value(old) : 0;
			xas_store(&xas,
				  xa_mk_value(cowlab_page_update(v, ev, pfn)));
			stored = true;
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_ATOMIC | __GFP_NOWARN));
	if (stored && !xas_error(&xas)) {
		if (!old)
			atomic_long_inc(&cowlab_pages_count);
	} else if (!p->dead) {
		atomic_long_inc(&cowlab_pages_dropped);
	}
}

NOKPROBE_SYMBOL(cowlab_pages_store);

/*
 * Note event @ev (a 4 KiB copy, zero-page replacement, unshare or reuse)
 * at @addr of the process @tgid, for the page now mapped there (@pfn, 0 for
 * a reuse).  Called from the fault probes: never sleeps.
 */
void cowlab_pages_note(pid_t tgid, unsigned long addr, enum cowlab_event ev,
		       unsigned long pfn)
{
	struct cowlab_pages *p, *fresh;

	/* THP events have no per-page record. */
	if (ev != COWLAB_EV_COW_COPY && ev != COWLAB_EV_COW_ZERO &&
	    ev != COWLAB_EV_WP_REUSE && ev != COWLAB_EV_UNSHARE)
		return;
	rcu_read_lock();
	p = xa_load(&cowlab_by_tgid, tgid);
	rcu_read_unlock();
	if (!p) {
		fresh = kzalloc(sizeof(*fresh), GFP_ATOMIC | __GFP_NOWARN);
		if (!fresh) {
			atomic_long_inc(&cowlab_pages_dropped);
			return;
		}
		xa_init(&fresh->pages);
		refcount_set(&fresh->ref, 1);
		xa_lock(&cowlab_by_tgid);
		p = __xa_cmpxchg(&cowlab_by_tgid, tgid, NULL, fresh, GFP_ATOMIC);
		if (xa_is_err(p)) {
			p = NULL;
		} else if (!p) {
			p = fresh;
			fresh = NULL;
		}
		xa_unlock(&cowlab_by_tgid);
		kfree(fresh);
		if (!p) {
			atomic_long_inc(&cowlab_pages_dropped);
			return;
		}
	}
	cowlab_pages_store(p, addr >> PAGE_SHIFT, ev, pfn);
}

NOKPROBE_SYMBOL(cowlab_pages_note);

/* Drop the record of @tgid, if any. */
void cowlab_pages_forget(pid_t tgid)
{
	struct cowlab_pages *p = xa_erase(&cowlab_by_tgid, tgid);
	unsigned long n = 0, idx;
	void *entry;

	if (!p)
		return;
	xa_lock(&p->pages);
	p->dead = true;
	xa_for_each(&p->pages, idx, entry)
		n++;
	xa_unlock(&p->pages);
	atomic_long_sub(n, &cowlab_pages_count);
	cowlab_pages_put(p);
}

/* The record of @tgid with a reference, or NULL.  cowlab_pages_release(). */
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

/* The entry at @vpn (an xarray value), or NULL.  Any context. */
void *cowlab_pages_lookup(struct cowlab_pages *p, unsigned long vpn)
{
	void *entry;

	rcu_read_lock();
	entry = xa_load(&p->pages, vpn);
	rcu_read_unlock();
	return entry;
}

/*
 * The first entry at or after *@vpn, with *@vpn set to its index; NULL
 * (and *@vpn undefined) if there is none.  Any context.
 */
void *cowlab_pages_find(struct cowlab_pages *p, unsigned long *vpn)
{
	return xa_find(&p->pages, vpn, ULONG_MAX, XA_PRESENT);
}

/* Sum the event counters of entries in [@start, @end) into @events. */
void cowlab_pages_events(struct cowlab_pages *p, unsigned long start,
			 unsigned long end, u64 *events)
{
	struct cowlab_page_rec rec;
	unsigned long idx;
	void *entry;
	int ev;

	rcu_read_lock();
	xa_for_each_range(&p->pages, idx, entry, start >> PAGE_SHIFT,
			  (end - 1) >> PAGE_SHIFT) {
		cowlab_page_decode(entry, &rec);
		for (ev = 0; ev <= COWLAB_EV_WP_REUSE; ev++)
			events[ev] += rec.events[ev];
	}
	rcu_read_unlock();
}

void cowlab_pages_totals(unsigned long *count, unsigned long *dropped)
{
	*count = atomic_long_read(&cowlab_pages_count);
	*dropped = atomic_long_read(&cowlab_pages_dropped);
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

int cowlab_pages_init(unsigned long max_pages)
{
	cowlab_pages_max = max_pages;
	return 0;
}

/* Called once no probe or reader can reach the records. */
void cowlab_pages_exit(void)
{
	cowlab_pages_forget_all();
	xa_destroy(&cowlab_by_tgid);
	rcu_barrier();
}

#ifdef CONFIG_COWLAB_KUNIT_TEST
#include "../tests/kunit/pages_kunit.h"
#endif
