#!/bin/sh
# Issue 16: COW of multi-size THPs (mTHP, 6.8+), mthptest
# (tests/guest/mthptest.c): one folio size enabled at a time, PMD-sized
# THP off and on; a fork, the child's writes and the parent's after the
# child exits, against delay accounting's wpcopy_count, minflt,
# kpageflags, kpagecount and the size's stats.  mthptest puts the THP
# sysfs modes back.  Then no kernel report, and a clean unload.  On 5.10
# and 6.1 (no hugepages-<size>kB files) mthptest skips its cases.
#
#   scripts/vm.sh -k 6.12 -t 600 -- sh /guest/mthp.sh
. /guest/ktap.sh
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(ktap_dmesg_mark)
mthptest -p "${COWLAB_T_MTHP_PAGES:-256}" -k "${COWLAB_T_MTHP_WRITES:-32}" || rc=1

ktap_plan 2
ktap_no_reports "$before" "no kernel report"
ktap_unload
ktap_finish || rc=1
exit $rc
