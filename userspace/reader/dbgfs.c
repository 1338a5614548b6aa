// SPDX-License-Identifier: GPL-2.0
/*
 * Finding cowlab's debugfs directory and reading its files, and saying what
 * a person can do when that fails (module not loaded, debugfs not mounted,
 * not root, process gone, malformed text).
 *
 * A directory that is not on a debugfs mount is a fixture (tests, saved
 * copies): the per-pid files are then read from "vmas.PID" and "pages.PID"
 * instead of writing PID to "vmas" and "pages", and a missing one stands
 * for a pid that does not exist (ESRCH).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "opts.h"

#define DEBUGFS_MAGIC	0x64626720	/* include/uapi/linux/magic.h */

/* Failures kept to oneself (optional reads, such as comm in diff). */
static bool quiet;

/* @dir is not on a debugfs mount: read vmas.PID, pages.PID (see above). */
static bool fixture;

/* -errno of the last failed read, for dbgfs_last_err(). */
static int last_err;

__printf(1, 2) static void say(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cl_err("%s", msg);
}

static bool on_debugfs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == DEBUGFS_MAGIC;
}

/* Where debugfs is mounted, from /proc/mounts, into @buf; or false. */
static bool debugfs_mount(char *buf, size_t size)
{
	char line[4096], dev[256], dir[PATH_MAX], type[64];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "debugfs")) {
			snprintf(buf, size, "%s", dir);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The directory does not exist: tell why, as far as we can. */
static void explain_missing_dir(const char *dir)
{
	char copy1[PATH_MAX], copy2[PATH_MAX], mnt[PATH_MAX];
	const char *parent, *base;
	struct stat st;

	snprintf(copy1, sizeof(copy1), "%s", dir);
	snprintf(copy2, sizeof(copy2), "%s", dir);
	parent = dirname(copy1);
	base = basename(copy2);

	if (on_debugfs(parent)) {
		say("cowlab module not loaded: run `insmod cowlab.ko` (or `modprobe cowlab`)\n"
		    "        (debugfs is mounted on %s, but it has no %s)",
		    parent, base);
		return;
	}
	if (strcmp(base, "cowlab")) {
		say("%s: no such directory (given by --debugfs or COWLAB_DEBUGFS)",
		    dir);
		return;
	}
	if (stat(parent, &st)) {
		if (errno == EACCES)
			say("cannot look into %s: permission denied: run as root (debugfs is root-only)",
			    parent);
		else
			say("%s: no such directory, and no %s to mount debugfs on",
			    dir, parent);
		return;
	}
	if (debugfs_mount(mnt, sizeof(mnt)))
		say("debugfs is not mounted on %s (it is on %s): use --debugfs %s/cowlab,\n"
		    "        or mount -t debugfs none %s",
		    parent, mnt, mnt, parent);
	else if (geteuid())
		say("debugfs is not mounted: as root, mount -t debugfs none %s\n"
		    "        (and run cowlab as root: debugfs is root-only)",
		    parent);
	else
		say("debugfs is not mounted: mount -t debugfs none %s",
		    parent);
}

int dbgfs_init(void)
{
	const char *dir = env.debugfs;
	struct stat st;

	if (stat(dir, &st)) {
		if (errno == ENOENT || errno == ENOTDIR)
			explain_missing_dir(dir);
		else if (errno == EACCES)
			say("cannot look into %s: permission denied: run as root (debugfs is root-only)",
			    dir);
		else
			say("%s: %s", dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		say("%s is not a directory: --debugfs wants the cowlab directory, e.g. %s",
		    dir, COWLAB_DEBUGFS);
		return EXIT_FAIL;
	}
	fixture = !on_debugfs(dir);
	return EXIT_OK;
}

bool dbgfs_set_quiet(bool on)
{
	bool was = quiet;

	quiet = on;
	return was;
}

/* Say why @path could not be opened or read (@err: -errno). */
static void explain_file(const char *path, const char *name, int err)
{
	char alt[PATH_MAX + 64];
	struct stat st;

	switch (-err) {
	case EACCES:
	case EPERM:
		say("%s: permission denied: run as root (debugfs files are root-only)",
		    path);
		return;
	case ENOENT:
		snprintf(alt, sizeof(alt), "%s/cowlab/%s", env.debugfs, name);
		if (!stat(alt, &st))
			say("%s: no such file: did you mean --debugfs %s/cowlab?",
			    path, env.debugfs);
		else if (fixture)
			say("%s: no such file (is %s a cowlab directory?)",
			    path, env.debugfs);
		else if (snprintf(alt, sizeof(alt), "%s", env.debugfs) > 0 &&
			 strcmp(basename(alt), "cowlab"))
			say("%s: no such file: --debugfs wants cowlab's directory in debugfs (%s/cowlab),\n"
			    "        and the module must be loaded",
			    path, env.debugfs);
		else
			say("%s: no such file: is the loaded cowlab module older than this reader? (reload cowlab.ko)",
			    path);
		return;
	case ENODEV:
	case EIO:
		say("%s: %s: was the cowlab module unloaded?", path,
		    strerror(-err));
		return;
	default:
		say("%s: %s", path, strerror(-err));
	}
}

/*
 * Does live process @pid have no user memory (a kernel thread, or a
 * zombie)? Its /proc status has no VmSize line then.
 */
static bool no_user_memory(int pid)
{
	char path[40], line[256];
	bool vm = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!vm && fgets(line, sizeof(line), f))
		vm = !strncmp(line, "VmSize:", 7);
	fclose(f);
	return !vm;
}

static int pid_gone(int pid)
{
	if (!fixture && no_user_memory(pid))
		say("process %d has no user memory (a kernel thread, or exiting): nothing to show",
		    pid);
	else
		say("process %d does not exist (or exited)", pid);
	return -ESRCH;
}

/*
 * Read @name of pid @pid the debugfs way: write the pid on the descriptor,
 * seek back, read. The pid then applies to this descriptor only, so other
 * readers are not disturbed.
 */
static int read_pid_file(const char *path, int pid, char **text, size_t *len)
{
	char buf[24];
	int fd, n, err;
	ssize_t w;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", pid);
	do
		w = write(fd, buf, n);
	while (w < 0 && errno == EINTR);
	if (w != n) {
		err = w < 0 ? -errno : -EIO;
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err = -errno;
		goto out;
	}
	err = cowlab_read_fd(fd, text, len);
out:
	close(fd);
	return err;
}

/*
 * Read DIR/@name (for @pid if not 0). Prints why not (but not, if
 * @optional, that it does not exist); returns 0 or -errno.
 */
static int dbgfs_read(const char *name, int pid, bool optional, char **text,
		      size_t *len, struct dbgfs_src *src)
{
	char path[PATH_MAX + 64];
	int err;

	if (!pid) {
		snprintf(path, sizeof(path), "%s/%s", env.debugfs, name);
		snprintf(src->path, sizeof(src->path), "%s", path);
		err = cowlab_read_file(path, text, len);
	} else if (fixture) {
		snprintf(path, sizeof(path), "%s/%s.%d", env.debugfs, name,
			 pid);
		snprintf(src->path, sizeof(src->path), "%s", path);
		err = cowlab_read_file(path, text, len);
		if (err == -ENOENT)
			return pid_gone(pid);
	} else {
		snprintf(path, sizeof(path), "%s/%s", env.debugfs, name);
		snprintf(src->path, sizeof(src->path), "%s (pid %d)", path,
			 pid);
		err = read_pid_file(path, pid, text, len);
		if (err == -ESRCH)
			return pid_gone(pid);
		if (err == -EINVAL) {
			say("%s: the module refused pid %d (EINVAL)", path,
			    pid);
			return err;
		}
		if (err == -ENOMEM) {
			say("%s: the module had no memory for a record of\n"
			    "        process %d (ENOMEM): `cowlab status` shows what it dropped",
			    path, pid);
			return err;
		}
	}
	if (err && !(optional && err == -ENOENT))
		explain_file(path, name, err);
	return err;
}

int dbgfs_last_err(void)
{
	return last_err;
}

bool dbgfs_has(const char *name)
{
	char path[PATH_MAX + 64];
	size_t len = strlen(name);
	struct dirent *d;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", env.debugfs, name);
	if (!fixture || !access(path, F_OK))
		return !access(path, F_OK);
	dir = opendir(env.debugfs);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir)))
		found = !strncmp(d->d_name, name, len) && d->d_name[len] == '.';
	closedir(dir);
	return found;
}

int dbgfs_control(const char *cmd)
{
	char path[PATH_MAX + 64];
	size_t n = strlen(cmd);
	ssize_t w;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/control", env.debugfs);
	/* A fixture's control file keeps the last command, as a record. */
	fd = open(path, O_WRONLY | O_CLOEXEC | (fixture ? O_TRUNC : 0));
	if (fd < 0) {
		err = -errno;
		explain_file(path, "control", err);
		return err;
	}
	do
		w = write(fd, cmd, n);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)n)
		err = w < 0 ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err && err != -EINVAL)
		explain_file(path, "control", err);
	return err;
}

/*
 * Read and parse DIR/@name (of @pid if not 0; @flags: COWLAB_TABLE_* and
 * DBGFS_OPTIONAL). Returns EXIT_OK, EXIT_FAIL after saying why, or
 * DBGFS_ABSENT.
 */
int dbgfs_table(const char *name, int pid, unsigned int flags,
		struct cowlab_table *t, struct dbgfs_src *src)
{
	const char *msg;
	size_t len, line;
	char *text;
	int err;

	memset(t, 0, sizeof(*t));
	err = dbgfs_read(name, pid, flags & DBGFS_OPTIONAL, &text, &len, src);
	last_err = err;
	if (err == -ENOENT && (flags & DBGFS_OPTIONAL))
		return DBGFS_ABSENT;
	if (err)
		return EXIT_FAIL;
	err = cowlab_table_parse_strict(t, text, len, flags & ~DBGFS_OPTIONAL,
					&msg, &line);
	if (err) {
		dbgfs_bad(src, line, "%s", msg);
		cowlab_table_free(t);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

void dbgfs_bad(const struct dbgfs_src *src, size_t line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		say("%s: line %zu: %s", src->path, line, msg);
	else
		say("%s: %s", src->path, msg);
}

/* Index of a column the reader needs, or -1 after saying it is missing. */
int dbgfs_col(const struct dbgfs_src *src, const struct cowlab_table *t,
	      const char *name)
{
	int c = cowlab_table_col(t, name);

	if (c < 0)
		dbgfs_bad(src, 1, "no column '%s' in the header (not a cowlab table, or a module too old for this reader)",
			  name);
	return c;
}

/*
 * Counter @col of record @row: *@avail is false for "-" or a column this
 * module does not have (@col < 0). Returns 0, or -EINVAL after saying why.
 */
int dbgfs_u64(const struct dbgfs_src *src, const struct cowlab_table *t,
	      size_t row, int col, unsigned long long *v, bool *avail)
{
	char shown[40];
	const char *f;
	int err;

	*v = 0;
	*avail = false;
	if (col < 0)
		return 0;
	f = t->rows[row][col];
	err = cowlab_field_u64(f, v);
	if (err == -ENOENT)
		return 0;
	if (err) {
		char *safe = fmt_safe(f);

		snprintf(shown, sizeof(shown), "%s", safe ? safe : "?");
		free(safe);
		dbgfs_bad(src, row + 2, "%s '%s%s' is not a count (%s)",
			  t->cols[col], shown,
			  strlen(f) >= sizeof(shown) ? "..." : "",
			  f[0] >= '0' && f[0] <= '9' && strspn(f, "0123456789") == strlen(f) ?
			  "too large" : "want digits, or - if not counted");
		return -EINVAL;
	}
	*avail = true;
	return 0;
}
