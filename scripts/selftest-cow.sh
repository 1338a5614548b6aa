#!/usr/bin/env bash
# Build the kernel's own COW selftest (tools/testing/selftests/mm/cow.c and
# its helpers) from Debian's linux-source, as a static binary, and put it
# in one kernel's initramfs as /usr/bin/cow-selftest (through
# build/extra/RELEASE/, see scripts/initramfs.sh).  tests/guest/selftest.sh
# runs it there.  Prints the binary's path.
#
# cow.c first appeared in 6.2 (as anon_cow.c): linux-source-6.1 has no
# COW selftest, so for 6.1 the newest installed linux-source that has one
# is used (6.12's: a user-space test, it runs on older kernels too).
#
# The extracted sources, the UAPI headers they need (`make
# headers_install` of the same tree) and the binary are cached under
# $COWLAB_CACHE/selftests/SOURCE-VERSION/: a second run only copies.
# liburing is not used (its two io_uring cases are compiled out).
#
# Usage: scripts/selftest-cow.sh 6.1|6.12|RELEASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want=${1:?usage: selftest-cow.sh 6.1|6.12|RELEASE}
rel=$(resolve_kernel "$want") ||
	die "kernel $want is not installed: run scripts/setup.sh"

# The linux-source tarballs that may hold cow.c, the kernel's own first.
kv=$(echo "$rel" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
case $kv in
6.12) candidates="6.12 6.1" ;;
*) candidates="$kv 6.12" ;;
esac
ver= tree=
for v in $candidates; do
	t=/usr/src/linux-source-$v.tar.xz
	[ -e "$t" ] || continue
	srcver=$(dpkg-query -W -f '${Version}' "linux-source-$v" 2>/dev/null) ||
		continue
	cache=$COWLAB_CACHE/selftests/$srcver
	if [ -e "$cache/cow-selftest" ] || [ -e "$cache/has-cow" ]; then
		ver=$v tree=$t
		break
	fi
	[ -e "$cache/no-cow" ] && continue
	mkdir -p "$cache"
	# grep -c reads to the end: tar is not killed by SIGPIPE (pipefail).
	if tar -tJf "$t" | grep -c '^linux-source-[^/]*/tools/testing/selftests/\(mm\|vm\)/cow\.c$' >/dev/null; then
		touch "$cache/has-cow"
		ver=$v tree=$t
		break
	fi
	touch "$cache/no-cow"
done
[ -n "$ver" ] || die "no linux-source with tools/testing/selftests/mm/cow.c: install linux-source-6.12 (scripts/setup.sh)"
[ "$ver" = "$kv" ] ||
	echo "selftest-cow: linux-source-$kv has no cow.c; using linux-source-$ver $srcver" >&2

bin=$cache/cow-selftest
if [ ! -x "$bin" ]; then
	echo "selftest-cow: building cow.c of linux-source-$ver $srcver" >&2
	tmp=$cache/tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tree" -C "$tmp" --strip-components=1
	# UAPI headers of the same tree: cow.c and vm_util.c use interfaces
	# newer than the host's linux-libc-dev (PAGEMAP_SCAN, ...).
	nice -n 10 make -s -C "$tmp" headers_install INSTALL_HDR_PATH="$cache/usr" >&2
	d=tools/testing/selftests
	sub=mm
	[ -e "$tmp/$d/mm/cow.c" ] || sub=vm
	rm -rf "$cache/src"
	mkdir -p "$cache/src/$d" "$cache/src/mm" "$cache/src/tools"
	cp -r "$tmp/$d/$sub" "$cache/src/$d/mm"
	cp "$tmp/$d/kselftest.h" "$cache/src/$d/"
	cp "$tmp/mm/gup_test.h" "$cache/src/mm/"
	cp -r "$tmp/tools/include" "$cache/src/tools/"
	rm -rf "$tmp"
	src=$cache/src/$d/mm
	# Without liburing: what check_config.sh writes when it is missing.
	: > "$src/local_config.h"
	helpers=vm_util.c
	[ -e "$src/thp_settings.c" ] && helpers="$helpers thp_settings.c"
	(cd "$src" && gcc -Wall -O2 -U_FORTIFY_SOURCE -static \
		-isystem "$cache/usr/include" \
		-isystem "$cache/src/tools/include/uapi" \
		-o "$bin.tmp" cow.c $helpers) >&2
	mv "$bin.tmp" "$bin"
	echo "$srcver" > "$cache/source-version"
fi

dst=$COWLAB_BUILD/extra/$rel/usr/bin
mkdir -p "$dst"
cp "$bin" "$dst/cow-selftest"
echo "$srcver" > "$COWLAB_BUILD/extra/$rel/usr/bin/cow-selftest.source"
echo "$dst/cow-selftest"
