// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifetime from the scheduler's tracepoints: fork (a new process
 * is tracked from its first instruction, and is given the pages fork
 * copied for it), exit (its entry is kept, marked exited) and exec (its
 * name changes).  The tracepoints are not exported as symbols; they are
 * found by name.  Each probe's data is struct cowlab_tp_data: the table
 * of processes it keeps, and the accounting fork's copies go through.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "cowlab.h"
#include "compat.h"

struct linux_binprm;

struct cowlab_tp_data {
	struct cowlab_stats *stats;
	struct cowlab_account *account;
};

static struct cowlab_tp_data cowlab_tp_data;

static void cowlab_on_fork(void *data, struct task_struct *parent,
			   struct task_struct *child)
{
	struct cowlab_tp_data *d = data;

	cowlab_stats_fork(d->stats, parent, child);
	/* The pages fork copied for it, now that it has an entry. */
	cowlab_fork_apply(d->account, child);
	/* What it shares with its parent, fork's copies counted. */
	cowlab_stats_fork_shared(d->stats, parent, child);
}

static void cowlab_on_exit(void *data, COWLAB_EXIT_PROBE_ARGS)
{
	struct cowlab_tp_data *d = data;

	cowlab_stats_task_exit(d->stats, p);
	cowlab_fork_forget();
}

static void cowlab_on_exec(void *data, struct task_struct *p, pid_t old_pid,
			   struct linux_binprm *bprm)
{
	struct cowlab_tp_data *d = data;

	cowlab_stats_exec(d->stats, p);
}

static struct cowlab_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} cowlab_tracepoints[] = {
	{ .name = "sched_process_fork", .probe = cowlab_on_fork },
	{ .name = "sched_process_exit", .probe = cowlab_on_exit },
	{ .name = "sched_process_exec", .probe = cowlab_on_exec },
};

static void cowlab_find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowlab_tracepoints); i++)
		if (!strcmp(tp->name, cowlab_tracepoints[i].name))
			cowlab_tracepoints[i].tp = tp;
}

static void cowlab_tracepoints_unregister(unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(cowlab_tracepoints[n].tp,
					    cowlab_tracepoints[n].probe,
					    &cowlab_tp_data);
	tracepoint_synchronize_unregister();
}

/* Keep @s up to date with fork, exit and exec; fork's copies go to @a. */
int cowlab_tracepoints_init(struct cowlab_stats *s, struct cowlab_account *a)
{
	unsigned int i;
	int err;

	cowlab_tp_data.stats = s;
	cowlab_tp_data.account = a;
	for_each_kernel_tracepoint(cowlab_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(cowlab_tracepoints); i++) {
		struct cowlab_tracepoint *t = &cowlab_tracepoints[i];

		if (!t->tp) {
			pr_err("tracepoint %s not found\n", t->name);
			err = -ENOENT;
			goto out_unregister;
		}
		err = tracepoint_probe_register(t->tp, t->probe,
						&cowlab_tp_data);
		if (err) {
			pr_err("tracepoint_probe_register(%s) failed: %d\n",
			       t->name, err);
			goto out_unregister;
		}
	}
	return 0;

out_unregister:
	cowlab_tracepoints_unregister(i);
	return err;
}

void cowlab_tracepoints_exit(void)
{
	cowlab_tracepoints_unregister(ARRAY_SIZE(cowlab_tracepoints));
}
