// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process counters and their lifetime.
 *
 * A fixed pool of entries, allocated at load time (module parameter
 * max_procs), so the fault path never allocates.  Entries are found by
 * tgid through a hash of buckets, each with its own lock; every access to an
 * entry's identity happens under its bucket's lock, so an entry can be
 * recycled safely.  Counters are atomic and only ever grow (or are reset).
 *
 * An entry is created when a process forks while cowlab is loaded, or at
 * its first counted event.  When its last thread exits it is marked exited
 * and numbered; when the pool runs dry, the oldest exited entries are
 * recycled, an eighth of the pool at a time.  With no exited entry left, new
 * processes are not tracked: counted once at fork (procs_dropped), and
 * each of their events too (events_dropped).
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "cowlab.h"
#include "compat.h"

const char *const cowlab_event_names[COWLAB_NR_EVENTS] = {
	[COWLAB_EV_COW_COPY] = "cow_copy",
	[COWLAB_EV_COW_ZERO] = "cow_zero",
	[COWLAB_EV_WP_REUSE] = "wp_reuse",
	[COWLAB_EV_UNSHARE] = "unshare",
	[COWLAB_EV_THP_REUSE] = "thp_reuse",
	[COWLAB_EV_THP_SPLIT] = "thp_split",
	[COWLAB_EV_THP_ZERO] = "thp_zero",
	[COWLAB_EV_FILE_COPY] = "file_copy",
	[COWLAB_EV_COW_KSM] = "cow_ksm",
	[COWLAB_EV_HUGE_COPY] = "huge_copy",
	[COWLAB_EV_HUGE_REUSE] = "huge_reuse",
	[COWLAB_EV_FORK_COPY] = "fork_copy",
};

static_assert(ARRAY_SIZE(cowlab_event_names) == COWLAB_NR_EVENTS);

struct cowlab_bucket {
	raw_spinlock_t lock;
	struct cowlab_proc *head;
};

/*
 * Exited entries in exit order, oldest at the head: recycling pops from
 * here, so it never scans the pool.  A slot goes stale when its entry is
 * taken over by a fork of a reused pid (its seq no longer matches); stale
 * slots are dropped as they come up.  Twice the pool: there are never more
 * exited entries than the pool holds, and a reset empties it.  If it ever
 * overflows (that many reused pids), the oldest slot is dropped and a scan
 * finds its entry when nothing else is left to recycle.
 */
struct cowlab_exited {
	u32 idx;			/* in the pool */
	u32 seq;			/* its exit_seq when it exited */
};

/* A table of processes: the module has one, the KUnit suites their own. */
struct cowlab_stats {
	struct cowlab_proc *pool;
	unsigned int pool_size;
	struct cowlab_bucket *buckets;
	unsigned int bucket_bits;

	raw_spinlock_t free_lock;
	struct cowlab_proc *free;
	unsigned int nfree;

	atomic_t exit_seq;

	struct cowlab_exited *ring;
	unsigned int ring_size, ring_head, ring_len;
	raw_spinlock_t ring_lock;

	atomic_long_t dropped;
	atomic_long_t events_dropped;
	atomic_long_t unattributed;

	/* Bumped at exit, exec and reset: see cowlab_stats_gen(). */
	atomic_long_t gen;

	struct cowlab_pageset *pages;	/* the page records, below us */
	struct cowlab_siteset *sites;	/* the sites, below us too */
};

static struct cowlab_bucket *cowlab_bucket_of(struct cowlab_stats *s,
					      pid_t tgid)
{
	return &s->buckets[hash_32((u32)tgid, s->bucket_bits)];
}

/* Called with the bucket lock held. */
static struct cowlab_proc *cowlab_find(struct cowlab_bucket *b, pid_t tgid)
{
	struct cowlab_proc *p;

	for (p = b->head; p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

/*
 * Unlink @p from @b, with the bucket lock held.  Singly linked lists keep
 * the entry small; buckets hold about one entry.  Returns false if @p is
 * not in @b.
 */
static bool cowlab_unlink(struct cowlab_bucket *b, struct cowlab_proc *p)
{
	struct cowlab_proc **pp;

	for (pp = &b->head; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return true;
		}
	}
	return false;
}

/* Is @p linked in @b?  With the bucket lock held. */
static bool cowlab_linked(struct cowlab_bucket *b, struct cowlab_proc *p)
{
	struct cowlab_proc *q;

	for (q = b->head; q; q = q->next)
		if (q == p)
			return true;
	return false;
}

/* Give @p the history @h (NULL: none), the old one freed. */
static void cowlab_history_set(struct cowlab_proc *p, struct cowlab_history *h)
{
	cowlab_history_free(xchg(&p->history, h));
}

/* Give @p a history from @since_ns if it has none.  Never sleeps. */
static void cowlab_history_ensure(struct cowlab_proc *p, u64 since_ns)
{
	struct cowlab_history *h;

	if (READ_ONCE(p->history))
		return;
	h = cowlab_history_new(since_ns);
	if (h && cmpxchg(&p->history, NULL, h))
		cowlab_history_free(h);
}

NOKPROBE_SYMBOL(cowlab_history_ensure);

/* Not under a bucket lock: a history is freed with it. */
static void cowlab_free_entry(struct cowlab_stats *s, struct cowlab_proc *p)
{
	cowlab_history_set(p, NULL);
	p->tgid = 0;
	raw_spin_lock(&s->free_lock);
	p->next = s->free;
	s->free = p;
	s->nfree++;
	raw_spin_unlock(&s->free_lock);
}

/* Unhash @p if it still is the exited entry numbered @seq. */
static bool cowlab_evict(struct cowlab_stats *s, struct cowlab_proc *p,
			 pid_t tgid, u32 seq)
{
	struct cowlab_bucket *b = cowlab_bucket_of(s, tgid);
	bool evicted = false;

	raw_spin_lock(&b->lock);
	if (p->tgid == tgid && p->exit_seq == seq)
		evicted = cowlab_unlink(b, p);
	raw_spin_unlock(&b->lock);
	if (evicted) {
		cowlab_sites_forget(s->sites, tgid);
		cowlab_free_entry(s, p);
	}
	return evicted;
}

/* Note that @p exited as number @seq.  Any context; never sleeps. */
static void cowlab_ring_push(struct cowlab_stats *s, struct cowlab_proc *p,
			     u32 seq)
{
	unsigned long flags;
	unsigned int tail;

	raw_spin_lock_irqsave(&s->ring_lock, flags);
	if (s->ring_len == s->ring_size) {
		s->ring_head = (s->ring_head + 1) % s->ring_size;
		s->ring_len--;
	}
	tail = (s->ring_head + s->ring_len) % s->ring_size;
	s->ring[tail].idx = p - s->pool;
	s->ring[tail].seq = seq;
	s->ring_len++;
	raw_spin_unlock_irqrestore(&s->ring_lock, flags);
}

/* The oldest slot, taken off the ring: false if it is empty. */
static bool cowlab_ring_pop(struct cowlab_stats *s, struct cowlab_exited *e)
{
	unsigned long flags;
	bool ok = false;

	raw_spin_lock_irqsave(&s->ring_lock, flags);
	if (s->ring_len) {
		*e = s->ring[s->ring_head];
		s->ring_head = (s->ring_head + 1) % s->ring_size;
		s->ring_len--;
		ok = true;
	}
	raw_spin_unlock_irqrestore(&s->ring_lock, flags);
	return ok;
}

static void cowlab_ring_clear(struct cowlab_stats *s)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&s->ring_lock, flags);
	s->ring_head = 0;
	s->ring_len = 0;
	raw_spin_unlock_irqrestore(&s->ring_lock, flags);
}

/* Recycle up to @batch exited entries, wherever they are: the slow path. */
static unsigned int cowlab_evict_scan(struct cowlab_stats *s,
				      unsigned int batch)
{
	unsigned int freed = 0, i;

	for (i = 0; i < s->pool_size && freed < batch; i++) {
		struct cowlab_proc *p = &s->pool[i];
		pid_t tgid = READ_ONCE(p->tgid);
		u32 seq = READ_ONCE(p->exit_seq);

		if (tgid && seq && cowlab_evict(s, p, tgid, seq))
			freed++;
	}
	return freed;
}

/*
 * Recycle the oldest exited entries, an eighth of the pool (at least one),
 * popped off the exit ring: the work is the batch plus the stale slots met
 * on the way, never a scan of the pool (but when the ring lost slots by
 * overflowing).  Called when the free list is empty, from the fork
 * tracepoint or a fault.  Returns how many were recycled.
 */
static unsigned int cowlab_evict_oldest(struct cowlab_stats *s)
{
	unsigned int batch = max(1U, s->pool_size / 8), freed = 0;
	struct cowlab_exited e;

	while (freed < batch && cowlab_ring_pop(s, &e)) {
		struct cowlab_proc *p = &s->pool[e.idx];
		pid_t tgid = READ_ONCE(p->tgid);

		if (tgid && cowlab_evict(s, p, tgid, e.seq))
			freed++;
	}
	return freed ? freed : cowlab_evict_scan(s, batch);
}

NOKPROBE_SYMBOL(cowlab_evict_oldest);

static struct cowlab_proc *cowlab_alloc_entry(struct cowlab_stats *s)
{
	struct cowlab_proc *p = NULL;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		raw_spin_lock(&s->free_lock);
		p = s->free;
		if (p) {
			s->free = p->next;
			p->next = NULL;
			s->nfree--;
		}
		raw_spin_unlock(&s->free_lock);
		if (p || !cowlab_evict_oldest(s))
			break;
	}
	return p;
}

/* Give @p, whose tgid is set, the identity of @who's process, live. */
static void cowlab_init_entry(struct cowlab_proc *p, struct task_struct *who,
			      pid_t ppid)
{
	unsigned int i;

	p->ppid = ppid;
	p->exit_seq = 0;
	for (i = 0; i < COWLAB_NR_EVENTS; i++)
		atomic_set(&p->events[i], 0);
	strscpy(p->comm, who->comm, sizeof(p->comm));
}

/* How cowlab_get(s, ) treats an entry that is missing, or exited. */
enum cowlab_get_mode {
	COWLAB_LOOKUP,		/* only find it */
	COWLAB_CREATE,		/* create it if missing (a fault) */
	COWLAB_FORK,		/* a new process: an exited entry is a reused pid */
};

/*
 * The entry of @tgid; with @mode, created from @who (a task of that
 * process).  Only fork recycles the exited entry of a reused pid: a fault
 * by a thread that lags behind exit_group() (signal->live is 0, its mm is
 * not gone yet) still counts for the process that is exiting.  Returns
 * with the bucket lock held, or NULL with no lock held.  The locks are
 * never taken in interrupt context.
 */
static struct cowlab_proc *cowlab_get(struct cowlab_stats *s, pid_t tgid,
				      struct task_struct *who, pid_t ppid,
				      enum cowlab_get_mode mode)
{
	struct cowlab_bucket *b = cowlab_bucket_of(s, tgid);
	struct cowlab_proc *p, *fresh;

	if (mode == COWLAB_LOOKUP)
		who = NULL;
	raw_spin_lock(&b->lock);
	p = cowlab_find(b, tgid);
	if (p && mode == COWLAB_FORK && p->exit_seq) {
		/* The pid was reused: a new process, not the exited one. */
		cowlab_init_entry(p, who, ppid);
		return p;
	}
	if (p || !who) {
		if (!p)
			raw_spin_unlock(&b->lock);
		return p;
	}
	raw_spin_unlock(&b->lock);

	fresh = cowlab_alloc_entry(s);
	if (!fresh)
		return NULL;
	fresh->tgid = tgid;
	cowlab_init_entry(fresh, who, ppid);

	raw_spin_lock(&b->lock);
	p = cowlab_find(b, tgid);
	if (!p) {
		fresh->next = b->head;
		b->head = fresh;
		return fresh;
	}
	raw_spin_unlock(&b->lock);
	cowlab_free_entry(s, fresh);
	raw_spin_lock(&b->lock);
	/* Someone else created it meanwhile; it may even be gone again. */
	p = cowlab_find(b, tgid);
	if (!p)
		raw_spin_unlock(&b->lock);
	return p;
}

NOKPROBE_SYMBOL(cowlab_get);

static void cowlab_put(struct cowlab_stats *s, pid_t tgid)
{
	raw_spin_unlock(&cowlab_bucket_of(s, tgid)->lock);
}

/*
 * Forget what the fault path remembers, on every CPU: a full barrier, so
 * that a fault that reads the new generation also sees what was changed
 * before.
 */
static void cowlab_stats_invalidate(struct cowlab_stats *s)
{
	atomic_long_inc_return(&s->gen);
}

/*
 * The table's generation: it goes up at every exit, exec and reset.  An
 * entry from cowlab_stats_attach() is good while it is the same.
 */
unsigned long cowlab_stats_gen(struct cowlab_stats *s)
{
	return atomic_long_read_acquire(&s->gen);
}

NOKPROBE_SYMBOL(cowlab_stats_gen);

/*
 * The generation itself, for the fault path to read without a call (the
 * accounting keeps the pointer while the table lives).
 */
const atomic_long_t *cowlab_stats_gen_counter(struct cowlab_stats *s)
{
	return &s->gen;
}

/*
 * The entry of @owner's process, created if need be, for the fault path
 * to count into with cowlab_stats_proc_count() while cowlab_stats_gen() is
 * what it was before this call (entries of live processes are never
 * recycled).  Needs rcu_read_lock().  NULL if the table is full of live
 * processes (the caller counts its events as dropped).
 */
struct cowlab_proc *cowlab_stats_attach(struct cowlab_stats *s,
					struct task_struct *owner)
{
	pid_t tgid = owner->tgid;
	pid_t ppid = rcu_dereference(owner->real_parent)->tgid;
	struct cowlab_proc *p;

	p = cowlab_get(s, tgid, owner->group_leader, ppid, COWLAB_CREATE);
	if (p) {
		cowlab_put(s, tgid);
		/* Its history runs from its fork, before cowlab saw it. */
		cowlab_history_ensure(p, owner->group_leader->start_time);
	}
	return p;
}

NOKPROBE_SYMBOL(cowlab_stats_attach);

/* @n events of no process: none owns the mm, or it is a kernel thread. */
void cowlab_stats_event_unattributed(struct cowlab_stats *s, unsigned int n)
{
	atomic_long_add(n, &s->unattributed);
}

NOKPROBE_SYMBOL(cowlab_stats_event_unattributed);

/*
 * @n events that could not be counted for their process: the table is full
 * of live processes, or NMI context.
 */
void cowlab_stats_event_dropped(struct cowlab_stats *s, unsigned int n)
{
	atomic_long_add(n, &s->events_dropped);
}

NOKPROBE_SYMBOL(cowlab_stats_event_dropped);

/*
 * @tgid's address space is gone (exit, exec) or its history is (reset):
 * so are its page records, and what the fault path remembers.
 */
static void cowlab_forget(struct cowlab_stats *s, pid_t tgid)
{
	cowlab_pages_forget(s->pages, tgid);
	cowlab_stats_invalidate(s);
}

/* sched_process_fork: a new process (not a thread) starts being tracked. */
void cowlab_stats_fork(struct cowlab_stats *s, struct task_struct *parent,
		       struct task_struct *child)
{
	struct cowlab_proc *p;

	if (child->tgid != child->pid || (child->flags & PF_KTHREAD))
		return;
	/* A reused pid: the exited process's sites are not the child's. */
	cowlab_sites_forget(s->sites, child->tgid);
	p = cowlab_get(s, child->tgid, child, parent->tgid, COWLAB_FORK);
	if (!p) {
		atomic_long_inc(&s->dropped);
		return;
	}
	cowlab_put(s, child->tgid);
	/* A new history, of a live process: the entry stays ours. */
	cowlab_history_set(p, cowlab_history_new(child->start_time));
}

/*
 * sched_process_fork, after cowlab_stats_fork() and fork's copies: note
 * in @child's history how many anon pages it shares with @parent (all it
 * maps, but those fork copied for it), and how many pages the parent had
 * copied so far, so that procs can tell what the fork has cost since.
 * The child has not run yet: its counters are fork's alone.
 */
void cowlab_stats_fork_shared(struct cowlab_stats *s,
			      struct task_struct *parent,
			      struct task_struct *child)
{
	u32 events[COWLAB_NR_EVENTS], base = 0, shared;
	struct cowlab_history *h;
	struct cowlab_proc *p;
	unsigned long anon;
	unsigned int ev;
	pid_t ppid;

	if (child->tgid != child->pid || (child->flags & PF_KTHREAD) ||
	    !child->mm || child->mm == parent->mm)
		return;
	anon = cowlab_mm_anon_pages(child->mm);
	rcu_read_lock();
	ppid = rcu_dereference(parent->real_parent)->tgid;
	rcu_read_unlock();
	p = cowlab_get(s, parent->tgid, parent->group_leader, ppid,
		       COWLAB_CREATE);
	if (p) {
		for (ev = 0; ev < COWLAB_NR_EVENTS; ev++)
			events[ev] = atomic_read(&p->events[ev]);
		base = cowlab_fork_copies_of(events);
		cowlab_put(s, parent->tgid);
		cowlab_history_ensure(p, parent->group_leader->start_time);
	}
	p = cowlab_get(s, child->tgid, NULL, 0, COWLAB_LOOKUP);
	if (!p)
		return;
	shared = anon - min_t(unsigned long, anon,
			      atomic_read(&p->events[COWLAB_EV_FORK_COPY]));
	h = p->history;
	if (h) {
		WRITE_ONCE(h->parent_base, base);
		WRITE_ONCE(h->fork_shared,
			   min_t(unsigned long, shared, COWLAB_FORK_UNKNOWN - 1));
	}
	cowlab_put(s, child->tgid);
}

/* sched_process_exit: mark the process exited when its last thread goes. */
void cowlab_stats_task_exit(struct cowlab_stats *s, struct task_struct *t)
{
	struct cowlab_proc *p;

	if ((t->flags & PF_KTHREAD) || !cowlab_group_dead(t))
		return;
	/* Its address space is gone, and with it what the records describe. */
	cowlab_forget(s, t->tgid);
	p = cowlab_get(s, t->tgid, NULL, 0, COWLAB_LOOKUP);
	if (!p)
		return;
	if (!p->exit_seq) {
		u32 seq = (u32)atomic_inc_return(&s->exit_seq);

		/* 0 means live: skip it when the numbering wraps. */
		p->exit_seq = seq ? seq : (u32)atomic_inc_return(&s->exit_seq);
		cowlab_ring_push(s, p, p->exit_seq);
	}
	cowlab_put(s, t->tgid);
}

/*
 * sched_process_exec: the process keeps its counters and its timeline,
 * under a new name; what its fork shared is gone with its old memory.
 */
void cowlab_stats_exec(struct cowlab_stats *s, struct task_struct *t)
{
	struct cowlab_proc *p;

	cowlab_forget(s, t->tgid);
	cowlab_sites_exec(s->sites, t->tgid);
	p = cowlab_get(s, t->tgid, NULL, 0, COWLAB_LOOKUP);
	if (!p)
		return;
	strscpy(p->comm, t->comm, sizeof(p->comm));
	/* Nothing is shared with the parent any more: no exposure. */
	if (p->history)
		WRITE_ONCE(p->history->fork_shared, COWLAB_FORK_UNKNOWN);
	cowlab_put(s, t->tgid);
}

static void cowlab_zero(struct cowlab_proc *p)
{
	unsigned int i;

	for (i = 0; i < COWLAB_NR_EVENTS; i++)
		atomic_set(&p->events[i], 0);
}

/*
 * Zero the counters of @tgid (-ESRCH if not tracked), or with @tgid 0, of
 * every process, forgetting the exited ones.
 */
int cowlab_stats_reset(struct cowlab_stats *s, pid_t tgid)
{
	unsigned int i;

	if (tgid) {
		struct cowlab_proc *p;

		p = cowlab_get(s, tgid, NULL, 0, COWLAB_LOOKUP);

		if (!p)
			return -ESRCH;
		cowlab_zero(p);
		cowlab_put(s, tgid);
		cowlab_history_set(p, cowlab_history_new(ktime_get_ns()));
		cowlab_forget(s, tgid);
		cowlab_sites_forget(s->sites, tgid);
		return 0;
	}
	cowlab_pages_forget_all(s->pages);
	cowlab_sites_forget_all(s->sites);
	cowlab_stats_invalidate(s);
	/* Exited entries are all recycled below: their slots go stale. */
	cowlab_ring_clear(s);
	for (i = 0; i < s->pool_size; i++) {
		struct cowlab_proc *p = &s->pool[i];
		pid_t t = READ_ONCE(p->tgid);
		u32 seq = READ_ONCE(p->exit_seq);

		if (!t)
			continue;
		if (seq && cowlab_evict(s, p, t, seq))
			continue;
		p = cowlab_get(s, t, NULL, 0, COWLAB_LOOKUP);
		if (p) {
			cowlab_zero(p);
			cowlab_put(s, t);
			cowlab_history_set(p, cowlab_history_new(ktime_get_ns()));
		}
	}
	atomic_long_set(&s->dropped, 0);
	atomic_long_set(&s->events_dropped, 0);
	atomic_long_set(&s->unattributed, 0);
	return 0;
}

/*
 * Copy pool entry @idx into @snap.  Returns 0, -ENOENT for a free entry, or
 * -ERANGE past the end of the pool.
 */
/* Copy @p into @snap, with its bucket's lock held. */
static void cowlab_snap(struct cowlab_proc *p, struct cowlab_proc_snap *snap)
{
	struct cowlab_history *h;
	unsigned int i;

	snap->tgid = p->tgid;
	snap->ppid = p->ppid;
	snap->exited = p->exit_seq != 0;
	memcpy(snap->comm, p->comm, sizeof(snap->comm));
	for (i = 0; i < COWLAB_NR_EVENTS; i++)
		snap->events[i] = atomic_read(&p->events[i]);
	snap->since_ns = 0;
	snap->fork_shared = COWLAB_FORK_UNKNOWN;
	snap->parent_base = 0;
	rcu_read_lock();
	h = READ_ONCE(p->history);
	if (h) {
		snap->since_ns = h->since_ns;
		snap->fork_shared = READ_ONCE(h->fork_shared);
		snap->parent_base = READ_ONCE(h->parent_base);
	}
	rcu_read_unlock();
}

int cowlab_stats_get(struct cowlab_stats *s, unsigned int idx,
		     struct cowlab_proc_snap *snap)
{
	struct cowlab_proc *p;
	struct cowlab_bucket *b;
	pid_t tgid;
	int ret = -ENOENT;

	if (idx >= s->pool_size)
		return -ERANGE;
	p = &s->pool[idx];
	tgid = READ_ONCE(p->tgid);
	if (!tgid)
		return -ENOENT;
	b = cowlab_bucket_of(s, tgid);
	raw_spin_lock(&b->lock);
	if (p->tgid == tgid && cowlab_linked(b, p)) {
		cowlab_snap(p, snap);
		ret = 0;
	}
	raw_spin_unlock(&b->lock);
	return ret;
}

/* Copy the entry of @tgid into @snap: 0, or -ENOENT if it has none. */
int cowlab_stats_find(struct cowlab_stats *s, pid_t tgid,
		      struct cowlab_proc_snap *snap)
{
	struct cowlab_proc *p = cowlab_get(s, tgid, NULL, 0, COWLAB_LOOKUP);

	if (!p)
		return -ENOENT;
	cowlab_snap(p, snap);
	cowlab_put(s, tgid);
	return 0;
}

/*
 * Copy the history of @tgid into @snap: 0, -ENOENT if it has no entry,
 * -ENOMEM if its history could not be allocated.
 */
int cowlab_stats_timeline(struct cowlab_stats *s, pid_t tgid,
			  struct cowlab_history_snap *snap)
{
	struct cowlab_proc *p = cowlab_get(s, tgid, NULL, 0, COWLAB_LOOKUP);
	struct cowlab_history *h;
	int ret = -ENOMEM;

	if (!p)
		return -ENOENT;
	rcu_read_lock();
	h = READ_ONCE(p->history);
	if (h) {
		cowlab_history_snap(h, snap);
		ret = 0;
	}
	rcu_read_unlock();
	cowlab_put(s, tgid);
	return ret;
}

void cowlab_stats_totals(struct cowlab_stats *s, struct cowlab_stats_totals *t)
{
	t->capacity = s->pool_size;
	t->tracked = s->pool_size - READ_ONCE(s->nfree);
	t->dropped = atomic_long_read(&s->dropped);
	t->events_dropped = atomic_long_read(&s->events_dropped);
	t->unattributed = atomic_long_read(&s->unattributed);
	t->entry_bytes = sizeof(struct cowlab_proc);
	t->memory_bytes = (size_t)s->pool_size * sizeof(struct cowlab_proc) +
			  ((size_t)1 << s->bucket_bits) *
			  sizeof(struct cowlab_bucket) +
			  (size_t)s->ring_size * sizeof(*s->ring);
}

/* Called once nothing can reach @s any more. */
void cowlab_stats_destroy(struct cowlab_stats *s)
{
	unsigned int i;

	if (IS_ERR_OR_NULL(s))
		return;
	for (i = 0; s->pool && i < s->pool_size; i++)
		cowlab_history_set(&s->pool[i], NULL);
	kvfree(s->pool);
	kvfree(s->buckets);
	kvfree(s->ring);
	kfree(s);
}

/*
 * A table of @max_procs processes, whose page records go into @pages and
 * whose sites into @sites (NULL: none).
 */
struct cowlab_stats *cowlab_stats_create(unsigned int max_procs,
					 struct cowlab_pageset *pages,
					 struct cowlab_siteset *sites)
{
	struct cowlab_stats *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned int i;

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->pages = pages;
	s->sites = sites;
	s->pool_size = max_procs;
	s->bucket_bits = ilog2(roundup_pow_of_two(max_procs));
	s->pool = kvcalloc(max_procs, sizeof(*s->pool), GFP_KERNEL);
	s->buckets = kvcalloc(1U << s->bucket_bits, sizeof(*s->buckets),
			      GFP_KERNEL);
	s->ring_size = 2 * max_procs;
	s->ring = kvcalloc(s->ring_size, sizeof(*s->ring), GFP_KERNEL);
	if (!s->pool || !s->buckets || !s->ring) {
		cowlab_stats_destroy(s);
		return ERR_PTR(-ENOMEM);
	}
	raw_spin_lock_init(&s->free_lock);
	raw_spin_lock_init(&s->ring_lock);
	atomic_long_set(&s->gen, 1);
	for (i = 0; i < (1U << s->bucket_bits); i++)
		raw_spin_lock_init(&s->buckets[i].lock);
	for (i = max_procs; i-- > 0; ) {
		s->pool[i].next = s->free;
		s->free = &s->pool[i];
	}
	s->nfree = max_procs;
	return s;
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/stats_kunit.h"
#endif
