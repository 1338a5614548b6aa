// SPDX-License-Identifier: GPL-2.0
/*
 * unpriv: cowlab's files as a user without privileges.  Every file of
 * /sys/kernel/debug/cowlab, opened by uid and gid 65534 with no groups and
 * no capabilities, fails with EACCES: for reading, for writing, for both
 * (docs/debugfs.md: "All files are root-only").
 *
 * debugfs's own root is mode 0700, so opening /sys/kernel/debug/cowlab/X
 * fails in the path lookup, before X's mode is looked at.  That is checked
 * too, but it would hide a file with a mode too wide; so the directory is
 * opened while still root and each file is opened relative to it, where
 * only cowlab's directory (0755) and the file's own mode count.  fstatat()
 * on the same fd shows each file is really reachable that way.
 *
 * Usage: unpriv    (as root, cowlab loaded)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktap.h"
#include "table.h"

#define NOBODY	65534
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The files docs/debugfs.md describes. */
static const char *const documented[] = {
	"procs", "classes", "probes", "stats", "users", "control", "vmas",
	"pages", "sites", "timeline",
};

#define NDOC	ARRAY_SIZE(documented)

static char names[64][256];
static int nnames;

static bool is_documented(const char *name)
{
	size_t i;

	for (i = 0; i < NDOC; i++)
		if (!strcmp(name, documented[i]))
			return true;
	return false;
}

/* As root: every entry of the directory, and each one root-only. */
static bool list_files(int dfd)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	struct stat st;
	bool ok = d;
	size_t i;
	int j;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || nnames == 64)
			continue;
		snprintf(names[nnames++], sizeof(names[0]), "%s", e->d_name);
	}
	if (d)
		closedir(d);
	for (j = 0; j < nnames; j++) {
		if (fstatat(dfd, names[j], &st, 0)) {
			printf("# %s: %s\n", names[j], strerror(errno));
			ok = false;
			continue;
		}
		printf("# %s: mode %04o, owner %u:%u%s\n", names[j],
		       st.st_mode & 07777, st.st_uid, st.st_gid,
		       is_documented(names[j]) ? "" : " (not in docs/debugfs.md)");
		if (!S_ISREG(st.st_mode) || (st.st_mode & 07077) ||
		    st.st_uid || st.st_gid || !is_documented(names[j]))
			ok = false;
	}
	for (i = 0; i < NDOC; i++) {
		bool found = false;

		for (j = 0; j < nnames; j++)
			found |= !strcmp(names[j], documented[i]);
		if (!found) {
			printf("# %s: missing\n", documented[i]);
			ok = false;
		}
	}
	return ok;
}

/* uid and gid 65534, no groups; and no way back. */
static bool drop(void)
{
	char line[256];
	FILE *f;
	bool caps = false;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		printf("# dropping privileges: %s\n", strerror(errno));
		return false;
	}
	if (getuid() != NOBODY || geteuid() != NOBODY ||
	    getgid() != NOBODY || getegid() != NOBODY)
		return false;
	if (!setuid(0) || errno != EPERM) {
		printf("# setuid(0) with uid %d: %s\n", NOBODY, strerror(errno));
		return false;
	}
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strcmp(line, "CapEff:\t0000000000000000\n"))
			caps = true;
	if (f)
		fclose(f);
	if (!caps)
		printf("# /proc/self/status: CapEff is not 0\n");
	return caps;
}

/* openat(@dfd, @name, @flags) must fail with EACCES; say so if not. */
static bool refused(int dfd, const char *name, int flags, const char *how)
{
	int fd = openat(dfd, name, flags);

	if (fd < 0 && errno == EACCES)
		return true;
	printf("# %s for %s: %s\n", name, how,
	       fd < 0 ? strerrorname_np(errno) : "opened");
	if (fd >= 0)
		close(fd);
	return false;
}

int main(void)
{
	struct stat st;
	bool ok, dropped;
	int dfd, j;
	size_t i;

	ktap_plan(3 + NDOC);
	dfd = open(COWLAB_DEBUGFS, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		printf("# %s: %s (is cowlab loaded? are we root?)\n",
		       COWLAB_DEBUGFS, strerror(errno));
		for (i = 0; i < 3 + NDOC; i++)
			ktap_result(false, "not run: no %s", COWLAB_DEBUGFS);
		return ktap_finish();
	}
	ok = list_files(dfd);
	ktap_result(ok, "as root: %d files, as docs/debugfs.md has, root's, root-only",
		    nnames);

	dropped = drop();
	ktap_result(dropped, "dropped: uid, gid %d, no groups, no capabilities, no setuid(0)",
		    NOBODY);

	/* Every file found, documented or not; the documented ones named. */
	for (i = 0; i < NDOC; i++) {
		const char *n = documented[i];

		ok = dropped && !fstatat(dfd, n, &st, 0);
		if (dropped && !ok)
			printf("# %s: fstatat: %s\n", n, strerror(errno));
		ok = refused(dfd, n, O_RDONLY, "reading") && ok;
		ok = refused(dfd, n, O_WRONLY, "writing") && ok;
		ok = refused(dfd, n, O_RDWR, "reading and writing") && ok;
		ktap_result(ok, "as uid %d: %s, reachable, not to read, write, both: EACCES",
			    NOBODY, n);
	}
	ok = dropped;
	for (j = 0; j < nnames; j++) {
		char path[sizeof(COWLAB_DEBUGFS) + sizeof(names[0])];

		if (!is_documented(names[j]))
			ok = refused(dfd, names[j], O_RDONLY, "reading") &&
			     refused(dfd, names[j], O_WRONLY, "writing") && ok;
		snprintf(path, sizeof(path), "%s/%.200s", COWLAB_DEBUGFS,
			 names[j]);
		ok = refused(AT_FDCWD, path, O_RDONLY, "reading by path") &&
		     refused(AT_FDCWD, path, O_WRONLY, "writing by path") && ok;
	}
	ktap_result(ok, "as uid %d: by path, through debugfs' root (0700): EACCES too",
		    NOBODY);
	close(dfd);
	return ktap_finish();
}
