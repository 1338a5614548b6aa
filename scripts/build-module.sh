#!/usr/bin/env bash
# Build cowlab.ko for one kernel release, out of the source tree (a copy per
# release, since kbuild writes objects next to the sources), and print the
# path of the .ko.  Kernels that the host cannot build for (5.10, 7.x) are
# built in the chroot of their own Debian release (scripts/kernel-fetch.sh).
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
mkdir -p "$dst/module/features"
cp -pu "$COWLAB_TOP"/module/features/* "$dst/module/features/"
if ls "$COWLAB_TOP"/tests/kunit/*.h >/dev/null 2>&1; then
	cp -pu "$COWLAB_TOP"/tests/kunit/*.h "$dst/tests/kunit/"
fi
if root=$(kernel_chroot "$rel"); then
	# With the toolchain of the kernel's own Debian release.
	binds=$dst
	case $kdir in "$COWLAB_CACHE"/*) binds="$binds $kdir" ;; esac
	in_chroot "$root" "$binds" make -s -C "$kdir" M="$dst" "$@" modules >&2
else
	make -s -C "$kdir" M="$dst" "$@" modules >&2
fi
echo "$dst/cowlab.ko"
