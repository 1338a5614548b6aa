#!/usr/bin/env bash
# Reduced reproducer, without cowlab, for the stale int3 that QEMU's
# multi-threaded TCG executes after the guest kernel has patched it away
# (text_poke_bp: int3, IPI sync, new bytes, IPI sync).  Boots a kernel with
# a tiny initramfs (busybox, tests/repro/hammer.c, tests/repro/init.sh):
# one vCPU keeps FUNC hot, the other turns a kprobe event (or the function
# tracer, or a tracepoint) on it on and off.  See docs/tcg.md.
#
# Usage: tests/repro/mttcg-int3.sh [options]
#   -k, --kernel K     5.10, 6.1, 6.12, 7.x or a release (scripts/lib.sh),
#                      or the path of a bzImage; default 6.12
#       --thread T     multi (default) or single: QEMU's -accel tcg,thread=T
#       --mode M       kprobe (default), function or event (init.sh says what)
#       --func F       the hot function to probe, default ptep_clear_flush
#       --toggles N    on/off pairs per boot, default 300
#       --runs R       boots, default 1
#   -s, --smp N        vCPUs, default 2
#   -t, --timeout S    per boot, default 900
#       --log DIR      keep each boot's console log there
#       --qemu CMD     the QEMU to run, default qemu-system-x86_64 (to try
#                      another version of it)
# Prints one line per boot: "clean", or "BROKEN:" with the kernel's first
# report (Oops: int3, a call to NULL, a soft lockup) or a hammer stuck at
# a patched site.  Exit status 1 if any boot broke, 0 if none did, 2 on a
# setup error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"

kernel=6.12 thread=multi mode=kprobe func=ptep_clear_flush toggles=300
runs=1 smp=2 timeout=900 logdir='' qemu=qemu-system-x86_64
while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) kernel=$2; shift 2 ;;
	--thread) thread=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--func) func=$2; shift 2 ;;
	--toggles) toggles=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-s|--smp) smp=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	--log) logdir=$2; shift 2 ;;
	--qemu) qemu=$2; shift 2 ;;
	-h|--help) sed -n '2,28p' "$0"; exit 0 ;;
	*) echo "mttcg-int3.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $thread in multi|single) ;; *) echo "--thread multi|single" >&2; exit 2 ;; esac
case $mode in kprobe|function|event) ;; *) echo "--mode kprobe|function|event" >&2; exit 2 ;; esac

if [ -f "$kernel" ]; then
	image=$kernel
else
	rel=$(resolve_kernel "$kernel") || { echo "no kernel $kernel" >&2; exit 2; }
	image=$(kernel_image "$rel") || { echo "no image for $rel" >&2; exit 2; }
fi
busybox=/bin/busybox
[ -x /usr/lib/busybox-static/busybox ] && busybox=/usr/lib/busybox-static/busybox
file -L "$busybox" | grep -q 'statically linked' ||
	{ echo "a static busybox is needed (busybox-static)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mttcg-int3.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc}
cp "$busybox" "$root/bin/busybox"
gcc -static -O2 -Wall -o "$root/hammer" "$here/hammer.c"
cp "$here/init.sh" "$root/init"
chmod +x "$root/init"
printf 'MODE=%s\nFUNC=%s\nTOGGLES=%s\n' "$mode" "$func" "$toggles" > "$root/etc/repro.conf"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initrd"
[ -n "$logdir" ] && mkdir -p "$logdir"

echo "# $("$qemu" --version | head -n1); -accel tcg,thread=$thread -smp $smp"
echo "# kernel $image; mode $mode on $func; $toggles toggles a boot"
bad=0
for run in $(seq 1 "$runs"); do
	log=$work/console.log
	[ -n "$logdir" ] && log=$logdir/run-$run.log
	start=$(date +%s)
	timeout --kill-after=10 "$timeout" "$qemu" \
		-accel "tcg,thread=$thread" -cpu max -m 1024 -smp "$smp" \
		-kernel "$image" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=5 tsc=reliable" \
		-no-reboot -display none -monitor none -nic none \
		-serial stdio </dev/null 2>&1 | sed -u 's/\r$//' > "$log" || true
	secs=$(($(date +%s) - start))
	last=$(sed -n 's/^REPRO_PROGRESS toggle=\([0-9]*\).*/\1/p' "$log" | tail -n1)
	end=$(sed -n 's/^REPRO_END //p' "$log" | tail -n1)
	# The first report the kernel printed, and where.
	report=$(grep -m1 -E 'Oops|BUG:|soft lockup|rcu: INFO|general protection' "$log" |
		 sed 's/^\[ *[0-9.]*\] //' || true)
	rip=$(grep -m1 -A12 -E 'Oops|BUG:|soft lockup' "$log" |
	      sed -n 's/.*RIP: 0010:\([^ ]*\).*/\1/p' | head -n1 || true)
	if [ "${end%% *}" = stuck ]; then
		rec=no
		grep -q '^REPRO_RECOVERED' "$log" && rec=yes
		rip=$(grep -m1 -A12 'NMI backtrace for cpu 1' "$log" |
		      sed -n 's/.*RIP: 0010:\([^ ]*\).*/\1/p' | head -n1 || true)
		echo "run $run: BROKEN: the hammer stuck at ${end#stuck } (${report:-no report}, RIP ${rip:-?}); ran again after one more patch of that code: $rec (${secs}s)"
		bad=1
	elif [ -n "$report" ]; then
		echo "run $run: BROKEN: $report at RIP ${rip:-?} (after ${last:-0}+ toggles, ${secs}s)"
		bad=1
	elif [ "${end%% *}" = clean ]; then
		echo "run $run: clean: ${end#clean } (${secs}s)"
	else
		echo "run $run: no verdict (end: '${end:-none}', ${secs}s); last lines:"
		tail -n 15 "$log" | sed 's/^/#   /'
		[ "${end%% *}" = setup ] && exit 2
		bad=1
	fi
done
exit $bad
