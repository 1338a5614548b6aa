#!/usr/bin/env bash
# Build an initramfs overlay of host programs for the guest and print its
# path: a cpio archive that `scripts/vm.sh --extra FILE` appends to the
# busybox initramfs (the kernel unpacks concatenated archives in order, so
# the base one is not rebuilt).  An overlay holds host files at their host
# paths: programs, every shared library `ldd` lists for each ELF file in
# it (the loader included; copied under the name ldd prints, links
# resolved), and whole data directories.
#
# Default: the Python overlay.  Debian 12's /usr/bin/python3.11 (not
# whatever `python3` is first in PATH), its standard library
# /usr/lib/python3.11 with the byte-compiled __pycache__ (no compiling at
# each import under TCG) and lib-dynload with the libraries its extension
# modules need, /etc/python3.11 (site's sitecustomize), and cowlab's
# Python tools: userspace/demos/pagemap_check.py as
# /usr/share/cowlab/pagemap_check.py, userspace/workloads/prefork.py (the
# prefork server of tests/guest/prefork.sh) as
# /usr/share/cowlab/prefork.py.  Left out: what the guest never
# runs (config-3.11-*: the static libpython for building extensions;
# test, idlelib, tkinter, turtledemo, ensurepip, lib2to3, distutils).
# Run it there as `python3 /usr/share/cowlab/pagemap_check.py ...`
# (busybox has no /usr/bin/env).
#
# Any other overlay (issue 14: Redis):
#   scripts/guest-python.sh --name NAME [--exclude GLOB]... ITEM...
# ITEM: a host file (an ELF one with its libraries), a host directory
# (copied whole, minus the --exclude globs, which match whole host paths as
# in find -path; each ELF file in it with its libraries), or SRC=DEST (the
# host file SRC at the guest path DEST).
#
# Cached in $COWLAB_BUILD/overlay/NAME.cpio with a manifest of every host
# path it was made of (size, mtime): it is rebuilt when any of them changes
# (a new python3.11 package, a library upgrade, an edited tool), or this
# script does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,34p' "$0"; exit 0; }

name='' excludes=() items=()
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--exclude) excludes+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) items+=("$1"); shift ;;
	esac
done
if [ -z "$name" ]; then
	[ ${#items[@]} = 0 ] || die "ITEMs need --name (see --help)"
	py=/usr/bin/python3.11
	[ -x $py ] || die "$py missing (Debian package python3.11)"
	stdlib=/usr/lib/python3.11
	name=python
	tools=$COWLAB_TOP/userspace/demos
	items=("$py" /usr/bin/python3 "$stdlib" /etc/python3.11
	       "$tools/pagemap_check.py=/usr/share/cowlab/pagemap_check.py"
	       "$COWLAB_TOP/userspace/workloads/prefork.py=/usr/share/cowlab/prefork.py")
	for d in config-3.11-\* test idlelib tkinter turtledemo ensurepip \
		 lib2to3 distutils; do
		excludes+=("$stdlib/$d")
	done
fi
[ ${#items[@]} -gt 0 ] || die "nothing to put in overlay $name"
case $name in */*|'') die "bad overlay name '$name'" ;; esac

dir=$COWLAB_BUILD/overlay
out=$dir/$name.cpio
mkdir -p "$dir"
exec 9>"$dir/$name.lock"
flock 9

# The state of every host path in the manifest, this script included, and
# the item list: the cache is good while this stays the same.
state() {
	{
		printf '%s\n' "${items[@]}" "${excludes[@]}" | sed 's/^/item /'
		tr '\n' '\0' <"$1" | xargs -0 -r stat -L -c 'file %n %s %Y'
		stat -L -c 'file %n %s %Y' "$0"
	} | sha256sum | cut -d' ' -f1
}
key=$dir/$name.key
if [ -s "$out" ] && [ -s "$dir/$name.manifest" ] &&
   [ "$(cat "$key" 2>/dev/null)" = "$(state "$dir/$name.manifest")" ]; then
	echo "$out"
	exit 0
fi

root=$dir/$name.root
rm -rf "$root"
mkdir -p "$root"
chmod 755 "$root"
manifest=$dir/$name.manifest.new
: >"$manifest"

# add HOSTPATH: a host file, link or directory tree, at the same path.
add() {
	local prune=() e
	for e in "${excludes[@]}"; do
		prune+=(-path "$e" -prune -o)
	done
	find "$1" "${prune[@]}" -print | tee -a "$manifest" | sed 's|^/||' |
		tar -C / --no-recursion -T - -cf - | tar -C "$root" -xf -
}

for item in "${items[@]}"; do
	case $item in
	*=*)	src=${item%%=*} dst=${item#*=}
		[ -f "$src" ] || die "$src: no such file"
		mkdir -p "$root$(dirname "$dst")"
		cp -L --preserve=mode,timestamps "$src" "$root$dst"
		echo "$src" >>"$manifest" ;;
	*)	[ -e "$item" ] || [ -L "$item" ] || die "$item: no such file"
		add "$item" ;;
	esac
done

# The shared libraries of every ELF file in the overlay (ldd lists the
# whole closure), under the path ldd gives, with links resolved.
is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
find "$root" -type f | while read -r f; do
	is_elf "$f" || continue
	ldd "$f" 2>/dev/null | while read -r a b c _; do
		case "$a $b $c" in
		*'not found'*) die "${f#"$root"}: $a not found" ;;
		*' => /'*) echo "$c" ;;
		/*) echo "$a" ;;
		esac
	done
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L --preserve=mode,timestamps "$lib" "$root$lib"
	echo "$lib" >>"$manifest"
	readlink -f "$lib" >>"$manifest"
done

sort -u -o "$manifest" "$manifest"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --quiet) >"$out.new"
mv "$manifest" "$dir/$name.manifest"
state "$dir/$name.manifest" >"$key"
mv "$out.new" "$out"
rm -rf "$root"
echo "overlay $name: $(wc -l <"$dir/$name.manifest") host paths," \
     "$(($(stat -c %s "$out") / 1024)) KiB" >&2
echo "$out"
