#!/bin/sh
# Issue 12, bad input: cowlab's writable files fuzzed (fuzz: random writes
# from several threads, each checked against docs/debugfs.md, reads of
# every file between them), then every file as an unprivileged user
# (unpriv: EACCES), then no kernel report and a clean unload.
#
#   COWLAB_T_FUZZ_ITERS  writes (default 100000)
#   COWLAB_T_FUZZ_SEED   the seed (default fixed; printed)
. /guest/ktap.sh
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(ktap_dmesg_mark)
fuzz || rc=1
unpriv || rc=1

ktap_plan 2
# What the kernel said meanwhile: no report of any kind.
ktap_no_reports "$before" "no kernel report while fuzzing"
ktap_unload "rmmod after the fuzzing: cowlab unloads, its directory is gone"
ktap_finish || rc=1
exit $rc
