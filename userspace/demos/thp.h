/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this machine lets transparent huge pages do to a MADV_HUGEPAGE
 * region (--huge), read from sysfs and /proc/vmstat: the settings, and
 * the kernel's count of THPs installed by faults, which the model asks at
 * every fault that could have taken one.  Settings are the machine's, not
 * a kernel version's.
 */
#ifndef COWLAB_DEMO_THP_H
#define COWLAB_DEMO_THP_H

#include <stdbool.h>

/* What the model (model.h) may ask about THP. */
struct thp_rules {
	bool pmd;		/* 2 MiB THPs may back a MADV_HUGEPAGE region */
	bool huge_zero;		/* read faults map the huge zero page */
	/* THPs installed by faults so far (thp_fault_alloc); false: unknown */
	bool (*fault_allocs)(unsigned long long *count);
};

/* NULL if the model can follow THP here, else why not. */
const char *thp_why_not(void);

/* This machine's rules. */
const struct thp_rules *thp_rules(void);

#endif /* COWLAB_DEMO_THP_H */
