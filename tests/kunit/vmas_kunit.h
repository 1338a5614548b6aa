/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/vmas.c: parsing a pid written to the vmas and
 * pages files (docs/debugfs.md: a pid, one trailing newline optional;
 * anything but a pid -EINVAL).  Included at the end of vmas.c when built
 * with COWLAB_KUNIT=1.
 */
#ifndef COWLAB_VMAS_KUNIT_H
#define COWLAB_VMAS_KUNIT_H

#include <kunit/test.h>

struct cowlab_pid_case {
	const char *desc;
	const char *buf;
	size_t len;		/* bytes of buf written, NULs included */
	int ret;
	pid_t pid;		/* when ret is 0 */
};

/* A written string, with its length: embedded NULs count. */
#define W(s)	.buf = (s), .len = sizeof(s) - 1

static const struct cowlab_pid_case cowlab_pid_cases[] = {
	{ "pid", W("412"), 0, 412 },
	{ "pid newline", W("412\n"), 0, 412 },
	{ "pid 1", W("1"), 0, 1 },
	{ "pid INT_MAX", W("2147483647"), 0, INT_MAX },
	{ "leading zeros", W("0042"), 0, 42 },
	{ "15 bytes, the longest", W("000000000000001"), 0, 1 },
	{ "16 bytes, too long", W("0000000000000001"), -EINVAL },
	{ "empty", W(""), -EINVAL },
	{ "newline only", W("\n"), -EINVAL },
	{ "two newlines", W("1\n\n"), -EINVAL },
	{ "pid 0", W("0"), -EINVAL },
	{ "negative", W("-1"), -EINVAL },
	{ "plus sign", W("+1"), -EINVAL },
	{ "leading space", W(" 1"), -EINVAL },
	{ "trailing space", W("1 "), -EINVAL },
	{ "hex", W("0x10"), -EINVAL },
	{ "garbage after", W("12ab"), -EINVAL },
	{ "letters", W("self"), -EINVAL },
	{ "overflow", W("2147483648"), -EINVAL },
	{ "far overflow", W("99999999999999"), -EINVAL },
	{ "NUL after pid", W("1\0"), -EINVAL },
	{ "NUL inside", W("1\0002"), -EINVAL },
	{ "NUL only", W("\0"), -EINVAL },
};

#undef W

static void cowlab_pid_case_desc(const struct cowlab_pid_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_pid, cowlab_pid_cases, cowlab_pid_case_desc);

static void cowlab_parse_pid_input(struct kunit *test)
{
	const struct cowlab_pid_case *c = test->param_value;
	pid_t pid = -12345;
	char *buf;
	int ret;

	/* Exactly len bytes, so that KASAN sees any read past them. */
	buf = kunit_kmalloc(test, max_t(size_t, c->len, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, c->buf, c->len);
	ret = cowlab_parse_pid(buf, c->len, &pid);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "input \"%*pE\"", (int)c->len,
			    c->buf);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, pid, c->pid);
	else
		KUNIT_EXPECT_EQ_MSG(test, pid, -12345,
				    "a failed parse wrote its result");
}

static struct kunit_case cowlab_pid_test_cases[] = {
	KUNIT_CASE_PARAM(cowlab_parse_pid_input, cowlab_pid_gen_params),
	{}
};

static struct kunit_suite cowlab_pid_test_suite = {
	.name = "cowlab_pid",
	.test_cases = cowlab_pid_test_cases,
};

kunit_test_suite(cowlab_pid_test_suite);

#endif /* COWLAB_VMAS_KUNIT_H */
