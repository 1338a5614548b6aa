// SPDX-License-Identifier: GPL-2.0
/*
 * Windows in flight: which task is inside do_huge_pmd_wp_page(), or inside
 * a GUP call or break_ksm() that can only unshare, and for a fault, for
 * which mm and address.
 *
 * The inner probes (pmdp_set_access_flags(), ptep_clear_flush()) are
 * called from other paths too; they only count, or classify a copy as an
 * unshare, when the calling task has a matching window open.  A task may
 * sleep inside a window (allocation, folio lock) and move to another CPU,
 * so the records are keyed by task, not by CPU.  The records themselves
 * live in the kretprobe instances' data: nothing is allocated here.
 *
 * The table is lock-free: a task claims a slot near hash(task) with
 * cmpxchg() and is the only writer of what the slot points to; other tasks
 * only compare the slot's owner with themselves.  A task has at most two
 * windows open (a THP fault inside a GUP call), so it owns at most two
 * slots.  When all slots of the hash window are taken, the window is not
 * opened and cowlab_inflight_full counts it.
 *
 * Nothing to set up or tear down: once the probes are unregistered, slots
 * of tasks that were inside a window point into kretprobe instances that
 * the kprobe core frees, and are never read again.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/kprobes.h>

#include "cowlab.h"

#define COWLAB_INFLIGHT_BITS	10
#define COWLAB_INFLIGHT_SLOTS	BIT(COWLAB_INFLIGHT_BITS)
#define COWLAB_INFLIGHT_WINDOW	16

struct cowlab_inflight_slot {
	struct task_struct *task;	/* owner, or NULL */
	struct cowlab_window *window;	/* written by the owner only */
};

static struct cowlab_inflight_slot cowlab_inflight[COWLAB_INFLIGHT_SLOTS];
static atomic_long_t cowlab_inflight_full = ATOMIC_LONG_INIT(0);

static unsigned int cowlab_inflight_home(struct task_struct *t)
{
	return hash_ptr(t, COWLAB_INFLIGHT_BITS);
}

/* Called from a kretprobe entry handler, for current. */
bool cowlab_inflight_push(struct cowlab_window *w)
{
	unsigned int home = cowlab_inflight_home(current), i;

	for (i = 0; i < COWLAB_INFLIGHT_WINDOW; i++) {
		struct cowlab_inflight_slot *s =
			&cowlab_inflight[(home + i) % COWLAB_INFLIGHT_SLOTS];

		if (READ_ONCE(s->task) || cmpxchg(&s->task, NULL, current))
			continue;
		WRITE_ONCE(s->window, w);
		w->slot = s;
		return true;
	}
	atomic_long_inc(&cowlab_inflight_full);
	return false;
}

NOKPROBE_SYMBOL(cowlab_inflight_push);

/* Called from the matching return handler, by the same task. */
void cowlab_inflight_pop(struct cowlab_window *w)
{
	struct cowlab_inflight_slot *s = w->slot;

	WRITE_ONCE(s->window, NULL);
	/* Pairs with the cmpxchg() of the next owner's push. */
	smp_store_release(&s->task, NULL);
}

NOKPROBE_SYMBOL(cowlab_inflight_pop);

/* The calling task's window of @kind, or NULL.  Only it writes its slots. */
static struct cowlab_window *
cowlab_inflight_find(enum cowlab_window_kind kind)
{
	unsigned int home = cowlab_inflight_home(current), i;

	for (i = 0; i < COWLAB_INFLIGHT_WINDOW; i++) {
		struct cowlab_inflight_slot *s =
			&cowlab_inflight[(home + i) % COWLAB_INFLIGHT_SLOTS];
		struct cowlab_window *w;

		if (READ_ONCE(s->task) != current)
			continue;
		w = READ_ONCE(s->window);
		if (w && w->kind == kind)
			return w;
	}
	return NULL;
}

NOKPROBE_SYMBOL(cowlab_inflight_find);

/*
 * Add @flags to the calling task's window of @kind if it is open at
 * @address of @mm; return that window (its owner may write it), or NULL.
 */
struct cowlab_window *cowlab_inflight_mark(enum cowlab_window_kind kind,
					   struct mm_struct *mm,
					   unsigned long address,
					   unsigned int flags)
{
	struct cowlab_window *w = cowlab_inflight_find(kind);

	if (!w || w->mm != mm || w->address != address)
		return NULL;
	w->flags |= flags;
	return w;
}

NOKPROBE_SYMBOL(cowlab_inflight_mark);

bool cowlab_inflight_inside(enum cowlab_window_kind kind)
{
	return cowlab_inflight_find(kind);
}

NOKPROBE_SYMBOL(cowlab_inflight_inside);

unsigned long cowlab_inflight_dropped(void)
{
	return atomic_long_read(&cowlab_inflight_full);
}
