#!/bin/sh
# make bench, in the guest: each scenario measured in interleaved rounds
# with cowlab not loaded / loaded (and the BPF cross-checker instead, when
# it is there), medians over the rounds, ratios.  Prints one line per
# scenario between BENCH-BEGIN and BENCH-END:
#   scenario median_off median_on median_bpf ratio_on ratio_bpf target
R=${COWLAB_T_ROUNDS:-15}
COW_PAGES=${COWLAB_T_COW_PAGES:-65536}		# 256 MiB
TOUCH_PAGES=${COWLAB_T_TOUCH_PAGES:-16384}
FORK_MIB=${COWLAB_T_FORK_MIB:-1024}
VMAS_MIB=${COWLAB_T_VMAS_MIB:-1024}
D=/sys/kernel/debug/cowlab
W=/tmp/bench
mkdir -p $W

median() {
	sort -n | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

have_bpf() { [ -x /usr/bin/cowcheck ]; }

# run_mode MODE OUTFILE CMD...: one measurement with cowlab off/on/bpf.
run_mode() {
	mode=$1 out=$2
	shift 2
	case $mode in
	on) insmod /cowlab.ko $ON_ARGS || return 1 ;;
	bpf) cowcheck --ready $W/ready >/dev/null 2>$W/cowcheck.err &
	     bpfpid=$!
	     i=0; while [ ! -e $W/ready ] && [ $i -lt 600 ]; do i=$((i + 1)); usleep 100000; done ;;
	esac
	# Untimed first: under TCG, patching kernel text (probes in or out)
	# throws away translated code, and the first run pays to rebuild it
	# (in host time: with -icount the guest's clock does not see it).
	[ "${COWLAB_T_WARMUP:-1}" = 1 ] && "$@" >/dev/null
	"$@" >>"$out" || echo "# $mode: $* failed" >&2
	case $mode in
	on) rmmod cowlab ;;
	bpf) kill -INT $bpfpid; wait $bpfpid; rm -f $W/ready ;;
	esac
}

# scenario NAME TARGET CMD...: interleaved rounds, ABBA order.
scenario() {
	name=$1 target=$2
	shift 2
	modes="off on"
	[ -z "$NO_BPF" ] && have_bpf && modes="off on bpf"
	for m in $modes; do : >"$W/$name.$m"; done
	r=0
	while [ $r -lt "$R" ]; do
		r=$((r + 1))
		if [ $((r % 2)) = 1 ]; then order=$modes; else order=$(echo $modes | tr ' ' '\n' | sort -r); fi
		for m in $order; do run_mode "$m" "$W/$name.$m" "$@"; done
	done
	off=$(median <"$W/$name.off")
	on=$(median <"$W/$name.on")
	bpf=nan
	[ -z "$NO_BPF" ] && have_bpf && bpf=$(median <"$W/$name.bpf")
	echo "$name $off $on $bpf $(ratio "$on" "$off") $(ratio "$bpf" "$off") $target"
}

# conc_round MODE: two fork-and-write loops side by side (two vCPUs); with
# cowlab loaded (MODE on) a reader polls procs and the first loop's vmas
# meanwhile, ten times a second, as a live display does (a reader in a busy
# loop would take a vCPU of its own and measure only that); MODE probes:
# loaded, no reader, to tell the probes' share from the reader's.  Prints
# the mean ns per fork-and-write iteration of the two loops.
conc_round() {
	[ "$1" != off ] && insmod /cowlab.ko
	cowbench forkwrite 10 >/dev/null
	cowbench forkwrite "$CONC_ITERS" >$W/conc.a & p1=$!
	cowbench forkwrite "$CONC_ITERS" >$W/conc.b & p2=$!
	if [ "$1" = on ]; then
		while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
			cat $D/procs >/dev/null
			{ echo $p1 >$D/vmas && cat $D/vmas; } >/dev/null 2>&1
			usleep 100000
		done
	fi
	wait
	if [ "$1" != off ]; then
		missed=$((missed + $(awk 'NR > 1 { s += $5 } END { print s + 0 }' $D/probes)))
		rmmod cowlab
	fi
	cat $W/conc.a $W/conc.b | awk '{ s += $1 } END { if (NR) print s / NR }'
}

part=${1:-serial}
only=${COWLAB_T_ONLY:-}
echo BENCH-BEGIN
if [ -n "$only" ]; then
	scenario "$only" - cowbench ${COWLAB_T_ONLY_ARGS:-cow 16384}
	echo BENCH-END
	exit 0
fi
if [ "$part" = concurrent ]; then
	# 6. Concurrency, in real time on two vCPUs.
	CONC_ITERS=${COWLAB_T_CONC_ITERS:-100}
	missed=0
	: >$W/conc.off; : >$W/conc.on; : >$W/conc.probes
	r=0
	while [ $r -lt "$R" ]; do
		r=$((r + 1))
		if [ $((r % 2)) = 1 ]; then order="off on probes"; else order="probes on off"; fi
		for m in $order; do conc_round $m >>$W/conc.$m; done
	done
	off=$(median <$W/conc.off)
	on=$(median <$W/conc.on)
	probes=$(median <$W/conc.probes)
	echo "concurrent_forkwrite_2cpu $off $on nan $(ratio "$on" "$off") nan -"
	echo "concurrent_forkwrite_2cpu_no_reader $off $probes nan $(ratio "$probes" "$off") nan -"
	echo "concurrent_nmissed $missed - - - - 0"
	echo BENCH-END
	exit 0
fi
# 1. COW faults; 2. faults cowlab does not classify; 3. fork latency.
scenario cow_fault 1.03 cowbench cow "$COW_PAGES"
# The same with sites recording on (off by default; docs/debugfs.md).
ON_ARGS=sites=1 NO_BPF=1
scenario cow_fault_sites_on 1.03 cowbench cow "$COW_PAGES"
ON_ARGS= NO_BPF=
scenario first_touch_fault 1.01 cowbench touch "$TOUCH_PAGES"
scenario file_read_fault 1.01 cowbench fileread "$TOUCH_PAGES"
scenario fork_1gib 1.01 cowbench fork "$FORK_MIB"

# 4. Reading, cowlab loaded: procs with 10/100/1000 processes, vmas vs smaps.
insmod /cowlab.ko
for n in 10 100 1000; do
	: >$W/procs.$n
	r=0; while [ $r -lt "$R" ]; do r=$((r + 1)); cowbench procs $n >>$W/procs.$n; done
	echo "procs_read_${n}_procs nan $(median <$W/procs.$n) nan nan nan -"
done
cowbench vmas 1000 "$VMAS_MIB" "$R" >$W/vmas
a=$(awk '{ print $1 }' $W/vmas | median)
s=$(awk '{ print $2 }' $W/vmas | median)
echo "vmas_vs_smaps_1gib_1000vmas $s $a nan $(ratio "$a" "$s") nan 0.5"

# 5. Memory, from the module's accounting (stats): bytes per tracked
# process, allocated at load, and per tracked copied page: the growth of
# pages_memory_bytes per page record while a child holds COW_PAGES copies.
awk 'NR > 1 { printf "memory_%s %s - - - - -\n", $1, $2 }' $D/stats |
	grep -E '^memory_(proc_entry_bytes|memory_bytes|sites_table_bytes|history_bytes) ' |
	sed 's/^memory_memory_bytes/memory_allocated_at_load_bytes/'
echo reset >$D/control
echo "memory_per_copied_page_bytes $(cowbench cowmem "$COW_PAGES") - - - - -"
rmmod cowlab
echo BENCH-END
