// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe table and its handlers.
 *
 * A 4 KiB COW break is seen at one point, with no probe around the fault:
 *   ptep_clear_flush()  called by wp_page_copy() once its pte_same() check
 *                       passed, with the PTE lock held: the old PTE (a
 *                       shared page, or the zero page) is being replaced by
 *                       the new page, so the copy is committed.  Its other
 *                       callers (reclaim, migration, KSM) are told apart by
 *                       the return address, which must lie in the function
 *                       that holds wp_page_copy()'s body: wp_page_copy()
 *                       itself on 6.1, do_wp_page() on 6.12, where it is
 *                       inlined (cowlab_sites_init()).
 *   ptep_set_access_flags()
 *                       called by wp_page_reuse() (dirty = 1), told apart
 *                       the same way: the page is made writable in place
 *                       (private mappings only: shared ones never copy).
 * Both are ftrace-based kprobes on Debian's kernels: their handlers run in
 * normal context, so they may take cowlab's locks.  (A breakpoint kprobe's
 * handler runs in NMI context: cowlab_account_fault() then only counts what
 * needs no lock.)
 * One probe per event keeps the cost of a COW fault low (make bench).
 *
 * An unshare (FAULT_FLAG_UNSHARE) copies like a write but is asked for by
 * GUP without FOLL_WRITE (a read-only pin of a maybe-shared anon page) or,
 * from 6.2, by KSM's break_ksm().  Nothing in ptep_clear_flush()'s
 * arguments tells it apart, so kretprobes on __get_user_pages() (when
 * called without FOLL_WRITE) and break_ksm() open a window per task
 * (inflight.c): a copy made inside one is an unshare, since such a caller
 * never asks for a write fault.  A global count of open windows keeps the
 * check off the common path.
 *
 * A PMD-mapped THP: a kretprobe on do_huge_pmd_wp_page() opens a window,
 * pmdp_set_access_flags() inside it says the PMD was made writable in
 * place, and the return value says it was split (VM_FAULT_FALLBACK).
 *
 * The huge zero page written (7.x, do_huge_zero_wp_pmd(), inlined in
 * do_huge_pmd_wp_page()): a new THP replaces it whole, seen at
 * pmdp_huge_clear_flush() called from there, with the PMD lock held.
 * Older kernels, and 7.x when no THP can be allocated, split the PMD
 * instead (pmdp_huge_clear_flush() called from the split code, which is
 * not counted here) and replace 4 KiB zero pages one by one: cow_zero.
 *
 * A KSM page copied for a write is seen at the same ptep_clear_flush():
 * the old PTE maps a KSM page (cow_ksm; /proc/vmstat cow_ksm counts the
 * same from 6.1).  A write to a private file page that is not mapped yet
 * copies it from the page cache in do_cow_fault() (inlined in do_fault()
 * everywhere): seen at finish_fault()'s return, which maps the copy
 * (file_copy).
 *
 * A page the parent may have pinned is copied by fork itself, not by a
 * fault: a kretprobe on copy_page_range() compares the two mms' PTEs of
 * each VMA where the parent ever pinned a page (forkcopy.c), and the fork
 * tracepoint counts the copies for the child (fork_copy).
 *
 * unmap_page_range() (__zap_vma_range() in 7.x) drops the page records of
 * a range being unmapped (munmap, MADV_DONTNEED, mremap's old range):
 * pages faulted in there later are new pages, not copies.
 *
 * Events are counted against the mm that faulted (vma->vm_mm), which is
 * not always current's (remote faults).
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "cowlab.h"
#include "compat.h"

/* Where the handlers count: the module's accounting. */
static struct cowlab_account *cowlab_probe_account;

/* The class of a 4 KiB copy, committed at ptep_clear_flush(). */
static enum cowlab_event cowlab_classify_copy(unsigned int flags)
{
	if (flags & COWLAB_F_UNSHARE)
		return COWLAB_EV_UNSHARE;
	if (flags & COWLAB_F_ZERO)
		return COWLAB_EV_COW_ZERO;
	if (flags & COWLAB_F_KSM)
		return COWLAB_EV_COW_KSM;
	return COWLAB_EV_COW_COPY;
}

NOKPROBE_SYMBOL(cowlab_classify_copy);

/* The class of a huge PMD fault, from what its window saw; or none. */
static enum cowlab_event cowlab_classify_pmd(unsigned int flags)
{
	bool unshare = flags & COWLAB_F_UNSHARE;

	if ((flags & COWLAB_F_REUSED) && !unshare)
		return COWLAB_EV_THP_REUSE;
	/* An unshare fault that splits is counted as unshare, not here. */
	if ((flags & COWLAB_F_FALLBACK) && (flags & COWLAB_F_ANON_THP) &&
	    !unshare)
		return COWLAB_EV_THP_SPLIT;
	return COWLAB_EV_NONE;
}

NOKPROBE_SYMBOL(cowlab_classify_pmd);

/*
 * A function that holds another's body, which may be inlined in it: where
 * a probed callee returns to when called from there.
 */
#define COWLAB_SITE_NAMES	3
/* Each name's body, and its .cold part (code GCC moved out of line). */
#define COWLAB_SITE_RANGES	(2 * COWLAB_SITE_NAMES)

struct cowlab_site {
	const char *names[COWLAB_SITE_NAMES];	/* the inner function, the outer */
	struct {
		unsigned long start, len;
	} ranges[COWLAB_SITE_RANGES];
	unsigned int nranges;		/* found, in ranges[0..nranges) */
};

static struct cowlab_site cowlab_copy_site = {
	.names = { "wp_page_copy", "do_wp_page" },
};

static struct cowlab_site cowlab_reuse_site = {
	.names = { "wp_page_reuse", "do_wp_page" },
};

static struct cowlab_site cowlab_huge_zero_site = {
	.names = { "do_huge_zero_wp_pmd", "do_huge_pmd_wp_page" },
};

/*
 * hugetlb's COW: hugetlb_wp() (hugetlb_cow() before 6.1), and the helper
 * that makes a reused page writable where it is not inlined.  Found only
 * with CONFIG_HUGETLBFS; the other classes do not need it.
 */
static struct cowlab_site cowlab_hugetlb_site = {
	.names = { "hugetlb_wp", "hugetlb_cow", "set_huge_ptep_writable" },
};

static bool cowlab_site_has(const struct cowlab_site *site, unsigned long ip)
{
	unsigned int i;

	/* Every write fault comes here: only the ranges found (1 to 4). */
	for (i = 0; i < site->nranges; i++)
		if (ip - site->ranges[i].start < site->ranges[i].len)
			return true;
	return false;
}

NOKPROBE_SYMBOL(cowlab_site_has);

/* Unshare windows open right now, in all tasks. */
static atomic_t cowlab_unshare_windows = ATOMIC_INIT(0);

/* ptep_clear_flush(vma, address, ptep): called with the PTE lock held. */
static int cowlab_clear_flush_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long address = cowlab_arg(regs, 1);
	pte_t *ptep = (pte_t *)cowlab_arg(regs, 2);
	unsigned int flags = 0;
	unsigned long ip = cowlab_return_address(regs);
	pte_t old;

	if (!cowlab_site_has(&cowlab_copy_site, ip)) {
		/* hugetlb_wp() committing a copy (huge_ptep_clear_flush()). */
		if (cowlab_site_has(&cowlab_hugetlb_site, ip))
			cowlab_account_fault(cowlab_probe_account, vma->vm_mm,
					     cowlab_hugetlb_start(vma, address),
					     COWLAB_EV_HUGE_COPY);
		return 0;
	}
	if (atomic_read(&cowlab_unshare_windows) &&
	    cowlab_inflight_inside(COWLAB_WINDOW_UNSHARE))
		flags |= COWLAB_F_UNSHARE;
	old = ptep_get(ptep);
	if (cowlab_pte_is_zero(old))
		flags |= COWLAB_F_ZERO;
	else if (cowlab_vma_mergeable(vma) && cowlab_pte_maps_ksm(old))
		flags |= COWLAB_F_KSM;
	cowlab_account_fault(cowlab_probe_account, vma->vm_mm,
			     address & PAGE_MASK, cowlab_classify_copy(flags));
	return 0;
}

NOKPROBE_SYMBOL(cowlab_clear_flush_pre);

/*
 * finish_fault(vmf) from do_cow_fault() (inlined everywhere): a write to a
 * private file page not mapped yet.  The page cache page was copied into
 * vmf->cow_page, and finish_fault() maps the copy; it returns 0 when it
 * did (VM_FAULT_NOPAGE when another fault got there first).  Its other
 * callers (read faults the fault-around did not map, shared write faults)
 * are let go at the entry.
 */
static int cowlab_finish_fault_entry(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cowlab_arg(regs, 0);
	struct cowlab_window *w = (struct cowlab_window *)ri->data;

	if (!(vmf->flags & FAULT_FLAG_WRITE) ||
	    (vmf->vma->vm_flags & VM_SHARED) || !vmf->cow_page)
		return 1;
	w->mm = vmf->vma->vm_mm;
	w->address = vmf->address & PAGE_MASK;
	return 0;
}

NOKPROBE_SYMBOL(cowlab_finish_fault_entry);

static int cowlab_finish_fault_return(struct kretprobe_instance *ri,
				      struct pt_regs *regs)
{
	struct cowlab_window *w = (struct cowlab_window *)ri->data;

	if (!regs_return_value(regs))
		cowlab_account_fault(cowlab_probe_account, w->mm, w->address,
				     COWLAB_EV_FILE_COPY);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_finish_fault_return);

/*
 * ptep_set_access_flags(vma, address, ptep, entry, dirty): wp_page_reuse()
 * makes the PTE writable in place with it (dirty = 1).  Its other callers
 * (spurious faults, pfn inserts, the copy path's fallback with dirty = 0)
 * are told apart as for ptep_clear_flush(); shared mappings never copy.
 * wp_page_reuse() itself is not probed: it has no ftrace entry, and a
 * breakpoint kprobe's handler runs in NMI context, where cowlab's locks
 * may not be taken.
 */
static int cowlab_access_flags_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long address = cowlab_arg(regs, 1);

	unsigned long ip = cowlab_return_address(regs);
	enum cowlab_event ev = COWLAB_EV_WP_REUSE;

	if ((int)cowlab_arg(regs, 4) != 1 ||
	    (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return 0;
	/* hugetlb_wp() reusing a page: huge_ptep_set_access_flags(). */
	if (!cowlab_site_has(&cowlab_reuse_site, ip)) {
		if (!cowlab_site_has(&cowlab_hugetlb_site, ip))
			return 0;
		ev = COWLAB_EV_HUGE_REUSE;
	}
	cowlab_account_fault(cowlab_probe_account, vma->vm_mm,
			     address & PAGE_MASK, ev);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_access_flags_pre);

/* Open an unshare window for current in @ri; false if none is free. */
static bool cowlab_unshare_window(struct kretprobe_instance *ri)
{
	struct cowlab_window *w = (struct cowlab_window *)ri->data;

	w->kind = COWLAB_WINDOW_UNSHARE;
	if (!cowlab_inflight_push(w))
		return false;
	atomic_inc(&cowlab_unshare_windows);
	return true;
}

NOKPROBE_SYMBOL(cowlab_unshare_window);

/* __get_user_pages(mm, start, nr_pages, gup_flags, ...) */
static int cowlab_gup_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	/* A write pin faults with FAULT_FLAG_WRITE, never unshares. */
	if (cowlab_arg(regs, 3) & FOLL_WRITE)
		return 1;
	return cowlab_unshare_window(ri) ? 0 : 1;
}

NOKPROBE_SYMBOL(cowlab_gup_entry);

/* break_ksm(vma, addr, ...): its faults are unshares (from 6.2). */
static int cowlab_ksm_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	return cowlab_unshare_window(ri) ? 0 : 1;
}

NOKPROBE_SYMBOL(cowlab_ksm_entry);

static int cowlab_window_return(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	cowlab_inflight_pop((struct cowlab_window *)ri->data);
	atomic_dec(&cowlab_unshare_windows);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_window_return);

/* do_huge_pmd_wp_page(struct vm_fault *vmf) */
static int cowlab_huge_wp_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cowlab_arg(regs, 0);
	struct cowlab_window *w = (struct cowlab_window *)ri->data;

	w->mm = vmf->vma->vm_mm;
	w->address = vmf->address & PMD_MASK;
	w->kind = COWLAB_WINDOW_PMD;
	w->flags = (vmf->flags & COWLAB_FAULT_FLAG_UNSHARE) ?
		   COWLAB_F_UNSHARE : 0;
	if (cowlab_pmd_maps_anon(cowlab_huge_wp_orig_pmd(regs, vmf)))
		w->flags |= COWLAB_F_ANON_THP;
	return cowlab_inflight_push(w) ? 0 : 1;
}

NOKPROBE_SYMBOL(cowlab_huge_wp_entry);

static int cowlab_huge_wp_return(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct cowlab_window *w = (struct cowlab_window *)ri->data;
	enum cowlab_event ev;

	cowlab_inflight_pop(w);
	if (regs_return_value(regs) & VM_FAULT_FALLBACK)
		w->flags |= COWLAB_F_FALLBACK;
	ev = cowlab_classify_pmd(w->flags);
	if (ev != COWLAB_EV_NONE)
		cowlab_account_fault(cowlab_probe_account, w->mm, w->address, ev);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_huge_wp_return);

/* pmdp_set_access_flags(vma, haddr, pmdp, entry, dirty) */
static int cowlab_pmd_access_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long address = cowlab_arg(regs, 1);

	cowlab_inflight_mark(COWLAB_WINDOW_PMD, vma->vm_mm, address & PMD_MASK,
			     COWLAB_F_REUSED);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_pmd_access_pre);

/*
 * pmdp_huge_clear_flush(vma, haddr, pmdp), called from the body of
 * do_huge_zero_wp_pmd(): the huge zero page at @haddr is being replaced by
 * a new THP, committed (the PMD lock is held and pmd_same() passed).
 */
static int cowlab_huge_clear_flush_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long haddr = cowlab_arg(regs, 1);

	if (!cowlab_site_has(&cowlab_huge_zero_site,
			     cowlab_return_address(regs)))
		return 0;
	cowlab_account_fault(cowlab_probe_account, vma->vm_mm,
			     haddr & PMD_MASK, COWLAB_EV_THP_ZERO);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_huge_clear_flush_pre);

/* copy_page_range(dst_vma, src_vma), from dup_mmap(): one VMA of a fork. */
static int cowlab_copy_range_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct cowlab_fork_call *c = (struct cowlab_fork_call *)ri->data;

	c->src = (struct vm_area_struct *)cowlab_arg(regs, 1);
	if (!cowlab_fork_watched(c->src))
		return 1;
	c->dst = (struct vm_area_struct *)cowlab_arg(regs, 0);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_copy_range_entry);

static int cowlab_copy_range_return(struct kretprobe_instance *ri,
				    struct pt_regs *regs)
{
	struct cowlab_fork_call *c = (struct cowlab_fork_call *)ri->data;

	/* On an error the fork fails: the child never runs. */
	if (!regs_return_value(regs))
		cowlab_fork_compare(c->dst, c->src);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_copy_range_return);

/* unmap_page_range(tlb, vma, addr, end, details), or __zap_vma_range() */
static int cowlab_unmap_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 1);

	cowlab_account_unmap(cowlab_probe_account, vma->vm_mm,
			     cowlab_arg(regs, 2), cowlab_arg(regs, 3));
	return 0;
}

NOKPROBE_SYMBOL(cowlab_unmap_pre);

#define EV(e)	BIT(COWLAB_EV_##e)

struct cowlab_probe {
	const char *symbol;
	const char *alt;			/* its name on other kernels */
	kprobe_pre_handler_t pre;		/* a kprobe, or ... */
	kretprobe_handler_t entry;		/* ... a kretprobe */
	kretprobe_handler_t ret;
	unsigned long needed_by;		/* events that need this probe */
	const char *without;			/* what is lost without it */
	struct cowlab_site *site;		/* its callers to count, if any */
	struct kprobe kp;
	struct kretprobe rp;
	int error;				/* of registration, 0 if ok */
};

static struct cowlab_probe cowlab_probes[] = {
	{
		.symbol = "ptep_clear_flush",
		.pre = cowlab_clear_flush_pre,
		.site = &cowlab_copy_site,
		.needed_by = EV(COW_COPY) | EV(COW_ZERO) | EV(UNSHARE) |
			     EV(COW_KSM) | EV(HUGE_COPY),
	}, {
		.symbol = "finish_fault",
		.entry = cowlab_finish_fault_entry,
		.ret = cowlab_finish_fault_return,
		.needed_by = EV(FILE_COPY),
	}, {
		.symbol = "ptep_set_access_flags",
		.pre = cowlab_access_flags_pre,
		.site = &cowlab_reuse_site,
		.needed_by = EV(WP_REUSE) | EV(HUGE_REUSE),
#ifndef COWLAB_NO_UNSHARE_REASON
	}, {
		.symbol = "__get_user_pages",
		.entry = cowlab_gup_entry,
		.ret = cowlab_window_return,
		.needed_by = EV(UNSHARE),
#endif
#ifdef COWLAB_KSM_BREAK_UNSHARES
	}, {
		.symbol = "break_ksm",
		.entry = cowlab_ksm_entry,
		.ret = cowlab_window_return,
		.without = "KSM unmerges count as cow_copy, not unshare",
#endif
	}, {
		.symbol = "do_huge_pmd_wp_page",
		.entry = cowlab_huge_wp_entry,
		.ret = cowlab_huge_wp_return,
		.needed_by = EV(THP_REUSE) | EV(THP_SPLIT),
	}, {
		.symbol = "pmdp_set_access_flags",
		.pre = cowlab_pmd_access_pre,
		.needed_by = EV(THP_REUSE),
	}, {
		.symbol = "pmdp_huge_clear_flush",
		.pre = cowlab_huge_clear_flush_pre,
		.site = &cowlab_huge_zero_site,
		.needed_by = EV(THP_ZERO),
	}, {
		.symbol = "copy_page_range",
		.entry = cowlab_copy_range_entry,
		.ret = cowlab_copy_range_return,
		.needed_by = EV(FORK_COPY),
	}, {
		.symbol = "unmap_page_range",
		.alt = "__zap_vma_range",
		.pre = cowlab_unmap_pre,
		.without = "page records outlive munmap: copied may count new pages",
	},
};

static bool cowlab_probe_is_ret(const struct cowlab_probe *p)
{
	return p->entry;
}

/* The probe that @ev needs and could not be registered, or NULL. */
static const struct cowlab_probe *cowlab_event_lacks(enum cowlab_event ev)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++)
		if ((cowlab_probes[i].needed_by & BIT(ev)) &&
		    cowlab_probes[i].error)
			return &cowlab_probes[i];
	return NULL;
}

/* Why this kernel cannot have @ev at all, or NULL. */
static const char *cowlab_event_impossible(enum cowlab_event ev)
{
	if ((ev == COWLAB_EV_HUGE_COPY || ev == COWLAB_EV_HUGE_REUSE) &&
	    !cowlab_hugetlb_site.nranges)
		return "no hugetlb_wp() or hugetlb_cow(): no hugetlbfs in this kernel";
#ifdef COWLAB_NO_UNSHARE_REASON
	if (ev == COWLAB_EV_UNSHARE)
		return COWLAB_NO_UNSHARE_REASON;
#endif
	return NULL;
}

bool cowlab_event_available(enum cowlab_event ev)
{
	return !cowlab_event_impossible(ev) && !cowlab_event_lacks(ev);
}

/* The classes file: which classes are counted here, and why not. */
void cowlab_classes_show(struct seq_file *m)
{
	const struct cowlab_probe *p;
	unsigned int ev;

	seq_puts(m, "class status reason\n");
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++) {
		const char *why = cowlab_event_impossible(ev);

		seq_printf(m, "%s ", cowlab_event_names[ev]);
		p = cowlab_event_lacks(ev);
		if (why)
			seq_printf(m, "absent %s\n", why);
		else if (p)
			seq_printf(m, "missing probe %s %s (see probes)\n",
				   p->symbol, p->error == -ENOENT ?
				   "not in this kernel" : "failed");
		else
			seq_puts(m, "counted -\n");
	}
}

static int cowlab_probe_register_as(struct cowlab_probe *p, const char *sym)
{
	if (cowlab_probe_is_ret(p)) {
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = sym;
		p->rp.entry_handler = p->entry;
		p->rp.handler = p->ret;
		p->rp.data_size = max(sizeof(struct cowlab_window),
				      sizeof(struct cowlab_fork_call));
		/* Tasks may sleep inside: room for many at once. */
		p->rp.maxactive = 64 + 16 * num_possible_cpus();
		return register_kretprobe(&p->rp);
	}
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = sym;
	p->kp.pre_handler = p->pre;
	return register_kprobe(&p->kp);
}

/* Register @p under its name, or under the name it has on other kernels. */
static int cowlab_probe_register(struct cowlab_probe *p)
{
	int err = cowlab_probe_register_as(p, p->symbol);

	if (err == -ENOENT && p->alt) {
		err = cowlab_probe_register_as(p, p->alt);
		if (!err)
			p->symbol = p->alt;
	}
	return err;
}

static unsigned long cowlab_probe_nmissed(const struct cowlab_probe *p)
{
	if (p->error)
		return 0;
	if (cowlab_probe_is_ret(p))
		return p->rp.nmissed + p->rp.kp.nmissed;
	return p->kp.nmissed;
}

void cowlab_probes_show(struct seq_file *m)
{
	unsigned int i;

	seq_puts(m, "symbol kind status error nmissed\n");
	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++) {
		const struct cowlab_probe *p = &cowlab_probes[i];

		seq_printf(m, "%s %s %s %d %lu\n", p->symbol,
			   cowlab_probe_is_ret(p) ? "kretprobe" : "kprobe",
			   !p->error ? "ok" :
			   p->error == -ENOENT ? "missing" : "failed",
			   p->error, cowlab_probe_nmissed(p));
	}
}

/* Every site: the hugetlb one, and those of the probes. */
static struct cowlab_site *const cowlab_sites[] = {
	&cowlab_copy_site, &cowlab_reuse_site, &cowlab_huge_zero_site,
	&cowlab_hugetlb_site,
};

/* Where a resolved name's function lies, by its kprobe's address. */
static bool cowlab_symbol_range(const struct kprobe *kp, char *buf,
				unsigned long *start, unsigned long *len)
{
	unsigned long addr = (unsigned long)kp->addr, off, size;
	char *plus;

	sprint_symbol(buf, addr);
	plus = strchr(buf, '+');
	if (!plus || sscanf(plus, "+%lx/%lx", &off, &size) != 2 ||
	    off > addr || !size)
		return false;
	*start = addr - off;
	*len = size;
	return true;
}

/*
 * Find where each site's inner function lies: in itself if the compiler
 * kept it out of line, in the one it is inlined in (6.12 inlines
 * wp_page_copy() in do_wp_page()), or both (inlined at some calls only),
 * each with its .cold part.  Every range found counts.
 *
 * A kprobe registered disabled resolves a name and patches nothing, but
 * each unregistration waits for an RCU grace period (tens of ms under
 * TCG): all names are resolved at once and their kprobes dropped in one
 * batch.
 */
static int cowlab_sites_init(void)
{
	const unsigned int per_site = COWLAB_SITE_RANGES;
	const unsigned int n = ARRAY_SIZE(cowlab_sites) * per_site;
	struct kprobe *kps, **live;
	unsigned int i, j, nlive = 0;
	char (*cold)[KSYM_NAME_LEN];
	char *buf;
	int err = -ENOMEM;

	kps = kcalloc(n, sizeof(*kps), GFP_KERNEL);
	live = kcalloc(n, sizeof(*live), GFP_KERNEL);
	cold = kcalloc(n, sizeof(*cold), GFP_KERNEL);
	buf = kmalloc(KSYM_SYMBOL_LEN, GFP_KERNEL);
	if (!kps || !live || !cold || !buf)
		goto out;
	/* kps[site * per_site + 2 * name] and its .cold part after it. */
	for (i = 0; i < n; i++) {
		const char *name = cowlab_sites[i / per_site]->names[i % per_site / 2];

		if (!name)
			continue;
		if (i % 2) {
			snprintf(cold[i], KSYM_NAME_LEN, "%s.cold", name);
			name = cold[i];
		}
		kps[i].symbol_name = name;
		kps[i].flags = KPROBE_FLAG_DISABLED;
		if (!register_kprobe(&kps[i]))
			live[nlive++] = &kps[i];
		else
			kps[i].addr = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(cowlab_sites); i++) {
		struct cowlab_site *site = cowlab_sites[i];
		unsigned int nr = 0;

		memset(site->ranges, 0, sizeof(site->ranges));
		for (j = 0; j < per_site; j++) {
			const struct kprobe *kp = &kps[i * per_site + j];

			if (!kp->addr ||
			    !cowlab_symbol_range(kp, buf, &site->ranges[nr].start,
						 &site->ranges[nr].len))
				continue;
			if (!(j % 2))
				pr_info("%s() looked for in %s (%lu bytes)\n",
					site->names[0], kp->symbol_name,
					site->ranges[nr].len);
			nr++;
		}
		site->nranges = nr;
	}
	if (nlive)
		unregister_kprobes(live, nlive);
	err = 0;
out:
	kfree(buf);
	kfree(cold);
	kfree(live);
	kfree(kps);
	return err;
}

/*
 * Register every probe that exists on this kernel; a missing one only
 * disables the classes that need it.  Fails if no class is left.
 */
/* Register the probes, which count through @a. */
int cowlab_probes_init(struct cowlab_account *a)
{
	unsigned int i, ev, available = 0;
	int err;

	cowlab_probe_account = a;

	err = cowlab_sites_init();
	if (err)
		return err;
	/* Only the hugetlb classes need it. */
	if (!cowlab_hugetlb_site.nranges)
		pr_info("no hugetlb COW function: huge_copy and huge_reuse absent\n");
	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++) {
		struct cowlab_probe *p = &cowlab_probes[i];

		/* Without its call site, a probe cannot tell its callers apart. */
		p->error = p->site && !p->site->nranges ? -ENOENT : 0;
		if (p->error) {
			pr_err("%s not registered: none of %s, %s found\n",
			       p->symbol, p->site->names[0], p->site->names[1]);
			continue;
		}
		p->error = cowlab_probe_register(p);
		if (!p->error)
			pr_info("%s %s registered\n", cowlab_probe_is_ret(p) ?
				"kretprobe" : "kprobe", p->symbol);
		else
			pr_err("register_%s(%s) failed: %d%s\n",
			       cowlab_probe_is_ret(p) ? "kretprobe" : "kprobe",
			       p->symbol, p->error,
			       p->error == -ENOENT ?
			       " (not in this kernel, or inlined)" : "");
		if (p->error && p->without)
			pr_warn("without %s: %s\n", p->symbol, p->without);
	}
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++) {
		if (cowlab_event_available(ev)) {
			available++;
			continue;
		}
		if (cowlab_event_impossible(ev))
			pr_info("%s cannot happen on this kernel: %s\n",
				cowlab_event_names[ev],
				cowlab_event_impossible(ev));
		else
			pr_warn("%s is not counted on this kernel\n",
				cowlab_event_names[ev]);
	}
	if (!available) {
		cowlab_probes_exit();
		return -ENOENT;
	}
	return 0;
}

/*
 * Inner kprobes go first: once they are gone nothing reads the in-flight
 * records, whose memory belongs to the kretprobe instances.  Each batch
 * waits for one RCU grace period, not one per probe.
 */
void cowlab_probes_exit(void)
{
	struct kretprobe *rps[ARRAY_SIZE(cowlab_probes)];
	struct kprobe *kps[ARRAY_SIZE(cowlab_probes)];
	unsigned int i, nk = 0, nr = 0;

	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++) {
		struct cowlab_probe *p = &cowlab_probes[i];

		if (p->error)
			continue;
		if (cowlab_probe_is_ret(p))
			rps[nr++] = &p->rp;
		else
			kps[nk++] = &p->kp;
		p->error = -ENOENT;
	}
	if (nk)
		unregister_kprobes(kps, nk);
	if (nr)
		unregister_kretprobes(rps, nr);
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/probes_kunit.h"
#endif
