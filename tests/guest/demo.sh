#!/bin/sh
# The non-interactive tour that `make demo` shows.
D=/sys/kernel/debug/cowlab
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "insmod cowlab.ko"
insmod /cowlab.ko || exit 1
cat $D/probes
say "cow: 10 MB, fork, the parent writes one page, the child writes pages spread through the buffer"
cow --steps 8 || exit 1
say "what cowlab counted (cat $D/procs)"
cat $D/procs
if [ -x /usr/bin/cowlab ]; then
	say "the same, through the reader (cowlab procs)"
	cowlab procs
fi
say "rmmod cowlab"
rmmod cowlab
