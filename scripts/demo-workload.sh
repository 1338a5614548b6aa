#!/usr/bin/env bash
# `make demo-redis` / `make demo-python`: the engineer's tour.  Boot a
# guest (DEMO_KERNEL, default 6.12) with the workload's overlay and run its
# study as make test does, printing what cowlab shows along the way: a
# Redis BGSAVE (tests/guest/redis.sh), or a Python prefork server without
# and with gc.freeze() (tests/guest/prefork.sh).  docs/workloads.md says
# how to read the output, and how to do the same in your own VM.
#
# Usage: scripts/demo-workload.sh redis|python
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in
redis)
	overlay=$("$COWLAB_TOP/scripts/guest-redis.sh")
	cmd=/guest/redis.sh ;;
python)
	overlay=$("$COWLAB_TOP/scripts/guest-python.sh")
	# What cowlab procs, vmas and sites show of each worker.
	export COWLAB_T_PREFORK_SHOW=1
	cmd=/guest/prefork.sh ;;
*)
	die "usage: demo-workload.sh redis|python" ;;
esac
exec "$COWLAB_TOP/scripts/vm.sh" -k "${DEMO_KERNEL:-6.12}" -t 1200 \
	-x "$overlay" "$cmd"
