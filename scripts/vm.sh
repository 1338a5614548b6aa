#!/usr/bin/env bash
# Boot a QEMU guest with a busybox initramfs holding cowlab.ko (built for
# that kernel), the userspace programs and the guest tests; run one command
# in it; bring back its output and exit status.  Always ends: TCG by
# default, a hard timeout, and KVM only when asked for and it boots.
#
# Usage: scripts/vm.sh [options] [--] COMMAND [ARGS...]
#   -k, --kernel K     6.1 (default), 6.12, or a release (6.1.0-56-amd64)
#   -t, --timeout S    hard limit for the whole boot, default 900
#   -m, --mem MB       guest memory, default 3072
#   -s, --smp N        vCPUs, default 2
#   -i, --interactive  no command: an interactive shell on this terminal
#       --kvm          try KVM first (falls back to TCG if it does not boot)
#       --log FILE     keep the full console log there
#       --append STR   extra kernel command line
#       --icount SHIFT deterministic TCG: the guest clock counts executed
#                      instructions, 2^SHIFT ns each (benchmarks: no host
#                      noise); TCG only
#   -x, --extra FILE   append the cpio archive FILE to the initramfs (an
#                      overlay of host programs: scripts/guest-python.sh);
#                      repeatable; COWLAB_VM_EXTRA="FILE..." adds more
# Exit status: the command's, or 1 if the guest did not finish cleanly or
# the kernel printed a BUG/WARNING/Oops/lockdep/KASAN/kmemleak report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=6.1 timeout=900 mem=3072 smp=2 interactive=0 kvm=0 log= append= icount=
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) kernel=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	-m|--mem) mem=$2; shift 2 ;;
	-s|--smp) smp=$2; shift 2 ;;
	-i|--interactive) interactive=1; shift ;;
	--kvm) kvm=1; shift ;;
	--log) log=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	-x|--extra) extra+=("$2"); shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ $interactive = 1 ] || die "no command to run (see --help)"
[ "${COWLAB_KVM:-0}" = 1 ] && kvm=1
# shellcheck disable=SC2206 # a list of paths without spaces
extra+=(${COWLAB_VM_EXTRA:-})
for f in "${extra[@]}"; do
	[ -s "$f" ] || die "--extra $f: no such archive"
done

rel=$(resolve_kernel "$kernel") ||
	die "kernel $kernel is not installed: run scripts/setup.sh"
image=$(kernel_image "$rel") || die "no image for $rel"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 missing: run scripts/setup.sh"

initrd=$("$COWLAB_TOP/scripts/initramfs.sh" "$rel")

# The per-run part: a cpio archive appended to the cached base one and the
# overlays, if any (the kernel unpacks concatenated archives in order).
work=$(mktemp -d "${TMPDIR:-/tmp}/cowlab-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/etc"
{
	if [ $interactive = 1 ]; then
		echo "COWLAB_INTERACTIVE=1"
	else
		printf 'COWLAB_CMD=%q\n' "$(printf '%q ' "$@")"
	fi
	echo "COWLAB_KERNEL=$rel"
	# Pass through the variables tests understand.
	for v in $(compgen -v | grep '^COWLAB_T_' || true); do
		printf '%s=%q\n' "$v" "${!v}"
	done
} > "$work/root/etc/cowlab-run"
(cd "$work/root" && find . | cpio -o -H newc --quiet) > "$work/run.cpio"
cat "$initrd" "${extra[@]}" "$work/run.cpio" > "$work/initrd"

# tsc=reliable: under TCG the guest may find its TSCs "unsynchronized" and
# mark sched_clock unstable (seen on 6.1); delay accounting then misses
# intervals that took no clock time, and its wpcopy_count, one of the
# tests' witnesses, undercounts.
# no5lvl: with 5-level paging the 6.12 debug kernel sometimes printed a
# KASAN wild-memory-access at 0.007 s, in identify_cpu(), before any test
# (3 of 19 boots; 16 of 16 clean with no5lvl).
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=5 tsc=reliable no5lvl $append"
[ $interactive = 1 ] && cmdline="console=ttyS0 panic=-1 loglevel=4 tsc=reliable no5lvl $append"
logf=${log:-$work/console.log}

run_qemu() {
	local accel=$1 limit=$2
	local cpu="-cpu max"
	[ "$accel" = kvm ] && cpu="-cpu host"
	local accel_opt=$accel
	# Multi-threaded TCG was seen to run a stale int3 forever (a CPU stuck at
	# the restored ftrace NOP of a probed function) during rmmod under
	# load: tests use single-threaded TCG unless told otherwise.
	[ "$accel" = tcg ] && accel_opt="tcg,thread=${COWLAB_TCG_THREAD:-single}"
	local icount_opt=()
	[ "$accel" = tcg ] && [ -n "$icount" ] &&
		icount_opt=(-icount "shift=$icount,sleep=on")
	local args=(-accel "$accel_opt" "${icount_opt[@]}" $cpu -m "$mem" -smp "$smp"
		    -kernel "$image" -initrd "$work/initrd"
		    -append "$cmdline" -no-reboot -display none -monitor none
		    -nic none)
	if [ $interactive = 1 ]; then
		exec qemu-system-x86_64 "${args[@]}" -serial mon:stdio
	fi
	timeout --kill-after=10 "$limit" qemu-system-x86_64 "${args[@]}" \
		-serial stdio </dev/null 2>&1 | sed -u 's/\r$//' | tee "$logf" |
		{ if [ "${COWLAB_QUIET:-0}" = 1 ]; then cat >/dev/null; else
		  sed -u -n '/^COWLAB_BEGIN$/,/^COWLAB_END /{/^COWLAB_BEGIN$/d;/^COWLAB_END /d;p}'; fi; }
}

if [ $kvm = 1 ] && [ -w /dev/kvm ]; then
	# KVM hangs at boot on some hosts (nested virtualisation): give it a
	# short leash and fall back to TCG when it does not come up.
	run_qemu kvm 60 >/dev/null || true
	if grep -q '^COWLAB_BOOTED' "$logf" 2>/dev/null; then
		echo "vm: KVM boots here; rerunning the command under KVM" >&2
		run_qemu kvm "$timeout"
	else
		echo "vm: KVM did not boot within 60 s; using TCG" >&2
		run_qemu tcg "$timeout"
	fi
else
	run_qemu tcg "$timeout"
fi

status=$(sed -n 's/^COWLAB_END \([0-9]*\).*/\1/p' "$logf" | tail -n1)
reports=$("$COWLAB_TOP/scripts/kernel-reports.sh" < "$logf" || true)
if [ -n "$reports" ]; then
	echo "vm: kernel $rel printed reports:" >&2
	echo "$reports" >&2
	[ -n "$log" ] || cp "$logf" "${TMPDIR:-/tmp}/cowlab-last-console.log"
	exit 1
fi
if [ -z "$status" ]; then
	echo "vm: the guest ($rel) did not finish (timeout ${timeout}s or crash); last lines:" >&2
	tail -n 30 "$logf" >&2
	exit 1
fi
exit "$status"
