// SPDX-License-Identifier: GPL-2.0
/*
 * cowcheck: count copy-on-write breaks per process with BPF, independently
 * of the cowlab module, as a witness for its procs table.
 *
 * fentry/fexit on do_wp_page() (a 4 KiB PTE) and do_huge_pmd_wp_page() (a
 * PMD-mapped THP) open a window per task around each write-protect fault;
 * what happens inside the window decides the outcome:
 *
 *   a new anon page is mapped at the faulting address
 *       (page_add_new_anon_rmap() on 6.1, folio_add_new_anon_rmap() on
 *       6.12): the old page was replaced by a copy, or by a zeroed page if
 *       the faulting PTE mapped the zero page (its pfn is zero_pfn);
 *   ptep_set_access_flags(..., dirty=1) at the faulting address:
 *       the PTE was made writable in place;
 *   pmdp_set_access_flags(..., dirty=1) at the faulting huge address:
 *       the huge PMD was made writable in place;
 *   __split_huge_pmd() at the faulting huge address, the PMD not mapping
 *       the huge zero page (its pfn is huge_zero_pfn): a shared THP split.
 *
 * The inner functions have other callers (first touch, fork, reclaim,
 * spurious faults); they only count for the task that has the matching
 * window open, same mm and address.  A task may sleep in a fault and
 * move to another CPU, so windows are keyed by task id.  At fexit the
 * outcome is classified and counted for the process that owns the
 * faulting mm (mm->owner->tgid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cowcheck.h"

char LICENSE[] SEC("license") = "GPL";

/* x86-64 constants that are macros, not in BTF. */
#define PAGE_SHIFT		12
#define PAGE_MASK		(~((1UL << PAGE_SHIFT) - 1))
#define PMD_SHIFT		21
#define PMD_MASK		(~((1UL << PMD_SHIFT) - 1))
#define PHYSICAL_MASK		((1UL << 52) - 1)
#define VM_SHARED		0x00000008UL
#define VM_MAYSHARE		0x00000080UL
#define EEXIST			17

/* Typeless: resolved from /proc/kallsyms by libbpf at load. */
extern const void zero_pfn __ksym;
extern const void huge_zero_pfn __ksym;

enum cowcheck_fault_kind {
	COWCHECK_WIN_PTE = 1,	/* in do_wp_page() */
	COWCHECK_WIN_PMD,	/* in do_huge_pmd_wp_page() */
};

/* What was seen in the window. */
#define F_UNSHARE	(1U << 0)	/* FAULT_FLAG_UNSHARE */
#define F_OLD_ZERO	(1U << 1)	/* the entry mapped the (huge) zero page */
#define F_NEW_ANON	(1U << 2)	/* a new anon page mapped at the address */
#define F_MKWRITE	(1U << 3)	/* entry made dirty/writable in place */
#define F_SPLIT		(1U << 4)	/* the huge PMD was split */

struct cowcheck_fault {
	struct mm_struct *mm;
	__u64 addr;		/* page-aligned (PTE) or PMD-aligned (PMD) */
	__u32 kind;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, COWCHECK_MAX_INFLIGHT);
	__type(key, __u32);			/* task id */
	__type(value, struct cowcheck_fault);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, COWCHECK_MAX_PROCS);
	__type(key, __u32);			/* tgid of mm->owner */
	__type(value, struct cowcheck_counts);
} counts SEC(".maps");

__u64 stats[COWCHECK_NR_STATS];

static __always_inline void stat_inc(enum cowcheck_stat s)
{
	if (s < COWCHECK_NR_STATS)
		__sync_fetch_and_add(&stats[s], 1);
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline unsigned long read_ulong(const void *kaddr)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), kaddr);
	return v;
}

/* pte_pfn()/pmd_pfn() of a present entry on x86-64 (no memory encryption). */
static __always_inline unsigned long entry_pfn(__u64 val, __u64 size_mask)
{
	return (val & PHYSICAL_MASK & size_mask) >> PAGE_SHIFT;
}

static __always_inline bool fault_is_unshare(struct vm_fault *vmf)
{
	__u64 unshare = bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);

	return BPF_CORE_READ(vmf, flags) & unshare;
}

/* The tgid of the process owning @mm; -1 if it has none. */
static __always_inline int mm_owner_tgid(struct mm_struct *mm, __u32 *tgid)
{
	struct task_struct *owner = NULL;
	struct task_struct *cur;

	if (bpf_core_field_exists(mm->owner))
		owner = BPF_CORE_READ(mm, owner);
	if (owner) {
		*tgid = BPF_CORE_READ(owner, tgid);
		return 0;
	}
	/* No owner (exiting, or no memcg): only current's own mm is known. */
	cur = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(cur, mm) == mm) {
		*tgid = bpf_get_current_pid_tgid() >> 32;
		return 0;
	}
	return -1;
}

static __always_inline void count_event(struct mm_struct *mm, __u32 ev)
{
	struct cowcheck_counts zero = {};
	struct cowcheck_counts *c;
	__u32 tgid;
	long err;

	if (ev >= COWCHECK_NR_EVENTS)
		return;
	if (mm_owner_tgid(mm, &tgid)) {
		stat_inc(COWCHECK_ST_UNATTRIBUTED);
		return;
	}
	c = bpf_map_lookup_elem(&counts, &tgid);
	if (!c) {
		err = bpf_map_update_elem(&counts, &tgid, &zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			stat_inc(COWCHECK_ST_COUNTS_LOST);
			return;
		}
		c = bpf_map_lookup_elem(&counts, &tgid);
		if (!c) {
			stat_inc(COWCHECK_ST_COUNTS_LOST);
			return;
		}
	}
	__sync_fetch_and_add(&c->ev[ev], 1);
}

/* What a finished fault was, from what its window saw. */
static __always_inline __u32 classify(const struct cowcheck_fault *f)
{
	bool unshare = f->flags & F_UNSHARE;

	if (f->kind == COWCHECK_WIN_PTE) {
		if (f->flags & F_NEW_ANON) {
			if (unshare)
				return COWCHECK_EV_UNSHARE;
			return (f->flags & F_OLD_ZERO) ? COWCHECK_EV_COW_ZERO :
							 COWCHECK_EV_COW_COPY;
		}
		if ((f->flags & F_MKWRITE) && !unshare)
			return COWCHECK_EV_WP_REUSE;
		return COWCHECK_EV_NONE;
	}
	if (f->kind == COWCHECK_WIN_PMD && !unshare) {
		if (f->flags & F_MKWRITE)
			return COWCHECK_EV_THP_REUSE;
		if ((f->flags & F_SPLIT) && !(f->flags & F_OLD_ZERO))
			return COWCHECK_EV_THP_SPLIT;
	}
	return COWCHECK_EV_NONE;
}

static __always_inline void window_open(const struct cowcheck_fault *f)
{
	__u32 tid = current_tid();

	if (bpf_map_update_elem(&inflight, &tid, f, BPF_ANY))
		stat_inc(COWCHECK_ST_INFLIGHT_LOST);
}

static __always_inline void window_close(void)
{
	struct cowcheck_fault *f, copy;
	__u32 tid = current_tid();

	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f)
		return;
	copy = *f;
	bpf_map_delete_elem(&inflight, &tid);
	count_event(copy.mm, classify(&copy));
}

/* An inner function ran for @vma and @addr: note it in current's window. */
static __always_inline void window_mark(__u32 kind, struct vm_area_struct *vma,
					unsigned long addr, __u32 flag)
{
	__u32 tid = current_tid();
	struct cowcheck_fault *f;
	unsigned long mask = kind == COWCHECK_WIN_PMD ? PMD_MASK : PAGE_MASK;

	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f || f->kind != kind || f->addr != (addr & mask))
		return;
	if (f->mm != BPF_CORE_READ(vma, vm_mm))
		return;
	f->flags |= flag;
}

SEC("fentry/do_wp_page")
int BPF_PROG(wp_enter, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct cowcheck_fault f = {};
	__u32 tid;

	/* Shared mappings never copy: no window (and no stale one). */
	if (BPF_CORE_READ(vma, vm_flags) & (VM_SHARED | VM_MAYSHARE)) {
		tid = current_tid();
		bpf_map_delete_elem(&inflight, &tid);
		return 0;
	}
	f.kind = COWCHECK_WIN_PTE;
	f.mm = BPF_CORE_READ(vma, vm_mm);
	f.addr = BPF_CORE_READ(vmf, address) & PAGE_MASK;
	if (fault_is_unshare(vmf))
		f.flags |= F_UNSHARE;
	if (entry_pfn(BPF_CORE_READ(vmf, orig_pte.pte), PAGE_MASK) ==
	    read_ulong(&zero_pfn))
		f.flags |= F_OLD_ZERO;
	window_open(&f);
	return 0;
}

SEC("fexit/do_wp_page")
int BPF_PROG(wp_exit, struct vm_fault *vmf, vm_fault_t ret)
{
	window_close();
	return 0;
}

SEC("fentry/do_huge_pmd_wp_page")
int BPF_PROG(huge_wp_enter, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct cowcheck_fault f = {};

	f.kind = COWCHECK_WIN_PMD;
	f.mm = BPF_CORE_READ(vma, vm_mm);
	f.addr = BPF_CORE_READ(vmf, address) & PMD_MASK;
	if (fault_is_unshare(vmf))
		f.flags |= F_UNSHARE;
	if (entry_pfn(BPF_CORE_READ(vmf, orig_pmd.pmd), PMD_MASK) ==
	    read_ulong(&huge_zero_pfn))
		f.flags |= F_OLD_ZERO;
	window_open(&f);
	return 0;
}

SEC("fexit/do_huge_pmd_wp_page")
int BPF_PROG(huge_wp_exit, struct vm_fault *vmf, vm_fault_t ret)
{
	window_close();
	return 0;
}

/* 6.12: folio_add_new_anon_rmap(folio, vma, address, flags) */
SEC("fentry/folio_add_new_anon_rmap")
int BPF_PROG(folio_new_anon, struct folio *folio, struct vm_area_struct *vma,
	     unsigned long address)
{
	window_mark(COWCHECK_WIN_PTE, vma, address, F_NEW_ANON);
	return 0;
}

/* 6.1: page_add_new_anon_rmap(page, vma, address) */
SEC("fentry/page_add_new_anon_rmap")
int BPF_PROG(page_new_anon, struct page *page, struct vm_area_struct *vma,
	     unsigned long address)
{
	window_mark(COWCHECK_WIN_PTE, vma, address, F_NEW_ANON);
	return 0;
}

/* ptep_set_access_flags(vma, address, ptep, entry, dirty) */
SEC("fentry/ptep_set_access_flags")
int BPF_PROG(pte_access, struct vm_area_struct *vma, unsigned long address,
	     pte_t *ptep, __u64 entry, int dirty)
{
	if (dirty)
		window_mark(COWCHECK_WIN_PTE, vma, address, F_MKWRITE);
	return 0;
}

/* pmdp_set_access_flags(vma, address, pmdp, entry, dirty) */
SEC("fentry/pmdp_set_access_flags")
int BPF_PROG(pmd_access, struct vm_area_struct *vma, unsigned long address,
	     pmd_t *pmdp, __u64 entry, int dirty)
{
	if (dirty)
		window_mark(COWCHECK_WIN_PMD, vma, address, F_MKWRITE);
	return 0;
}

/* __split_huge_pmd(vma, pmd, address, freeze, folio) */
SEC("fentry/__split_huge_pmd")
int BPF_PROG(pmd_split, struct vm_area_struct *vma, pmd_t *pmd,
	     unsigned long address)
{
	window_mark(COWCHECK_WIN_PMD, vma, address, F_SPLIT);
	return 0;
}
