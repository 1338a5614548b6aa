// SPDX-License-Identifier: GPL-2.0
/*
 * Where a process's COW events came from: a bounded table per process of
 * the user-space instructions that wrote (COW-break sites).  The sites
 * file (debugfs.c) shows it; its format: docs/debugfs.md.
 *
 * An event taken in the process's own context (current->mm is the mm that
 * faulted) is counted against the user instruction pointer of the write,
 * task_pt_regs(current)->ip: the faulting instruction, or the system call
 * for a write the kernel made on the process's behalf (read(2) into a COW
 * page).  An event taken by another task (ptrace, /proc/PID/mem, GUP from
 * another process, ksmd) is counted against that task's comm, one row per
 * cause.  What finds no row goes to the `other` row of its class, so the
 * rows of a process always add up to its counts in procs.  An address
 * that finds its slots taken replaces the smallest of them (its count
 * goes to `other`), so the rows keep the sites that come back.
 *
 * A table is allocated (never sleeping) at a process's first event, and
 * holds COWLAB_SITES_ROWS address rows (open addressing, counted
 * lock-free; a replacement takes the table's lock),
 * COWLAB_SITES_TASKS task rows and one `other` counter per class: 936
 * bytes, from the 1 KiB slab.  A set of tables (struct cowlab_siteset)
 * keeps them in an xarray by tgid.  The accounting (account.c) notes
 * events; the process table (stats.c) says when a table goes: with the
 * process's entry, at a fork that reuses the pid, and on reset; at exec
 * its addresses, which no longer mean anything, are folded into `other`.
 * This file calls nothing of cowlab's.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/hardirq.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "cowlab.h"

#define COWLAB_SITES_BITS	6
#define COWLAB_SITES_ROWS	BIT(COWLAB_SITES_BITS)
/* Slots an address looks at before it goes to `other`. */
#define COWLAB_SITES_PROBES	16

static_assert(COWLAB_SITES_ROWS + COWLAB_SITES_TASKS + COWLAB_NR_EVENTS ==
	      COWLAB_SITE_LINES);

/* A row's key: the address above, the class + 1 in the low byte; 0: free. */
#define COWLAB_SITE_KEY(ip, ev)	(((u64)(ip) << 8) | ((ev) + 1))
#define COWLAB_SITE_IP(key)	((unsigned long)((key) >> 8))
#define COWLAB_SITE_EV(key)	((unsigned int)((key) & 0xff) - 1)

static_assert(COWLAB_NR_EVENTS < 0xff);

struct cowlab_site_task {
	char comm[TASK_COMM_LEN];	/* printable, no spaces */
	u8 ev;
	u32 count;			/* 0: free */
};

struct cowlab_sites {
	u64 key[COWLAB_SITES_ROWS];
	atomic_t count[COWLAB_SITES_ROWS];
	struct cowlab_site_task task[COWLAB_SITES_TASKS];
	atomic_t other[COWLAB_NR_EVENTS];
	raw_spinlock_t lock;		/* the task rows, replacements */
	pid_t tgid;
	struct rcu_head rcu;
};

/* 1 KiB a process with events (issue 13), lock debugging aside. */
static_assert(sizeof(struct cowlab_sites) <= 1024 ||
	      IS_ENABLED(CONFIG_DEBUG_SPINLOCK) ||
	      IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC));

/* The tables of a set of processes: the module has one, KUnit its own. */
struct cowlab_siteset {
	struct xarray by_tgid;		/* tgid -> struct cowlab_sites */
	atomic_long_t tables;
	/* Events not recorded: no table could be had (no memory, NMI). */
	atomic_long_t dropped;
};

/*
 * The switch, for every set: docs/debugfs.md, "sites".  Off by default:
 * recording costs about 2 % of a COW fault (docs/bench.md).  Switched by
 * the control file (cowlab_sites_switch()) or this parameter; the fault
 * path reads it inline (cowlab_sites_recording()), so that it pays no call
 * while recording is off.
 */
bool cowlab_sites_on;
module_param_named(sites, cowlab_sites_on, bool, 0644);
MODULE_PARM_DESC(sites,
		 "record where COW events come from, for the sites file (default off; also control's \"sites on\")");

/* Recording on or off, for every set: returns what it was. */
bool cowlab_sites_switch(bool on)
{
	return xchg(&cowlab_sites_on, on);
}

/* The table of @tgid, created if need be.  Never sleeps.  Under RCU. */
static struct cowlab_sites *cowlab_sites_of(struct cowlab_siteset *ss,
					    pid_t tgid)
{
	struct cowlab_sites *st, *fresh;

	st = xa_load(&ss->by_tgid, tgid);
	if (st || in_nmi())
		return st;
	fresh = kzalloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	raw_spin_lock_init(&fresh->lock);
	fresh->tgid = tgid;
	st = xa_cmpxchg(&ss->by_tgid, tgid, NULL, fresh,
			GFP_NOWAIT | __GFP_NOWARN);
	if (!st) {
		atomic_long_inc(&ss->tables);
		return fresh;
	}
	kfree(fresh);
	return xa_is_err(st) ? NULL : st;
}

NOKPROBE_SYMBOL(cowlab_sites_of);

/*
 * The slot of @key among its COWLAB_SITES_PROBES, taken if need be and
 * free; or -1 if all are other keys'.
 */
static int cowlab_sites_slot(struct cowlab_sites *st, u64 key)
{
	unsigned int h = hash_64(key, COWLAB_SITES_BITS), i;

	for (i = 0; i < COWLAB_SITES_PROBES; i++) {
		unsigned int slot = (h + i) & (COWLAB_SITES_ROWS - 1);
		u64 cur = READ_ONCE(st->key[slot]);

		if (!cur) {
			cur = cmpxchg64(&st->key[slot], 0, key);
			if (!cur)
				cur = key;
		}
		if (cur == key)
			return slot;
	}
	return -1;
}

NOKPROBE_SYMBOL(cowlab_sites_slot);

/*
 * @key found its slots taken: it replaces the one with the smallest count
 * among them, whose count moves to `other`, so that the rows keep the
 * sites that come back (a worker's first instructions after fork fill the
 * table; the loop that copies most of its memory comes later).  Under the
 * table's lock: lock-free counting may meanwhile add an event of the old
 * key to the new one (the sums stay exact).
 */
static void cowlab_sites_replace(struct cowlab_sites *st, u64 key,
				 unsigned int n)
{
	unsigned int h = hash_64(key, COWLAB_SITES_BITS), i, min_slot = 0;
	int slot, min_count = INT_MAX;
	u64 old;

	raw_spin_lock(&st->lock);
	slot = cowlab_sites_slot(st, key);	/* in meanwhile? */
	if (slot >= 0) {
		atomic_add(n, &st->count[slot]);
		goto out;
	}
	for (i = 0; i < COWLAB_SITES_PROBES; i++) {
		unsigned int s = (h + i) & (COWLAB_SITES_ROWS - 1);
		int c = atomic_read(&st->count[s]);

		if (c < min_count) {
			min_count = c;
			min_slot = s;
		}
	}
	old = READ_ONCE(st->key[min_slot]);
	atomic_add(atomic_xchg(&st->count[min_slot], 0),
		   &st->other[COWLAB_SITE_EV(old)]);
	WRITE_ONCE(st->key[min_slot], key);
	atomic_add(n, &st->count[min_slot]);
out:
	raw_spin_unlock(&st->lock);
}

NOKPROBE_SYMBOL(cowlab_sites_replace);

/* Count @n @ev at user address @ip, in its row. */
static void cowlab_sites_add_ip(struct cowlab_sites *st, unsigned long ip,
				enum cowlab_event ev, unsigned int n)
{
	u64 key = COWLAB_SITE_KEY(ip & (BIT_ULL(56) - 1), ev);
	int slot = cowlab_sites_slot(st, key);

	if (slot >= 0)
		atomic_add(n, &st->count[slot]);
	else if (in_nmi())
		atomic_add(n, &st->other[ev]);	/* no lock to take */
	else
		cowlab_sites_replace(st, key, n);
}

NOKPROBE_SYMBOL(cowlab_sites_add_ip);

/* Count @n @ev against @t, a task that faulted in another's memory. */
static void cowlab_sites_add_task(struct cowlab_sites *st,
				  struct task_struct *t, enum cowlab_event ev,
				  unsigned int n)
{
	char comm[TASK_COMM_LEN];
	struct cowlab_site_task *row, *free = NULL;
	unsigned int i;

	/* A racing prctl(PR_SET_NAME) gives a mixed name, still terminated. */
	memcpy(comm, t->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	for (i = 0; comm[i]; i++)
		if (isspace(comm[i]) || !isprint(comm[i]))
			comm[i] = '_';
	if (!i)
		strscpy(comm, "?", sizeof(comm));
	if (in_nmi()) {
		atomic_add(n, &st->other[ev]);
		return;
	}
	raw_spin_lock(&st->lock);
	for (i = 0; i < COWLAB_SITES_TASKS; i++) {
		row = &st->task[i];
		if (!row->count) {
			if (!free)
				free = row;
			continue;
		}
		if (row->ev == ev && !strcmp(row->comm, comm))
			break;
	}
	if (i == COWLAB_SITES_TASKS && free) {
		row = free;
		memcpy(row->comm, comm, sizeof(comm));
		row->ev = ev;
	}
	if (i < COWLAB_SITES_TASKS || free)
		WRITE_ONCE(row->count, row->count + n);
	else
		atomic_add(n, &st->other[ev]);
	raw_spin_unlock(&st->lock);
}

NOKPROBE_SYMBOL(cowlab_sites_add_task);

/*
 * @n events @ev in @mm, counted for process @tgid: note where they came
 * from.  Called from the fault path, inside the fault: never sleeps.
 */
void cowlab_sites_note(struct cowlab_siteset *ss, pid_t tgid,
		       struct mm_struct *mm, enum cowlab_event ev,
		       unsigned int n)
{
	struct task_struct *t = current;
	struct cowlab_sites *st;
	struct pt_regs *regs;

	if (!ss || !READ_ONCE(cowlab_sites_on) || tgid <= 0 || ev >= COWLAB_NR_EVENTS)
		return;
	rcu_read_lock();
	st = cowlab_sites_of(ss, tgid);
	if (!st) {
		atomic_long_add(n, &ss->dropped);
		goto out;
	}
	regs = t->mm == mm && !(t->flags & PF_KTHREAD) ? task_pt_regs(t) : NULL;
	if (regs && user_mode(regs) && instruction_pointer(regs))
		cowlab_sites_add_ip(st, instruction_pointer(regs), ev, n);
	else
		cowlab_sites_add_task(st, t, ev, n);
out:
	rcu_read_unlock();
}

NOKPROBE_SYMBOL(cowlab_sites_note);

/* The sites of @tgid are history (its entry goes, or is reset). */
void cowlab_sites_forget(struct cowlab_siteset *ss, pid_t tgid)
{
	struct cowlab_sites *st;

	if (!ss)
		return;
	st = xa_erase(&ss->by_tgid, tgid);
	if (!st)
		return;
	atomic_long_dec(&ss->tables);
	kfree_rcu(st, rcu);
}

void cowlab_sites_forget_all(struct cowlab_siteset *ss)
{
	struct cowlab_sites *st;
	unsigned long idx;

	if (!ss)
		return;
	xa_for_each(&ss->by_tgid, idx, st)
		cowlab_sites_forget(ss, idx);
}

/*
 * @tgid exec'd: its addresses name code that is gone.  Their counts move
 * to `other`, so that the rows still add up to the process's counts.
 */
void cowlab_sites_exec(struct cowlab_siteset *ss, pid_t tgid)
{
	struct cowlab_sites *st;
	unsigned int i;

	if (!ss)
		return;
	rcu_read_lock();
	st = xa_load(&ss->by_tgid, tgid);
	for (i = 0; st && i < COWLAB_SITES_ROWS; i++) {
		u64 key = READ_ONCE(st->key[i]);

		if (!key)
			continue;
		atomic_add(atomic_xchg(&st->count[i], 0),
			   &st->other[COWLAB_SITE_EV(key)]);
		WRITE_ONCE(st->key[i], 0);
	}
	rcu_read_unlock();
}

/* Is a table of @tgid kept (it had an event, and was not forgotten)? */
bool cowlab_sites_kept(struct cowlab_siteset *ss, pid_t tgid)
{
	bool kept;

	rcu_read_lock();
	kept = xa_load(&ss->by_tgid, tgid);
	rcu_read_unlock();
	return kept;
}

static int cowlab_site_row_cmp(const void *a, const void *b)
{
	const struct cowlab_site_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->ev < y->ev ? -1 : x->ev > y->ev;
}

/*
 * Copy the rows of @tgid's table into @rows (COWLAB_SITE_LINES of them):
 * addresses by count, largest first, then tasks, then other.  Returns how
 * many, or -ENOENT if there is no table.
 */
int cowlab_sites_snap(struct cowlab_siteset *ss, pid_t tgid,
		      struct cowlab_site_row *rows)
{
	struct cowlab_site_row *r = rows;
	struct cowlab_sites *st;
	unsigned int i, n = 0;

	rcu_read_lock();
	st = xa_load(&ss->by_tgid, tgid);
	if (!st) {
		rcu_read_unlock();
		return -ENOENT;
	}
	for (i = 0; i < COWLAB_SITES_ROWS; i++) {
		u64 key = READ_ONCE(st->key[i]);
		u32 count = atomic_read(&st->count[i]);

		if (!key || !count)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].kind = COWLAB_SITE_ADDR;
		r[n].ip = COWLAB_SITE_IP(key);
		r[n].ev = COWLAB_SITE_EV(key);
		r[n++].count = count;
	}
	sort(r, n, sizeof(*r), cowlab_site_row_cmp, NULL);
	raw_spin_lock(&st->lock);
	for (i = 0; i < COWLAB_SITES_TASKS; i++) {
		if (!st->task[i].count)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].kind = COWLAB_SITE_TASK;
		memcpy(r[n].comm, st->task[i].comm, sizeof(r[n].comm));
		r[n].ev = st->task[i].ev;
		r[n++].count = st->task[i].count;
	}
	raw_spin_unlock(&st->lock);
	for (i = 0; i < COWLAB_NR_EVENTS; i++) {
		u32 count = atomic_read(&st->other[i]);

		if (!count)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].kind = COWLAB_SITE_OTHER;
		r[n].ev = i;
		r[n++].count = count;
	}
	rcu_read_unlock();
	return n;
}

void cowlab_sites_totals(struct cowlab_siteset *ss,
			 struct cowlab_sites_totals *t)
{
	t->tables = atomic_long_read(&ss->tables);
	t->dropped = atomic_long_read(&ss->dropped);
	t->table_bytes = sizeof(struct cowlab_sites);
	/* kmalloc() serves sizes above 192 bytes from power-of-two caches. */
	t->memory_bytes = t->tables *
			  roundup_pow_of_two(sizeof(struct cowlab_sites));
	t->on = READ_ONCE(cowlab_sites_on);
}

struct cowlab_siteset *cowlab_siteset_create(void)
{
	struct cowlab_siteset *ss = kzalloc(sizeof(*ss), GFP_KERNEL);

	if (!ss)
		return ERR_PTR(-ENOMEM);
	xa_init(&ss->by_tgid);
	return ss;
}

/* Called once no probe and no reader can reach @ss any more. */
void cowlab_siteset_destroy(struct cowlab_siteset *ss)
{
	if (IS_ERR_OR_NULL(ss))
		return;
	cowlab_sites_forget_all(ss);
	xa_destroy(&ss->by_tgid);
	kfree(ss);
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/sites_kunit.h"
#endif
