#!/usr/bin/env bash
# Build cowlab.ko for one kernel release, out of the source tree (a copy per
# release, since kbuild writes objects next to the sources), and print the
# path of the .ko.
#
# Usage: scripts/build-module.sh RELEASE [extra make args]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rel=${1:?usage: build-module.sh RELEASE}
shift
kdir=$(kernel_build_dir "$rel") ||
	die "no headers for $rel: run scripts/setup.sh"
dst=$COWLAB_BUILD/$rel/module
mkdir -p "$dst"
# Copy only what changed, so kbuild's own dependency tracking still works.
cp -pu "$COWLAB_TOP/Kbuild" "$dst/"
mkdir -p "$dst/module" "$dst/tests/kunit"
cp -pu "$COWLAB_TOP"/module/*.[ch] "$dst/module/"
if ls "$COWLAB_TOP"/tests/kunit/*.h >/dev/null 2>&1; then
	cp -pu "$COWLAB_TOP"/tests/kunit/*.h "$dst/tests/kunit/"
fi
make -s -C "$kdir" M="$dst" "$@" modules >&2
echo "$dst/cowlab.ko"
