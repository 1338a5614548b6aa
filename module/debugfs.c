// SPDX-License-Identifier: GPL-2.0
/*
 * The files under /sys/kernel/debug/cowlab/ and their formatting.  The
 * format is documented in docs/debugfs.md: a header line naming the columns,
 * then one record per line.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cowlab.h"

static struct dentry *cowlab_dir;
/* What the files show: the module's table of processes, records, sites. */
static struct cowlab_stats *cowlab_dbg_stats;
static struct cowlab_pageset *cowlab_dbg_pages;
static struct cowlab_siteset *cowlab_dbg_sites;

/* ---- procs ---- */

static void *cowlab_procs_find(struct seq_file *m, loff_t *pos)
{
	struct cowlab_proc_snap *snap = m->private;
	unsigned int idx;

	for (idx = *pos - 1; ; idx++) {
		int ret = cowlab_stats_get(cowlab_dbg_stats, idx, snap);

		if (ret == -ERANGE)
			return NULL;
		if (!ret) {
			*pos = (loff_t)idx + 1;
			return snap;
		}
	}
}

static void *cowlab_procs_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return cowlab_procs_find(m, pos);
}

static void *cowlab_procs_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return cowlab_procs_find(m, pos);
}

static void cowlab_procs_stop(struct seq_file *m, void *v)
{
}

/* A name without whitespace, so that fields split on spaces. */
static void cowlab_seq_word(struct seq_file *m, const char *s, size_t len)
{
	size_t i;

	if (!len || !*s) {
		seq_putc(m, '?');
		return;
	}
	for (i = 0; i < len && s[i]; i++)
		seq_putc(m, isspace(s[i]) || !isprint(s[i]) ? '_' : s[i]);
}

/*
 * The exposure columns of @s: what its fork shared, and how much of it
 * its parent (if its entry still is that process, not reset since) and
 * itself copied since.
 */
static void cowlab_procs_exposure(struct seq_file *m,
				  const struct cowlab_proc_snap *s)
{
	struct cowlab_proc_snap parent;
	u32 copies;

	if (s->fork_shared == COWLAB_FORK_UNKNOWN) {
		seq_puts(m, " - - -");
		return;
	}
	seq_printf(m, " %u", s->fork_shared);
	if (!cowlab_stats_find(cowlab_dbg_stats, s->ppid, &parent) &&
	    parent.since_ns && parent.since_ns <= s->since_ns) {
		copies = cowlab_fork_copies_of(parent.events);
		seq_printf(m, " %u", copies - min(copies, s->parent_base));
	} else {
		seq_puts(m, " -");
	}
	seq_printf(m, " %u", cowlab_fork_copies_of(s->events));
}

static int cowlab_procs_show(struct seq_file *m, void *v)
{
	const struct cowlab_proc_snap *s = v;
	unsigned int ev;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "pid ppid state comm");
		for (ev = 0; ev < COWLAB_NR_EVENTS; ev++)
			seq_printf(m, " %s", cowlab_event_names[ev]);
		seq_puts(m, " fork_shared by_parent by_self\n");
		return 0;
	}
	seq_printf(m, "%d %d %s ", s->tgid, s->ppid,
		   s->exited ? "exited" : "live");
	cowlab_seq_word(m, s->comm, sizeof(s->comm));
	for (ev = 0; ev < COWLAB_NR_EVENTS; ev++) {
		if (cowlab_event_available(ev))
			seq_printf(m, " %u", s->events[ev]);
		else
			seq_puts(m, " -");
	}
	cowlab_procs_exposure(m, s);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations cowlab_procs_sops = {
	.start = cowlab_procs_start,
	.next = cowlab_procs_next,
	.stop = cowlab_procs_stop,
	.show = cowlab_procs_show,
};

static int cowlab_procs_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &cowlab_procs_sops,
				sizeof(struct cowlab_proc_snap));
}

static const struct file_operations cowlab_procs_fops = {
	.owner = THIS_MODULE,
	.open = cowlab_procs_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* ---- probes ---- */

static int cowlab_probes_file_show(struct seq_file *m, void *v)
{
	cowlab_probes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cowlab_probes_file);

/* ---- classes ---- */

static int cowlab_classes_file_show(struct seq_file *m, void *v)
{
	cowlab_classes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cowlab_classes_file);

/* ---- stats ---- */

/* The rows of the stats file, in order (docs/debugfs.md). */
enum cowlab_stat {
	COWLAB_STAT_PROCS_TRACKED,
	COWLAB_STAT_PROCS_CAPACITY,
	COWLAB_STAT_PROCS_DROPPED,
	COWLAB_STAT_EVENTS_DROPPED,
	COWLAB_STAT_EVENTS_UNATTRIBUTED,
	COWLAB_STAT_FAULTS_UNTRACKED,
	COWLAB_STAT_FORK_COPIES_DROPPED,
	COWLAB_STAT_PROC_ENTRY_BYTES,
	COWLAB_STAT_MEMORY_BYTES,
	COWLAB_STAT_PAGES_TRACKED,
	COWLAB_STAT_PAGES_DROPPED,
	COWLAB_STAT_PAGES_MEMORY_BYTES,
	COWLAB_STAT_PAGES_USER_MAX,
	COWLAB_STAT_PAGES_DROPPED_MAX_PAGES,
	COWLAB_STAT_PAGES_DROPPED_USER_MAX,
	COWLAB_STAT_PAGES_DROPPED_NOMEM,
	COWLAB_STAT_PAGES_BLOCKS_FREED,
	COWLAB_STAT_SITES_ON,
	COWLAB_STAT_SITES_TABLES,
	COWLAB_STAT_SITES_TABLE_BYTES,
	COWLAB_STAT_SITES_MEMORY_BYTES,
	COWLAB_STAT_SITES_DROPPED,
	COWLAB_STAT_HISTORIES,
	COWLAB_STAT_HISTORY_BYTES,
	COWLAB_STAT_HISTORY_MEMORY_BYTES,
	COWLAB_STAT_HISTORY_DROPPED,
	COWLAB_STAT_HISTORY_TICK_NS,
	COWLAB_NR_STATS,
};

static const char *const cowlab_stat_names[] = {
	[COWLAB_STAT_PROCS_TRACKED] = "procs_tracked",
	[COWLAB_STAT_PROCS_CAPACITY] = "procs_capacity",
	[COWLAB_STAT_PROCS_DROPPED] = "procs_dropped",
	[COWLAB_STAT_EVENTS_DROPPED] = "events_dropped",
	[COWLAB_STAT_EVENTS_UNATTRIBUTED] = "events_unattributed",
	[COWLAB_STAT_FAULTS_UNTRACKED] = "faults_untracked",
	[COWLAB_STAT_FORK_COPIES_DROPPED] = "fork_copies_dropped",
	[COWLAB_STAT_PROC_ENTRY_BYTES] = "proc_entry_bytes",
	[COWLAB_STAT_MEMORY_BYTES] = "memory_bytes",
	[COWLAB_STAT_PAGES_TRACKED] = "pages_tracked",
	[COWLAB_STAT_PAGES_DROPPED] = "pages_dropped",
	[COWLAB_STAT_PAGES_MEMORY_BYTES] = "pages_memory_bytes",
	[COWLAB_STAT_PAGES_USER_MAX] = "pages_user_max",
	[COWLAB_STAT_PAGES_DROPPED_MAX_PAGES] = "pages_dropped_max_pages",
	[COWLAB_STAT_PAGES_DROPPED_USER_MAX] = "pages_dropped_user_max",
	[COWLAB_STAT_PAGES_DROPPED_NOMEM] = "pages_dropped_nomem",
	[COWLAB_STAT_PAGES_BLOCKS_FREED] = "pages_blocks_freed",
	[COWLAB_STAT_SITES_ON] = "sites_on",
	[COWLAB_STAT_SITES_TABLES] = "sites_tables",
	[COWLAB_STAT_SITES_TABLE_BYTES] = "sites_table_bytes",
	[COWLAB_STAT_SITES_MEMORY_BYTES] = "sites_memory_bytes",
	[COWLAB_STAT_SITES_DROPPED] = "sites_dropped",
	[COWLAB_STAT_HISTORIES] = "histories",
	[COWLAB_STAT_HISTORY_BYTES] = "history_bytes",
	[COWLAB_STAT_HISTORY_MEMORY_BYTES] = "history_memory_bytes",
	[COWLAB_STAT_HISTORY_DROPPED] = "history_dropped",
	[COWLAB_STAT_HISTORY_TICK_NS] = "history_tick_ns",
};

static_assert(ARRAY_SIZE(cowlab_stat_names) == COWLAB_NR_STATS);

/*
 * Every row's value, from the process table, the windows, the records and
 * the sites.
 */
static void cowlab_stat_values(u64 v[COWLAB_NR_STATS])
{
	struct cowlab_stats_totals t;
	struct cowlab_pages_totals pt;
	struct cowlab_sites_totals st;
	struct cowlab_history_totals ht;

	cowlab_history_totals(&ht);
	cowlab_stats_totals(cowlab_dbg_stats, &t);
	cowlab_pages_totals(cowlab_dbg_pages, &pt);
	cowlab_sites_totals(cowlab_dbg_sites, &st);
	v[COWLAB_STAT_PROCS_TRACKED] = t.tracked;
	v[COWLAB_STAT_PROCS_CAPACITY] = t.capacity;
	v[COWLAB_STAT_PROCS_DROPPED] = t.dropped;
	v[COWLAB_STAT_EVENTS_DROPPED] = t.events_dropped;
	v[COWLAB_STAT_EVENTS_UNATTRIBUTED] = t.unattributed;
	v[COWLAB_STAT_FAULTS_UNTRACKED] = cowlab_inflight_dropped();
	v[COWLAB_STAT_FORK_COPIES_DROPPED] = cowlab_fork_dropped();
	v[COWLAB_STAT_PROC_ENTRY_BYTES] = t.entry_bytes;
	v[COWLAB_STAT_MEMORY_BYTES] = t.memory_bytes;
	v[COWLAB_STAT_PAGES_TRACKED] = pt.tracked;
	v[COWLAB_STAT_PAGES_DROPPED] = pt.dropped;
	v[COWLAB_STAT_PAGES_MEMORY_BYTES] = pt.memory_bytes;
	v[COWLAB_STAT_PAGES_USER_MAX] = pt.user_max_pages;
	v[COWLAB_STAT_PAGES_DROPPED_MAX_PAGES] = pt.dropped_set;
	v[COWLAB_STAT_PAGES_DROPPED_USER_MAX] = pt.dropped_user;
	v[COWLAB_STAT_PAGES_DROPPED_NOMEM] = pt.dropped_nomem;
	v[COWLAB_STAT_PAGES_BLOCKS_FREED] = pt.blocks_freed;
	v[COWLAB_STAT_SITES_ON] = st.on;
	v[COWLAB_STAT_SITES_TABLES] = st.tables;
	v[COWLAB_STAT_SITES_TABLE_BYTES] = st.table_bytes;
	v[COWLAB_STAT_SITES_MEMORY_BYTES] = st.memory_bytes;
	v[COWLAB_STAT_SITES_DROPPED] = st.dropped;
	v[COWLAB_STAT_HISTORIES] = ht.histories;
	v[COWLAB_STAT_HISTORY_BYTES] = ht.bytes;
	v[COWLAB_STAT_HISTORY_MEMORY_BYTES] = ht.memory_bytes;
	v[COWLAB_STAT_HISTORY_DROPPED] = ht.dropped;
	v[COWLAB_STAT_HISTORY_TICK_NS] = ht.tick_ns;
}

static int cowlab_stats_file_show(struct seq_file *m, void *v)
{
	u64 val[COWLAB_NR_STATS];
	unsigned int i;

	cowlab_stat_values(val);
	seq_puts(m, "name value\n");
	for (i = 0; i < COWLAB_NR_STATS; i++)
		seq_printf(m, "%s %llu\n", cowlab_stat_names[i], val[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cowlab_stats_file);

/* ---- users ---- */

/* Each user's share of the page records, and who lost events. */
static int cowlab_users_file_show(struct seq_file *m, void *v)
{
	struct cowlab_pages_totals pt;
	struct cowlab_user_snap u;
	unsigned long key = 0;
	bool first = true;

	cowlab_pages_totals(cowlab_dbg_pages, &pt);
	seq_puts(m, "uid pages limit dropped procs short_pid short_dropped\n");
	while (cowlab_pages_user_next(cowlab_dbg_pages, &key, first, &u)) {
		first = false;
		seq_printf(m, "%lu %lu %lu %lu %lu %d %lu\n", u.uid, u.pages,
			   pt.user_max_pages, u.dropped, u.procs, u.short_tgid,
			   u.short_dropped);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cowlab_users_file);

/* ---- files that show one process: sites, timeline ---- */

/*
 * A file that shows one process, selected by writing its pid: the pid
 * selected on an open file is the first member of its private data, and
 * the last one written is the default for later opens.  Besides live user
 * processes, @kept says which exited ones it can still show.
 */
struct cowlab_pid_file {
	atomic_t selected;
	bool (*kept)(pid_t tgid);
};

/* Is @task a live process with user memory (not a kernel thread)? */
static bool cowlab_user_task(struct task_struct *task)
{
	return task && task->mm && !(task->flags & PF_KTHREAD);
}

/* Is @tgid (global) a live user process, or one @pf keeps? */
static bool cowlab_pid_known(const struct cowlab_pid_file *pf, pid_t tgid)
{
	bool known;

	if (pf->kept(tgid))
		return true;
	rcu_read_lock();
	known = cowlab_user_task(pid_task(find_pid_ns(tgid, &init_pid_ns),
					  PIDTYPE_TGID));
	rcu_read_unlock();
	return known;
}

/*
 * The global tgid of the process @nr names in the caller's namespace, or
 * @nr itself when no live process has it (an exited one @pf keeps); 0 if
 * it is a thread id, or a process without user memory that @pf does not
 * keep (a kernel thread; a zombie is kept like an exited process).
 */
static pid_t cowlab_pid_resolve(const struct cowlab_pid_file *pf, pid_t nr)
{
	struct task_struct *task;
	struct pid *pid;
	pid_t tgid;

	pid = find_get_pid(nr);
	if (!pid)
		return nr;
	task = get_pid_task(pid, PIDTYPE_TGID);
	put_pid(pid);
	if (!task)
		return pf->kept(nr) ? nr : 0;
	/* A zombie has no mm any more, but @pf may keep what it did. */
	tgid = cowlab_user_task(task) ||
	       (!(task->flags & PF_KTHREAD) && pf->kept(task->tgid)) ?
	       task->tgid : 0;
	put_task_struct(task);
	return tgid;
}

/* The pid @priv reads: its own, or the default; 0 if none was written. */
static pid_t cowlab_pid_of(struct cowlab_pid_file *pf, const void *priv)
{
	pid_t tgid = READ_ONCE(*(const pid_t *)priv);

	return tgid ? tgid : atomic_read(&pf->selected);
}

/*
 * Select a process by its pid (in the writer's namespace): for this open
 * file, and as the default for others.  -EINVAL for anything but a pid,
 * -ESRCH for a pid that is neither a live user process nor one @pf keeps.
 */
static ssize_t cowlab_pid_write(struct cowlab_pid_file *pf, struct file *file,
				const char __user *ubuf, size_t len)
{
	pid_t *selected = ((struct seq_file *)file->private_data)->private;
	pid_t nr, tgid;
	int err = cowlab_parse_pid_user(ubuf, len, &nr);

	if (err)
		return err;
	tgid = cowlab_pid_resolve(pf, nr);
	if (!tgid || !cowlab_pid_known(pf, tgid))
		return -ESRCH;
	WRITE_ONCE(*selected, tgid);
	atomic_set(&pf->selected, tgid);
	return len;
}

static void *cowlab_one_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void cowlab_one_stop(struct seq_file *m, void *v)
{
}

/* ---- sites ---- */

struct cowlab_sites_priv {
	pid_t tgid;			/* selected on this file, or 0: first */
	int n;
	struct cowlab_site_row rows[COWLAB_SITE_LINES];
};

/* Exited processes whose sites table is still kept. */
static bool cowlab_sites_file_kept(pid_t tgid)
{
	return cowlab_sites_kept(cowlab_dbg_sites, tgid);
}

static struct cowlab_pid_file cowlab_sites_file = {
	.kept = cowlab_sites_file_kept,
};

static void *cowlab_sites_start(struct seq_file *m, loff_t *pos)
{
	struct cowlab_sites_priv *priv = m->private;
	pid_t tgid = cowlab_pid_of(&cowlab_sites_file, priv);

	if (*pos)
		return NULL;
	if (!tgid)
		return ERR_PTR(-EINVAL);	/* no pid selected */
	priv->n = cowlab_sites_snap(cowlab_dbg_sites, tgid, priv->rows);
	if (priv->n < 0) {
		/* No event yet: an empty table, if the process is there. */
		if (!cowlab_pid_known(&cowlab_sites_file, tgid))
			return ERR_PTR(-ESRCH);
		priv->n = 0;
	}
	return SEQ_START_TOKEN;
}

static int cowlab_sites_show(struct seq_file *m, void *v)
{
	struct cowlab_sites_priv *priv = m->private;
	int i;

	seq_puts(m, "site class count\n");
	for (i = 0; i < priv->n; i++) {
		const struct cowlab_site_row *r = &priv->rows[i];

		if (r->kind == COWLAB_SITE_ADDR)
			seq_printf(m, "%lx", r->ip);
		else if (r->kind == COWLAB_SITE_TASK)
			seq_printf(m, "task:%s", r->comm);
		else
			seq_puts(m, "other");
		seq_printf(m, " %s %u\n", cowlab_event_names[r->ev], r->count);
	}
	return 0;
}

static const struct seq_operations cowlab_sites_sops = {
	.start = cowlab_sites_start,
	.next = cowlab_one_next,
	.stop = cowlab_one_stop,
	.show = cowlab_sites_show,
};

static int cowlab_sites_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &cowlab_sites_sops,
				sizeof(struct cowlab_sites_priv));
}

static ssize_t cowlab_sites_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	return cowlab_pid_write(&cowlab_sites_file, file, ubuf, len);
}

static const struct file_operations cowlab_sites_fops = {
	.owner = THIS_MODULE,
	.open = cowlab_sites_open,
	.read = seq_read,
	.write = cowlab_sites_write,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* ---- timeline ---- */

struct cowlab_timeline_priv {
	pid_t tgid;			/* selected on this file, or 0: first */
	struct cowlab_history_snap snap;
};

/* Exited processes still in procs. */
static bool cowlab_timeline_file_kept(pid_t tgid)
{
	struct cowlab_proc_snap snap;

	return !cowlab_stats_find(cowlab_dbg_stats, tgid, &snap);
}

static struct cowlab_pid_file cowlab_timeline_file = {
	.kept = cowlab_timeline_file_kept,
};

static void *cowlab_timeline_start(struct seq_file *m, loff_t *pos)
{
	struct cowlab_timeline_priv *priv = m->private;
	pid_t tgid = cowlab_pid_of(&cowlab_timeline_file, priv);
	int ret;

	if (*pos)
		return NULL;
	if (!tgid)
		return ERR_PTR(-EINVAL);	/* no pid selected */
	ret = cowlab_stats_timeline(cowlab_dbg_stats, tgid, &priv->snap);
	if (ret == -ENOENT) {
		/* Not in procs yet: no event, if the process is there. */
		if (!cowlab_pid_known(&cowlab_timeline_file, tgid))
			return ERR_PTR(-ESRCH);
		priv->snap.n = 0;
	} else if (ret) {
		return ERR_PTR(ret);
	}
	return SEQ_START_TOKEN;
}

static int cowlab_timeline_show(struct seq_file *m, void *v)
{
	const struct cowlab_history_snap *h =
		&((struct cowlab_timeline_priv *)m->private)->snap;
	unsigned int i;

	seq_puts(m, "start_ns end_ns copy nocopy\n");
	for (i = 0; i < h->n; i++)
		seq_printf(m, "%llu %llu %u %u\n", h->since_ns + i * h->width_ns,
			   h->since_ns + (i + 1) * h->width_ns, h->copy[i],
			   h->nocopy[i]);
	return 0;
}

static const struct seq_operations cowlab_timeline_sops = {
	.start = cowlab_timeline_start,
	.next = cowlab_one_next,
	.stop = cowlab_one_stop,
	.show = cowlab_timeline_show,
};

static int cowlab_timeline_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &cowlab_timeline_sops,
				sizeof(struct cowlab_timeline_priv));
}

static ssize_t cowlab_timeline_write(struct file *file,
				     const char __user *ubuf, size_t len,
				     loff_t *ppos)
{
	return cowlab_pid_write(&cowlab_timeline_file, file, ubuf, len);
}

static const struct file_operations cowlab_timeline_fops = {
	.owner = THIS_MODULE,
	.open = cowlab_timeline_open,
	.read = seq_read,
	.write = cowlab_timeline_write,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* ---- control ---- */

static ssize_t cowlab_control_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	char buf[COWLAB_CONTROL_WRITE_MAX];
	pid_t tgid;
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	ret = cowlab_parse_control(buf, len, &tgid);
	switch (ret) {
	case COWLAB_CTL_RESET:
		ret = cowlab_stats_reset(cowlab_dbg_stats, tgid);
		break;
	case COWLAB_CTL_SITES_ON:
	case COWLAB_CTL_SITES_OFF:
		cowlab_sites_switch(ret == COWLAB_CTL_SITES_ON);
		ret = 0;
		break;
	}
	return ret ? ret : len;
}

static const struct file_operations cowlab_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = cowlab_control_write,
	.llseek = noop_llseek,
};

static const struct cowlab_file {
	const char *name;
	umode_t mode;
	const struct file_operations *fops;
	bool pages;		/* its data is the page records */
} cowlab_files[] = {
	{ "procs", 0400, &cowlab_procs_fops },
	{ "probes", 0400, &cowlab_probes_file_fops },
	{ "classes", 0400, &cowlab_classes_file_fops },
	{ "stats", 0400, &cowlab_stats_file_fops },
	{ "users", 0400, &cowlab_users_file_fops },
	{ "control", 0200, &cowlab_control_fops },
	{ "vmas", 0600, &cowlab_vmas_fops, true },
	{ "pages", 0600, &cowlab_pages_fops, true },
	{ "sites", 0600, &cowlab_sites_fops },
	{ "timeline", 0600, &cowlab_timeline_fops },
};

/* The files, showing @s, @pages and @sites. */
int cowlab_debugfs_init(struct cowlab_stats *s, struct cowlab_pageset *pages,
			struct cowlab_siteset *sites)
{
	unsigned int i;

	cowlab_dbg_stats = s;
	cowlab_dbg_pages = pages;
	cowlab_dbg_sites = sites;
	cowlab_dir = debugfs_create_dir("cowlab", NULL);
	if (IS_ERR(cowlab_dir))
		return PTR_ERR(cowlab_dir);
	for (i = 0; i < ARRAY_SIZE(cowlab_files); i++)
		debugfs_create_file(cowlab_files[i].name, cowlab_files[i].mode,
				    cowlab_dir,
				    cowlab_files[i].pages ? pages : NULL,
				    cowlab_files[i].fops);
	return 0;
}

/* Waits for readers inside our file operations to leave. */
void cowlab_debugfs_exit(void)
{
	debugfs_remove(cowlab_dir);
}
