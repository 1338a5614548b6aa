#!/usr/bin/env bash
# checkpatch.pl --strict over the module and its KUnit headers, from
# Debian's linux-source (extracted once into the cache).  KTAP out.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ver=6.12
cp_dir=$COWLAB_CACHE/checkpatch-$ver
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=/usr/src/linux-source-$ver.tar.xz
	[ -e "$tarball" ] || die "$tarball missing: run scripts/setup.sh"
	mkdir -p "$cp_dir"
	tar -xJf "$tarball" -C "$cp_dir" --strip-components=1 \
		"linux-source-$ver/scripts/checkpatch.pl" \
		"linux-source-$ver/scripts/spelling.txt" \
		"linux-source-$ver/scripts/const_structs.checkpatch"
fi
files=$(cd "$COWLAB_TOP" && ls module/*.[ch] module/features/*.c tests/kunit/*.h 2>/dev/null)
echo "TAP version 13"
echo "1..$(($(echo "$files" | wc -w) + 1))"
n=0 pass=0 fail=0
for f in $files; do
	n=$((n + 1))
	ignore=SPDX_LICENSE_TAG,FILE_PATH_CHANGES
	# The compat header is the one place meant for kernel-version tests.
	[ "$f" = module/compat.h ] && ignore=$ignore,LINUX_VERSION_CODE,CONSTANT_COMPARISON
	out=$(cd "$COWLAB_TOP" && "$cp_dir/scripts/checkpatch.pl" --no-tree --strict \
		--ignore "$ignore" -q -f "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - checkpatch $f"; pass=$((pass + 1))
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $n - checkpatch $f"; fail=$((fail + 1))
	fi
done
# Kernel versions are known in one place: compat.h (the rest asks for
# features, module/features/).
n=$((n + 1))
versioned=$(cd "$COWLAB_TOP" && grep -rl 'LINUX_VERSION_CODE\|KERNEL_VERSION(' \
	module tests/kunit Kbuild 2>/dev/null | grep -vx module/compat.h)
if [ -z "$versioned" ]; then
	echo "ok $n - no kernel version test outside module/compat.h"; pass=$((pass + 1))
else
	echo "$versioned" | sed 's/^/# version test in /'
	echo "not ok $n - no kernel version test outside module/compat.h"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
