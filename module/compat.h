/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place in cowlab that knows kernel versions and configurations.
 * Each helper is named for the feature it hides.
 */
#ifndef COWLAB_COMPAT_H
#define COWLAB_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/hugetlb.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/ptrace.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

/* Which interfaces this kernel has: module/features/, run by Kbuild. */
#include "cowlab-features.h"

#ifdef COWLAB_HAVE_LINUX_HEX_H
#include <linux/hex.h>		/* hex_asc_lo(), out of kernel.h in 7.x */
#endif

/*
 * Unshare faults (FAULT_FLAG_UNSHARE, 5.19): a read-only pin of a maybe
 * shared anon page copies it.  Before, nothing was copied for a read-only
 * pin, so the unshare class cannot happen: COWLAB_NO_UNSHARE_REASON says
 * why.
 */
#ifdef COWLAB_HAVE_FAULT_FLAG_UNSHARE
#define COWLAB_FAULT_FLAG_UNSHARE	FAULT_FLAG_UNSHARE
#else
#define COWLAB_FAULT_FLAG_UNSHARE	0
#define COWLAB_NO_UNSHARE_REASON \
	"no FAULT_FLAG_UNSHARE in this kernel (5.19): a read-only pin copies nothing"
#endif

/*
 * The PMD that do_huge_pmd_wp_page() faulted on, read at its entry: in
 * vmf->orig_pmd since 5.14, its second argument before.
 */
static inline pmd_t cowlab_huge_wp_orig_pmd(struct pt_regs *regs,
					    struct vm_fault *vmf)
{
#ifdef COWLAB_HAVE_VMF_ORIG_PMD
	return vmf->orig_pmd;
#else
	return __pmd(regs_get_kernel_argument(regs, 1));
#endif
}

/* A device-mapped huge PMD (the devmap bit is gone in 7.x). */
static inline bool cowlab_pmd_devmap(pmd_t pmd)
{
#ifdef COWLAB_HAVE_PMD_DEVMAP
	return pmd_devmap(pmd);
#else
	return false;
#endif
}

/*
 * The probe of sched_process_exit: since 6.16 the tracepoint passes
 * group_dead too.
 */
#ifdef COWLAB_HAVE_TP_EXIT_GROUP_DEAD
#define COWLAB_EXIT_PROBE_ARGS	struct task_struct *p, bool group_dead
#else
#define COWLAB_EXIT_PROBE_ARGS	struct task_struct *p
#endif

/*
 * The task that owns @mm, for attribution of faults to a process.  Needs
 * rcu_read_lock().  mm->owner only exists with CONFIG_MEMCG (set on
 * Debian's kernels); without it, only a fault by a task of the owning
 * process itself can be attributed.
 */
static inline struct task_struct *cowlab_mm_owner(struct mm_struct *mm)
{
#ifdef CONFIG_MEMCG
	struct task_struct *owner = rcu_dereference(mm->owner);

	if (owner)
		return owner;
#endif
	return current->mm == mm ? current : NULL;
}

/* Argument @n (0-based) of the probed function, at its entry. */
static inline unsigned long cowlab_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/*
 * Where the probed function returns to, read at its entry: the top of the
 * stack (x86-64).  The stack is current's own, so a plain read.
 */
static inline unsigned long cowlab_return_address(struct pt_regs *regs)
{
	unsigned long *sp = regs_get_kernel_stack_nth_addr(regs, 0);

	return sp ? *sp : 0;
}

/*
 * break_ksm() faults with FAULT_FLAG_UNSHARE since 6.2 (before, with
 * FAULT_FLAG_WRITE: its copies were writes).  A change inside a function
 * body, which no header shows: the one version test cowlab needs.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define COWLAB_KSM_BREAK_UNSHARES
#endif

/*
 * True when the last thread of @p's group is exiting: do_exit() drops
 * signal->live before trace_sched_process_exit() on 6.1 and 6.12 (6.16
 * later passes group_dead to the tracepoint instead).
 */
static inline bool cowlab_group_dead(struct task_struct *p)
{
	return atomic_read(&p->signal->live) == 0;
}

/*
 * Is the huge PMD @pmd mapping an anonymous THP (not the huge zero page)?
 * The huge zero page is not anon; huge_zero_pfn is not exported.
 */
static inline bool cowlab_pmd_maps_anon(pmd_t pmd)
{
	return pmd_present(pmd) && PageAnon(pmd_page(pmd));
}

/* Does @pte map the shared zero page?  zero_pfn is exported on both. */
static inline bool cowlab_pte_is_zero(pte_t pte)
{
	return pte_present(pte) && is_zero_pfn(pte_pfn(pte));
}

/* The start of the hugetlb page that @vma maps at @address. */
static inline unsigned long cowlab_hugetlb_start(struct vm_area_struct *vma,
						 unsigned long address)
{
#ifdef CONFIG_HUGETLB_PAGE
	return address & huge_page_mask(hstate_vma(vma));
#else
	return address & PMD_MASK;
#endif
}

/* May @vma hold KSM pages?  Only VM_MERGEABLE ones do. */
static inline bool cowlab_vma_mergeable(struct vm_area_struct *vma)
{
#ifdef CONFIG_KSM
	return vma->vm_flags & VM_MERGEABLE;
#else
	return false;
#endif
}

/*
 * Does @pte map a KSM page?  folio_test_ksm() from 5.18; PageKsm(), gone
 * in 6.15, before.
 */
static inline bool cowlab_pte_maps_ksm(pte_t pte)
{
	struct page *page;

	if (!pte_present(pte) || pte_special(pte) || !pfn_valid(pte_pfn(pte)))
		return false;
	page = pfn_to_page(pte_pfn(pte));
#ifdef COWLAB_HAVE_FOLIO_TEST_KSM
	return folio_test_ksm(page_folio(page));
#else
	return PageKsm(page);
#endif
}

/*
 * How many page table entries map @page, counting a PMD mapping of its
 * folio once for every page: what smaps calls "mapped by more than one".
 * page_mapcount() was removed in 6.10; 6.12 has the same count as
 * folio_precise_page_mapcount(), which is internal to mm/.
 */
static inline int cowlab_page_mapcount(struct page *page)
{
#ifndef COWLAB_HAVE_PAGE_MAPCOUNT
	struct folio *folio = page_folio(page);
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (folio_test_large(folio))
		mapcount += folio_entire_mapcount(folio);
	return mapcount;
#else
	return page_mapcount(page);
#endif
}

/*
 * Has @mm ever pinned a page (FOLL_PIN)?  Never cleared once set.  Fork
 * copies the pages that may be pinned only in such an mm.  An atomic_t
 * has_pinned on 5.10, the MMF_HAS_PINNED bit of mm->flags from 5.15, read
 * through mm_flags_test() since mm->flags became a bitmap (6.18).
 */
static inline bool cowlab_mm_has_pinned(struct mm_struct *mm)
{
#if defined(COWLAB_HAVE_MM_FLAGS_TEST)
	return mm_flags_test(MMF_HAS_PINNED, mm);
#elif defined(COWLAB_HAVE_MMF_HAS_PINNED)
	return test_bit(MMF_HAS_PINNED, &mm->flags);
#else
	return atomic_read(&mm->has_pinned);
#endif
}

/* A lockless read of a PMD entry: pmdp_get_lockless() arrived in 6.4. */
static inline pmd_t cowlab_pmdp_get(pmd_t *pmdp)
{
#ifdef COWLAB_HAVE_PMDP_GET_LOCKLESS
	return pmdp_get_lockless(pmdp);
#else
	return pmd_read_atomic(pmdp);
#endif
}

/*
 * Map and lock the PTE table under @pmd, as pte_offset_map_lock() does; its
 * out-of-line part __pte_offset_map_lock() (6.5) is not exported.  Since
 * 6.5 PTE tables can be freed under RCU without mmap_lock (khugepaged), so
 * the table is used under RCU and the PMD re-checked once the lock is
 * held.  @subclass is the lockdep subclass of the PTE lock (0, or
 * SINGLE_DEPTH_NESTING for a second mm's table held at the same time, as
 * fork does).  Returns NULL if @pmd maps no PTE table.  Undo with
 * cowlab_pte_unmap_unlock().
 */
static inline pte_t *cowlab_pte_map_lock_nested(struct mm_struct *mm,
						pmd_t *pmd, unsigned long addr,
						spinlock_t **ptlp,
						int subclass)
{
	spinlock_t *ptl;	/* of the PTE table */
	pmd_t pmdval;

again:
	rcu_read_lock();
	pmdval = cowlab_pmdp_get(pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval) ||
	    pmd_trans_huge(pmdval) || cowlab_pmd_devmap(pmdval) ||
	    pmd_bad(pmdval)) {
		rcu_read_unlock();
		return NULL;
	}
	ptl = pte_lockptr(mm, &pmdval);
	spin_lock_nested(ptl, subclass);
	if (unlikely(!pmd_same(pmdval, cowlab_pmdp_get(pmd)))) {
		spin_unlock(ptl);
		rcu_read_unlock();
		goto again;
	}
	*ptlp = ptl;
	return pte_offset_kernel(&pmdval, addr);
}

static inline pte_t *cowlab_pte_map_lock(struct mm_struct *mm, pmd_t *pmd,
					 unsigned long addr, spinlock_t **ptlp)
{
	return cowlab_pte_map_lock_nested(mm, pmd, addr, ptlp, 0);
}

static inline void cowlab_pte_unmap_unlock(pte_t *pte, spinlock_t *ptl)
{
	spin_unlock(ptl);
	rcu_read_unlock();
}

/*
 * The anonymous pages @mm maps: exactly with get_mm_counter_sum() (the
 * per-CPU counter's parts summed); before per-CPU RSS counters (6.2) the
 * counter is one atomic, exact too.  A kernel between the two reads it
 * approximately (within the counter's batch per CPU).  For a child right
 * after fork, which has not run yet.
 */
static inline unsigned long cowlab_mm_anon_pages(struct mm_struct *mm)
{
#ifdef COWLAB_HAVE_GET_MM_COUNTER_SUM
	return get_mm_counter_sum(mm, MM_ANONPAGES);
#else
	return get_mm_counter(mm, MM_ANONPAGES);
#endif
}

#endif /* COWLAB_COMPAT_H */
