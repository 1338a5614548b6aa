#!/usr/bin/env bash
# `make demo`: boot the lab VM (Debian 6.1 by default, DEMO_KERNEL=6.12),
# load cowlab, run the course's cow demo, show what cowlab saw, unload.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec "$COWLAB_TOP/scripts/vm.sh" -k "${DEMO_KERNEL:-6.1}" -t 600 /guest/demo.sh
