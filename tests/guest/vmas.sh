#!/bin/sh
# Issue "per-VMA counts" in the guest: exact vmas/pages figures against
# smaps, pagemap and /proc/kpagecount, THP off and on, the huge zero page
# written over (vmatest), then a 10,000-VMA, 1 GiB process killed in the
# middle of a read; then what a reader must never do (vmatest --rel): keep
# a killed process's memory, take unbounded time or output on a 64 TiB
# reservation, break when two writers and a reader share a descriptor.
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
rc=0
vmatest || rc=1
vmatest --big || rc=1
vmatest --rel || rc=1
rmmod cowlab || rc=1
exit $rc
