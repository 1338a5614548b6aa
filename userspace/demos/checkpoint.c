// SPDX-License-Identifier: GPL-2.0
/*
 * A demo's steps and checkpoints (checkpoint.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "thp.h"

/* The checkpoint line a harness compares with cowlab's vmas row */
#define EXPECT_FMT \
	"# expect pid=%d addr=%lx-%lx cow_copy=+%lu cow_zero=+%lu wp_reuse=+%lu resident=%lu shared=%lu exclusive=%lu zero=%lu copied=%lu"
/* ... and with --huge, the THP events of the process (procs) */
#define EXPECT_THP_FMT	" thp_reuse=+%lu thp_split=+%lu thp_zero=+%lu"

#define MAX_REGIONS	2

static struct {
	const struct region *r;
	struct model *m;
} followed[MAX_REGIONS];
static unsigned int nr_followed;
static unsigned int step_nr;
static bool stdin_eof;

struct model *demo_map(struct region *r, const char *name, bool shared)
{
	struct model *m;

	if (nr_followed == MAX_REGIONS)
		demo_die("internal: more than %d regions", MAX_REGIONS);
	region_map(r, name, env.pages, shared);
	m = model_new(r, r->huge ? thp_rules() : NULL, getpid());
	followed[nr_followed].r = r;
	followed[nr_followed].m = m;
	nr_followed++;
	return m;
}

/* The "# expect" lines of one region, then the THP note if one is due. */
static void expect(const struct region *r, struct model *m)
{
	struct model_view v;
	unsigned long long missed;
	int w;

	for (w = 0; w < WHO_NR; w++) {
		if (!model_take(m, w, &v))
			continue;
		if (!r->huge)
			demo_say(EXPECT_FMT, v.pid, (unsigned long)r->start,
				 (unsigned long)(r->start + r->len),
				 v.ev[EV_COW_COPY], v.ev[EV_COW_ZERO],
				 v.ev[EV_WP_REUSE], v.resident, v.shared,
				 v.exclusive, v.zero, v.copied);
		else if (!thp_why_not())
			demo_say(EXPECT_FMT EXPECT_THP_FMT, v.pid,
				 (unsigned long)r->start,
				 (unsigned long)(r->start + r->len),
				 v.ev[EV_COW_COPY], v.ev[EV_COW_ZERO],
				 v.ev[EV_WP_REUSE], v.resident, v.shared,
				 v.exclusive, v.zero, v.copied,
				 v.ev[EV_THP_REUSE], v.ev[EV_THP_SPLIT],
				 v.ev[EV_THP_ZERO]);
	}
	/*
	 * THPs installed since that no fault of the region's model took
	 * were elsewhere (or the model missed them: the expectations then
	 * show it). Say so; the model starts again from here.
	 */
	if (r->huge && !thp_why_not()) {
		missed = model_thp_resync(m);
		if (missed)
			demo_say("# note: %llu THP(s) installed that the model of %s did not expect",
				 missed, r->name);
	}
}

static void read_line(void)
{
	ssize_t n;
	char c;

	while (!stdin_eof) {
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			demo_die_errno("read stdin");
		}
		if (n == 0) {
			/* nobody will answer: run the rest without pausing */
			stdin_eof = true;
			fprintf(stderr, "%s: end of stdin, no more pauses\n",
				demo_name());
		} else if (c == '\n') {
			return;
		}
	}
}

static void pause_here(void)
{
	struct timespec ts;

	if (env.wait && !stdin_eof) {
		demo_say("# waiting");
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "(press Enter to go on) ");
		read_line();
		return;
	}
	if (env.interval_ms <= 0)
		return;
	ts.tv_sec = env.interval_ms / 1000;
	ts.tv_nsec = (env.interval_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void vcheckpoint(const char *step, const char *fmt, va_list ap)
	__printf(2, 0);

static void vcheckpoint(const char *step, const char *fmt, va_list ap)
{
	char buf[768];
	unsigned int i;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	demo_say("# step %u %s: %s", step_nr++, step, buf);
	for (i = 0; i < nr_followed; i++)
		expect(followed[i].r, followed[i].m);
	pause_here();
}

void checkpoint(const char *step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcheckpoint(step, fmt, ap);
	va_end(ap);
}

/* @fn (model_write_range, model_read_range): every page of every region. */
static void every_page(enum demo_event (*fn)(struct model *m,
					      enum demo_who who,
					      unsigned long first,
					      unsigned long n),
		       enum demo_who who)
{
	unsigned int i;

	for (i = 0; i < nr_followed; i++)
		fn(followed[i].m, who, 0, followed[i].r->pages);
}

void demo_wrote(enum demo_who who, const char *step, const char *fmt, ...)
{
	va_list ap;

	every_page(model_write_range, who);
	va_start(ap, fmt);
	vcheckpoint(step, fmt, ap);
	va_end(ap);
}

void demo_read(enum demo_who who, const char *step, const char *fmt, ...)
{
	va_list ap;

	every_page(model_read_range, who);
	va_start(ap, fmt);
	vcheckpoint(step, fmt, ap);
	va_end(ap);
}

pid_t demo_fork(struct peer *child)
{
	pid_t pid = peer_fork(child);
	unsigned int i;

	for (i = 0; pid && i < nr_followed; i++)
		model_fork(followed[i].m, pid);
	return pid;
}

void demo_child_gone(void)
{
	unsigned int i;

	for (i = 0; i < nr_followed; i++)
		model_exit(followed[i].m, WHO_CHILD);
}

void demo_quit(struct peer *child)
{
	peer_quit(child);
	demo_child_gone();
}

int demo_end(void)
{
	while (nr_followed)
		model_free(followed[--nr_followed].m);
	return 0;
}
