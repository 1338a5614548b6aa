// SPDX-License-Identifier: GPL-2.0
/*
 * Faults in flight: which task is inside do_wp_page() or
 * do_huge_pmd_wp_page() right now, for which mm and address.
 *
 * The inner probes (ptep_clear_flush(), wp_page_reuse(),
 * pmdp_set_access_flags()) are called from other paths too; they count only
 * when the calling task has a matching fault in flight.  A task may sleep
 * inside a fault (allocation, folio lock) and move to another CPU, so the
 * records are keyed by task, not by CPU.  The records themselves live in
 * the kretprobe instances' data: nothing is allocated here.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/hash.h>
#include <linux/list.h>
#include <linux/spinlock.h>

#include "cowlab.h"

#define COWLAB_INFLIGHT_BITS	8

struct cowlab_inflight_bucket {
	raw_spinlock_t lock;
	struct hlist_head head;
};

static struct cowlab_inflight_bucket cowlab_inflight[1 << COWLAB_INFLIGHT_BITS];

static struct cowlab_inflight_bucket *cowlab_inflight_bucket(struct task_struct *t)
{
	return &cowlab_inflight[hash_ptr(t, COWLAB_INFLIGHT_BITS)];
}

/* Called from a kretprobe entry handler: @f->task is current. */
void cowlab_inflight_push(struct cowlab_fault *f)
{
	struct cowlab_inflight_bucket *b = cowlab_inflight_bucket(f->task);
	unsigned long flags;

	raw_spin_lock_irqsave(&b->lock, flags);
	hlist_add_head(&f->node, &b->head);
	raw_spin_unlock_irqrestore(&b->lock, flags);
}

/* Called from the matching return handler. */
void cowlab_inflight_pop(struct cowlab_fault *f)
{
	struct cowlab_inflight_bucket *b = cowlab_inflight_bucket(f->task);
	unsigned long flags;

	raw_spin_lock_irqsave(&b->lock, flags);
	hlist_del(&f->node);
	raw_spin_unlock_irqrestore(&b->lock, flags);
}

bool cowlab_inflight_mark(enum cowlab_fault_kind kind, struct mm_struct *mm,
			  unsigned long address, unsigned int flags)
{
	struct cowlab_inflight_bucket *b = cowlab_inflight_bucket(current);
	struct cowlab_fault *f;
	unsigned long irqflags;
	bool found = false;

	raw_spin_lock_irqsave(&b->lock, irqflags);
	hlist_for_each_entry(f, &b->head, node) {
		if (f->task != current)
			continue;
		/* Faults do not nest: the first record of current is it. */
		if (f->kind == kind && f->mm == mm && f->address == address) {
			f->flags |= flags;
			found = true;
		}
		break;
	}
	raw_spin_unlock_irqrestore(&b->lock, irqflags);
	return found;
}

int cowlab_inflight_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowlab_inflight); i++) {
		raw_spin_lock_init(&cowlab_inflight[i].lock);
		INIT_HLIST_HEAD(&cowlab_inflight[i].head);
	}
	return 0;
}

/*
 * Called after the probes are unregistered.  Records of tasks still inside
 * a fault belong to kretprobe instances that the kprobe core frees; they
 * are never touched again.
 */
void cowlab_inflight_exit(void)
{
}
