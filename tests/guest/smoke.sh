#!/bin/sh
# Smoke check: load, show the probe table, fork-and-write once, show procs.
insmod /cowlab.ko || exit 1
cat /sys/kernel/debug/cowlab/probes
sh -c 'x=1; (x=2; echo child $$) ; echo parent' >/dev/null
cat /sys/kernel/debug/cowlab/procs
cat /sys/kernel/debug/cowlab/stats
rmmod cowlab
