#!/bin/sh
# Issue 12, bad input: cowlab's writable files fuzzed (fuzz: random writes
# from several threads, each checked against docs/debugfs.md, reads of
# every file between them), then every file as an unprivileged user
# (unpriv: EACCES), then no kernel report and a clean unload.
#
#   COWLAB_T_FUZZ_ITERS  writes (default 100000)
#   COWLAB_T_FUZZ_SEED   the seed (default fixed; printed)
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
rc=0

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
before=$(dmesg | wc -l)
fuzz || rc=1
unpriv || rc=1

ktap_plan 2
# What the kernel said meanwhile: no report of any kind.
dmesg | tail -n +$((before + 1)) >/tmp/fuzz.dmesg
if grep -qE 'BUG|WARNING|Oops|general protection|KASAN|UBSAN|lockdep|possible recursive|circular locking|kmemleak|Call Trace' /tmp/fuzz.dmesg; then
	sed 's/^/# /' /tmp/fuzz.dmesg | head -n 60
	ktap_not_ok "no kernel report while fuzzing"
else
	ktap_ok "no kernel report while fuzzing ($(wc -l </tmp/fuzz.dmesg) lines of dmesg)"
fi
if rmmod cowlab && [ ! -d $D ]; then
	ktap_ok "rmmod after the fuzzing: cowlab unloads, its directory is gone"
else
	ktap_not_ok "rmmod after the fuzzing: cowlab unloads, its directory is gone"
fi
ktap_finish || rc=1
exit $rc
