#!/usr/bin/env bash
# Build the guest's base initramfs for one kernel release and print its path:
# busybox-static, cowlab.ko built for that release, the static userspace
# programs and the guest tests.  The per-run command is appended by vm.sh.
#
# Usage: scripts/initramfs.sh RELEASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rel=${1:?usage: initramfs.sh RELEASE}
out=$COWLAB_BUILD/$rel
busybox=$(command -v busybox || true)
[ -x /bin/busybox ] && busybox=/bin/busybox
file "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	[ -x /usr/lib/busybox-static/busybox ] ||
	die "busybox-static missing: run scripts/setup.sh"

ko=$("$COWLAB_TOP/scripts/build-module.sh" "$rel")
make -s -C "$COWLAB_TOP" userspace STATIC=1 BUILD="$COWLAB_BUILD" >&2

root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,guest}
cp "$busybox" "$root/bin/busybox"
cp "$ko" "$root/cowlab.ko"
cp -r "$COWLAB_BUILD"/bin-static/. "$root/usr/bin/"
cp -r "$COWLAB_TOP"/tests/guest/*.sh "$root/guest/"
if [ -d "$COWLAB_BUILD/extra/$rel" ]; then
	cp -r "$COWLAB_BUILD/extra/$rel/." "$root/"
fi
cp "$COWLAB_TOP/scripts/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out/initramfs.cpio"
echo "$out/initramfs.cpio"
