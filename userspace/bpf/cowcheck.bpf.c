// SPDX-License-Identifier: GPL-2.0
/*
 * cowcheck: count copy-on-write breaks per process with BPF, independently
 * of the cowlab module, as a witness for its procs table.
 *
 * do_wp_page() (a 4 KiB PTE) and do_huge_pmd_wp_page() (a PMD-mapped THP
 * or the huge zero page) open a window per task around each write-protect
 * fault; what happens inside the window decides the outcome:
 *
 *   a new anon page is mapped at the faulting address
 *       (page_add_new_anon_rmap() up to 6.1, folio_add_new_anon_rmap()
 *       from 6.12): in a PTE window, the old page was replaced by a copy,
 *       or by a zeroed page if the faulting PTE mapped the zero page (its
 *       pfn is zero_pfn, zero_page_pfn in 7.x); the old page was a KSM
 *       page if vmf->page is no tail page and its mapping has both low
 *       bits set (the KSM tag; read then, while the copy holds a
 *       reference to it); in a PMD
 *       window (7.x), a new THP replaced the huge zero page (its pfn is
 *       huge_zero_pfn);
 *   ptep_set_access_flags(..., dirty=1) at the faulting address:
 *       the PTE was made writable in place;
 *   pmdp_set_access_flags(..., dirty=1) at the faulting huge address:
 *       the huge PMD was made writable in place;
 *   __split_huge_pmd() at the faulting huge address, the PMD not mapping
 *       the huge zero page: a shared THP split.
 *
 * hugetlb_wp() (hugetlb_cow() on 5.10) opens a window of its own around a
 * hugetlb write-protect fault; its arguments differ between kernels, so
 * the window learns its mm from the first inner call: the new huge page
 * mapped (hugetlb_add_new_anon_rmap(), hugepage_add_new_anon_rmap() up to
 * 6.1) is a copy, ptep_set_access_flags(..., dirty=1) (what
 * huge_ptep_set_access_flags() is on x86) a reuse in place.
 *
 * The inner functions have other callers (first touch, fork, reclaim,
 * spurious faults); they only count for the task that has the matching
 * window open, same mm and address.  One exception: a new anon page
 * mapped in a private file VMA (one with a file and vm_ops: not
 * anonymous memory, not a private /dev/zero) outside any window is
 * do_cow_fault()'s copy of a page-cache page, a private file page
 * written before it was mapped (file_copy).  (The other callers that
 * could do that, uprobes replacing a text page and fork copying a
 * DMA-pinned page, do not happen in the tests.)  A task may sleep in a fault and
 * move to another CPU, so windows are keyed by task id.  At the fault's
 * end the outcome is classified and counted for the process that owned
 * the faulting mm when the fault began (mm->owner->tgid).  A fault end
 * that was not seen (a kretprobe with no free instance) is made up for
 * when the task opens its next window, or exits: the window's marks are
 * complete by then.
 *
 * Every program exists twice: as fentry/fexit (BPF trampolines) and as
 * kprobe/kretprobe.  The user side picks one per function (cowcheck.c,
 * pick_hooks()): trampolines, unless they can be preempted while they run
 * (7.x: PREEMPT_LAZY), which makes the kernel skip them for every other
 * task on that CPU meanwhile, or cannot take the function's by-value
 * struct argument (before 6.1).  Kprobe programs run with preemption off.
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

/*
 * Typeless: resolved from /proc/kallsyms by libbpf at load; weak, so that
 * a name this kernel does not have resolves to NULL (the user side checks
 * that one zero-page pfn exists).  7.x renamed zero_pfn to zero_page_pfn.
 */
extern const void zero_pfn __ksym __weak;
extern const void zero_page_pfn __ksym __weak;
extern const void huge_zero_pfn __ksym __weak;

enum cowcheck_fault_kind {
	COWCHECK_WIN_PTE = 1,	/* in do_wp_page() */
	COWCHECK_WIN_PMD,	/* in do_huge_pmd_wp_page() */
	COWCHECK_WIN_HUGETLB,	/* in hugetlb_wp() or hugetlb_cow() */
};

#define BIT(n)			(1U << (n))

/* What was seen in the window. */
#define F_UNSHARE	BIT(0)	/* FAULT_FLAG_UNSHARE */
#define F_OLD_ZERO	BIT(1)	/* the entry mapped the (huge) zero page */
#define F_NEW_ANON	BIT(2)	/* a new anon page/THP mapped at the address */
#define F_MKWRITE	BIT(3)	/* entry made dirty/writable in place */
#define F_SPLIT		BIT(4)	/* the huge PMD was split */
#define F_NO_OWNER	BIT(5)	/* the mm had no owner, and was not current's */
#define F_OLD_KSM	BIT(6)	/* the page copied was a KSM page */

/* page->mapping's low bits: anon, and anon + movable for a KSM page. */
#define MAPPING_FLAGS		3UL
#define MAPPING_KSM		3UL

struct cowcheck_fault {
	struct mm_struct *mm;
	struct vm_fault *vmf;	/* PTE windows: the fault's, for vmf->page */
	__u64 addr;		/* page-aligned (PTE) or PMD-aligned (PMD) */
	__u32 kind;
	__u32 flags;
	__u32 tgid;		/* of the mm's owner when the fault began */
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

/* The pfn of the shared zero page. */
static __always_inline unsigned long zero_page_pfn_now(void)
{
	if (&zero_page_pfn)
		return read_ulong(&zero_page_pfn);
	return read_ulong(&zero_pfn);
}

/*
 * FAULT_FLAG_UNSHARE came in 5.19; before, there are no unshare faults
 * (and vmf->flags is an unsigned int, not the enum of vmlinux.h: the read
 * must stay behind the check, which the verifier resolves at load time).
 */
static __always_inline bool fault_is_unshare(struct vm_fault *vmf)
{
	__u64 unshare;

	if (!bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_UNSHARE))
		return false;
	unshare = bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
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

static __always_inline void count_event(const struct cowcheck_fault *f,
					__u32 ev)
{
	struct cowcheck_counts zero = {};
	struct cowcheck_counts *c;
	__u32 tgid = f->tgid;
	long err;

	if (ev >= COWCHECK_NR_EVENTS)
		return;
	if (f->flags & F_NO_OWNER) {
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
			if (f->flags & F_OLD_ZERO)
				return COWCHECK_EV_COW_ZERO;
			return (f->flags & F_OLD_KSM) ? COWCHECK_EV_COW_KSM :
							COWCHECK_EV_COW_COPY;
		}
		if ((f->flags & F_MKWRITE) && !unshare)
			return COWCHECK_EV_WP_REUSE;
		return COWCHECK_EV_NONE;
	}
	/* hugetlb_wp(): a copy, or the huge PTE made writable in place. */
	if (f->kind == COWCHECK_WIN_HUGETLB) {
		if (f->flags & F_NEW_ANON)
			return COWCHECK_EV_HUGE_COPY;
		if (f->flags & F_MKWRITE)
			return COWCHECK_EV_HUGE_REUSE;
		return COWCHECK_EV_NONE;
	}
	if (f->kind != COWCHECK_WIN_PMD)
		return COWCHECK_EV_NONE;
	/*
	 * 7.x's do_huge_zero_wp_pmd() (inlined in do_huge_pmd_wp_page()):
	 * a whole new THP instead of the huge zero page, for an unshare
	 * fault too (as cowlab, which sees pmdp_huge_clear_flush() there).
	 */
	if ((f->flags & F_NEW_ANON) && (f->flags & F_OLD_ZERO))
		return COWCHECK_EV_THP_ZERO;
	if (!unshare) {
		if (f->flags & F_MKWRITE)
			return COWCHECK_EV_THP_REUSE;
		if ((f->flags & F_SPLIT) && !(f->flags & F_OLD_ZERO))
			return COWCHECK_EV_THP_SPLIT;
	}
	return COWCHECK_EV_NONE;
}

/*
 * Close current's window, if it has one: count what it saw.  @late: its
 * fault's end was not seen; it is closed at the task's next fault or exit.
 */
static __always_inline void window_close(bool late)
{
	struct cowcheck_fault *f, copy;
	__u32 tid = current_tid();

	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f)
		return;
	copy = *f;
	bpf_map_delete_elem(&inflight, &tid);
	if (late)
		stat_inc(COWCHECK_ST_LATE);
	count_event(&copy, classify(&copy));
}

/*
 * Open current's window for @f (NULL: a fault that is not followed), after
 * closing one still open: the fault that opened it has ended.
 */
static __always_inline void window_open(struct cowcheck_fault *f)
{
	__u32 tid = current_tid();

	window_close(true);
	if (!f)
		return;
	/* A hugetlb window's mm is set by its first inner call. */
	if (f->mm && mm_owner_tgid(f->mm, &f->tgid))
		f->flags |= F_NO_OWNER;
	if (bpf_map_update_elem(&inflight, &tid, f, BPF_ANY))
		stat_inc(COWCHECK_ST_INFLIGHT_LOST);
}

/*
 * An inner function ran for @vma and @addr: note it in current's window,
 * if that is of @kind (0: of either kind).  Returns the window, or NULL
 * if current has none that matches.
 */
static __always_inline struct cowcheck_fault *
window_mark(__u32 kind, struct vm_area_struct *vma, unsigned long addr,
	    __u32 flag)
{
	__u32 tid = current_tid();
	struct cowcheck_fault *f;
	unsigned long mask;

	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f || (kind && f->kind != kind) ||
	    f->kind == COWCHECK_WIN_HUGETLB)
		return NULL;
	mask = f->kind == COWCHECK_WIN_PMD ? PMD_MASK : PAGE_MASK;
	if (f->addr != (addr & mask))
		return NULL;
	if (f->mm != BPF_CORE_READ(vma, vm_mm))
		return NULL;
	f->flags |= flag;
	return f;
}

/*
 * An inner function of hugetlb_wp() ran for @vma: note it in current's
 * hugetlb window, whose mm is the first such @vma's.  Shared mappings
 * never copy (hugetlb_wp() only makes their PTE writable): not noted.
 */
static __always_inline void hugetlb_mark(struct vm_area_struct *vma,
					 __u32 flag)
{
	__u32 tid = current_tid();
	struct cowcheck_fault *f;
	struct mm_struct *mm;

	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f || f->kind != COWCHECK_WIN_HUGETLB ||
	    (BPF_CORE_READ(vma, vm_flags) & (VM_SHARED | VM_MAYSHARE)))
		return;
	mm = BPF_CORE_READ(vma, vm_mm);
	if (!f->mm) {
		f->mm = mm;
		if (mm_owner_tgid(mm, &f->tgid))
			f->flags |= F_NO_OWNER;
	} else if (f->mm != mm) {
		return;
	}
	f->flags |= flag;
}

/*
 * Is @page a tail page of a large folio?  Its first word (compound_head,
 * compound_info in 7.x; lru.next in every kernel's struct) has bit 0 set
 * then, and its mapping is not the folio's: a KSM page is never one.
 */
static __always_inline bool page_is_tail(struct page *page)
{
	return (unsigned long)BPF_CORE_READ(page, lru.next) & 1;
}

/*
 * A new anon page mapped at @addr of @vma: in a window, the fault's copy
 * (of a KSM page?); outside one, in a private file VMA, do_cow_fault()'s.
 */
static __always_inline void new_anon(struct vm_area_struct *vma,
				     unsigned long addr)
{
	struct cowcheck_fault *f = window_mark(0, vma, addr, F_NEW_ANON);
	struct cowcheck_fault fc = {};
	struct vm_fault *vmf;
	struct page *old;
	unsigned long mapping;

	if (f) {
		/* A plain copy: f is not a CO-RE type, vmf is. */
		vmf = f->vmf;
		if (f->kind != COWCHECK_WIN_PTE || !vmf)
			return;
		old = BPF_CORE_READ(vmf, page);
		if (!old || page_is_tail(old))
			return;
		mapping = (unsigned long)BPF_CORE_READ(old, mapping);
		if ((mapping & MAPPING_FLAGS) == MAPPING_KSM)
			f->flags |= F_OLD_KSM;
		return;
	}
	if (!BPF_CORE_READ(vma, vm_file) || !BPF_CORE_READ(vma, vm_ops) ||
	    (BPF_CORE_READ(vma, vm_flags) & (VM_SHARED | VM_MAYSHARE)))
		return;
	fc.mm = BPF_CORE_READ(vma, vm_mm);
	if (mm_owner_tgid(fc.mm, &fc.tgid))
		fc.flags |= F_NO_OWNER;
	count_event(&fc, COWCHECK_EV_FILE_COPY);
}

/* do_wp_page(vmf): a 4 KiB write-protect fault begins. */
static __always_inline void wp_open(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct cowcheck_fault f = {};

	/* Shared mappings never copy: no window. */
	if (BPF_CORE_READ(vma, vm_flags) & (VM_SHARED | VM_MAYSHARE)) {
		window_open(NULL);
		return;
	}
	f.kind = COWCHECK_WIN_PTE;
	f.mm = BPF_CORE_READ(vma, vm_mm);
	f.vmf = vmf;
	f.addr = BPF_CORE_READ(vmf, address) & PAGE_MASK;
	if (fault_is_unshare(vmf))
		f.flags |= F_UNSHARE;
	if (entry_pfn(BPF_CORE_READ(vmf, orig_pte.pte), PAGE_MASK) ==
	    zero_page_pfn_now())
		f.flags |= F_OLD_ZERO;
	window_open(&f);
}

/* do_huge_pmd_wp_page()'s window; @orig_pmd: the PMD the fault saw. */
static __always_inline void huge_wp_open(struct vm_fault *vmf, __u64 orig_pmd)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct cowcheck_fault f = {};

	f.kind = COWCHECK_WIN_PMD;
	f.mm = BPF_CORE_READ(vma, vm_mm);
	f.addr = BPF_CORE_READ(vmf, address) & PMD_MASK;
	if (fault_is_unshare(vmf))
		f.flags |= F_UNSHARE;
	if (entry_pfn(orig_pmd, PMD_MASK) == read_ulong(&huge_zero_pfn))
		f.flags |= F_OLD_ZERO;
	window_open(&f);
}

/* ptep_set_access_flags(vma, address, ptep, entry, dirty) */
static __always_inline void pte_access(struct vm_area_struct *vma,
				       unsigned long address, int dirty)
{
	if (dirty && !window_mark(COWCHECK_WIN_PTE, vma, address, F_MKWRITE))
		hugetlb_mark(vma, F_MKWRITE);
}

/* hugetlb_wp()'s window, whatever its arguments. */
static __always_inline void hugetlb_open(void)
{
	struct cowcheck_fault f = { .kind = COWCHECK_WIN_HUGETLB };

	window_open(&f);
}

/* pmdp_set_access_flags(vma, address, pmdp, entry, dirty) */
static __always_inline void pmd_access(struct vm_area_struct *vma,
				       unsigned long address, int dirty)
{
	if (dirty)
		window_mark(COWCHECK_WIN_PMD, vma, address, F_MKWRITE);
}

/*
 * The programs.  PROG2(name, "func", CALL, args...) makes two of one
 * body: @name as fentry on func, @name_kp as kprobe, both doing CALL with
 * the arguments; EXIT2(name, "func") the fexit and kretprobe that close
 * the window.
 */
#define PROG2(name, func, call, ...)					\
	SEC("fentry/" func)						\
	int BPF_PROG(name, __VA_ARGS__)					\
	{								\
		call;							\
		return 0;						\
	}								\
	SEC("kprobe/" func)						\
	int BPF_KPROBE(name##_kp, __VA_ARGS__)				\
	{								\
		call;							\
		return 0;						\
	}

#define EXIT2(name, func)						\
	SEC("fexit/" func)						\
	int BPF_PROG(name)						\
	{								\
		window_close(false);					\
		return 0;						\
	}								\
	SEC("kretprobe/" func)						\
	int BPF_KRETPROBE(name##_kp)					\
	{								\
		window_close(false);					\
		return 0;						\
	}

PROG2(wp_enter, "do_wp_page", wp_open(vmf), struct vm_fault *vmf)
EXIT2(wp_exit, "do_wp_page")

/* 5.14 on: do_huge_pmd_wp_page(vmf), the PMD in vmf->orig_pmd. */
SEC("fentry/do_huge_pmd_wp_page")
int BPF_PROG(huge_wp_enter, struct vm_fault *vmf)
{
	huge_wp_open(vmf, BPF_CORE_READ(vmf, orig_pmd.pmd));
	return 0;
}

/* 5.10: do_huge_pmd_wp_page(vmf, pmd_t orig_pmd), no vmf->orig_pmd. */
SEC("kprobe/do_huge_pmd_wp_page")
int BPF_KPROBE(huge_wp_enter_kp, struct vm_fault *vmf, __u64 orig_pmd_arg)
{
	__u64 orig_pmd = orig_pmd_arg;

	if (bpf_core_field_exists(vmf->orig_pmd))
		orig_pmd = BPF_CORE_READ(vmf, orig_pmd.pmd);
	huge_wp_open(vmf, orig_pmd);
	return 0;
}

EXIT2(huge_wp_exit, "do_huge_pmd_wp_page")

/* 6.12 on: folio_add_new_anon_rmap(folio, vma, address, flags) */
PROG2(folio_new_anon, "folio_add_new_anon_rmap", new_anon(vma, address),
	struct folio *folio, struct vm_area_struct *vma, unsigned long address)

/* Up to 6.1: page_add_new_anon_rmap(page, vma, address[, compound]) */
PROG2(page_new_anon, "page_add_new_anon_rmap", new_anon(vma, address),
	struct page *page, struct vm_area_struct *vma, unsigned long address)

PROG2(pte_dirtied, "ptep_set_access_flags", pte_access(vma, address, dirty),
	struct vm_area_struct *vma, unsigned long address, pte_t *ptep,
	__u64 entry, int dirty)

PROG2(pmd_dirtied, "pmdp_set_access_flags", pmd_access(vma, address, dirty),
	struct vm_area_struct *vma, unsigned long address, pmd_t *pmdp,
	__u64 entry, int dirty)

/*
 * hugetlb_wp(...) from 6.1, hugetlb_cow(...) before: a window around it,
 * its arguments not read (they differ from kernel to kernel).
 */
#define HUGETLB_WINDOW(name, func)					\
	PROG2(name##_enter, func, hugetlb_open(), void *arg0)		\
	EXIT2(name##_exit, func)

HUGETLB_WINDOW(hugetlb_wp, "hugetlb_wp")
HUGETLB_WINDOW(hugetlb_cow, "hugetlb_cow")

/* The copy's new huge page mapped: (folio or page, vma, address) */
PROG2(hugetlb_new_anon, "hugetlb_add_new_anon_rmap",
	hugetlb_mark(vma, F_NEW_ANON),
	struct folio *folio, struct vm_area_struct *vma, unsigned long address)
PROG2(hugepage_new_anon, "hugepage_add_new_anon_rmap",
	hugetlb_mark(vma, F_NEW_ANON),
	struct page *page, struct vm_area_struct *vma, unsigned long address)

/* __split_huge_pmd(vma, pmd, address, freeze[, folio or page]) */
PROG2(pmd_split, "__split_huge_pmd",
	window_mark(COWCHECK_WIN_PMD, vma, address, F_SPLIT),
	struct vm_area_struct *vma, pmd_t *pmd, unsigned long address)

/*
 * A task exits (never inside a fault): a window it left open is one whose
 * fault's end was not seen.  The tracepoint runs with preemption off; a
 * raw one is attached without tracefs.
 */
SEC("raw_tp/sched_process_exit")
int task_exit(void *ctx)
{
	window_close(true);
	return 0;
}

/*
 * The same, where programs may be preempted: 7.x runs tracepoint
 * callbacks preemptible, and a raw_tp program preempted inside its map
 * updates is skipped for every other task that exits on that CPU
 * meanwhile (recursion_misses).  A kprobe program runs with preemption
 * off.  do_exit() comes before the tracepoint; a fault after it (the
 * clear_child_tid write) opens and closes its own window.
 */
SEC("kprobe/do_exit")
int BPF_KPROBE(task_exit_kp)
{
	window_close(true);
	return 0;
}
