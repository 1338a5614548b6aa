#!/usr/bin/env bash
# Build the guest's base initramfs for one kernel release and print its path:
# busybox-static, cowlab.ko built for that release, the static userspace
# programs, the guest tests, the lab shell and stress-ng.  The per-run
# command is appended by vm.sh.
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
# The lab shell (product, not a test) is /guest/lab.sh, labcmd.sh and
# demo.sh too: /init, `make lab` and `make demo` know it there.
cp "$COWLAB_TOP"/userspace/lab/*.sh "$root/guest/"
# stress-ng for tests/guest/load.sh, with the shared libraries and the
# dynamic loader it needs (Debian ships no static build).  Left out, and
# load.sh says so, if scripts/setup.sh has not installed it yet.
if sng=$(command -v stress-ng); then
	cp "$sng" "$root/usr/bin/stress-ng"
	ldd "$sng" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
			  $1 ~ /^\// { print $1 }' | sort -u |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
fi
if [ -d "$COWLAB_BUILD/extra/$rel" ]; then
	cp -r "$COWLAB_BUILD/extra/$rel/." "$root/"
fi
cp "$COWLAB_TOP/scripts/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out/initramfs.cpio"
echo "$out/initramfs.cpio"
