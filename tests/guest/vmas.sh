#!/bin/sh
# Issue "per-VMA counts" in the guest: exact vmas/pages figures against
# smaps and pagemap (vmatest), then a 10,000-VMA, 1 GiB process.
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
rc=0
vmatest || rc=1
vmatest --big || rc=1
rmmod cowlab || rc=1
exit $rc
