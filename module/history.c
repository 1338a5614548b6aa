// SPDX-License-Identifier: GPL-2.0
/*
 * A process's history (struct cowlab_history, cowlab.h): its COW events
 * over time since its fork or its reset, for the timeline file, and what
 * its fork shared, for the exposure columns of procs.  Format and meaning:
 * docs/debugfs.md, "timeline".
 *
 * Time is counted in jiffies, one read per event, in COWLAB_HISTORY_BUCKETS
 * buckets of equal width.  A bucket starts one tick wide; when an event
 * comes past the last bucket, pairs of buckets are merged into the first
 * half and the width doubles, as often as needed: the memory stays fixed
 * and the buckets always cover the whole time since the start.  Counting
 * is lock-free (cowlab_history_note(), inline); a merge takes the
 * history's lock.  An event that races a merge may land one bucket off
 * its time, but is never lost: merges move counts with atomic exchanges,
 * so the buckets always add up to the events counted.
 *
 * The process table (stats.c) makes and frees histories beside its
 * entries; this file calls nothing of cowlab's.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/atomic.h>
#include <linux/hardirq.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "cowlab.h"

static_assert(COWLAB_HISTORY_BUCKETS % 2 == 0);
/* 256 bytes, from the kmalloc-256 cache (lock debugging aside). */
static_assert(sizeof(struct cowlab_history) <= 256 ||
	      IS_ENABLED(CONFIG_DEBUG_SPINLOCK) ||
	      IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC));

/* Histories allocated, and those that could not be (no memory). */
static atomic_long_t cowlab_history_count = ATOMIC_LONG_INIT(0);
static atomic_long_t cowlab_history_nomem = ATOMIC_LONG_INIT(0);

/*
 * A history starting at @since_ns (CLOCK_MONOTONIC, not in the future),
 * or NULL (counted) without memory.  Never sleeps.
 */
struct cowlab_history *cowlab_history_new(u64 since_ns)
{
	struct cowlab_history *h = kzalloc(sizeof(*h),
					   GFP_NOWAIT | __GFP_NOWARN);
	u64 now = ktime_get_ns();
	unsigned long j = jiffies;

	if (!h) {
		atomic_long_inc(&cowlab_history_nomem);
		return NULL;
	}
	if (since_ns > now)
		since_ns = now;
	/* The tick of @since_ns: the start of bucket 0. */
	h->start = j - (unsigned long)nsecs_to_jiffies64(now - since_ns);
	h->since_ns = now - (u64)(j - h->start) * TICK_NSEC;
	raw_spin_lock_init(&h->lock);
	h->fork_shared = COWLAB_FORK_UNKNOWN;
	atomic_long_inc(&cowlab_history_count);
	return h;
}

/* After a grace period: a fault may still be counting into @h. */
void cowlab_history_free(struct cowlab_history *h)
{
	if (!h)
		return;
	atomic_long_dec(&cowlab_history_count);
	kfree_rcu(h, rcu);
}

void cowlab_history_totals(struct cowlab_history_totals *t)
{
	t->histories = atomic_long_read(&cowlab_history_count);
	t->dropped = atomic_long_read(&cowlab_history_nomem);
	t->bytes = sizeof(struct cowlab_history);
	/* kmalloc() serves sizes above 192 bytes from power-of-two caches. */
	t->memory_bytes = t->histories *
			  roundup_pow_of_two(sizeof(struct cowlab_history));
	t->tick_ns = TICK_NSEC;
}

/* Merge bucket pairs into the first half: the width doubles.  Locked. */
static void cowlab_history_halve(struct cowlab_history *h)
{
	unsigned int i;

	/*
	 * Bucket i >= 1 was emptied as a source (of bucket i / 2) before it
	 * is a destination, so adding into it keeps a racing event.
	 */
	for (i = 0; i < COWLAB_HISTORY_BUCKETS / 2; i++) {
		struct cowlab_history_bucket *a = &h->b[2 * i];
		struct cowlab_history_bucket *b = &h->b[2 * i + 1];
		int copy = atomic_xchg(&a->copy, 0) + atomic_xchg(&b->copy, 0);
		int nocopy = atomic_xchg(&a->nocopy, 0) +
			     atomic_xchg(&b->nocopy, 0);

		atomic_add(copy, &h->b[i].copy);
		atomic_add(nocopy, &h->b[i].nocopy);
	}
}

/*
 * Count @n events @ev at @t jiffies after the start, past the last bucket:
 * merge until @t fits, then count.  In NMI context (no lock to take) they
 * go into the last bucket.
 */
void cowlab_history_grow(struct cowlab_history *h, unsigned long t,
			 enum cowlab_event ev, unsigned int n)
{
	unsigned long flags, i = COWLAB_HISTORY_BUCKETS - 1;

	if (!in_nmi()) {
		raw_spin_lock_irqsave(&h->lock, flags);
		while ((t >> h->shift) >= COWLAB_HISTORY_BUCKETS &&
		       h->shift < BITS_PER_LONG - 1) {
			cowlab_history_halve(h);
			WRITE_ONCE(h->shift, h->shift + 1);
		}
		i = min(t >> h->shift, i);
		raw_spin_unlock_irqrestore(&h->lock, flags);
	}
	atomic_add(n, cowlab_event_copies(ev) ? &h->b[i].copy :
						&h->b[i].nocopy);
}

NOKPROBE_SYMBOL(cowlab_history_grow);

/* Copy @h out: its start, its width and its buckets up to the last used. */
void cowlab_history_snap(struct cowlab_history *h,
			 struct cowlab_history_snap *snap)
{
	unsigned long flags;
	unsigned int i;

	memset(snap, 0, sizeof(*snap));
	snap->since_ns = h->since_ns;
	/* No merge while copying: the width is the buckets'. */
	raw_spin_lock_irqsave(&h->lock, flags);
	snap->width_ns = (u64)TICK_NSEC << h->shift;
	for (i = 0; i < COWLAB_HISTORY_BUCKETS; i++) {
		snap->copy[i] = atomic_read(&h->b[i].copy);
		snap->nocopy[i] = atomic_read(&h->b[i].nocopy);
		if (snap->copy[i] || snap->nocopy[i])
			snap->n = i + 1;
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/history_kunit.h"
#endif
