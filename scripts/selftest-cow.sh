#!/usr/bin/env bash
# Build the kernel's own COW selftest (tools/testing/selftests/mm/cow.c and
# its helpers) from Debian's linux-source, as a static binary, and put it
# in one kernel's initramfs as /usr/bin/cow-selftest (through
# build/extra/RELEASE/, see scripts/initramfs.sh).  tests/guest/selftest.sh
# runs it there.  Prints the binary's path.
#
# Which source: the kernel's own linux-source if it has cow.c (6.12's on
# the host; 7.x's linux-source-7.3 in the kernel's chroot, see
# scripts/kernel-fetch.sh), else the newest linux-source on the host that
# has one.  cow.c first appeared in 6.2 (as anon_cow.c): 5.10 and 6.1 run
# 6.12's (a user-space test: it finds no mTHP sizes, no gup_test there).
#
# It is built on the host (gcc 12, glibc 2.36, static), against the UAPI
# headers of its own tree (`make headers_install`): cow.c and vm_util.c
# use interfaces newer than the host's linux-libc-dev (PAGEMAP_SCAN, ...).
# The helpers it links with are those its Makefile names (vm_util.c plus
# thp_settings.c in 6.12, hugepage_settings.c in 7.3).  liburing is not
# used (its two io_uring cases are compiled out).
#
# The extracted sources (kselftest.h found in its directory, as 7.3's
# cow.c includes it by name only), the headers and the binary are cached under
# $COWLAB_CACHE/selftests/SOURCE-VERSION/: a second run only copies.
#
# Usage: scripts/selftest-cow.sh 5.10|6.1|6.12|7.x|RELEASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want=${1:?usage: selftest-cow.sh 5.10|6.1|6.12|7.x|RELEASE}
rel=$(resolve_kernel "$want") ||
	die "kernel $want is not installed: run scripts/setup.sh"

# The candidate tarballs, "VERSION PACKAGE-VERSION TARBALL" lines, the
# kernel's own first, then the host's newest first.
kv=$(echo "$rel" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
candidates() {
	local t v root
	if root=$(kernel_chroot "$rel") &&
	   [ -e "$root/usr/src/linux-source-$kv.tar.xz" ] &&
	   v=$(chroot "$root" dpkg-query -W -f '${Version}' \
		"linux-source-$kv" 2>/dev/null); then
		echo "$kv $v $root/usr/src/linux-source-$kv.tar.xz"
	fi
	if [ -e "/usr/src/linux-source-$kv.tar.xz" ] &&
	   v=$(dpkg-query -W -f '${Version}' "linux-source-$kv" 2>/dev/null); then
		echo "$kv $v /usr/src/linux-source-$kv.tar.xz"
	fi
	for t in $(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -rV); do
		v=${t#/usr/src/linux-source-}
		v=${v%.tar.xz}
		[ "$v" = "$kv" ] && continue
		echo "$v $(dpkg-query -W -f '${Version}' "linux-source-$v" 2>/dev/null || echo '?') $t"
	done
}

ver= tree= srcver=
while read -r v sv t; do
	[ "$sv" != '?' ] || continue
	cache=$COWLAB_CACHE/selftests/$sv
	if [ -e "$cache/cow-selftest" ] || [ -e "$cache/has-cow" ]; then
		ver=$v tree=$t srcver=$sv
		break
	fi
	[ -e "$cache/no-cow" ] && continue
	mkdir -p "$cache"
	# grep -c reads to the end: tar is not killed by SIGPIPE (pipefail).
	if tar -tJf "$t" | grep -c '^linux-source-[^/]*/tools/testing/selftests/\(mm\|vm\)/cow\.c$' >/dev/null; then
		touch "$cache/has-cow"
		ver=$v tree=$t srcver=$sv
		break
	fi
	touch "$cache/no-cow"
done < <(candidates)
[ -n "$ver" ] || die "no linux-source with tools/testing/selftests/mm/cow.c: install linux-source-6.12 (scripts/setup.sh)"
[ "$ver" = "$kv" ] ||
	echo "selftest-cow: no linux-source-$kv with cow.c here; using linux-source-$ver $srcver" >&2

bin=$cache/cow-selftest
if [ ! -x "$bin" ]; then
	echo "selftest-cow: building cow.c of linux-source-$ver $srcver ($tree) on the host" >&2
	d=tools/testing/selftests
	src=$cache/src/$d/mm
	if [ ! -e "$cache/src.done" ]; then
		tmp=$cache/tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		tar -xJf "$tree" -C "$tmp" --strip-components=1
		nice -n 10 make -s -C "$tmp" headers_install INSTALL_HDR_PATH="$cache/usr" >&2
		sub=mm
		[ -e "$tmp/$d/mm/cow.c" ] || sub=vm
		rm -rf "$cache/src"
		mkdir -p "$cache/src/$d" "$cache/src/mm" "$cache/src/tools"
		cp -r "$tmp/$d/$sub" "$cache/src/$d/mm"
		cp "$tmp/$d/kselftest.h" "$cache/src/$d/"
		cp "$tmp/mm/gup_test.h" "$cache/src/mm/"
		cp -r "$tmp/tools/include" "$cache/src/tools/"
		rm -rf "$tmp"
		touch "$cache/src.done"
	fi
	# Without liburing: what check_config.sh writes when it is missing
	# (local_config.h up to 6.x, local_config.h_gen in 7.x).
	: > "$src/local_config.h"
	: > "$src/local_config.h_gen"
	# The helpers every test links with: "$(TEST_GEN_FILES): vm_util.c ...".
	helpers=$(sed -n 's/^\$(TEST_GEN_FILES): *//p' "$src/Makefile" | head -n1)
	[ -n "$helpers" ] || helpers=vm_util.c
	for h in $helpers; do
		[ -e "$src/$h" ] || die "cow.c's helper $h (from its Makefile) is not in $src"
	done
	# shellcheck disable=SC2086 # $helpers: a list of file names
	(cd "$src" && gcc -Wall -O2 -U_FORTIFY_SOURCE -static \
		-I "$cache/src/$d" -isystem "$cache/usr/include" \
		-isystem "$cache/src/tools/include/uapi" \
		-o "$bin.tmp" cow.c $helpers -lm) >&2
	mv "$bin.tmp" "$bin"
	echo "$srcver" > "$cache/source-version"
fi

dst=$COWLAB_BUILD/extra/$rel/usr/bin
mkdir -p "$dst"
cp "$bin" "$dst/cow-selftest"
echo "$ver $srcver" > "$dst/cow-selftest.source"
echo "$dst/cow-selftest"
