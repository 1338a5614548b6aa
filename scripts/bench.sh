#!/usr/bin/env bash
# `make bench`: the benchmarks in the guest, kernels one after the other.
# Writes build/bench/results.json and results.md and prints the table:
# kernel, scenario, median without / with, ratio, target, met?  Times are
# nanoseconds of the guest's clock: under -icount (the default) that is one
# executed guest instruction per ns, so the ratios are ratios of work done.
#
# Rounds and sizes: COWLAB_T_ROUNDS (15), COWLAB_T_COW_PAGES (65536),
# COWLAB_T_FORK_MIB (1024), COWLAB_T_VMAS_MIB (1024),
# COWLAB_T_CONC_ITERS (100).  COWLAB_BENCH_ICOUNT=none: real time instead
# of -icount for scenarios 1-5.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$COWLAB_BUILD/bench
mkdir -p "$out"
# COWLAB_BENCH_PARTS="serial concurrent" (default both); with
# COWLAB_BENCH_KEEP=1 the results of earlier runs stay, except those of the
# kernels and parts being run again.  One file per kernel and part.
parts=${COWLAB_BENCH_PARTS:-serial concurrent}
mkdir -p "$out/parts"
[ "${COWLAB_BENCH_KEEP:-0}" = 1 ] || rm -f "$out"/parts/*
# Scenarios 1-5 run in a deterministic guest (QEMU -icount: the guest's
# clock counts executed instructions, 1 ns each, so host noise does not
# enter the ratios) with one vCPU: 6.1 does not bring up a second vCPU
# under -icount.  Scenario 6 needs two vCPUs side by side: a second boot,
# in real time.  Each comparison (loaded / not loaded) is within one boot.
icount=${COWLAB_BENCH_ICOUNT:-0}
# run_part KERNEL RELEASE PART VM-OPTIONS...: one boot, its lines into
# parts/RELEASE.PART.
run_part() {
	local k=$1 rel=$2 part=$3
	shift 3
	"$COWLAB_TOP/scripts/vm.sh" -k "$k" "$@" /guest/bench.sh "$part" |
		sed -n '/^BENCH-BEGIN$/,/^BENCH-END$/p' | grep -v '^BENCH-\|^\[' |
		sed "s/^/$rel /" >"$out/parts/$rel.$part"
}

for k in ${COWLAB_KERNELS}; do
	rel=$(resolve_kernel "$k") || die "kernel $k not installed"
	if [[ " $parts " == *" serial "* ]]; then
		echo "# bench on $rel, deterministic part (this takes a while under TCG)" >&2
		opts=(-s 1 -t 5400) warm=1
		[ "$icount" = none ] || { opts+=(--icount "$icount"); warm=0; }
		COWLAB_T_WARMUP=$warm run_part "$k" "$rel" serial "${opts[@]}"
	fi
	[ -n "${COWLAB_T_ONLY:-}" ] && continue
	if [[ " $parts " == *" concurrent "* ]]; then
		echo "# bench on $rel, concurrency part (two vCPUs, real time)" >&2
		run_part "$k" "$rel" concurrent -s 2 -t 3600
	fi
done

# Kernel by kernel, serial part first.
for rel in $(ls "$out/parts" | sed 's/\.[a-z]*$//' | sort -uV); do
	for part in serial concurrent; do
		if [ -e "$out/parts/$rel.$part" ]; then cat "$out/parts/$rel.$part"; fi
	done
done >"$out/raw.txt"

# raw: kernel scenario off on bpf ratio_on ratio_bpf target
awk '
function met(r, t, name) {
	if (t == "-" || r == "nan" || r == "-") return "-"
	if (name ~ /nmissed/) return (r == t) ? "yes" : "no"
	return (r + 0 <= t + 0) ? "yes" : "no"
}
BEGIN {
	print "| kernel | scenario | median without | median with cowlab | ratio | with BPF checker: ratio | target | met? |"
	print "|---|---|---|---|---|---|---|---|"
}
{
	r = $6
	if ($2 ~ /nmissed/) r = $3
	if ($2 ~ /^memory_/) {
		t = ($2 == "memory_proc_entry_bytes") ? 64 : "-"
		printf "| %s | %s | | %s | | | %s | %s |\n", $1, $2, $3, (t == "-" ? "" : "<= " t), (t == "-" ? "-" : ($3 + 0 <= t ? "yes" : "no"))
		next
	}
	printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, r, $7, ($8 == "-" ? "" : "<= " $8), met(r, $8, $2)
}' "$out/raw.txt" >"$out/results.md"

awk '
BEGIN { print "["; n = 0 }
{
	if (n++) print ","
	printf "  {\"kernel\": \"%s\", \"scenario\": \"%s\", \"median_without_ns\": \"%s\", \"median_with_ns\": \"%s\", \"median_bpf_ns\": \"%s\", \"ratio\": \"%s\", \"ratio_bpf\": \"%s\", \"target\": \"%s\"}", $1, $2, $3, $4, $5, $6, $7, $8
}
END { print "\n]" }' "$out/raw.txt" >"$out/results.json"
cat "$out/results.md"
echo "# written: $out/results.md, $out/results.json" >&2
