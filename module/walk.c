// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table walk for VMA snapshots: what each page of a range is now
 * (not present, zero page, shared, exclusive, copied).  The kernel's
 * walk_page_range() is not exported, so this is a small walker of its own.
 *
 * Callers hold mmap_read_lock(); PTE tables are mapped and locked the way
 * 6.12 requires (compat.h).  PMD-mapped THPs, and the 2 MiB pages of
 * private hugetlb VMAs (huge PTEs that are PMD entries, under the same
 * PMD lock), are reported 512 pages at a time.  The walk reschedules
 * between PMDs and stops early for a fatal signal.  Page records are read
 * inside an RCU read-side section per page table (an unmap may free a
 * block meanwhile).
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>

#include "cowlab.h"
#include "compat.h"

/* Looks at a PMD that keeps changing under the walk before giving up. */
#define COWLAB_WALK_TRIES	16

/* An exclusive page at @addr: was it installed by a COW break? */
static enum cowlab_page_state cowlab_exclusive(struct cowlab_pages_cursor *cur,
					       unsigned long addr)
{
	struct cowlab_page_rec rec;

	cowlab_rec_decode(cowlab_pages_rec(cur, addr), &rec);
	return rec.copied ? COWLAB_PAGE_COPIED : COWLAB_PAGE_EXCLUSIVE;
}

/*
 * @private: the VMA is a private mapping.  There the kernel maps a page
 * writable only while it is exclusive to this mm (an anon page marked
 * PageAnonExclusive, or a COW copy of a file page), so a writable PTE needs
 * no look at the page's mapcount.
 */
static enum cowlab_page_state cowlab_pte_state(pte_t pte, unsigned long addr,
					       struct cowlab_pages_cursor *cur,
					       bool private)
{
	unsigned long pfn;
	struct page *page;

	if (!pte_present(pte))
		return COWLAB_PAGE_ABSENT;
	pfn = pte_pfn(pte);
	if (is_zero_pfn(pfn))
		return COWLAB_PAGE_ZERO;
	if (private && pte_write(pte) && !pte_special(pte))
		return cowlab_exclusive(cur, addr);
	/* Special or PFN-mapped entries have no page to count, like smaps. */
	if (pte_special(pte) || !pfn_valid(pfn))
		return COWLAB_PAGE_ABSENT;
	page = pfn_to_page(pfn);
	if (cowlab_page_mapcount(page) > 1)
		return COWLAB_PAGE_SHARED;
	return cowlab_exclusive(cur, addr);
}

/*
 * A PMD-mapped THP, or a hugetlb page of PMD size: one callback per run of
 * pages in the same state.
 */
static int cowlab_walk_huge(struct vm_area_struct *vma, pmd_t *pmd,
			    unsigned long addr, unsigned long end,
			    struct cowlab_pages_cursor *cur, cowlab_walk_fn fn,
			    void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	enum cowlab_page_state st, run = COWLAB_PAGE_ABSENT;
	unsigned long a, run_start = addr;
	struct page *head;
	spinlock_t *ptl;	/* the page table lock we hold */
	pmd_t pmdval;
	int ret = 0;

	ptl = pmd_lock(mm, pmd);
	pmdval = *pmd;
	if (!pmd_trans_huge(pmdval)) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	rcu_read_lock();
	cowlab_pages_cursor_reset(cur);
	head = pmd_page(pmdval);
	for (a = addr; a < end; a += PAGE_SIZE) {
		struct page *page = head + ((a & ~PMD_MASK) >> PAGE_SHIFT);

		/*
		 * Writable in a private mapping: exclusive, as for PTEs (a
		 * THP that replaced the huge zero page has copied pages).
		 * The huge zero page is the only non-anon page here.
		 */
		if (!(vma->vm_flags & VM_MAYSHARE) && pmd_write(pmdval))
			st = cowlab_exclusive(cur, a);
		else if (vma_is_anonymous(vma) && !PageAnon(head))
			st = COWLAB_PAGE_ZERO;
		else if (cowlab_page_mapcount(page) > 1)
			st = COWLAB_PAGE_SHARED;
		else
			st = cowlab_exclusive(cur, a);
		if (a != addr && st != run) {
			ret = fn(arg, run_start, (a - run_start) >> PAGE_SHIFT, run);
			if (ret)
				break;
			run_start = a;
		}
		run = st;
	}
	rcu_read_unlock();
	spin_unlock(ptl);
	if (!ret)
		ret = fn(arg, run_start, (end - run_start) >> PAGE_SHIFT, run);
	return ret;
}

static int cowlab_walk_ptes(struct vm_area_struct *vma, pmd_t *pmd,
			    unsigned long addr, unsigned long end,
			    struct cowlab_pages_cursor *cur, cowlab_walk_fn fn,
			    void *arg)
{
	enum cowlab_page_state st, run = COWLAB_PAGE_ABSENT;
	bool private = !(vma->vm_flags & VM_MAYSHARE);
	unsigned long run_start = addr;
	spinlock_t *ptl;	/* the page table lock we hold */
	pte_t *start, *pte;
	int ret = 0;

	start = cowlab_pte_map_lock(vma->vm_mm, pmd, addr, &ptl);
	if (!start)
		return -EAGAIN;
	rcu_read_lock();
	cowlab_pages_cursor_reset(cur);
	/* One callback per run of pages in the same state. */
	for (pte = start; addr < end; addr += PAGE_SIZE, pte++) {
		st = cowlab_pte_state(ptep_get(pte), addr, cur, private);
		if (st != run && addr != run_start) {
			ret = fn(arg, run_start, (addr - run_start) >> PAGE_SHIFT,
				 run);
			if (ret)
				break;
			run_start = addr;
		}
		run = st;
	}
	rcu_read_unlock();
	cowlab_pte_unmap_unlock(start, ptl);
	if (!ret && addr > run_start)
		ret = fn(arg, run_start, (addr - run_start) >> PAGE_SHIFT, run);
	return ret;
}

/*
 * Call @fn for every page of [@start, @end), which lies inside @vma, with
 * its state; runs of pages may come in one call.  Called with the mmap lock
 * held for read; may sleep.  Returns 0, @fn's non-zero result, or -EINTR.
 */
int cowlab_walk_range(struct vm_area_struct *vma, unsigned long start,
		      unsigned long end, struct cowlab_pages *pages,
		      cowlab_walk_fn fn, void *arg)
{
	struct cowlab_pages_cursor cur = { .pages = pages };
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr = start, next;
	int ret = 0;

	while (addr < end) {
		pgd_t *pgd = pgd_offset(mm, addr);
		unsigned int tries = 0;
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd, pmdval;

		if (fatal_signal_pending(current))
			return -EINTR;
		/*
		 * Report a bad entry as absent: clearing it is not ours to do.
		 * An empty upper level is skipped whole: a reservation of
		 * terabytes costs a few steps, not one per 2 MiB.
		 */
		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			goto absent;
		p4d = p4d_offset(pgd, addr);
		next = p4d_addr_end(addr, end);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			goto absent;
		pud = pud_offset(p4d, addr);
		next = pud_addr_end(addr, end);
		if (pud_none(*pud) || !pud_present(*pud) || pud_trans_huge(*pud) ||
		    pud_bad(*pud))
			goto absent;
		pmd = pmd_offset(pud, addr);
		next = pmd_addr_end(addr, end);
retry:
		pmdval = cowlab_pmdp_get(pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval))
			goto absent;
		/*
		 * Device-mapped (DAX) and bad PMDs map no PTE table and no THP
		 * we can count: absent (a huge PMD is "bad" to pmd_bad()).
		 */
		if (pmd_trans_huge(pmdval))
			ret = cowlab_walk_huge(vma, pmd, addr, next, &cur, fn,
					       arg);
		else if (cowlab_pmd_devmap(pmdval) || pmd_bad(pmdval))
			goto absent;
		else
			ret = cowlab_walk_ptes(vma, pmd, addr, next, &cur, fn, arg);
		/*
		 * The PMD changed under us (a THP split or collapsed): look
		 * again, a bounded number of times.
		 */
		if (ret == -EAGAIN && ++tries < COWLAB_WALK_TRIES) {
			cond_resched();
			goto retry;
		}
		if (ret)
			return ret;
		goto done;
absent:
		ret = fn(arg, addr, (next - addr) >> PAGE_SHIFT,
			 COWLAB_PAGE_ABSENT);
		if (ret)
			return ret;
done:
		addr = next;
		cond_resched();
	}
	return 0;
}
