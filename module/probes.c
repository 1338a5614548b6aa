// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe table and its handlers.
 *
 * Two kretprobes open a window around each write-protect fault:
 * do_wp_page() (a 4 KiB PTE) and do_huge_pmd_wp_page() (a PMD-mapped THP).
 * Three kprobes inside that window say what the fault did:
 *   ptep_clear_flush()       the old PTE is being replaced by a new page:
 *                            a copy (wp_page_copy() passed its pte_same()
 *                            check, so the copy will be installed);
 *   wp_page_reuse()          the page is made writable in place;
 *   pmdp_set_access_flags()  the huge PMD is made writable in place.
 * The inner functions have other callers (reclaim, migration, shared
 * mappings); they only count when the calling task has a matching fault in
 * flight (inflight.c).  The outcome is classified and counted when the
 * fault returns, against the mm that faulted (vmf->vma->vm_mm).
 *
 * wp_page_copy() itself is inlined on 6.12, so it is not probed on either
 * kernel: one mechanism for both.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/seq_file.h>

#include "cowlab.h"
#include "compat.h"

enum cowlab_event cowlab_classify(enum cowlab_fault_kind kind,
				  unsigned int flags)
{
	bool unshare = flags & COWLAB_F_UNSHARE;

	if (kind == COWLAB_FAULT_PTE) {
		if (flags & COWLAB_F_COPIED) {
			if (unshare)
				return COWLAB_EV_UNSHARE;
			if (flags & COWLAB_F_ZERO)
				return COWLAB_EV_COW_ZERO;
			return COWLAB_EV_COW_COPY;
		}
		if ((flags & COWLAB_F_REUSED) && !unshare)
			return COWLAB_EV_WP_REUSE;
		return COWLAB_EV_NONE;
	}
	if ((flags & COWLAB_F_REUSED) && !unshare)
		return COWLAB_EV_THP_REUSE;
	/* An unshare fault that splits is counted as unshare, not here. */
	if ((flags & COWLAB_F_FALLBACK) && (flags & COWLAB_F_ANON_THP) &&
	    !unshare)
		return COWLAB_EV_THP_SPLIT;
	return COWLAB_EV_NONE;
}

NOKPROBE_SYMBOL(cowlab_classify);

/* do_wp_page(struct vm_fault *vmf) */
static int cowlab_wp_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cowlab_arg(regs, 0);
	struct vm_area_struct *vma = vmf->vma;
	struct cowlab_fault *f = (struct cowlab_fault *)ri->data;

	/* Shared mappings never copy: leave the return unarmed. */
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
		return 1;
	f->task = current;
	f->mm = vma->vm_mm;
	f->address = vmf->address & PAGE_MASK;
	f->ptep = NULL;
	f->kind = COWLAB_FAULT_PTE;
	f->flags = (vmf->flags & FAULT_FLAG_UNSHARE) ? COWLAB_F_UNSHARE : 0;
	cowlab_inflight_push(f);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_wp_entry);

/* do_huge_pmd_wp_page(struct vm_fault *vmf) */
static int cowlab_huge_wp_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cowlab_arg(regs, 0);
	struct cowlab_fault *f = (struct cowlab_fault *)ri->data;

	f->task = current;
	f->mm = vmf->vma->vm_mm;
	f->address = vmf->address & PMD_MASK;
	f->ptep = NULL;
	f->kind = COWLAB_FAULT_PMD;
	f->flags = (vmf->flags & FAULT_FLAG_UNSHARE) ? COWLAB_F_UNSHARE : 0;
	if (cowlab_pmd_maps_anon(vmf->orig_pmd))
		f->flags |= COWLAB_F_ANON_THP;
	return cowlab_inflight_push(f) ? 0 : 1;
}

NOKPROBE_SYMBOL(cowlab_huge_wp_entry);

/*
 * The pfn a copy installed at @ptep (the PTE ptep_clear_flush() cleared, now
 * set again by wp_page_copy()), or 0.  The fault that copied still holds
 * the mmap or VMA lock, so the PTE table is still there.
 */
static unsigned long cowlab_installed_pfn(pte_t *ptep)
{
	pte_t pte;

	if (!ptep)
		return 0;
	pte = ptep_get(ptep);
	return pte_present(pte) ? pte_pfn(pte) : 0;
}

NOKPROBE_SYMBOL(cowlab_installed_pfn);

/* Both kretprobes: classify what the fault did, count it. */
static int cowlab_fault_return(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct cowlab_fault *f = (struct cowlab_fault *)ri->data;
	enum cowlab_event ev;

	cowlab_inflight_pop(f);
	if (regs_return_value(regs) & VM_FAULT_FALLBACK)
		f->flags |= COWLAB_F_FALLBACK;
	ev = cowlab_classify(f->kind, f->flags);
	if (ev != COWLAB_EV_NONE)
		cowlab_stats_count(f->mm, f->address, ev,
				   cowlab_installed_pfn(f->ptep));
	return 0;
}

NOKPROBE_SYMBOL(cowlab_fault_return);

/* ptep_clear_flush(vma, address, ptep): called with the PTE lock held. */
static int cowlab_clear_flush_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long address = cowlab_arg(regs, 1);
	pte_t *ptep = (pte_t *)cowlab_arg(regs, 2);
	unsigned int flags = COWLAB_F_COPIED;
	struct cowlab_fault *f;

	if (cowlab_pte_is_zero(ptep_get(ptep)))
		flags |= COWLAB_F_ZERO;
	f = cowlab_inflight_mark(COWLAB_FAULT_PTE, vma->vm_mm,
				 address & PAGE_MASK, flags);
	if (f)
		f->ptep = ptep;
	return 0;
}

NOKPROBE_SYMBOL(cowlab_clear_flush_pre);

/* wp_page_reuse(vmf, ...): also reached for shared mappings. */
static int cowlab_reuse_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cowlab_arg(regs, 0);

	cowlab_inflight_mark(COWLAB_FAULT_PTE, vmf->vma->vm_mm,
			     vmf->address & PAGE_MASK, COWLAB_F_REUSED);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_reuse_pre);

/* pmdp_set_access_flags(vma, haddr, pmdp, entry, dirty) */
static int cowlab_pmd_access_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cowlab_arg(regs, 0);
	unsigned long address = cowlab_arg(regs, 1);

	cowlab_inflight_mark(COWLAB_FAULT_PMD, vma->vm_mm, address & PMD_MASK,
			     COWLAB_F_REUSED);
	return 0;
}

NOKPROBE_SYMBOL(cowlab_pmd_access_pre);

#define EV(e)	BIT(COWLAB_EV_##e)

struct cowlab_probe {
	const char *symbol;
	kprobe_pre_handler_t pre;		/* a kprobe, or ... */
	kretprobe_handler_t entry;		/* ... a kretprobe */
	unsigned long needed_by;		/* events that need this probe */
	struct kprobe kp;
	struct kretprobe rp;
	int error;				/* of registration, 0 if ok */
};

static struct cowlab_probe cowlab_probes[] = {
	{
		.symbol = "do_wp_page",
		.entry = cowlab_wp_entry,
		.needed_by = EV(COW_COPY) | EV(COW_ZERO) | EV(WP_REUSE) |
			     EV(UNSHARE),
	}, {
		.symbol = "ptep_clear_flush",
		.pre = cowlab_clear_flush_pre,
		.needed_by = EV(COW_COPY) | EV(COW_ZERO) | EV(UNSHARE),
	}, {
		.symbol = "wp_page_reuse",
		.pre = cowlab_reuse_pre,
		.needed_by = EV(WP_REUSE),
	}, {
		.symbol = "do_huge_pmd_wp_page",
		.entry = cowlab_huge_wp_entry,
		.needed_by = EV(THP_REUSE) | EV(THP_SPLIT),
	}, {
		.symbol = "pmdp_set_access_flags",
		.pre = cowlab_pmd_access_pre,
		.needed_by = EV(THP_REUSE),
	},
};

static bool cowlab_probe_is_ret(const struct cowlab_probe *p)
{
	return p->entry;
}

bool cowlab_event_available(enum cowlab_event ev)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++)
		if ((cowlab_probes[i].needed_by & BIT(ev)) &&
		    cowlab_probes[i].error)
			return false;
	return true;
}

static int cowlab_probe_register(struct cowlab_probe *p)
{
	if (cowlab_probe_is_ret(p)) {
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = p->symbol;
		p->rp.entry_handler = p->entry;
		p->rp.handler = cowlab_fault_return;
		p->rp.data_size = sizeof(struct cowlab_fault);
		/* Tasks may sleep inside a fault: room for many at once. */
		p->rp.maxactive = 64 + 16 * num_possible_cpus();
		return register_kretprobe(&p->rp);
	}
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = p->symbol;
	p->kp.pre_handler = p->pre;
	return register_kprobe(&p->kp);
}

static void cowlab_probe_unregister(struct cowlab_probe *p)
{
	if (p->error)
		return;
	if (cowlab_probe_is_ret(p))
		unregister_kretprobe(&p->rp);
	else
		unregister_kprobe(&p->kp);
	p->error = -ENOENT;
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

/*
 * Register every probe that exists on this kernel; a missing one only
 * disables the classes that need it.  Fails if no class is left.
 */
int cowlab_probes_init(void)
{
	unsigned int i, ev, available = 0;

	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++) {
		struct cowlab_probe *p = &cowlab_probes[i];

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
	}
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++) {
		if (cowlab_event_available(ev)) {
			available++;
			continue;
		}
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
 * records, whose memory belongs to the kretprobe instances.
 */
void cowlab_probes_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++)
		if (!cowlab_probe_is_ret(&cowlab_probes[i]))
			cowlab_probe_unregister(&cowlab_probes[i]);
	for (i = 0; i < ARRAY_SIZE(cowlab_probes); i++)
		if (cowlab_probe_is_ret(&cowlab_probes[i]))
			cowlab_probe_unregister(&cowlab_probes[i]);
}

#ifdef CONFIG_COWLAB_KUNIT_TEST
#include "../tests/kunit/probes_kunit.h"
#endif
