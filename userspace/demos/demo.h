/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every course demo includes.  The layers, each calling only those
 * below it:
 *   checkpoint.h  the steps and their "# step"/"# expect"/"# waiting" lines
 *   model.h       the copy-on-write model the "# expect" lines come from
 *   peer.h        parent and child: fork, commands over pipes, exec, reap
 *   region.h      the mapped region
 *   cli.h         options, --help, the banner, output and error exits
 *   thp.h         what this machine lets THP do (--huge)
 */
#ifndef COWLAB_DEMO_H
#define COWLAB_DEMO_H

#include "checkpoint.h"
#include "cli.h"
#include "model.h"
#include "peer.h"
#include "region.h"

#endif /* COWLAB_DEMO_H */
