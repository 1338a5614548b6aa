#!/usr/bin/env bash
# cowlab's KUnit suites and the guest suites on the debug test kernel
# (KUnit, KASAN, lockdep, kmemleak): build the kernel (cached, see
# scripts/build-test-kernel.sh), cowlab.ko with CONFIG_COWLAB_KUNIT_TEST=y
# for it (into the guest as /cowlab-kunit.ko), the COW selftest, and run
# tests/guest/kunit.sh in a guest of that kernel.  KTAP out; exit status 0
# when everything passed.
#
# Usage: scripts/test-kunit.sh [6.1|6.12|7.x]     (default 6.1)
#   COWLAB_T_KUNIT_SUITES="core"  the guest suites to run after KUnit
#   COWLAB_T_CYCLES=N             core.sh's insmod/rmmod cycles (default 50)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=${1:-6.1}
rel=$("$COWLAB_TOP/scripts/build-test-kernel.sh" "$ver")
# A build directory of its own: the regular cowlab.ko for this kernel is
# built by initramfs.sh, without the suites.
ko=$(COWLAB_BUILD=$COWLAB_BUILD/kunit "$COWLAB_TOP/scripts/build-module.sh" \
	"$rel" CONFIG_COWLAB_KUNIT_TEST=y)
mkdir -p "$COWLAB_BUILD/extra/$rel"
cp "$ko" "$COWLAB_BUILD/extra/$rel/cowlab-kunit.ko"
"$COWLAB_TOP/scripts/selftest-cow.sh" "$rel" >/dev/null
exec "$COWLAB_TOP/scripts/vm.sh" -k "$rel" -t "${COWLAB_T_TIMEOUT:-3600}" \
	-- /guest/kunit.sh
