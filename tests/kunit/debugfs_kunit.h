/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/debugfs.c: parsing what is written to the control
 * file (docs/debugfs.md: "reset" or "reset PID", one trailing newline
 * optional, anything else -EINVAL).  Included at the end of debugfs.c when
 * built with COWLAB_KUNIT=1.
 */
#ifndef COWLAB_DEBUGFS_KUNIT_H
#define COWLAB_DEBUGFS_KUNIT_H

#include <kunit/test.h>

struct cowlab_control_case {
	const char *desc;
	const char *buf;
	size_t len;		/* bytes of buf written, NULs included */
	int ret;
	pid_t tgid;		/* when ret is 0 */
};

/* A written string, with its length: embedded NULs count. */
#define W(s)	.buf = (s), .len = sizeof(s) - 1

static const struct cowlab_control_case cowlab_control_cases[] = {
	{ "reset", W("reset"), 0, 0 },
	{ "reset newline", W("reset\n"), 0, 0 },
	{ "reset pid", W("reset 42"), 0, 42 },
	{ "reset pid newline", W("reset 42\n"), 0, 42 },
	{ "reset pid 1", W("reset 1"), 0, 1 },
	{ "reset pid INT_MAX", W("reset 2147483647"), 0, INT_MAX },
	{ "reset pid leading zeros", W("reset 007"), 0, 7 },
	{ "63 bytes, the longest command",
	  W("reset 000000000000000000000000000000000000000000000000000000001"), 0, 1 },
	{ "64 bytes, too long",
	  W("reset 0000000000000000000000000000000000000000000000000000000001"), -EINVAL },
	{ "empty", W(""), -EINVAL },
	{ "newline only", W("\n"), -EINVAL },
	{ "two newlines", W("reset\n\n"), -EINVAL },
	{ "two newlines after pid", W("reset 1\n\n"), -EINVAL },
	{ "carriage return", W("reset\r\n"), -EINVAL },
	{ "trailing space", W("reset "), -EINVAL },
	{ "leading space", W(" reset"), -EINVAL },
	{ "upper case", W("RESET"), -EINVAL },
	{ "prefix of reset", W("rese"), -EINVAL },
	{ "reset with suffix", W("resets"), -EINVAL },
	{ "no space before pid", W("reset1"), -EINVAL },
	{ "tab before pid", W("reset\t1"), -EINVAL },
	{ "two spaces before pid", W("reset  1"), -EINVAL },
	{ "pid 0", W("reset 0"), -EINVAL },
	{ "negative pid", W("reset -1"), -EINVAL },
	{ "plus sign", W("reset +1"), -EINVAL },
	{ "hex pid", W("reset 0x10"), -EINVAL },
	{ "pid with garbage", W("reset 1x"), -EINVAL },
	{ "space after pid", W("reset 1 "), -EINVAL },
	{ "two pids", W("reset 1 2"), -EINVAL },
	{ "pid overflow", W("reset 2147483648"), -EINVAL },
	{ "pid far overflow", W("reset 99999999999999999999"), -EINVAL },
	{ "NUL after reset", W("reset\0"), -EINVAL },
	{ "NUL before newline", W("reset\0\n"), -EINVAL },
	{ "NUL inside pid", W("reset 1\0002"), -EINVAL },
	{ "NUL only", W("\0"), -EINVAL },
	{ "other command", W("clear"), -EINVAL },
};

#undef W

static void cowlab_control_case_desc(const struct cowlab_control_case *c,
				     char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cowlab_control, cowlab_control_cases,
		  cowlab_control_case_desc);

static void cowlab_parse_control_input(struct kunit *test)
{
	const struct cowlab_control_case *c = test->param_value;
	pid_t tgid = -12345;
	char *buf;
	int ret;

	/* Exactly len bytes, so that KASAN sees any read past them. */
	buf = kunit_kmalloc(test, max_t(size_t, c->len, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, c->buf, c->len);
	ret = cowlab_parse_control(buf, c->len, &tgid);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "input \"%*pE\"", (int)c->len,
			    c->buf);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, tgid, c->tgid);
	else
		KUNIT_EXPECT_EQ_MSG(test, tgid, -12345,
				    "a failed parse wrote its result");
}

static struct kunit_case cowlab_control_test_cases[] = {
	KUNIT_CASE_PARAM(cowlab_parse_control_input,
			 cowlab_control_gen_params),
	{}
};

static struct kunit_suite cowlab_control_test_suite = {
	.name = "cowlab_control",
	.test_cases = cowlab_control_test_cases,
};

kunit_test_suite(cowlab_control_test_suite);

#endif /* COWLAB_DEBUGFS_KUNIT_H */
