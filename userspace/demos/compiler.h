/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's spellings, as in tools/include/linux/compiler.h */
#ifndef COWLAB_DEMO_COMPILER_H
#define COWLAB_DEMO_COMPILER_H

#define __printf(a, b)		__attribute__((__format__(__printf__, a, b)))
#define __noreturn		__attribute__((__noreturn__))
#define noinline		__attribute__((__noinline__))
#define BIT(nr)			(1U << (nr))
/* One real load or store: the access itself is what the demo is about. */
#define READ_ONCE(x)		(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile typeof(x) *)&(x) = (val))

#endif /* COWLAB_DEMO_COMPILER_H */
