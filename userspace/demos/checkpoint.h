/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A demo's steps as the course tells them, and the checkpoint after each:
 * the demo acts (memset, fork, a write), tells the model of every region
 * it follows what happened, and calls checkpoint(), which prints
 *   # step N NAME: SENTENCE
 *   # expect pid=... (one line per live process and region)
 *   # waiting        (--wait: then it blocks until stdin gives a line)
 * (README.md, "Output").  The top layer: it calls cli, region, peer and
 * model, and nothing calls it but the demos.
 */
#ifndef COWLAB_DEMO_CHECKPOINT_H
#define COWLAB_DEMO_CHECKPOINT_H

#include <stdbool.h>
#include <sys/types.h>

#include "compiler.h"
#include "model.h"
#include "peer.h"
#include "region.h"

/*
 * Map the region @name (env.pages pages) and follow it: every checkpoint
 * prints its "# expect" lines, in the order the regions were mapped (two
 * at the most).  Returns its model.
 */
struct model *demo_map(struct region *r, const char *name, bool shared);

/*
 * "# step N STEP: SENTENCE" (N counts from 0), the "# expect" lines of
 * every followed region, then the pause: with --wait, "# waiting" and a
 * blocking read of one stdin line; else a sleep of env.interval_ms
 * (pacing for people, never synchronisation).
 */
void checkpoint(const char *step, const char *fmt, ...) __printf(2, 3);

/* @who has just written (read) every page of every region: checkpoint(). */
void demo_wrote(enum demo_who who, const char *step, const char *fmt, ...)
	__printf(3, 4);
void demo_read(enum demo_who who, const char *step, const char *fmt, ...)
	__printf(3, 4);

/*
 * peer_fork(); in the parent, the child also in every model.  Returns 0
 * in the child, the child's pid in the parent.
 */
pid_t demo_fork(struct peer *child);

/* The child is gone (it exited, or exec'd): out of every model. */
void demo_child_gone(void);

/* Parent: peer_quit(), then demo_child_gone(). */
void demo_quit(struct peer *child);

/* Free the models.  Returns main()'s exit status: 0. */
int demo_end(void);

#endif /* COWLAB_DEMO_CHECKPOINT_H */
