/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One row of cowlab's vmas file, by the VMA's start address: for
 * mthptest and hugetest.  The pid is selected as the default (a write on
 * a descriptor of its own), then the file is read on a fresh one
 * (docs/debugfs.md); the tests read from one process at a time.
 */
#ifndef COWLAB_VMAROW_H
#define COWLAB_VMAROW_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "table.h"

enum { VR_RESIDENT, VR_SHARED, VR_EXCLUSIVE, VR_ZERO, VR_COPIED,
       VR_COW_COPY, VR_COW_ZERO, VR_WP_REUSE, VR_NR };

static const char *const vr_cols[VR_NR] = {
	[VR_RESIDENT] = "resident", [VR_SHARED] = "shared",
	[VR_EXCLUSIVE] = "exclusive", [VR_ZERO] = "zero",
	[VR_COPIED] = "copied", [VR_COW_COPY] = "cow_copy",
	[VR_COW_ZERO] = "cow_zero", [VR_WP_REUSE] = "wp_reuse",
};

struct vma_counts {
	unsigned long long end;
	long long v[VR_NR];	/* -1 where the row shows "-" */
	char perms[8];
};

/*
 * @pid's vmas row for the VMA that starts at @start.  Returns 0, -ENOENT
 * if no VMA starts there, -errno, or -EPROTO for a malformed table (each
 * failure said as a KTAP diagnostic).
 */
static inline int vma_counts_at(pid_t pid, unsigned long start,
				struct vma_counts *vc)
{
	struct cowlab_table t;
	const char *err;
	char *text, sel[32];
	size_t r;
	int fd, c, ret;

	fd = open(COWLAB_DEBUGFS "/vmas", O_WRONLY);
	if (fd < 0)
		return -errno;
	c = snprintf(sel, sizeof(sel), "%d", pid);
	ret = write(fd, sel, c) == c ? 0 : -errno;
	close(fd);
	if (!ret)
		ret = cowlab_read_file(COWLAB_DEBUGFS "/vmas", &text, NULL);
	if (ret) {
		printf("# vmas of pid %d: %s\n", pid, strerror(-ret));
		return ret;
	}
	if (cowlab_table_parse(&t, text, 1, &err)) {
		printf("# vmas of pid %d: %s\n", pid, err);
		cowlab_table_free(&t);
		return -EPROTO;
	}
	ret = -ENOENT;
	for (r = 0; r < t.nrows && ret == -ENOENT; r++) {
		unsigned long long a;
		int i, col;

		col = cowlab_table_col(&t, "start");
		if (col < 0 || cowlab_field_hex(t.rows[r][col], &a) || a != start)
			continue;
		ret = 0;
		col = cowlab_table_col(&t, "end");
		if (col < 0 || cowlab_field_hex(t.rows[r][col], &vc->end))
			ret = -EPROTO;
		col = cowlab_table_col(&t, "perms");
		snprintf(vc->perms, sizeof(vc->perms), "%s",
			 col < 0 ? "?" : t.rows[r][col]);
		for (i = 0; i < VR_NR && !ret; i++) {
			unsigned long long v;
			int e;

			col = cowlab_table_col(&t, vr_cols[i]);
			e = col < 0 ? -EINVAL : cowlab_field_u64(t.rows[r][col], &v);
			vc->v[i] = e ? -1 : (long long)v;
			if (e && e != -ENOENT)
				ret = -EPROTO;
		}
	}
	if (ret == -ENOENT)
		printf("# vmas of pid %d: no VMA starts at %lx\n", pid, start);
	else if (ret)
		printf("# vmas of pid %d: the row at %lx is malformed\n", pid,
		       start);
	cowlab_table_free(&t);
	return ret;
}

#endif /* COWLAB_VMAROW_H */
