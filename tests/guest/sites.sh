#!/bin/sh
# Issue 13, sites and symbols, in the guest: where each COW event came from
# (the sites file) and what the reader makes of it (cowlab sites), THP off
# and on (sitetest); then the kernel's log must be clean.
. /guest/ktap.sh
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
rc=0
mark=$(ktap_dmesg_mark)
sitetest || rc=1
sitetest --thp || rc=1
ktap_plan 2
ktap_no_reports "$mark" "sites: no kernel report during sitetest"
ktap_unload
ktap_finish || rc=1
exit $rc
