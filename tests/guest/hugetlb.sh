#!/bin/sh
# Issue 16: hugetlb COW.  Reserves huge pages of the default size, runs
# hugetest (tests/guest/hugetest.c: huge_copy and huge_reuse against
# HugePages_Free), gives the pages back; no kernel report, clean unload.
. /guest/ktap.sh
rc=0

rmmod cowlab 2>/dev/null
if [ ! -w /proc/sys/vm/nr_hugepages ]; then
	echo "1..0 # SKIP no hugetlbfs in this kernel (no /proc/sys/vm/nr_hugepages)"
	exit 0
fi
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(ktap_dmesg_mark)
echo 8 >/proc/sys/vm/nr_hugepages
hugetest || rc=1
echo 0 >/proc/sys/vm/nr_hugepages

ktap_plan 2
ktap_no_reports "$before" "no kernel report"
ktap_unload "rmmod: cowlab unloads, its directory is gone"
ktap_finish || rc=1
exit $rc
