// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of what users write to cowlab's files (docs/debugfs.md): a
 * command to control, a pid to vmas, pages, sites and timeline.  They only read what was
 * written and never change anything themselves; the files act on the
 * result.
 */
#define pr_fmt(fmt) "cowlab: " fmt

#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cowlab.h"

/*
 * Copy what was written (@buf, @len bytes) into @dst of @size bytes as a
 * string, without its one optional trailing newline.  Returns the
 * string's length, or -EINVAL if the write was empty, too long, or holds a
 * NUL or another newline.
 */
static int cowlab_parse_line(char *dst, size_t size, const char *buf,
			     size_t len)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	if (dst[len - 1] == '\n')
		dst[--len] = '\0';
	if (strlen(dst) != len || strchr(dst, '\n'))
		return -EINVAL;
	return len;
}

/* A pid in decimal, > 0, and nothing else: 0 with *@nr set, or -EINVAL. */
static int cowlab_parse_pid_str(const char *s, pid_t *nr)
{
	int v;

	if (!isdigit(s[0]) || kstrtoint(s, 10, &v) || v <= 0)
		return -EINVAL;
	*nr = v;
	return 0;
}

/*
 * A pid written to the vmas or pages file (@len < COWLAB_PID_WRITE_MAX
 * bytes, one trailing newline allowed): 0 with *@nr set, or -EINVAL.
 */
int cowlab_parse_pid(const char *buf, size_t len, pid_t *nr)
{
	char tmp[COWLAB_PID_WRITE_MAX];
	int ret = cowlab_parse_line(tmp, sizeof(tmp), buf, len);

	if (ret < 0)
		return ret;
	return cowlab_parse_pid_str(tmp, nr);
}

/*
 * A pid written from user space to the vmas, pages or sites file: as
 * cowlab_parse_pid(), or -EFAULT if @ubuf cannot be read.
 */
int cowlab_parse_pid_user(const char __user *ubuf, size_t len, pid_t *nr)
{
	char buf[COWLAB_PID_WRITE_MAX];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	return cowlab_parse_pid(buf, len, nr);
}

/*
 * One control command (@len < COWLAB_CONTROL_WRITE_MAX bytes), one
 * trailing newline allowed: "reset" or "reset PID" (COWLAB_CTL_RESET, with
 * *@tgid the pid, or 0 for all), "sites on" or "sites off"
 * (COWLAB_CTL_SITES_ON or _OFF, *@tgid untouched).  Returns the command,
 * or -EINVAL.
 */
int cowlab_parse_control(const char *buf, size_t len, pid_t *tgid)
{
	char cmd[COWLAB_CONTROL_WRITE_MAX];
	int ret = cowlab_parse_line(cmd, sizeof(cmd), buf, len);

	if (ret < 0)
		return ret;
	if (!strcmp(cmd, "sites on"))
		return COWLAB_CTL_SITES_ON;
	if (!strcmp(cmd, "sites off"))
		return COWLAB_CTL_SITES_OFF;
	if (!strcmp(cmd, "reset")) {
		*tgid = 0;
		return COWLAB_CTL_RESET;
	}
	if (strncmp(cmd, "reset ", 6))
		return -EINVAL;
	ret = cowlab_parse_pid_str(cmd + 6, tgid);
	return ret ? ret : COWLAB_CTL_RESET;
}

#if IS_ENABLED(CONFIG_COWLAB_KUNIT_TEST)
#include "../tests/kunit/parse_kunit.h"
#endif
