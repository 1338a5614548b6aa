#!/bin/sh
# The non-interactive tour that `make demo` shows: the lab shell's commands
# (userspace/lab/lab.sh, what `make lab` offers), typed one after the other
# as a student would, with a line on what to look at before each group.
# Deterministic: cow pauses at each checkpoint (--wait) and is moved on a
# fixed number of steps; p and nofork never change their region once
# `X run` has returned (after their first iteration).  Ends with every demo
# stopped and cowlab unloaded.  Exit status 1 if any command failed.
. /guest/lab.sh
rc=0

# say TEXT: what the next commands show.
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# lab COMMAND [ARGS]: run a lab command as if typed at the lab prompt.
lab() {
	printf '\n\033[1mlab# %s\033[0m\n' "$*"
	"$@" || { echo "(failed: $*)"; rc=1; }
}

say "p: fill 10 MiB, fork, then parent and child only read it"
lab p run
say "reading never copies: all 2560 pages shared by both, COPIED 0"
lab show p-heap

say "cow: the same, but the child writes: paused at each step, 7 steps on"
lab cow run --wait
lab next cow 7
say "the child copied the 2 pages it wrote (C); the parent's page 0 was reused, not copied"
lab show cow-heap
lab log cow

say "nofork: one process, a 10 MiB buffer it only reads at buffer[0]"
lab nofork run
say "only page 0 is resident, and it is the shared zero page; nothing copied"
lab show nofork-heap

lab stop all
say "rmmod cowlab"
rmmod cowlab || rc=1
exit $rc
