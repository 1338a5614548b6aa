// SPDX-License-Identifier: GPL-2.0
/*
 * Taskstats over raw generic netlink; see taskstats.h. One request at a
 * time on a fresh socket: resolve the "TASKSTATS" family, then ask
 * TASKSTATS_CMD_GET for one pid and find TASKSTATS_TYPE_STATS in the
 * TASKSTATS_TYPE_AGGR_PID nest of the answer.
 */
#include "taskstats.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#if TASKSTATS_VERSION < 13
#error "<linux/taskstats.h> without wpcopy_count: linux-libc-dev 5.19+ needed"
#endif

/* The version of struct taskstats that added wpcopy_count. */
#define TS_WPCOPY_VERSION	13

#define TS_BUF_SIZE		8192

struct ts_msg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[256];
};

int taskstats_enable(void)
{
	int fd, err = 0;

	fd = open("/proc/sys/kernel/task_delayacct", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int ts_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Append attribute @type with @len bytes of @data to @m. */
static int ts_put_attr(struct ts_msg *m, unsigned short type,
		       const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->n.nlmsg_len);
	struct nlattr *a = (struct nlattr *)((char *)m + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*m))
		return -EMSGSIZE;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->n.nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return 0;
}

static void ts_init_msg(struct ts_msg *m, unsigned short family,
			unsigned char cmd, unsigned int seq)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = family;
	m->n.nlmsg_flags = NLM_F_REQUEST;
	m->n.nlmsg_seq = seq;
	m->g.cmd = cmd;
	m->g.version = 1;
}

/*
 * Send @m and receive the answer with its sequence number into @buf.
 * Returns the answer's length (its nlmsghdr at @buf), or -errno (an
 * NLMSG_ERROR answer gives its error).
 */
static int ts_transact(int fd, struct ts_msg *m, char *buf, size_t size)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t r;

	do {
		r = sendto(fd, m, m->n.nlmsg_len, 0,
			   (struct sockaddr *)&kernel, sizeof(kernel));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if ((size_t)r != m->n.nlmsg_len)
		return -EIO;

	for (;;) {
		struct nlmsghdr *n = (struct nlmsghdr *)buf;
		int len;

		r = recv(fd, buf, size, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		len = r;
		if (!NLMSG_OK(n, len))
			return -EPROTO;
		if (n->nlmsg_seq != m->n.nlmsg_seq)
			continue;	/* a late answer to something else */
		if (n->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(n);

			if (n->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error ? e->error : -ENODATA;
		}
		if (n->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			return -EPROTO;
		return n->nlmsg_len;
	}
}

/*
 * The first attribute of type @type among the @len bytes of attributes at
 * @p, or NULL.
 */
static struct nlattr *ts_find_attr(void *p, int len, unsigned short type)
{
	struct nlattr *a = p;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int step = NLA_ALIGN(a->nla_len);

		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (step >= len)
			break;
		len -= step;
		a = (struct nlattr *)((char *)a + step);
	}
	return NULL;
}

static void *ts_attrs(struct nlmsghdr *n, int *len)
{
	*len = n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (char *)NLMSG_DATA(n) + GENL_HDRLEN;
}

static int ts_family(int fd, char *buf, size_t size)
{
	static const char name[] = TASKSTATS_GENL_NAME;
	struct ts_msg m;
	struct nlattr *a;
	uint16_t id;
	void *attrs;
	int len, err;

	ts_init_msg(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	err = ts_put_attr(&m, CTRL_ATTR_FAMILY_NAME, name, sizeof(name));
	if (err)
		return err;
	len = ts_transact(fd, &m, buf, size);
	if (len < 0)
		return len;
	attrs = ts_attrs((struct nlmsghdr *)buf, &len);
	a = ts_find_attr(attrs, len, CTRL_ATTR_FAMILY_ID);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(id))
		return -EPROTO;
	memcpy(&id, (char *)a + NLA_HDRLEN, sizeof(id));
	return id;
}

int taskstats_wpcopy(pid_t tid, unsigned long long *count)
{
	char buf[TS_BUF_SIZE] __attribute__((aligned(8)));
	const size_t need = offsetof(struct taskstats, wpcopy_count) +
			    sizeof(((struct taskstats *)0)->wpcopy_count);
	struct taskstats ts;
	struct nlattr *nest, *a;
	uint32_t pid = tid;
	struct ts_msg m;
	size_t plen;
	void *attrs;
	int fd, family, len, err;

	fd = ts_socket();
	if (fd < 0)
		return fd;
	family = ts_family(fd, buf, sizeof(buf));
	if (family < 0) {
		err = family == -ENOENT ? -EOPNOTSUPP : family;
		goto out;
	}
	ts_init_msg(&m, family, TASKSTATS_CMD_GET, 2);
	err = ts_put_attr(&m, TASKSTATS_CMD_ATTR_PID, &pid, sizeof(pid));
	if (err)
		goto out;
	len = ts_transact(fd, &m, buf, sizeof(buf));
	if (len < 0) {
		err = len;
		goto out;
	}
	err = -EPROTO;
	attrs = ts_attrs((struct nlmsghdr *)buf, &len);
	nest = ts_find_attr(attrs, len, TASKSTATS_TYPE_AGGR_PID);
	if (!nest)
		goto out;
	a = ts_find_attr((char *)nest + NLA_HDRLEN, nest->nla_len - NLA_HDRLEN,
			 TASKSTATS_TYPE_STATS);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(ts.version))
		goto out;

	/*
	 * The kernel's struct may be shorter (older) or longer (newer) than
	 * the one in our header; fields are only ever appended. Read
	 * wpcopy_count only if the kernel says it has it and sent it.
	 */
	plen = a->nla_len - NLA_HDRLEN;
	memset(&ts, 0, sizeof(ts));
	memcpy(&ts, (char *)a + NLA_HDRLEN,
	       plen < sizeof(ts) ? plen : sizeof(ts));
	if (ts.version < TS_WPCOPY_VERSION || plen < need) {
		err = -EOPNOTSUPP;
		goto out;
	}
	*count = ts.wpcopy_count;
	err = 0;
out:
	close(fd);
	return err;
}
