#!/usr/bin/env bash
# Make one of Debian's kernels that the host cannot install usable for
# cowlab's tests: 5.10 (bullseye) or the newest 7.x (sid or
# trixie-backports, whichever has the newer one).
#
#  1. Resolve the newest release now, from the suites' package indexes
#     (never a hard-coded ABI number).
#  2. A chroot of that kernel's own Debian release (mmdebstrap), with
#     build-essential, dwarves, kmod, dkms and the kernel's headers, so
#     that cowlab.ko is built with the toolchain the kernel was built
#     with.  Cached under $COWLAB_CACHE/chroots/SUITE-KEY, KEY a hash of
#     the package set: made once.
#  3. The kernel image, downloaded in the chroot (`apt-get download`) and
#     unpacked with `dpkg-deb -x` into $COWLAB_CACHE/kernels/RELEASE/.
#     Nothing is installed on the host.
#
# The 7.x chroot also holds that kernel's linux-source and what building
# a kernel needs: cowlab's debug test kernel is built from it there
# (scripts/build-test-kernel.sh 7.x), and the COW selftest comes from it.
#
# $COWLAB_CACHE/kernels/SHORT.release names the release; lib.sh's
# resolve_kernel reads it.  Prints the release.
#
# Usage: scripts/kernel-fetch.sh 5.10|7.x
set -euo pipefail
. "$(dirname "$0")/lib.sh"

short=${1:?usage: kernel-fetch.sh 5.10|7.x}
mirror=${COWLAB_MIRROR:-http://deb.debian.org/debian}
secmirror=${COWLAB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run scripts/setup.sh"

idx=$COWLAB_CACHE/indexes
mkdir -p "$idx" "$COWLAB_CACHE/kernels" "$COWLAB_CACHE/chroots"

# packages URL -> the binary package index of one suite, refreshed twice a
# day.  Only used to choose names; the chroot's apt checks signatures.
packages() {
	local name=$1 url=$2 f
	f=$idx/$name.xz
	if [ ! -s "$f" ] || [ -n "$(find "$f" -mmin +720 2>/dev/null)" ]; then
		curl -sfL --retry 3 -o "$f.tmp" "$url" ||
			die "cannot fetch $url (is Debian's archive reachable?)"
		mv "$f.tmp" "$f"
	fi
	xzcat "$f"
}

# newest REGEX: the newest release among the index on stdin whose
# "Package: linux-headers-REL" matches ^REGEX$.
newest() {
	sed -n "s/^Package: linux-headers-\($1\)$/\1/p" | sort -V | tail -n1
}

case $short in
5.10)
	# Point releases live in bullseye, security updates in
	# bullseye-security: take the newer.
	rel=$( { packages bullseye "$mirror/dists/bullseye/main/binary-amd64/Packages.xz"
		 packages bullseye-security "$secmirror/dists/bullseye-security/main/binary-amd64/Packages.xz"
	       } | newest '5\.10\.0-[0-9]*-amd64')
	suite=bullseye
	sources="deb $mirror bullseye main
deb $secmirror bullseye-security main"
	image_pkg=linux-image-$rel
	image_path=boot/vmlinuz-$rel
	srcpkg=
	;;
7.x)
	sid=$(packages sid "$mirror/dists/sid/main/binary-amd64/Packages.xz" |
	      newest '7\.[0-9.]*+deb[0-9]*-amd64')
	bpo=$(packages trixie-backports "$mirror/dists/trixie-backports/main/binary-amd64/Packages.xz" |
	      newest '7\.[0-9.]*+deb[0-9]*-amd64')
	[ -n "$sid$bpo" ] || die "no 7.x kernel in sid or trixie-backports"
	if [ "$(printf '%s\n%s\n' "$sid" "$bpo" | sort -V | tail -n1)" = "$bpo" ]; then
		rel=$bpo suite=trixie
		sources="deb $mirror trixie main
deb $mirror trixie-backports main
deb $secmirror trixie-security main"
	else
		rel=$sid suite=sid
		sources="deb $mirror sid main"
	fi
	# 7.x: linux-image-REL is empty, the kernel is in linux-binary-REL.
	image_pkg=linux-binary-$rel
	image_path=usr/lib/modules/$rel/vmlinuz
	srcpkg=linux-source-$(echo "$rel" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
	;;
*) die "unknown kernel $short: 5.10 or 7.x (6.1 and 6.12 come from the host's own archive)" ;;
esac
[ -n "$rel" ] || die "cannot resolve the $short kernel from Debian's package indexes"

pkgs="build-essential dwarves kmod dkms linux-headers-$rel"
[ -n "$srcpkg" ] &&
	pkgs="$pkgs $srcpkg flex bison bc libelf-dev libssl-dev xz-utils cpio python3 rsync"
key=$(printf '%s\n%s\n' "$sources" "$pkgs" | sha256sum | cut -c1-12)
root=$COWLAB_CACHE/chroots/$suite-$key

if [ ! -e "$root/.cowlab-done" ]; then
	echo "kernel-fetch: chroot $suite for $rel ($pkgs) -> $root" >&2
	t0=$SECONDS
	rm -rf "$root"
	# sid's InRelease can look expired to a machine whose clock is behind.
	mmdebstrap --quiet --variant=apt \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--include="${pkgs// /,}" \
		"$suite" "$root" "$sources" >&2 ||
		die "mmdebstrap $suite failed (see above)"
	echo "$rel" > "$root/.cowlab-release"
	echo "made $(date -u +%FT%TZ) in $((SECONDS - t0)) s: $pkgs" > "$root/.cowlab-done"
fi

kdir=$COWLAB_CACHE/kernels/$rel
if [ ! -e "$kdir/bzImage" ]; then
	echo "kernel-fetch: $image_pkg -> $kdir" >&2
	tmp=$root/tmp/cowlab-fetch
	rm -rf "$tmp" && mkdir -p "$tmp"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	chroot "$root" sh -c "apt-get -q -o Acquire::Check-Valid-Until=false update >/dev/null &&
		cd /tmp/cowlab-fetch && apt-get -q download $image_pkg" >&2 ||
		die "apt-get download $image_pkg failed"
	rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
	dpkg-deb -x "$tmp"/*.deb "$kdir.tmp/pkg"
	[ -e "$kdir.tmp/pkg/$image_path" ] || die "$image_pkg has no $image_path"
	cp "$kdir.tmp/pkg/$image_path" "$kdir.tmp/bzImage"
	cp "$kdir.tmp/pkg/boot/config-$rel" "$kdir.tmp/config" 2>/dev/null ||
		cp "$root/usr/src/linux-headers-$rel/.config" "$kdir.tmp/config" 2>/dev/null || true
	rm -rf "$kdir.tmp/pkg" "$tmp"
	echo "$rel" > "$kdir.tmp/release"
	rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
fi
ln -sfn "$root" "$kdir/chroot"
echo "$rel" > "$COWLAB_CACHE/kernels/$short.release"
echo "$rel"
