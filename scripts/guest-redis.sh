#!/usr/bin/env bash
# Build the guest overlay with Redis (issue 14, tests/guest/redis.sh) and
# print its path: Debian 12's redis-server, redis-cli and redis-benchmark
# with their shared libraries, at /usr/bin and /usr/lib/x86_64-linux-gnu.
#
# Nothing is installed on the host (redis-server's postinst would start a
# service): the .debs of redis-server and redis-tools, and of the two
# libraries they need that a Debian 12 host does not have (libjemalloc2,
# liblzf1), are fetched with `apt-get download` into
# $COWLAB_CACHE/redis/VERSION/ (VERSION: redis-tools' candidate in
# apt-cache, resolved now, never hard-coded) and unpacked there with
# dpkg-deb -x.  The rest of what ldd lists (libc, libssl, libsystemd, ...)
# comes from the host, as for the Python overlay; scripts/guest-python.sh
# --name redis makes and caches the archive.
#
# Usage: scripts/guest-redis.sh      (prints the overlay's path)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(redis-server redis-tools libjemalloc2 liblzf1)
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}
ver=$(candidate redis-tools)
if [ -z "$ver" ] || [ "$ver" = '(none)' ]; then
	# A fresh machine that never ran apt-get update.
	apt-get update -qq >&2 || true
	ver=$(candidate redis-tools)
fi
[ -n "$ver" ] && [ "$ver" != '(none)' ] ||
	die "redis-tools is not in the apt archive (apt-get update?)"
cache=$COWLAB_CACHE/redis/${ver//:/%3a}
root=$cache/root
lib=$root/usr/lib/x86_64-linux-gnu
if [ ! -x "$root/usr/bin/redis-check-rdb" ] || [ ! -e "$lib/liblzf.so.1" ] ||
   [ ! -e "$lib/libjemalloc.so.2" ]; then
	rm -rf "$cache"
	mkdir -p "$cache/debs"
	# _apt cannot write into root's cache: download as root, quietly.
	if ! (cd "$cache/debs" && apt-get download -q "${pkgs[@]}") \
	     >"$cache/download.log" 2>&1; then
		cat "$cache/download.log" >&2
		die "apt-get download ${pkgs[*]} failed"
	fi
	for d in "$cache"/debs/*.deb; do
		dpkg-deb -x "$d" "$root.new" || die "dpkg-deb -x $d failed"
	done
	mv "$root.new" "$root"
	echo "guest-redis: redis $ver unpacked in $cache" >&2
fi

# redis-server is a link to redis-check-rdb (one binary; argv[0] says
# which it is): copied as a file of its own name.  ldd finds the two
# unpacked libraries through LD_LIBRARY_PATH (it then also copies them
# under the cache's path, which the guest's loader never looks at); the
# guest's loader finds them at their Debian paths.
LD_LIBRARY_PATH=$lib exec "$COWLAB_TOP/scripts/guest-python.sh" --name redis \
	"$root/usr/bin/redis-check-rdb=/usr/bin/redis-server" \
	"$root/usr/bin/redis-cli=/usr/bin/redis-cli" \
	"$root/usr/bin/redis-benchmark=/usr/bin/redis-benchmark" \
	"$lib/liblzf.so.1=/usr/lib/x86_64-linux-gnu/liblzf.so.1" \
	"$lib/libjemalloc.so.2=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
