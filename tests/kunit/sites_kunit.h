/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for module/sites.c: a process's table of COW-break sites,
 * as docs/debugfs.md ("sites") describes it: one row per (address, class),
 * an address that finds its 16 slots taken replaces the smallest, whose
 * count goes to `other`, 4 task rows, exec folds the addresses into
 * `other`, and the rows always add up to the events noted.  Included at
 * the end of sites.c when built with CONFIG_COWLAB_KUNIT_TEST=y.
 *
 * Each test makes a set of its own, with tgids no process has (above
 * PID_MAX_LIMIT), and never touches the module's.
 */
#ifndef COWLAB_SITES_KUNIT_H
#define COWLAB_SITES_KUNIT_H

#include <kunit/test.h>
#include <linux/threads.h>

#define COWLAB_SITES_KUNIT_TGID	(PID_MAX_LIMIT + 7)

struct cowlab_sites_kunit {
	struct cowlab_siteset *ss;
	struct cowlab_sites *st;
	struct cowlab_site_row rows[COWLAB_SITE_LINES];
	bool sites_were_on;		/* the switch, before the test */
};

static int cowlab_sites_kunit_init(struct kunit *test)
{
	struct cowlab_sites_kunit *k;

	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	test->priv = k;
	/* Recording on, as a user switches it (off by default). */
	k->sites_were_on = cowlab_sites_switch(true);
	k->ss = cowlab_siteset_create();
	if (IS_ERR(k->ss))
		return PTR_ERR(k->ss);
	rcu_read_lock();
	k->st = cowlab_sites_of(k->ss, COWLAB_SITES_KUNIT_TGID);
	rcu_read_unlock();
	return k->st ? 0 : -ENOMEM;
}

static void cowlab_sites_kunit_exit(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;

	if (!k)
		return;
	if (!IS_ERR(k->ss))
		cowlab_siteset_destroy(k->ss);
	cowlab_sites_switch(k->sites_were_on);
}

/* The rows of the test's table, their number returned; sums in @sum. */
static int cowlab_sites_kunit_snap(struct kunit *test, u64 *sum)
{
	struct cowlab_sites_kunit *k = test->priv;
	int i, n = cowlab_sites_snap(k->ss, COWLAB_SITES_KUNIT_TGID, k->rows);

	KUNIT_ASSERT_GE(test, n, 0);
	*sum = 0;
	for (i = 0; i < n; i++)
		*sum += k->rows[i].count;
	return n;
}

/* One row per (address, class), largest count first; other last. */
static void cowlab_sites_rows_per_address_and_class(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	struct cowlab_site_row *r = k->rows;
	u64 sum;
	int i, n;

	for (i = 0; i < 3; i++)
		cowlab_sites_add_ip(k->st, 0x401a2b, COWLAB_EV_COW_COPY, 1);
	cowlab_sites_add_ip(k->st, 0x401a2b, COWLAB_EV_COW_ZERO, 1);
	for (i = 0; i < 5; i++)
		cowlab_sites_add_ip(k->st, 0x7f3a5c0e1f60, COWLAB_EV_COW_COPY, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, sum, 9);
	KUNIT_EXPECT_EQ(test, r[0].kind, COWLAB_SITE_ADDR);
	KUNIT_EXPECT_EQ(test, r[0].ip, 0x7f3a5c0e1f60UL);
	KUNIT_EXPECT_EQ(test, r[0].ev, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, r[0].count, 5);
	KUNIT_EXPECT_EQ(test, r[1].ip, 0x401a2bUL);
	KUNIT_EXPECT_EQ(test, r[1].ev, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, r[1].count, 3);
	KUNIT_EXPECT_EQ(test, r[2].ip, 0x401a2bUL);
	KUNIT_EXPECT_EQ(test, r[2].ev, COWLAB_EV_COW_ZERO);
	KUNIT_EXPECT_EQ(test, r[2].count, 1);
}

/*
 * 17 addresses whose keys hash to one slot: 16 get the slots from it on,
 * the 17th none of its 16 (all taken): `other`.
 */
static void cowlab_sites_full_probe_replaces_smallest(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	unsigned long ip, ips[COWLAB_SITES_PROBES + 1];
	unsigned int h0 = hash_64(COWLAB_SITE_KEY(0x1000, COWLAB_EV_COW_COPY),
				  COWLAB_SITES_BITS);
	unsigned int found = 0;
	u64 sum;
	int i, n;

	for (ip = 0x1000; found < ARRAY_SIZE(ips) && ip < 0x1000000; ip++)
		if (hash_64(COWLAB_SITE_KEY(ip, COWLAB_EV_COW_COPY),
			    COWLAB_SITES_BITS) == h0)
			ips[found++] = ip;
	KUNIT_ASSERT_EQ(test, found, ARRAY_SIZE(ips));
	/* 16 fill the slots, the first one twice: the 17th replaces another. */
	cowlab_sites_add_ip(k->st, ips[0], COWLAB_EV_COW_COPY, 1);
	for (i = 0; i < ARRAY_SIZE(ips); i++)
		cowlab_sites_add_ip(k->st, ips[i], COWLAB_EV_COW_COPY, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_EXPECT_EQ(test, n, COWLAB_SITES_PROBES + 1);
	KUNIT_EXPECT_EQ(test, sum, COWLAB_SITES_PROBES + 2);
	KUNIT_EXPECT_EQ(test, k->rows[0].kind, COWLAB_SITE_ADDR);
	KUNIT_EXPECT_EQ(test, k->rows[0].ip, ips[0]);
	KUNIT_EXPECT_EQ(test, k->rows[0].count, 2);
	for (i = 1; i < n - 1; i++) {
		KUNIT_EXPECT_EQ(test, k->rows[i].kind, COWLAB_SITE_ADDR);
		KUNIT_EXPECT_EQ(test, k->rows[i].count, 1);
	}
	/* The replaced one's count is in other; the newcomer has a row. */
	KUNIT_EXPECT_EQ(test, k->rows[n - 1].kind, COWLAB_SITE_OTHER);
	KUNIT_EXPECT_EQ(test, k->rows[n - 1].ev, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, k->rows[n - 1].count, 1);
	for (i = 0; i < n - 1; i++)
		if (k->rows[i].ip == ips[COWLAB_SITES_PROBES])
			break;
	KUNIT_EXPECT_LT(test, i, n - 1);
	/* The busiest is never the one replaced: ips[0] keeps its row. */
	for (i = 1; i < ARRAY_SIZE(ips); i++)
		cowlab_sites_add_ip(k->st, ips[i], COWLAB_EV_COW_COPY, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_EXPECT_EQ(test, sum, 2 * COWLAB_SITES_PROBES + 2);
	for (i = 0; i < n - 1; i++)
		if (k->rows[i].ip == ips[0])
			break;
	KUNIT_EXPECT_LT(test, i, n - 1);
	KUNIT_EXPECT_EQ(test, k->rows[i].count, 2);
}

/* 300 addresses: at most 64 rows, and rows + other = 300 exactly. */
static void cowlab_sites_many_addresses_add_up(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	unsigned int i, addr_rows = 0;
	u64 sum, other = 0;
	int n;

	for (i = 0; i < 300; i++)
		cowlab_sites_add_ip(k->st, 0x400000 + 4 * i, COWLAB_EV_COW_ZERO, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	for (i = 0; i < n; i++) {
		if (k->rows[i].kind == COWLAB_SITE_ADDR)
			addr_rows++;
		else
			other += k->rows[i].count;
	}
	KUNIT_EXPECT_EQ(test, sum, 300);
	KUNIT_EXPECT_LE(test, addr_rows, COWLAB_SITES_ROWS);
	KUNIT_EXPECT_GE(test, addr_rows, COWLAB_SITES_PROBES);
	KUNIT_EXPECT_EQ(test, other, 300 - addr_rows);
}

/* A fake task named @comm. */
static struct task_struct *cowlab_sites_kunit_task(struct kunit *test,
						   const char *comm)
{
	struct task_struct *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	strscpy(t->comm, comm, sizeof(t->comm));
	return t;
}

/*
 * Task rows: one per (comm, class), spaces and unprintables as '_', an
 * empty comm as '?'; a fifth finds none free and goes to other.
 */
static void cowlab_sites_task_rows(struct kunit *test)
{
	static const char *const comms[] = {
		"gdb", "my worker", "ksmd", "", "fifth",
	};
	struct cowlab_sites_kunit *k = test->priv;
	struct cowlab_site_row *r = k->rows;
	u64 sum;
	int i, n;

	for (i = 0; i < ARRAY_SIZE(comms); i++)
		cowlab_sites_add_task(k->st,
				      cowlab_sites_kunit_task(test, comms[i]),
				      COWLAB_EV_COW_COPY, 1);
	cowlab_sites_add_task(k->st, cowlab_sites_kunit_task(test, "gdb"),
			      COWLAB_EV_COW_COPY, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_ASSERT_EQ(test, n, 5);
	KUNIT_EXPECT_EQ(test, sum, 6);
	KUNIT_EXPECT_EQ(test, r[0].kind, COWLAB_SITE_TASK);
	KUNIT_EXPECT_STREQ(test, r[0].comm, "gdb");
	KUNIT_EXPECT_EQ(test, r[0].count, 2);
	KUNIT_EXPECT_STREQ(test, r[1].comm, "my_worker");
	KUNIT_EXPECT_STREQ(test, r[2].comm, "ksmd");
	KUNIT_EXPECT_STREQ(test, r[3].comm, "?");
	KUNIT_EXPECT_EQ(test, r[3].count, 1);
	KUNIT_EXPECT_EQ(test, r[4].kind, COWLAB_SITE_OTHER);
	KUNIT_EXPECT_EQ(test, r[4].count, 1);
}

/* exec: addresses go to other by class; task rows stay; sums unchanged. */
static void cowlab_sites_exec_folds_addresses(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	struct cowlab_site_row *r = k->rows;
	u64 sum;
	int n;

	cowlab_sites_add_ip(k->st, 0x401000, COWLAB_EV_COW_COPY, 1);
	cowlab_sites_add_ip(k->st, 0x402000, COWLAB_EV_COW_COPY, 1);
	cowlab_sites_add_ip(k->st, 0x401000, COWLAB_EV_WP_REUSE, 1);
	cowlab_sites_add_task(k->st, cowlab_sites_kunit_task(test, "gdb"),
			      COWLAB_EV_COW_COPY, 1);
	cowlab_sites_exec(k->ss, COWLAB_SITES_KUNIT_TGID);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, sum, 4);
	KUNIT_EXPECT_EQ(test, r[0].kind, COWLAB_SITE_TASK);
	KUNIT_EXPECT_EQ(test, r[1].kind, COWLAB_SITE_OTHER);
	KUNIT_EXPECT_EQ(test, r[1].ev, COWLAB_EV_COW_COPY);
	KUNIT_EXPECT_EQ(test, r[1].count, 2);
	KUNIT_EXPECT_EQ(test, r[2].kind, COWLAB_SITE_OTHER);
	KUNIT_EXPECT_EQ(test, r[2].ev, COWLAB_EV_WP_REUSE);
	KUNIT_EXPECT_EQ(test, r[2].count, 1);
	/* The freed slots take new addresses after the exec. */
	cowlab_sites_add_ip(k->st, 0x401000, COWLAB_EV_COW_COPY, 1);
	n = cowlab_sites_kunit_snap(test, &sum);
	KUNIT_EXPECT_EQ(test, n, 4);
	KUNIT_EXPECT_EQ(test, r[0].kind, COWLAB_SITE_ADDR);
	KUNIT_EXPECT_EQ(test, r[0].count, 1);
}

/*
 * A table's accounting: its size, the kmalloc cache's size as allocated
 * (1,024 bytes without lock debugging); forgetting it makes snap -ENOENT
 * and the totals go down.
 */
static void cowlab_sites_table_memory_and_forget(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	struct cowlab_sites_totals t;

	cowlab_sites_totals(k->ss, &t);
	KUNIT_EXPECT_EQ(test, t.tables, 1);
	KUNIT_EXPECT_EQ(test, t.table_bytes, sizeof(struct cowlab_sites));
	KUNIT_EXPECT_EQ(test, t.memory_bytes,
			roundup_pow_of_two(sizeof(struct cowlab_sites)));
	KUNIT_EXPECT_EQ(test, t.dropped, 0);
	KUNIT_EXPECT_TRUE(test, cowlab_sites_kept(k->ss,
						  COWLAB_SITES_KUNIT_TGID));
	cowlab_sites_forget(k->ss, COWLAB_SITES_KUNIT_TGID);
	KUNIT_EXPECT_EQ(test, cowlab_sites_snap(k->ss, COWLAB_SITES_KUNIT_TGID,
						k->rows), -ENOENT);
	KUNIT_EXPECT_FALSE(test, cowlab_sites_kept(k->ss,
						   COWLAB_SITES_KUNIT_TGID));
	cowlab_sites_totals(k->ss, &t);
	KUNIT_EXPECT_EQ(test, t.tables, 0);
	KUNIT_EXPECT_EQ(test, t.memory_bytes, 0);
	/* A NULL set records nothing and forgets nothing. */
	cowlab_sites_note(NULL, COWLAB_SITES_KUNIT_TGID, NULL,
			  COWLAB_EV_COW_COPY, 1);
	cowlab_sites_forget(NULL, COWLAB_SITES_KUNIT_TGID);
}

/*
 * cowlab_sites_note() from this KUnit thread, a kernel thread whose mm is
 * not the one that faulted: a task row named after it, in a table made
 * at the first event.
 */
static void cowlab_sites_note_by_another_task(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	pid_t tgid = COWLAB_SITES_KUNIT_TGID + 1;
	struct mm_struct *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	char comm[TASK_COMM_LEN];
	int n;

	KUNIT_ASSERT_NOT_NULL(test, mm);

	cowlab_sites_note(k->ss, tgid, mm, COWLAB_EV_UNSHARE, 1);
	cowlab_sites_note(k->ss, tgid, mm, COWLAB_EV_UNSHARE, 2);
	n = cowlab_sites_snap(k->ss, tgid, k->rows);
	KUNIT_ASSERT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, k->rows[0].kind, COWLAB_SITE_TASK);
	KUNIT_EXPECT_EQ(test, k->rows[0].ev, COWLAB_EV_UNSHARE);
	KUNIT_EXPECT_EQ(test, k->rows[0].count, 3);
	get_task_comm(comm, current);
	KUNIT_EXPECT_STREQ(test, k->rows[0].comm, comm);
}

/* Recording off (the default): no table is made, nothing counted. */
static void cowlab_sites_note_when_off(struct kunit *test)
{
	struct cowlab_sites_kunit *k = test->priv;
	pid_t tgid = COWLAB_SITES_KUNIT_TGID + 2;
	struct cowlab_sites_totals t;

	KUNIT_EXPECT_TRUE(test, cowlab_sites_switch(false));
	cowlab_sites_note(k->ss, tgid, current->mm, COWLAB_EV_COW_COPY, 1);
	KUNIT_EXPECT_FALSE(test, cowlab_sites_kept(k->ss, tgid));
	cowlab_sites_totals(k->ss, &t);
	KUNIT_EXPECT_FALSE(test, t.on);
	KUNIT_EXPECT_EQ(test, t.tables, 1);	/* the init's own */
	KUNIT_EXPECT_FALSE(test, cowlab_sites_switch(true));
}

static struct kunit_case cowlab_sites_test_cases[] = {
	KUNIT_CASE(cowlab_sites_rows_per_address_and_class),
	KUNIT_CASE(cowlab_sites_full_probe_replaces_smallest),
	KUNIT_CASE(cowlab_sites_many_addresses_add_up),
	KUNIT_CASE(cowlab_sites_task_rows),
	KUNIT_CASE(cowlab_sites_exec_folds_addresses),
	KUNIT_CASE(cowlab_sites_table_memory_and_forget),
	KUNIT_CASE(cowlab_sites_note_by_another_task),
	KUNIT_CASE(cowlab_sites_note_when_off),
	{}
};

static struct kunit_suite cowlab_sites_test_suite = {
	.name = "cowlab_sites",
	.init = cowlab_sites_kunit_init,
	.exit = cowlab_sites_kunit_exit,
	.test_cases = cowlab_sites_test_cases,
};

kunit_test_suite(cowlab_sites_test_suite);

#endif /* COWLAB_SITES_KUNIT_H */
