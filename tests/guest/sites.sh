#!/bin/sh
# Issue 13, sites and symbols, in the guest: where each COW event came from
# (the sites file) and what the reader makes of it (cowlab sites), THP off
# and on (sitetest); then the kernel's log must be clean.  Recording is off
# after insmod and switched on through control, as a user would.
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
sites_on() { awk '$1 == "sites_on" { print $2 }' $D/stats; }
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
rc=0
mark=$(ktap_dmesg_mark)
at_load=$(sites_on)
echo 'sites maybe' > $D/control 2>/dev/null && bad=accepted || bad=refused
after_bad=$(sites_on)
echo 'sites on' > $D/control && after_on=$(sites_on)
sitetest || rc=1
sitetest --thp || rc=1
echo 'sites off' > $D/control && after_off=$(sites_on)
ktap_plan 5
ktap_check "sites: recording off after insmod (sites_on $at_load)" [ "$at_load" = 0 ]
ktap_check "sites: 'sites maybe' refused ($bad), nothing changed (sites_on $after_bad)" \
	[ "$bad" = refused -a "$after_bad" = 0 ]
ktap_check "sites: 'sites on' / 'sites off' switch it (sites_on $after_on, then $after_off)" \
	[ "$after_on" = 1 -a "$after_off" = 0 ]
ktap_no_reports "$mark" "sites: no kernel report during sitetest"
ktap_unload
ktap_finish || rc=1
exit $rc
