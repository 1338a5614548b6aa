#!/bin/sh
# Issue 16 in the guest: the COW paths that are not an anonymous page
# copied by do_wp_page() (pathtest, tests/guest/pathtest.c): a private
# file mapping written first (file_copy) or read first (cow_copy), a
# shared one written (no COW), on tmpfs (/tmp) and on ramfs; a KSM page
# written (cow_ksm) and KSM pages unmerged.  Each against the kernel's
# own witnesses (smaps, pagemap, kpageflags, /proc/vmstat cow_ksm,
# wpcopy_count).  Then no kernel report, and a clean unload.
#
# The guest has no block device, and its kernels build ext4 and the like
# as modules that the initramfs does not hold: ramfs is the one other
# filesystem here, a page cache that is not shmem.
#
#   scripts/vm.sh -k 7.x /guest/paths.sh
. /guest/ktap.sh
R=/tmp/paths-ramfs
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(ktap_dmesg_mark)
dirs=/tmp
mkdir -p $R
if mount -t ramfs ramfs $R; then
	dirs="$dirs $R"
else
	echo "# no ramfs: the file cases run on tmpfs only"
fi
pathtest -k "${COWLAB_T_PATHS_PAGES:-16}" -m "${COWLAB_T_PATHS_KSM:-32}" $dirs || rc=1
grep -qs " $R " /proc/mounts && umount $R

ktap_plan 3
ktap_no_reports "$before" "no kernel report"
# KSM as pathtest found it: not running, nothing merged.
ksm=/sys/kernel/mm/ksm
if [ ! -e $ksm/run ] ||
   [ "$(cat $ksm/run) $(cat $ksm/pages_shared) $(cat $ksm/pages_sharing)" = "0 0 0" ]; then
	ktap_ok "KSM stopped again, nothing merged"
else
	ktap_not_ok "KSM stopped again, nothing merged (run $(cat $ksm/run), pages_shared $(cat $ksm/pages_shared), pages_sharing $(cat $ksm/pages_sharing))"
fi
ktap_unload
ktap_finish || rc=1
exit $rc
