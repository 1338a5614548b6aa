#!/bin/sh
# Issue 16 in the guest: pages copied by fork itself, because the parent
# may have them pinned (pintest, tests/guest/pintest.c: io_uring fixed
# buffers, base pages and a THP, then unpinned), against the kernel's
# pagemap and kpagecount; then no kernel report, and a clean unload.
#
#   scripts/vm.sh -k 7.x /guest/pin.sh
. /guest/ktap.sh
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(ktap_dmesg_mark)
# Where fork's copy could be probed: copy_present_page() is inlined here
# if kallsyms does not list it (docs/debugfs.md, probes).
echo "# kallsyms: $(grep -oE ' (copy_present_pages?|copy_present_ptes?|copy_pte_range|copy_page_range)(\.[a-z.0-9]+)?$' /proc/kallsyms | tr -d ' ' | sort -u | tr '\n' ' ')"
pintest -n "${COWLAB_T_PIN_PAGES:-16}" || rc=1

ktap_plan 2
ktap_no_reports "$before" "no kernel report"
ktap_unload
ktap_finish || rc=1
exit $rc
