// SPDX-License-Identifier: GPL-2.0
/* FAULT_FLAG_UNSHARE: unshare faults of maybe-shared anon pages (5.19). */
#include <linux/mm.h>

unsigned int cowlab_feature_test(void)
{
	return FAULT_FLAG_UNSHARE;
}
