// SPDX-License-Identifier: GPL-2.0
/* <linux/hex.h>, split out of kernel.h (7.x): hex_asc_lo() and friends. */
#include <linux/hex.h>

char cowlab_feature_test(unsigned int v)
{
	return hex_asc_lo(v);
}
