#!/usr/bin/env bash
# `make bench`: the benchmarks in the guest, one boot per kernel, kernels
# one after the other (so they do not share the host's CPUs).  Writes
# build/bench/results.json and results.md and prints the table:
# kernel, scenario, median without / with, ratio, target, met?
#
# Rounds and sizes: COWLAB_T_ROUNDS (15), COWLAB_T_COW_PAGES (65536),
# COWLAB_T_FORK_MIB (1024), COWLAB_T_VMAS_MIB (1024).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$COWLAB_BUILD/bench
mkdir -p "$out"
: >"$out/raw.txt"
for k in ${COWLAB_KERNELS}; do
	rel=$(resolve_kernel "$k") || die "kernel $k not installed"
	echo "# bench on $rel (this takes a while under TCG)" >&2
	"$COWLAB_TOP/scripts/vm.sh" -k "$k" -t 3600 /guest/bench.sh |
		sed -n '/^BENCH-BEGIN$/,/^BENCH-END$/p' | grep -v '^BENCH-' |
		sed "s/^/$rel /" >>"$out/raw.txt"
done

# raw: kernel scenario off on bpf ratio_on ratio_bpf target
awk '
function met(r, t, name) {
	if (t == "-" || r == "nan" || r == "-") return "-"
	if (name ~ /nmissed/) return (r == t) ? "yes" : "no"
	return (r + 0 <= t + 0) ? "yes" : "no"
}
BEGIN {
	print "| kernel | scenario | median without (ns) | median with cowlab (ns) | ratio | with BPF checker: ratio | target | met? |"
	print "|---|---|---|---|---|---|---|---|"
}
{
	r = $6
	if ($2 ~ /nmissed/) r = $3
	if ($2 ~ /^memory_/) { printf "| %s | %s | | %s | | | | |\n", $1, $2, $3; next }
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
