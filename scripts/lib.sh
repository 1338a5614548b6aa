# shellcheck shell=bash
# Shared helpers for cowlab's scripts: where things are, which kernels exist.
# Source it; it defines functions and variables only.

COWLAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Built kernels, images and other slow artefacts live outside the clone,
# so a fresh clone (CI) reuses them.  Keyed by version and config below.
COWLAB_CACHE=${COWLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cowlab}
COWLAB_BUILD=${COWLAB_BUILD:-$COWLAB_TOP/build}

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The Debian kernels cowlab supports, by short name: 5.10 (bullseye), 6.1
# and 6.12 (bookworm, the host's own release), 7.x (the newest 7 in sid or
# trixie-backports).  5.10 and 7.x are fetched into the cache, with a
# chroot of their own release to build for them (scripts/kernel-fetch.sh).
COWLAB_ALL_KERNELS="5.10 6.1 6.12 7.x"
COWLAB_KERNELS=${COWLAB_KERNELS:-$COWLAB_ALL_KERNELS}

# is_chroot_kernel SHORT: is SHORT a kernel built in a chroot of its own
# release (not installable on the Debian 12 host)?
is_chroot_kernel() {
	case $1 in 5.10|7.x) return 0 ;; esac
	return 1
}

# resolve_kernel 5.10|6.1|6.12|7.x|RELEASE -> the newest release string
# (e.g. 6.1.0-56-amd64), or RELEASE itself if it is installed or cached.
# Never hard-codes an ABI number.
resolve_kernel() {
	local want=$1 rel
	case $want in
	6.1) rel=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sed 's|.*/vmlinuz-||' |
		   grep -- '-amd64$' | sort -V | tail -n1) ;;
	6.12) rel=$(ls /boot/vmlinuz-6.12.* 2>/dev/null | sed 's|.*/vmlinuz-||' |
		    grep -- '+deb12-amd64$' | sort -V | tail -n1) ;;
	5.10|7.x) rel=$(cat "$COWLAB_CACHE/kernels/$want.release" 2>/dev/null) &&
		  [ -e "$COWLAB_CACHE/kernels/$rel/bzImage" ] || rel= ;;
	# A release installed in /boot, or a kernel built into the cache by
	# scripts/build-test-kernel.sh, by its release or its short name
	# (6.1-cowlab-debug -> 6.1.192-cowlab-debug).
	*) if [ -e "/boot/vmlinuz-$want" ]; then
		rel=$want
	   elif [ -e "$COWLAB_CACHE/kernels/$want/bzImage" ]; then
		rel=$(cat "$COWLAB_CACHE/kernels/$want/release" 2>/dev/null ||
		      echo "$want")
	   fi ;;
	esac
	[ -n "$rel" ] || return 1
	echo "$rel"
}

# kernel_image RELEASE -> path of a bootable bzImage for RELEASE.
kernel_image() {
	local rel=$1
	if [ -e "$COWLAB_CACHE/kernels/$rel/bzImage" ]; then
		echo "$COWLAB_CACHE/kernels/$rel/bzImage"
	elif [ -e "/boot/vmlinuz-$rel" ]; then
		echo "/boot/vmlinuz-$rel"
	else
		return 1
	fi
}

# kernel_chroot RELEASE -> the chroot that builds modules for RELEASE, if
# RELEASE is built in one.
kernel_chroot() {
	local c=$COWLAB_CACHE/kernels/$1/chroot
	[ -d "$c/" ] || return 1
	readlink -f "$c"
}

# in_chroot DIR "BIND..." CMD...: run CMD in chroot DIR, with /proc mounted
# (objtool needs it) and each host directory BIND (no spaces) at the same
# path inside; in a private mount namespace, so nothing stays mounted
# afterwards.
in_chroot() {
	local root=$1 binds=$2 b
	shift 2
	for b in $binds; do mkdir -p "$root$b"; done
	unshare --mount --propagation private -- sh -c '
		root=$1 binds=$2; shift 2
		mount -t proc proc "$root/proc" || exit 1
		for b in $binds; do mount --bind "$b" "$root$b" || exit 1; done
		exec chroot "$root" "$@"' sh "$root" "$binds" "$@"
}

# kernel_build_dir RELEASE -> the kbuild directory to build modules against
# (inside kernel_chroot RELEASE, if it has one).
kernel_build_dir() {
	local rel=$1
	if [ -d "$COWLAB_CACHE/kernels/$rel/build" ]; then
		readlink -f "$COWLAB_CACHE/kernels/$rel/build"
	elif kernel_chroot "$rel" >/dev/null; then
		echo "/usr/src/linux-headers-$rel"
	elif [ -d "/lib/modules/$rel/build" ]; then
		echo "/lib/modules/$rel/build"
	else
		return 1
	fi
}
