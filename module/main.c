// SPDX-License-Identifier: GPL-2.0
/*
 * cowlab: count copy-on-write breaks per process, and show them in debugfs.
 *
 * Set-up order: the data first (page records, the process table, the
 * accounting over both), then the process tracepoints and the debugfs
 * files, and the fault probes last, so that no handler runs before what it
 * touches exists.  Tear-down is the reverse.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "cowlab.h"

#define COWLAB_VERSION	"0.1.0"

static unsigned int max_procs = 4096;
module_param(max_procs, uint, 0444);
MODULE_PARM_DESC(max_procs,
		 "processes tracked at once, exited ones included (16..1048576, default 4096)");

static unsigned long max_pages = 1UL << 21;
module_param(max_pages, ulong, 0444);
MODULE_PARM_DESC(max_pages,
		 "pages whose COW history is recorded, all processes together (0..1073741824, default 2097152)");
/* 2^30 pages: 4 TiB of memory, 4 GiB of records at most. */
#define COWLAB_MAX_PAGES_LIMIT	BIT(30)

static unsigned long max_pages_per_user;
module_param(max_pages_per_user, ulong, 0444);
MODULE_PARM_DESC(max_pages_per_user,
		 "pages recorded for the processes of one user (0..max_pages, default 0: half of max_pages)");

/*
 * The module's page records and sites, the table of processes above them,
 * and the accounting the probes count through, above all three.
 */
static struct cowlab_siteset *cowlab_sites;
static struct cowlab_pageset *cowlab_pages;
static struct cowlab_stats *cowlab_stats;
static struct cowlab_account *cowlab_account;

static int __init cowlab_init(void)
{
	int err;

	if (max_procs < 16 || max_procs > (1U << 20)) {
		pr_err("max_procs=%u out of range (16..1048576)\n", max_procs);
		return -EINVAL;
	}
	if (max_pages > COWLAB_MAX_PAGES_LIMIT) {
		pr_err("max_pages=%lu out of range (0..%lu)\n", max_pages,
		       COWLAB_MAX_PAGES_LIMIT);
		return -EINVAL;
	}
	if (max_pages_per_user > max_pages) {
		pr_err("max_pages_per_user=%lu above max_pages=%lu\n",
		       max_pages_per_user, max_pages);
		return -EINVAL;
	}
	cowlab_sites = cowlab_siteset_create();
	if (IS_ERR(cowlab_sites))
		return PTR_ERR(cowlab_sites);
	cowlab_pages = cowlab_pageset_create(max_pages, max_pages_per_user);
	if (IS_ERR(cowlab_pages)) {
		err = PTR_ERR(cowlab_pages);
		goto out_sites;
	}
	cowlab_stats = cowlab_stats_create(max_procs, cowlab_pages,
					   cowlab_sites);
	if (IS_ERR(cowlab_stats)) {
		err = PTR_ERR(cowlab_stats);
		goto out_pages;
	}
	cowlab_account = cowlab_account_create(cowlab_stats, cowlab_pages,
					       cowlab_sites);
	if (IS_ERR(cowlab_account)) {
		err = PTR_ERR(cowlab_account);
		goto out_stats;
	}
	err = cowlab_tracepoints_init(cowlab_stats, cowlab_account);
	if (err)
		goto out_account;
	err = cowlab_debugfs_init(cowlab_stats, cowlab_pages, cowlab_sites);
	if (err)
		goto out_tracepoints;
	err = cowlab_probes_init(cowlab_account);
	if (err)
		goto out_debugfs;
	pr_info("loaded, version %s, tracking up to %u processes\n",
		COWLAB_VERSION, max_procs);
	return 0;

out_debugfs:
	cowlab_debugfs_exit();
	cowlab_vmas_exit();
out_tracepoints:
	cowlab_tracepoints_exit();
out_account:
	cowlab_account_destroy(cowlab_account);
out_stats:
	cowlab_stats_destroy(cowlab_stats);
out_pages:
	cowlab_pageset_destroy(cowlab_pages);
out_sites:
	cowlab_siteset_destroy(cowlab_sites);
	return err;
}

static void __exit cowlab_exit(void)
{
	cowlab_probes_exit();
	cowlab_debugfs_exit();
	cowlab_vmas_exit();
	cowlab_tracepoints_exit();
	cowlab_account_destroy(cowlab_account);
	cowlab_stats_destroy(cowlab_stats);
	cowlab_pageset_destroy(cowlab_pages);
	cowlab_siteset_destroy(cowlab_sites);
	pr_info("unloaded\n");
}

module_init(cowlab_init);
module_exit(cowlab_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The cowlab developers");
MODULE_DESCRIPTION("Count and show copy-on-write breaks per process and VMA");
MODULE_VERSION(COWLAB_VERSION);
