#!/bin/sh
# Issue 13, timeline and exposure, in the guest: a child's COW events over
# time since its fork (the timeline file) and what its fork shared and has
# cost since (procs' fork_shared, by_parent, by_self), THP off and on
# (timetest); then the kernel's log must be clean.
. /guest/ktap.sh
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
rc=0
mark=$(ktap_dmesg_mark)
timetest || rc=1
timetest --thp || rc=1
ktap_plan 2
ktap_no_reports "$mark" "timeline: no kernel report during timetest"
ktap_unload
ktap_finish || rc=1
exit $rc
