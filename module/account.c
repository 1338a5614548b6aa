// SPDX-License-Identifier: GPL-2.0
/*
 * The fault path's accounting: what the probe handlers call.  An event is
 * counted for the process that owns the faulting mm, in the process table
 * (stats.c), its page is noted in that process's page records (pages.c),
 * and where it came from in its sites (sites.c); an unmap drops the records
 * of the range.  The lower layers are reached from here, and none calls
 * back.
 *
 * The handlers run inside the fault, often with a page table lock held:
 * nothing here sleeps.  What was looked up for the last mm counted is
 * remembered per CPU (struct cowlab_fault_cache), so that a burst of
 * faults in one process costs a compare, an atomic and the record.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/hardirq.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cowlab.h"
#include "compat.h"

/*
 * What the fault path remembers, per CPU, of the last mm it counted for:
 * that process's entry in the table and its records.  The entry is only
 * trusted while the table's generation is the one it was found in
 * (cowlab_stats_attach()).  (If a process's mm changes owner to another
 * process while both live, which takes CLONE_VM without CLONE_THREAD,
 * events stay with the old one until the next exit anywhere.)  The page
 * records keep their own generation.
 */
struct cowlab_fault_cache {
	struct mm_struct *mm;
	unsigned long gen;		/* of the table, when filled */
	struct cowlab_proc *proc;
	struct cowlab_pages_cache pages;
};

/* A table of processes, its page records, and what CPUs remember of them. */
struct cowlab_account {
	struct cowlab_stats *stats;
	struct cowlab_pageset *pages;
	struct cowlab_siteset *sites;
	const atomic_long_t *gen;	/* the table's, read without a call */
	struct cowlab_fault_cache __percpu *cache;
};

/*
 * The process that owns @mm, for attribution: its task, or NULL for none
 * or a kernel thread.  Needs rcu_read_lock().
 */
static struct task_struct *cowlab_owner(struct mm_struct *mm)
{
	struct task_struct *owner = cowlab_mm_owner(mm);

	return owner && !(owner->flags & PF_KTHREAD) ? owner : NULL;
}

/*
 * Remember @mm's process in @c, its entry created if need be.  False (and
 * @n events counted as dropped or unattributed) if it has none.
 */
static bool cowlab_fault_cache_fill(struct cowlab_account *a,
				    struct cowlab_fault_cache *c,
				    struct mm_struct *mm, unsigned long gen,
				    unsigned int n)
{
	struct task_struct *owner;
	struct cowlab_proc *p;
	pid_t tgid;

	rcu_read_lock();
	owner = cowlab_owner(mm);
	if (!owner) {
		rcu_read_unlock();
		cowlab_stats_event_unattributed(a->stats, n);
		return false;
	}
	tgid = owner->tgid;
	p = cowlab_stats_attach(a->stats, owner);
	rcu_read_unlock();
	if (!p) {
		cowlab_stats_event_dropped(a->stats, n);
		return false;
	}
	c->mm = mm;
	c->gen = gen;
	c->proc = p;
	memset(&c->pages, 0, sizeof(c->pages));
	c->pages.tgid = tgid;
	return true;
}

NOKPROBE_SYMBOL(cowlab_fault_cache_fill);

/*
 * This CPU's cache made @mm's, for @n events about to be counted: false
 * (and the events counted as dropped or unattributed) if @mm's process has
 * no entry.  Called with preemption off.
 */
static __always_inline bool
cowlab_fault_cache_for(struct cowlab_account *a, struct cowlab_fault_cache *c,
		       struct mm_struct *mm, unsigned int n)
{
	unsigned long gen = atomic_long_read_acquire(a->gen);

	if (c->mm == mm && c->gen == gen)
		return true;
	/* NMI context (a breakpoint kprobe): the fill takes locks. */
	if (in_nmi()) {
		cowlab_stats_event_dropped(a->stats, n);
		return false;
	}
	return cowlab_fault_cache_fill(a, c, mm, gen, n);
}

/*
 * Count @ev at @addr for the process owning @mm, and note the page in its
 * records.  Called from the fault probes, inside the fault (for a 4 KiB
 * page with its PTE table's lock held): never sleeps.
 */
void cowlab_account_fault(struct cowlab_account *a, struct mm_struct *mm,
			  unsigned long addr, enum cowlab_event ev)
{
	struct cowlab_fault_cache *c = get_cpu_ptr(a->cache);

	if (cowlab_fault_cache_for(a, c, mm, 1)) {
		/* An exiting process's records went at its exit: none again. */
		if (cowlab_stats_proc_count(c->proc, ev, 1))
			cowlab_pages_note(a->pages, &c->pages, addr, ev);
		/* Its sites are kept after exit: every counted event has a row. */
		if (cowlab_sites_recording())
			cowlab_sites_note(a->sites, c->pages.tgid, mm, ev, 1);
	}
	put_cpu_ptr(a->cache);
}

NOKPROBE_SYMBOL(cowlab_account_fault);

/*
 * Count @n events @ev for the process owning @mm, pages not known (no
 * page record).  Never sleeps.
 */
void cowlab_account_events(struct cowlab_account *a, struct mm_struct *mm,
			   enum cowlab_event ev, unsigned int n)
{
	struct cowlab_fault_cache *c = get_cpu_ptr(a->cache);

	if (cowlab_fault_cache_for(a, c, mm, n)) {
		cowlab_stats_proc_count(c->proc, ev, n);
		if (cowlab_sites_recording())
			cowlab_sites_note(a->sites, c->pages.tgid, mm, ev, n);
	}
	put_cpu_ptr(a->cache);
}

NOKPROBE_SYMBOL(cowlab_account_events);

/*
 * [@start, @end) of @mm is being unmapped: drop the page records there.
 * From the unmap probe; at exit the mm has no owner any more, and the exit
 * tracepoint drops the whole record.
 */
void cowlab_account_unmap(struct cowlab_account *a, struct mm_struct *mm,
			  unsigned long start, unsigned long end)
{
	struct task_struct *owner;
	pid_t tgid;

	rcu_read_lock();
	owner = cowlab_owner(mm);
	tgid = owner ? owner->tgid : 0;
	rcu_read_unlock();
	if (tgid)
		cowlab_pages_zap(a->pages, tgid, start, end);
}

NOKPROBE_SYMBOL(cowlab_account_unmap);

/* Counting into @s, whose page records are @pages, its sites @sites. */
struct cowlab_account *cowlab_account_create(struct cowlab_stats *s,
					     struct cowlab_pageset *pages,
					     struct cowlab_siteset *sites)
{
	struct cowlab_account *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return ERR_PTR(-ENOMEM);
	a->stats = s;
	a->pages = pages;
	a->sites = sites;
	a->gen = cowlab_stats_gen_counter(s);
	a->cache = alloc_percpu(struct cowlab_fault_cache);
	if (!a->cache) {
		kfree(a);
		return ERR_PTR(-ENOMEM);
	}
	return a;
}

/* Called once no probe can reach @a any more. */
void cowlab_account_destroy(struct cowlab_account *a)
{
	if (IS_ERR_OR_NULL(a))
		return;
	free_percpu(a->cache);
	kfree(a);
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/account_kunit.h"
#endif
