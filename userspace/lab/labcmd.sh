#!/bin/sh
# Run one lab-shell command (userspace/lab/lab.sh) without the interactive
# shell, e.g. /guest/labcmd.sh cow run; /guest/labcmd.sh show cow-heap.
# Demos started with `X run` keep running after it returns.  Exit status:
# the command's.
if [ $# = 0 ]; then
	echo "usage: labcmd.sh COMMAND [ARGS...]   (COMMAND: a lab command, see 'help')" >&2
	exit 2
fi
. /guest/lab.sh
"$@"
