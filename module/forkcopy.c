// SPDX-License-Identifier: GPL-2.0
/*
 * Pages copied at fork.
 *
 * fork() shares a private anon page write-protected, to be copied by the
 * first write fault, unless the parent may have the page pinned (FOLL_PIN:
 * io_uring fixed buffers, vmsplice, RDMA, ...): then copy_present_page()
 * copies it for the child at once (page_needs_cow_for_dma(), 5.9+), so
 * that the pinned page stays the parent's.  copy_present_page() is inlined
 * on every supported kernel; nothing inside it can be probed.
 *
 * It is seen at the return of copy_page_range(dst_vma, src_vma), one call
 * per VMA from dup_mmap(), which holds both mms' mmap locks for write:
 * where the parent's mm ever pinned a page (the sticky MMF_HAS_PINNED,
 * has_pinned on 5.10: one flag test for every other fork), the PTEs of
 * the two mms are compared over the VMA, and each present PTE of the
 * child that maps another page than the parent's is one copy.  Pinned
 * THPs are split by fork and their 4 KiB pages copied one by one, so they
 * are counted here too; hugetlb VMAs are not compared (fork copies a
 * pinned hugetlb page whole, in copy_hugetlb_page_range(): not counted).
 *
 * The child has no pid yet at that point (and no entry in cowlab's
 * table): the copies are kept in a slot owned by the forking task, a count
 * and up to COWLAB_FORK_RUNS runs of addresses, until the fork tracepoint
 * (sched_process_fork, in the same task, before the child first runs)
 * hands them to the child's entry.  Pages past the runs are counted but
 * not marked copied.  A fork that fails after dup_mmap() never reaches
 * the tracepoint: its slot is emptied by the same task's next fork (a new
 * child mm, or the VMAs starting over from the lowest address) or exit.
 *
 * Only the owning task writes a slot, like the windows of inflight.c: it
 * claims a free one with cmpxchg() and gives it back with a release store.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/atomic.h>
#include <linux/hugetlb.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>

#include "cowlab.h"
#include "compat.h"

/* Tasks that can be between dup_mmap() and the fork tracepoint at once. */
#define COWLAB_FORK_SLOTS	16
/* Runs of consecutive copied pages kept per fork, for the child's records. */
#define COWLAB_FORK_RUNS	32

struct cowlab_fork_run {
	unsigned long start;
	unsigned long npages;
};

struct cowlab_fork_slot {
	struct task_struct *task;	/* the forking task, or NULL: free */
	struct mm_struct *mm;		/* the child's */
	unsigned long last_start;	/* of the last VMA compared */
	unsigned long copies;		/* pages copied, in runs or not */
	unsigned int nruns;
	struct cowlab_fork_run runs[COWLAB_FORK_RUNS];
};

static struct cowlab_fork_slot cowlab_fork_slots[COWLAB_FORK_SLOTS];
/* Slots owned: 0 keeps the fork and exit tracepoints at one read. */
static atomic_t cowlab_fork_owned = ATOMIC_INIT(0);
/* Copies that no slot could hold: not counted for any process. */
static atomic_long_t cowlab_fork_lost = ATOMIC_LONG_INIT(0);

/* Does fork copy pages of @src right away?  From copy_page_range() entry. */
bool cowlab_fork_watched(struct vm_area_struct *src)
{
	/* The one test every fork pays; the rest only where pins were. */
	if (likely(!cowlab_mm_has_pinned(src->vm_mm)))
		return false;
	/* Only anon pages are copied, and hugetlb ones are not compared. */
	return src->anon_vma && !is_vm_hugetlb_page(src);
}

NOKPROBE_SYMBOL(cowlab_fork_watched);

/* The slot that current owns, or NULL. */
static struct cowlab_fork_slot *cowlab_fork_mine(void)
{
	unsigned int i;

	for (i = 0; i < COWLAB_FORK_SLOTS; i++)
		if (READ_ONCE(cowlab_fork_slots[i].task) == current)
			return &cowlab_fork_slots[i];
	return NULL;
}

NOKPROBE_SYMBOL(cowlab_fork_mine);

static void cowlab_fork_reset(struct cowlab_fork_slot *slot,
			      struct mm_struct *mm)
{
	slot->mm = mm;
	slot->last_start = 0;
	slot->copies = 0;
	slot->nruns = 0;
}

NOKPROBE_SYMBOL(cowlab_fork_reset);

/* A free slot for current, for the child @mm, or NULL. */
static struct cowlab_fork_slot *cowlab_fork_claim(struct mm_struct *mm)
{
	unsigned int i;

	for (i = 0; i < COWLAB_FORK_SLOTS; i++) {
		struct cowlab_fork_slot *slot = &cowlab_fork_slots[i];

		if (READ_ONCE(slot->task) || cmpxchg(&slot->task, NULL, current))
			continue;
		atomic_inc(&cowlab_fork_owned);
		cowlab_fork_reset(slot, mm);
		return slot;
	}
	return NULL;
}

NOKPROBE_SYMBOL(cowlab_fork_claim);

static void cowlab_fork_release(struct cowlab_fork_slot *slot)
{
	/* Pairs with the cmpxchg() of the next owner's claim. */
	smp_store_release(&slot->task, NULL);
	atomic_dec(&cowlab_fork_owned);
}

NOKPROBE_SYMBOL(cowlab_fork_release);

/* One VMA's comparison: the slot it fills, claimed at the first copy. */
struct cowlab_fork_walk {
	struct cowlab_fork_slot *slot;
	struct mm_struct *mm;		/* the child's */
};

/* The page at @addr of the child is a copy. */
static void cowlab_fork_note(struct cowlab_fork_walk *w, unsigned long addr)
{
	struct cowlab_fork_slot *slot = w->slot;
	struct cowlab_fork_run *run;

	if (!slot) {
		slot = cowlab_fork_claim(w->mm);
		w->slot = slot;
		if (!slot) {
			atomic_long_inc(&cowlab_fork_lost);
			return;
		}
	}
	slot->copies++;
	run = slot->nruns ? &slot->runs[slot->nruns - 1] : NULL;
	if (run && run->start + run->npages * PAGE_SIZE == addr) {
		run->npages++;
		return;
	}
	if (slot->nruns == COWLAB_FORK_RUNS)
		return;
	run = &slot->runs[slot->nruns++];
	run->start = addr;
	run->npages = 1;
}

NOKPROBE_SYMBOL(cowlab_fork_note);

/*
 * The PMD entry of @mm that maps @addr, or NULL if an upper level maps
 * nothing there (then *@next, if given, is where that level's range ends,
 * capped at @end).
 */
static pmd_t *cowlab_fork_pmd(struct mm_struct *mm, unsigned long addr,
			      unsigned long end, unsigned long *next)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd) || pgd_bad(*pgd)) {
		if (next)
			*next = pgd_addr_end(addr, end);
		return NULL;
	}
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d)) {
		if (next)
			*next = p4d_addr_end(addr, end);
		return NULL;
	}
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || !pud_present(*pud) || pud_trans_huge(*pud) ||
	    pud_bad(*pud)) {
		if (next)
			*next = pud_addr_end(addr, end);
		return NULL;
	}
	return pmd_offset(pud, addr);
}

NOKPROBE_SYMBOL(cowlab_fork_pmd);

/*
 * Compare the PTEs of [@addr, @end), inside one PMD, of the child (under
 * @dpmd) and of the parent (under @spmd), with both PTE locks held, in
 * fork's order: the child's, then the parent's nested.  A PMD that maps
 * no PTE table on either side maps no copy (fork shares a THP, or splits
 * it first).
 */
static void cowlab_fork_ptes(struct cowlab_fork_walk *w,
			     struct mm_struct *smm, pmd_t *dpmd, pmd_t *spmd,
			     unsigned long addr, unsigned long end)
{
	spinlock_t *dptl, *sptl;	/* the PTE tables' locks */
	pte_t *dpte, *spte;
	unsigned int i;

	dpte = cowlab_pte_map_lock(w->mm, dpmd, addr, &dptl);
	if (!dpte)
		return;
	spte = cowlab_pte_map_lock_nested(smm, spmd, addr, &sptl,
					  SINGLE_DEPTH_NESTING);
	if (!spte) {
		cowlab_pte_unmap_unlock(dpte, dptl);
		return;
	}
	for (i = 0; addr < end; addr += PAGE_SIZE, i++) {
		pte_t d = ptep_get(dpte + i), s = ptep_get(spte + i);

		if (pte_present(d) && pte_present(s) &&
		    pte_pfn(d) != pte_pfn(s))
			cowlab_fork_note(w, addr);
	}
	cowlab_pte_unmap_unlock(spte, sptl);
	cowlab_pte_unmap_unlock(dpte, dptl);
}

NOKPROBE_SYMBOL(cowlab_fork_ptes);

/*
 * copy_page_range(@dst, @src) returned 0: note the pages of @dst that are
 * copies of @src's.  Called in the forking task, with both mmap locks held
 * for write; never sleeps.  The walk is as long as the VMA's page tables.
 */
void cowlab_fork_compare(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct cowlab_fork_walk w = {
		.slot = cowlab_fork_mine(),
		.mm = dst->vm_mm,
	};
	unsigned long addr = src->vm_start, end = src->vm_end, next;

	/* A new fork by this task: what a failed one left is stale. */
	if (w.slot && (w.slot->mm != w.mm ||
		       src->vm_start <= w.slot->last_start))
		cowlab_fork_reset(w.slot, w.mm);
	while (addr < end) {
		pmd_t *dpmd, *spmd;

		dpmd = cowlab_fork_pmd(w.mm, addr, end, &next);
		if (!dpmd) {
			addr = next;
			continue;
		}
		next = pmd_addr_end(addr, end);
		spmd = cowlab_fork_pmd(src->vm_mm, addr, end, NULL);
		if (spmd)
			cowlab_fork_ptes(&w, src->vm_mm, dpmd, spmd, addr, next);
		addr = next;
	}
	if (w.slot)
		w.slot->last_start = src->vm_start;
}

NOKPROBE_SYMBOL(cowlab_fork_compare);

/*
 * sched_process_fork, in the forking task: count the pages copied for
 * @child, now that it has a pid and an entry, and give the slot back.
 * Never sleeps.
 */
void cowlab_fork_apply(struct cowlab_account *a, struct task_struct *child)
{
	struct cowlab_fork_slot *slot;
	unsigned long recorded = 0, i;
	unsigned int r;

	if (likely(!atomic_read(&cowlab_fork_owned)))
		return;
	slot = cowlab_fork_mine();
	if (!slot)
		return;
	/* Another child's (a fork that failed), or a thread's: stale. */
	if (slot->mm == child->mm && slot->copies) {
		for (r = 0; r < slot->nruns; r++) {
			const struct cowlab_fork_run *run = &slot->runs[r];

			for (i = 0; i < run->npages; i++)
				cowlab_account_fault(a, child->mm,
						     run->start + i * PAGE_SIZE,
						     COWLAB_EV_FORK_COPY);
			recorded += run->npages;
		}
		if (slot->copies > recorded)
			cowlab_account_events(a, child->mm,
					      COWLAB_EV_FORK_COPY,
					      slot->copies - recorded);
	}
	cowlab_fork_release(slot);
}

/* sched_process_exit, in the exiting task: a slot it still owns is stale. */
void cowlab_fork_forget(void)
{
	struct cowlab_fork_slot *slot;

	if (likely(!atomic_read(&cowlab_fork_owned)))
		return;
	slot = cowlab_fork_mine();
	if (slot)
		cowlab_fork_release(slot);
}

/* Copies seen while every slot was owned: lost. */
unsigned long cowlab_fork_dropped(void)
{
	return atomic_long_read(&cowlab_fork_lost);
}
