/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commands that main.c dispatches to, one file each: procs_show.c,
 * top.c, vmas.c, diff.c, map.c, status.c, sites.c, timeline.c. Each takes the
 * arguments left after the options (env holds those) and returns an exit code.
 */
#ifndef COWLAB_READER_CMDS_H
#define COWLAB_READER_CMDS_H

int cmd_procs(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_vmas(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sites(int argc, char **argv);
int cmd_timeline(int argc, char **argv);

#endif /* COWLAB_READER_CMDS_H */
