/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procs_order.c: the order in which the procs table is shown: sorted by
 * env.sort, as a tree of parents and children, only env.pid's family.
 */
#ifndef COWLAB_READER_PROCS_ORDER_H
#define COWLAB_READER_PROCS_ORDER_H

#include "procs.h"

struct order {
	size_t *idx;			/* entries in display order */
	int *depth;			/* tree depth of each, 0 if flat */
	size_t n;
};

/*
 * 0; -EINVAL (a usage error: --sort names a class @ps does not have) or
 * -ENOMEM, after saying so.
 */
int procs_order(const struct procs *ps, bool tree, struct order *o);
void order_free(struct order *o);

#endif /* COWLAB_READER_PROCS_ORDER_H */
