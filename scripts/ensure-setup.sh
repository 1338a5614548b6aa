#!/usr/bin/env bash
# Run scripts/setup.sh only when something it installs is missing, so that
# `make demo` and `make test` set up a fresh machine and cost nothing on a
# ready one; then fetch the kernels the host cannot install (5.10, 7.x:
# scripts/kernel-fetch.sh, cached).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

missing=
for cmd in qemu-system-x86_64 cpio pahole gcc make clang bpftool expect tmux zstd xz dkms mmdebstrap curl stress-ng; do
	command -v "$cmd" >/dev/null || missing="$missing $cmd"
done
[ -x /bin/busybox ] || missing="$missing busybox-static"
for k in $COWLAB_KERNELS; do
	is_chroot_kernel "$k" && continue
	rel=$(resolve_kernel "$k") || { missing="$missing linux-image-$k"; continue; }
	[ -d "/lib/modules/$rel/build" ] || missing="$missing linux-headers-$rel"
	[ -e "/usr/src/linux-source-$k.tar.xz" ] || missing="$missing linux-source-$k"
done
[ -e /usr/include/bpf/libbpf.h ] || missing="$missing libbpf-dev"
[ -e /usr/lib/x86_64-linux-gnu/libz.a ] || missing="$missing zlib1g-dev"
if [ -n "$missing" ]; then
	echo "setup: missing:$missing"
	"$(dirname "$0")/setup.sh"
fi
for k in $COWLAB_KERNELS; do
	is_chroot_kernel "$k" || continue
	t0=$SECONDS
	rel=$("$(dirname "$0")/kernel-fetch.sh" "$k") ||
		die "cannot set up the $k kernel (see above)"
	[ $((SECONDS - t0)) -lt 5 ] ||
		echo "setup: $k is $rel ($((SECONDS - t0)) s)"
done
