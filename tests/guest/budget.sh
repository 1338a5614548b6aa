#!/bin/sh
# Issue 12, review item 5: the page records' budget.  cowlab loaded with
# room for 64 blocks of records, 16 per user; budget (tests/guest/budget.c)
# checks that one user's processes cannot take another's records and that
# blocks emptied by unmaps are freed; then no kernel report, clean unload.
. /guest/ktap.sh
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko max_pages=32768 max_pages_per_user=8192 ||
	{ echo "not ok - insmod cowlab.ko max_pages=32768 max_pages_per_user=8192"; exit 1; }
before=$(ktap_dmesg_mark)
budget || rc=1

ktap_plan 3
ktap_no_reports "$before" "no kernel report"
ktap_unload "rmmod: cowlab unloads, its directory is gone"
if ! out=$(insmod /cowlab.ko max_pages=1024 max_pages_per_user=2048 2>&1) &&
   dmesg | tail -n 3 | grep -q 'max_pages_per_user=2048 above max_pages=1024'; then
	ktap_ok "insmod with max_pages_per_user above max_pages refused, dmesg says why"
else
	ktap_not_ok "insmod with max_pages_per_user above max_pages refused, dmesg says why ($out)"
	rmmod cowlab 2>/dev/null
fi
ktap_finish || rc=1
exit $rc
