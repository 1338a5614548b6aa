/* SPDX-License-Identifier: GPL-2.0 */
/* help.c: the --help texts, cowlab's and each command's. */
#ifndef COWLAB_READER_HELP_H
#define COWLAB_READER_HELP_H

extern const char help_main[];
extern const char help_procs[];
extern const char help_top[];
extern const char help_vmas[];
extern const char help_diff[];
extern const char help_map[];
extern const char help_status[];
extern const char help_sites[];
extern const char help_timeline[];

#endif /* COWLAB_READER_HELP_H */
