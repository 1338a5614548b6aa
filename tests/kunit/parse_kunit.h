/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/parse.c: what is written to the control file
 * ("reset", "reset PID", "sites on", "sites off") and to the vmas, pages,
 * sites and timeline files (a pid), as
 * docs/debugfs.md says: one trailing newline optional, anything else
 * -EINVAL.  Included at the end of parse.c when built with
 * CONFIG_COWLAB_KUNIT_TEST=y.
 */
#ifndef COWLAB_PARSE_KUNIT_H
#define COWLAB_PARSE_KUNIT_H

#include <kunit/test.h>

/* A written string, with its length: embedded NULs count. */
#define W(s)	.buf = (s), .len = sizeof(s) - 1

/* What a write of @len bytes of @buf parses to. */
struct cowlab_parse_case {
	const char *desc;
	const char *buf;
	size_t len;		/* bytes of buf written, NULs included */
	int ret;
	pid_t pid;		/* when ret is 0 */
};

typedef int (*cowlab_parse_fn)(const char *buf, size_t len, pid_t *nr);

/*
 * Parse @c's write with @parse: its result, and on failure nothing written
 * to the pid.
 */
static void cowlab_kunit_parse(struct kunit *test,
			       const struct cowlab_parse_case *c,
			       cowlab_parse_fn parse)
{
	pid_t pid = -12345;
	char *buf;
	int ret;

	/* Exactly len bytes, so that KASAN sees any read past them. */
	buf = kunit_kmalloc(test, max_t(size_t, c->len, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, c->buf, c->len);
	ret = parse(buf, c->len, &pid);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "input \"%*pE\"", (int)c->len,
			    c->buf);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, pid, c->pid);
	else
		KUNIT_EXPECT_EQ_MSG(test, pid, -12345,
				    "a failed parse wrote its result");
}

static void cowlab_parse_case_desc(const struct cowlab_parse_case *c,
				   char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

/* ---- control ---- */

static const struct cowlab_parse_case cowlab_control_cases[] = {
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
	{ "sites on", W("sites on"), COWLAB_CTL_SITES_ON },
	{ "sites on newline", W("sites on\n"), COWLAB_CTL_SITES_ON },
	{ "sites off", W("sites off"), COWLAB_CTL_SITES_OFF },
	{ "sites off newline", W("sites off\n"), COWLAB_CTL_SITES_OFF },
	{ "sites alone", W("sites"), -EINVAL },
	{ "sites with a pid", W("sites 1"), -EINVAL },
	{ "sites on with a pid", W("sites on 1"), -EINVAL },
	{ "sites two spaces", W("sites  on"), -EINVAL },
	{ "sites trailing space", W("sites on "), -EINVAL },
	{ "sites upper case", W("SITES ON"), -EINVAL },
	{ "sites yes", W("sites yes"), -EINVAL },
	{ "sites NUL", W("sites on\0"), -EINVAL },
};

KUNIT_ARRAY_PARAM(cowlab_control, cowlab_control_cases,
		  cowlab_parse_case_desc);

static void cowlab_parse_control_input(struct kunit *test)
{
	cowlab_kunit_parse(test, test->param_value, cowlab_parse_control);
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

/* ---- vmas and pages: a pid ---- */

static const struct cowlab_parse_case cowlab_pid_cases[] = {
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

KUNIT_ARRAY_PARAM(cowlab_pid, cowlab_pid_cases, cowlab_parse_case_desc);

static void cowlab_parse_pid_input(struct kunit *test)
{
	cowlab_kunit_parse(test, test->param_value, cowlab_parse_pid);
}

static struct kunit_case cowlab_pid_test_cases[] = {
	KUNIT_CASE_PARAM(cowlab_parse_pid_input, cowlab_pid_gen_params),
	{}
};

static struct kunit_suite cowlab_pid_test_suite = {
	.name = "cowlab_pid",
	.test_cases = cowlab_pid_test_cases,
};

kunit_test_suites(&cowlab_control_test_suite, &cowlab_pid_test_suite);

#undef W

#endif /* COWLAB_PARSE_KUNIT_H */
