#!/usr/bin/env bash
# `make demo`: boot the lab VM, load cowlab, run the course's demos as the
# lab shell would (userspace/lab/demo.sh), show what cowlab saw, unload.
# Kernel: DEMO_KERNEL, else LAB_KERNEL (the one `make lab` boots), else
# 6.1; any of 5.10, 6.1, 6.12, 7.x or an installed release.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec "$COWLAB_TOP/scripts/vm.sh" -k "${DEMO_KERNEL:-${LAB_KERNEL:-6.1}}" \
	-t 600 /guest/demo.sh
