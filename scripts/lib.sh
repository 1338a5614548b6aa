# shellcheck shell=bash
# Shared helpers for cowlab's scripts: where things are, which kernels exist.
# Source it; it defines functions and variables only.

COWLAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Built kernels, images and other slow artefacts live outside the clone,
# so a fresh clone (CI) reuses them.  Keyed by version and config below.
COWLAB_CACHE=${COWLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cowlab}
COWLAB_BUILD=${COWLAB_BUILD:-$COWLAB_TOP/build}

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The Debian releases cowlab supports, by short name.
COWLAB_KERNELS=${COWLAB_KERNELS:-6.1 6.12}

# resolve_kernel 6.1|6.12|RELEASE -> the newest installed release string
# (e.g. 6.1.0-56-amd64), or RELEASE itself if it is installed or cached.
# Never hard-codes an ABI number.
resolve_kernel() {
	local want=$1 rel
	case $want in
	6.1) rel=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sed 's|.*/vmlinuz-||' |
		   grep -- '-amd64$' | sort -V | tail -n1) ;;
	6.12) rel=$(ls /boot/vmlinuz-6.12.* 2>/dev/null | sed 's|.*/vmlinuz-||' |
		    grep -- '+deb12-amd64$' | sort -V | tail -n1) ;;
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

# kernel_build_dir RELEASE -> the kbuild directory to build modules against.
kernel_build_dir() {
	local rel=$1
	if [ -d "$COWLAB_CACHE/kernels/$rel/build" ]; then
		echo "$COWLAB_CACHE/kernels/$rel/build"
	elif [ -d "/lib/modules/$rel/build" ]; then
		echo "/lib/modules/$rel/build"
	else
		return 1
	fi
}
