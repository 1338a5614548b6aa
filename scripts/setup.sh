#!/usr/bin/env bash
# Install, from Debian's archive, what cowlab needs to build and to boot its
# test guests.  Idempotent: installs only what is missing, and prints the
# resolved kernel releases so callers can use them.
#
# Usage: scripts/setup.sh [--print]   (--print: only print the releases)
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	command -v sudo >/dev/null || die "run as root (apt-get install needs it)"
	SUDO=sudo
}
SUDO=

apt_update_once() {
	local stamp=/var/lib/apt/periodic/cowlab-update-stamp
	if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
		$SUDO apt-get update -qq
		$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
	fi
}

# Newest ABI names, resolved now: never hard-coded.
resolve_releases() {
	K61=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-image-\(6\.1\.[^ ]*-amd64\)$/\1/p' | head -n1)
	K612=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
	       awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n1)
	[ -n "$K61" ] || die "cannot resolve the 6.1 kernel (apt-cache depends linux-image-amd64)"
	[ -n "$K612" ] || die "cannot resolve a 6.12 kernel (apt-cache search linux-image-6.12)"
}

PKGS_BASE=(build-essential dwarves kmod cpio busybox-static qemu-system-x86
	   dkms libelf-dev python3 expect tmux
	   clang llvm libbpf-dev bpftool zlib1g-dev zstd xz-utils
	   linux-source-6.1 linux-source-6.12
	   flex bison bc libssl-dev rsync mmdebstrap curl
	   stress-ng)

main() {
	need_root
	if [ "${1:-}" != --print ]; then
		apt_update_once
	fi
	resolve_releases
	if [ "${1:-}" = --print ]; then
		echo "K61=$K61"
		echo "K612=$K612"
		return 0
	fi
	local want=("${PKGS_BASE[@]}"
		    "linux-image-$K61" "linux-headers-$K61"
		    "linux-image-$K612" "linux-headers-$K612")
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup: installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"
	fi
	echo "K61=$K61"
	echo "K612=$K612"
}

main "$@"
