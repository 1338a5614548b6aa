/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place in cowlab that knows kernel versions and configurations.
 * Each helper is named for the feature it hides.
 */
#ifndef COWLAB_COMPAT_H
#define COWLAB_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/ptrace.h>

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

#endif /* COWLAB_COMPAT_H */
