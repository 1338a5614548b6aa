#!/usr/bin/env bash
# `dkms add` and `dkms build` cowlab for every supported kernel, in a
# private dkms tree (nothing is installed on this machine): on the host for
# the host's own kernels, in the kernel's chroot (its own release's dkms
# and toolchain) for 5.10 and 7.x.  KTAP out.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v dkms >/dev/null || die "dkms missing: run scripts/setup.sh"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$COWLAB_TOP/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/cowlab-$ver
mkdir -p "$src" "$tmp/tree"
cp -r "$COWLAB_TOP"/{Kbuild,Makefile,dkms.conf,module} "$src/"
rm -f "$src"/module/cowlab-features.h*
mkdir -p "$src/tests" && cp -r "$COWLAB_TOP/tests/kunit" "$src/tests/" 2>/dev/null

set -- $COWLAB_KERNELS
echo "TAP version 13"
echo "1..$(($# + 1))"
pass=0 fail=0 n=1
dk() { dkms "$@" --sourcetree "$tmp/src" --dkmstree "$tmp/tree"; }
if dk add -m cowlab -v "$ver" >"$tmp/add.log" 2>&1; then
	echo "ok $n - dkms add cowlab/$ver"; pass=$((pass + 1))
else
	sed 's/^/# /' "$tmp/add.log"; echo "not ok $n - dkms add cowlab/$ver"; fail=$((fail + 1))
fi
for k in $COWLAB_KERNELS; do
	n=$((n + 1))
	rel=$(resolve_kernel "$k") || { echo "not ok $n - dkms build ($k not installed)"; fail=$((fail + 1)); continue; }
	if root=$(kernel_chroot "$rel"); then
		# dkms of the kernel's own release, in a tree of its own.
		tree=$tmp/tree-$k
		mkdir -p "$tree"
		in_chroot "$root" "$tmp" sh -c '
			dkms add -m cowlab -v "$1" --sourcetree "$2" --dkmstree "$3" &&
			dkms build -m cowlab -v "$1" -k "$4" --sourcetree "$2" --dkmstree "$3"' \
			sh "$ver" "$tmp/src" "$tree" "$rel" >"$tmp/build.log" 2>&1
		built=$?
		where="in its chroot ($(cat "$root/etc/debian_version" 2>/dev/null))"
	else
		tree=$tmp/tree
		dk build -m cowlab -v "$ver" -k "$rel" >"$tmp/build.log" 2>&1
		built=$?
		where="on the host"
	fi
	if [ $built = 0 ] &&
	   ls "$tree/cowlab/$ver/$rel/x86_64/module/"cowlab.ko* >/dev/null 2>&1; then
		echo "ok $n - dkms build for $rel, $where"; pass=$((pass + 1))
	else
		sed 's/^/# /' "$tmp/build.log" | tail -n 30
		find "$tree" -name make.log -exec sh -c 'tail -n 30 "$1" | sed "s/^/# /"' _ {} \;
		echo "not ok $n - dkms build for $rel"; fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
