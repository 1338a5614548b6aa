// SPDX-License-Identifier: GPL-2.0
/*
 * The vmas and pages files: pick a process by writing its pid, then read
 * its VMAs (one line each, with page counts) or its pages (one character
 * each, 64 to a line).  Format: docs/debugfs.md.
 *
 * A pid written on an open file applies to that open file, so readers of
 * different processes do not disturb each other; it also becomes the
 * default for later opens that write none, which is what makes
 * `echo PID > vmas; cat vmas` work.
 *
 * Reading iterates the VMAs under mmap_read_lock(), taken in ->start and
 * dropped in ->stop like /proc/PID/maps, so the lock is never held while
 * the text is copied to user space.  Memory used does not grow with the
 * process: one seq_file page, and the record in progress.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "cowlab.h"
#include "compat.h"

#define COWLAB_MAP_PAGES	64

static DEFINE_MUTEX(cowlab_default_lock);
static struct pid *cowlab_default_pid;

struct cowlab_vmas_priv {
	bool pages_file;		/* pages, not vmas */
	struct pid *pid;		/* selected on this file, or NULL */
	/*
	 * The address space being read, held by mm_count only (mmgrab), as
	 * /proc/PID/maps does: an open file must not keep a killed process's
	 * memory.  Each read takes mm_users for its duration (@users).
	 */
	struct mm_struct *mm;
	bool users;
	struct cowlab_pageset *set;	/* the page records (the inode's data) */
	struct cowlab_pages *pages;
	pid_t tgid;
	unsigned long addr;		/* start of the record at pos */
	unsigned long next_addr;	/* start of the record after it */
	loff_t pos;
	bool locked;
	/* The record being shown. */
	unsigned long counts[COWLAB_NR_PAGE_STATES];
	char map[COWLAB_MAP_PAGES + 1];
};

static void cowlab_vmas_put_mm(struct cowlab_vmas_priv *priv)
{
	cowlab_pages_release(priv->pages);
	priv->pages = NULL;
	if (priv->mm)
		mmdrop(priv->mm);
	priv->mm = NULL;
}

/* Resolve the selected process for a read from the start: 0 or -errno. */
static int cowlab_vmas_begin(struct cowlab_vmas_priv *priv)
{
	struct task_struct *task;
	struct pid *pid;

	cowlab_vmas_put_mm(priv);
	mutex_lock(&cowlab_default_lock);
	pid = get_pid(priv->pid ? priv->pid : cowlab_default_pid);
	mutex_unlock(&cowlab_default_lock);
	if (!pid)
		return -EINVAL;		/* no pid selected */
	task = get_pid_task(pid, PIDTYPE_TGID);
	put_pid(pid);
	if (!task)
		return -ESRCH;
	priv->tgid = task->tgid;
	priv->mm = get_task_mm(task);
	put_task_struct(task);
	if (!priv->mm)
		return -ESRCH;		/* exiting, or a kernel thread */
	mmgrab(priv->mm);
	mmput(priv->mm);
	priv->pages = cowlab_pages_get(priv->set, priv->tgid);
	priv->addr = 0;
	priv->next_addr = 0;
	return 0;
}

static void *cowlab_vmas_start(struct seq_file *m, loff_t *pos)
{
	struct cowlab_vmas_priv *priv = m->private;
	int err;

	if (*pos == 0) {
		err = cowlab_vmas_begin(priv);
		if (err)
			return ERR_PTR(err);
		priv->pos = 0;
	} else if (!priv->mm) {
		return NULL;
	}
	/* The process is gone since the last read: the file ends here. */
	if (!mmget_not_zero(priv->mm))
		return *pos ? NULL : ERR_PTR(-ESRCH);
	priv->users = true;
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos != priv->pos) {	/* the next record, not a retry */
		priv->addr = priv->next_addr;
		priv->pos = *pos;
	}
	if (mmap_read_lock_killable(priv->mm))
		return ERR_PTR(-EINTR);
	priv->locked = true;
	return find_vma(priv->mm, priv->addr);
}

static void *cowlab_vmas_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct cowlab_vmas_priv *priv = m->private;

	++*pos;
	priv->pos = *pos;
	if (v == SEQ_START_TOKEN) {
		if (mmap_read_lock_killable(priv->mm))
			return NULL;
		priv->locked = true;
		priv->addr = 0;
	} else {
		priv->addr = priv->next_addr;
	}
	return find_vma(priv->mm, priv->addr);
}

static void cowlab_vmas_stop(struct seq_file *m, void *v)
{
	struct cowlab_vmas_priv *priv = m->private;

	if (priv->locked)
		mmap_read_unlock(priv->mm);
	priv->locked = false;
	if (priv->users)
		mmput(priv->mm);
	priv->users = false;
}

/*
 * Not walked: their counts are "-".  A private hugetlb VMA of PMD-sized
 * pages is walked: its huge PTEs are PMD entries, locked and read like a
 * PMD-mapped THP's (512 pages each).  A shared one may share its page
 * tables with other processes (huge_pmd_share()), which unshare them
 * under the hugetlb VMA lock, not exported; other sizes (1 GiB) are not
 * PMD entries.
 */
static bool cowlab_vma_skipped(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma))
		return (vma->vm_flags & VM_MAYSHARE) ||
		       vma_kernel_pagesize(vma) != PMD_SIZE;
	return vma->vm_flags & (VM_PFNMAP | VM_IO);
}

static void cowlab_show_name(struct seq_file *m, struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	const char *name = NULL;

	if (vma->vm_file) {
		seq_file_path(m, vma->vm_file, "\n");
		return;
	}
	if (vma->vm_ops && vma->vm_ops->name)
		name = vma->vm_ops->name(vma);
	if (!name) {
		if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
			name = "[heap]";
		else if (vma->vm_start <= mm->start_stack &&
			 vma->vm_end >= mm->start_stack)
			name = "[stack]";
		else
			name = "[anon]";
	}
	seq_puts(m, name);
}

static int cowlab_count_fn(void *arg, unsigned long addr,
			   unsigned long npages, enum cowlab_page_state st)
{
	struct cowlab_vmas_priv *priv = arg;

	priv->counts[st] += npages;
	return 0;
}

/*
 * @v in hex, as "%lx" prints it, without vsnprintf()'s format parsing
 * (seq_put_hex_ll() is not exported).
 */
static void cowlab_put_hex(struct seq_file *m, unsigned long v)
{
	char buf[2 * sizeof(v)];
	unsigned int i = sizeof(buf);

	do {
		buf[--i] = hex_asc_lo(v);
		v >>= 4;
	} while (v);
	seq_write(m, buf + i, sizeof(buf) - i);
}

/* @n numbers, each followed by a space. */
static void cowlab_put_counts(struct seq_file *m, const u64 *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		seq_put_decimal_ull(m, "", v[i]);
		seq_putc(m, ' ');
	}
}

static int cowlab_vmas_show_vma(struct seq_file *m,
				struct cowlab_vmas_priv *priv,
				struct vm_area_struct *vma)
{
	unsigned long *c = priv->counts;
	u64 ev[COWLAB_EV_WP_REUSE + 1] = { 0 };
	int err;

	cowlab_put_hex(m, vma->vm_start);
	seq_putc(m, ' ');
	cowlab_put_hex(m, vma->vm_end);
	seq_putc(m, ' ');
	seq_putc(m, vma->vm_flags & VM_READ ? 'r' : '-');
	seq_putc(m, vma->vm_flags & VM_WRITE ? 'w' : '-');
	seq_putc(m, vma->vm_flags & VM_EXEC ? 'x' : '-');
	seq_putc(m, vma->vm_flags & VM_MAYSHARE ? 's' : 'p');
	seq_putc(m, ' ');
	if (cowlab_vma_skipped(vma)) {
		seq_puts(m, "- - - - - - - - ");
	} else {
		memset(priv->counts, 0, sizeof(priv->counts));
		err = cowlab_walk_range(vma, vma->vm_start, vma->vm_end,
					priv->pages, cowlab_count_fn, priv);
		if (err)
			return err;
		if (priv->pages)
			cowlab_pages_events(priv->pages, vma->vm_start,
					    vma->vm_end, ev);
		/* seq_put_decimal_ull(): no format to parse, per VMA. */
		cowlab_put_counts(m, (u64[]){
			c[COWLAB_PAGE_SHARED] + c[COWLAB_PAGE_EXCLUSIVE] +
			c[COWLAB_PAGE_COPIED] + c[COWLAB_PAGE_ZERO],
			c[COWLAB_PAGE_SHARED],
			c[COWLAB_PAGE_EXCLUSIVE] + c[COWLAB_PAGE_COPIED],
			c[COWLAB_PAGE_ZERO], c[COWLAB_PAGE_COPIED],
			ev[COWLAB_EV_COW_COPY], ev[COWLAB_EV_COW_ZERO],
			ev[COWLAB_EV_WP_REUSE] }, 8);
	}
	cowlab_show_name(m, vma);
	seq_putc(m, '\n');
	priv->next_addr = vma->vm_end;
	return 0;
}

static const char cowlab_state_chars[COWLAB_NR_PAGE_STATES] = {
	[COWLAB_PAGE_ABSENT] = '.',
	[COWLAB_PAGE_SHARED] = 'S',
	[COWLAB_PAGE_EXCLUSIVE] = 'X',
	[COWLAB_PAGE_COPIED] = 'C',
	[COWLAB_PAGE_ZERO] = 'Z',
};

/* A line of the pages file being filled by the walk. */
struct cowlab_map_line {
	unsigned long vm_start;		/* the VMA's: lines start 64 pages apart */
	unsigned long start, end;	/* the line's, once @started */
	bool started;			/* a present page was seen */
	char *map;
};

#define COWLAB_MAP_FULL	1		/* the line is complete: stop the walk */

/*
 * A run of pages in one state.  Lines that hold no present page are left
 * out, so that a walk over a huge reservation (PROT_NONE terabytes) finds
 * the next present page and prints only what is there.
 */
static int cowlab_map_fn(void *arg, unsigned long addr, unsigned long npages,
			 enum cowlab_page_state st)
{
	const unsigned long line_bytes = COWLAB_MAP_PAGES * PAGE_SIZE;
	struct cowlab_map_line *l = arg;
	unsigned long end = addr + npages * PAGE_SIZE;

	if (!l->started) {
		if (st == COWLAB_PAGE_ABSENT)
			return 0;
		l->started = true;
		l->start = l->vm_start +
			   rounddown(addr - l->vm_start, line_bytes);
		l->end = l->start + line_bytes;
		memset(l->map, cowlab_state_chars[COWLAB_PAGE_ABSENT],
		       COWLAB_MAP_PAGES);
	}
	for (; addr < end && addr < l->end; addr += PAGE_SIZE)
		l->map[(addr - l->start) >> PAGE_SHIFT] =
			cowlab_state_chars[st];
	return addr >= l->end ? COWLAB_MAP_FULL : 0;
}

/*
 * The next line with a present page, at or after priv->addr, in @vma or
 * the VMAs after it; nothing once there is none.
 */
static int cowlab_pages_show_line(struct seq_file *m,
				  struct cowlab_vmas_priv *priv,
				  struct vm_area_struct *vma)
{
	struct cowlab_map_line l = { .map = priv->map };
	int err;

	for (; vma; vma = find_vma(priv->mm, vma->vm_end)) {
		/* Skip VMAs that are not walked, and gaps between VMAs. */
		if (cowlab_vma_skipped(vma))
			continue;
		l.vm_start = vma->vm_start;
		err = cowlab_walk_range(vma, max(priv->addr, vma->vm_start),
					vma->vm_end, priv->pages,
					cowlab_map_fn, &l);
		if (err < 0)
			return err;
		if (l.started)
			break;
	}
	if (!vma) {
		priv->next_addr = TASK_SIZE;
		return 0;
	}
	l.end = min(l.end, vma->vm_end);
	priv->map[(l.end - l.start) >> PAGE_SHIFT] = '\0';
	seq_printf(m, "%lx %s\n", l.start, priv->map);
	priv->next_addr = l.end;
	return 0;
}

static int cowlab_vmas_show(struct seq_file *m, void *v)
{
	struct cowlab_vmas_priv *priv = m->private;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, priv->pages_file ? "addr map\n" :
			 "start end perms resident shared exclusive zero copied cow_copy cow_zero wp_reuse name\n");
		return 0;
	}
	if (priv->pages_file)
		return cowlab_pages_show_line(m, priv, v);
	return cowlab_vmas_show_vma(m, priv, v);
}

static const struct seq_operations cowlab_vmas_sops = {
	.start = cowlab_vmas_start,
	.next = cowlab_vmas_next,
	.stop = cowlab_vmas_stop,
	.show = cowlab_vmas_show,
};

static int cowlab_vmas_open_common(struct inode *inode, struct file *file,
				   bool pages_file)
{
	struct cowlab_vmas_priv *priv;

	priv = __seq_open_private(file, &cowlab_vmas_sops, sizeof(*priv));
	if (!priv)
		return -ENOMEM;
	priv->pages_file = pages_file;
	priv->set = inode->i_private;
	return 0;
}

static int cowlab_vmas_open(struct inode *inode, struct file *file)
{
	return cowlab_vmas_open_common(inode, file, false);
}

static int cowlab_pages_open(struct inode *inode, struct file *file)
{
	return cowlab_vmas_open_common(inode, file, true);
}

static int cowlab_vmas_release(struct inode *inode, struct file *file)
{
	struct cowlab_vmas_priv *priv =
		((struct seq_file *)file->private_data)->private;

	cowlab_vmas_put_mm(priv);
	put_pid(priv->pid);
	return seq_release_private(inode, file);
}

/* Select a process: for this open file, and as the default for others. */
static ssize_t cowlab_vmas_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct cowlab_vmas_priv *priv = m->private;
	struct pid *pid, *old, *old_default;
	struct task_struct *task;
	pid_t nr;
	int err = cowlab_parse_pid_user(ubuf, len, &nr);

	if (err)
		return err;
	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task || !task->mm) {
		if (task)
			put_task_struct(task);
		put_pid(pid);
		return -ESRCH;
	}
	put_task_struct(task);
	/*
	 * Both pids are swapped under the lock that readers take to look
	 * at them: two writers on one file never drop the same old pid, and
	 * a read never takes a reference on a freed one.
	 */
	mutex_lock(&cowlab_default_lock);
	old_default = cowlab_default_pid;
	cowlab_default_pid = get_pid(pid);
	old = priv->pid;
	priv->pid = pid;
	mutex_unlock(&cowlab_default_lock);
	put_pid(old_default);
	put_pid(old);
	return len;
}

const struct file_operations cowlab_vmas_fops = {
	.owner = THIS_MODULE,
	.open = cowlab_vmas_open,
	.read = seq_read,
	.write = cowlab_vmas_write,
	.llseek = seq_lseek,
	.release = cowlab_vmas_release,
};

const struct file_operations cowlab_pages_fops = {
	.owner = THIS_MODULE,
	.open = cowlab_pages_open,
	.read = seq_read,
	.write = cowlab_vmas_write,
	.llseek = seq_lseek,
	.release = cowlab_vmas_release,
};

/* Called after the files are gone. */
void cowlab_vmas_exit(void)
{
	put_pid(cowlab_default_pid);
	cowlab_default_pid = NULL;
}
