#!/usr/bin/env bash
# Build cowlab's debug test kernel (KUnit, KASAN, lockdep, kmemleak) from
# Debian's linux-source-VERSION: `make tinyconfig`, kernel/debug.config
# merged with scripts/kconfig/merge_config.sh, `make olddefconfig`, then
# bzImage and everything an external module build needs.
#
# The result is cached under $COWLAB_CACHE/kernels/KEY/{bzImage,build}, KEY
# being the source package's version and the sha256 of the fragment.  Two
# names point at it there: the kernel's own release (`uname -r` in the
# guest, e.g. 6.1.192-cowlab-debug) and the short VERSION-cowlab-debug; give
# either to scripts/vm.sh -k, scripts/build-module.sh and the others (lib.sh
# resolves the short one to the release).  A second run with the same
# source and fragment builds nothing.  Prints the release.
#
# 7.x is built from the linux-source of its own Debian release, with that
# release's toolchain, in the chroot scripts/kernel-fetch.sh makes for it
# (with --debug-tools); cowlab.ko is then built for it in the same chroot.
#
# Usage: scripts/build-test-kernel.sh 6.1|6.12|7.x
#   COWLAB_JOBS=N   parallel jobs (default: 2), run under nice -n 10
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=${1:?usage: build-test-kernel.sh 6.1|6.12|7.x}
root=
case $ver in
6.1|6.12)
	srcpkg=linux-source-$ver
	tarball=/usr/src/$srcpkg.tar.xz
	[ -e "$tarball" ] || die "$tarball missing: run scripts/setup.sh"
	for cmd in flex bison bc make gcc; do
		command -v $cmd >/dev/null || die "$cmd missing: run scripts/setup.sh"
	done
	[ -e /usr/include/libelf.h ] || die "libelf-dev missing: run scripts/setup.sh"
	[ -e /usr/include/openssl/ssl.h ] || die "libssl-dev missing: run scripts/setup.sh"
	srcver=$(dpkg-query -W -f '${Version}' "$srcpkg" 2>/dev/null) ||
		die "$srcpkg is not installed: run scripts/setup.sh"
	;;
7.x)
	rel=$("$COWLAB_TOP/scripts/kernel-fetch.sh" 7.x)
	root=$(kernel_chroot "$rel") || die "no chroot for $rel"
	srcpkg=linux-source-$(echo "$rel" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
	tarball=$root/usr/src/$srcpkg.tar.xz
	[ -e "$tarball" ] || die "$tarball missing in the chroot (scripts/kernel-fetch.sh 7.x)"
	srcver=$(chroot "$root" dpkg-query -W -f '${Version}' "$srcpkg") ||
		die "$srcpkg is not installed in $root"
	;;
*) die "unknown kernel $ver: 6.1, 6.12 or 7.x" ;;
esac

fragment=$COWLAB_TOP/kernel/debug.config
key=$srcver-$(sha256sum "$fragment" | cut -c1-16)
alias=$ver-cowlab-debug
kernels=$COWLAB_CACHE/kernels
dir=$kernels/$key
src=$dir/build
jobs=${COWLAB_JOBS:-2}

# Point both names at KEY; print the release.
publish() {
	local release

	release=$(cat "$src/include/config/kernel.release")
	echo "$release" > "$dir/release"
	ln -sfn "$key" "$kernels/$release"
	ln -sfn "$key" "$kernels/$alias"
	# Modules for it are built with the same toolchain.
	[ -z "$root" ] || ln -sfn "$root" "$dir/chroot"
	echo "$release"
}

if [ -e "$dir/done" ]; then
	publish
	exit 0
fi

echo "build-test-kernel: $srcpkg $srcver, fragment ${key##*-} -> $dir" >&2
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$src"
tar -xJf "$tarball" -C "$src" --strip-components=1
cp "$fragment" "$dir/debug.config"

# in_kernel CMD...: in the kernel's own release (its chroot, if it has one).
in_kernel() {
	if [ -n "$root" ]; then
		in_chroot "$root" "$dir" "$@"
	else
		"$@"
	fi
}
kmake() { in_kernel nice -n 10 make -C "$src" -j"$jobs" "$@"; }

kmake -s tinyconfig >&2
in_kernel sh -c 'cd "$1" && scripts/kconfig/merge_config.sh -m .config "$2"' \
	sh "$src" "$dir/debug.config" >&2
kmake -s olddefconfig >&2

# Every option the fragment sets must have stuck (merge_config only warns),
# unless this kernel has no such option at all: the fragment names an
# option under each of its names (PROC_SYSCTL became SYSCTL in 7.x).
grep -rhoE '^(menu)?config [A-Za-z0-9_]+' --include='Kconfig*' "$src" |
	awk '{ print "CONFIG_" $2 }' | sort -u > "$dir/symbols"
bad=
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "${line%%=*}" "$dir/symbols" || continue
		grep -qxF -- "$line" "$src/.config" || bad="$bad ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		grep -q "^$opt=" "$src/.config" && bad="$bad $opt(unset)" ;;
	esac
done < "$dir/debug.config"
[ -z "$bad" ] ||
	die "options of kernel/debug.config that olddefconfig did not keep:$bad (see $src/.config)"

kmake bzImage modules >&2
kmake modules_prepare >&2
cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
[ -e "$src/Module.symvers" ] || die "no Module.symvers in $src"
# The kernel's own objects are not needed for external modules (those of
# the host tools under scripts/ and tools/ are kept: kbuild checks them).
find "$src" \( -path "$src/scripts" -o -path "$src/tools" \) -prune -o \
	-name '*.o' -type f -print0 | xargs -0r rm -f
echo "built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s" > "$dir/done"
echo "build-test-kernel: $(cat "$dir/done")" >&2
publish
