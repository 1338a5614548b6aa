#!/usr/bin/env bash
# Read a guest console log on stdin; print the kernel reports that fail a
# run (BUG, WARNING, Oops, general protection, lockdep, KASAN, UBSAN,
# kmemleak, soft/hard lockups, RCU stalls, panics).  Exit 0 if there were
# any, 1 if none.  Only kernel lines count: they start with a printk
# timestamp "[    1.234567]", which the guest's own output never does.
# The debug kernel's boot banner "RCU lockdep checking is enabled." is no
# report.
grep -E '^\[ *[0-9]+\.[0-9]+\] .*(BUG:|WARNING:|Oops|general protection|possible circular locking|possible recursive locking|inconsistent lock state|lockdep|KASAN|UBSAN|unreferenced object|soft lockup|hard LOCKUP|rcu_sched self-detected|rcu: INFO|Kernel panic|Call Trace)' |
	grep -v '\] rcu:[[:space:]]*RCU lockdep checking is enabled\.$'
