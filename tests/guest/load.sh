#!/bin/sh
# Issue 12, "Load and bad input": cowlab under load.
#
# 1. loadtest cycles: insmod/rmmod cycles while two processes fork and
#    write and a reader keeps opening every cowlab file; each cycle counts
#    a fork-and-write scenario exactly, rmmod fails only with EAGAIN and
#    only while a file is open, no kernel report (its own KTAP block; see
#    tests/guest/loadtest.c).
# 2. stress-ng: the fork, vfork, mmap, mremap, madvise, userfaultfd, vm-rw
#    and vm stressors at once (Debian 12's stress-ng 0.15 has no ksm
#    stressor: vm's memory is madvised MADV_MERGEABLE with ksmd running, so
#    KSM merges, writes copy merged pages, and ksmd unmerges them all
#    half-way), --verify on, without CAP_SYS_ADMIN (loadtest.c says why),
#    cowlab loaded and a reader (loadtest poll)
#    reading every file meanwhile.  Then: stress-ng passed, the reader's
#    every read was a whole table, each probe's nmissed (printed) is 0
#    (a hit while another kprobe's handler runs on that CPU, or a
#    kretprobe with all its 64 + 16 * CPUs instances in use: neither
#    can happen with a few dozen processes),
#    stats' dropped counters (all printed) procs_dropped and events_dropped
#    are 0 (stress-ng runs a few dozen processes, the table has room for
#    max_procs=4096 live ones, and the probes are ftrace-based: no
#    NMI-context event), procs lists stress-ng's processes with copies, no
#    kernel report, and rmmod then succeeds.
#
#   COWLAB_T_LOAD_CYCLES  cycles (default 1000)
#   COWLAB_T_STRESS_SECS  seconds of stress-ng (default 30)
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
K=/sys/kernel/mm/ksm
rc=0
: "${COWLAB_T_LOAD_CYCLES:=1000}"
: "${COWLAB_T_STRESS_SECS:=30}"

rmmod cowlab 2>/dev/null
echo "# $(nproc) CPUs, kernel $(uname -r)"

# ---- 1. insmod/rmmod cycles ----
loadtest cycles "$COWLAB_T_LOAD_CYCLES" /cowlab.ko || rc=1
rmmod cowlab 2>/dev/null

# ---- 2. stress-ng ----
ktap_plan 9
if ! command -v stress-ng >/dev/null || ! stress-ng --version >/tmp/sng.ver 2>&1; then
	# scripts/initramfs.sh copies it from the host when it is installed.
	ktap_not_ok "stress-ng in the guest (scripts/setup.sh installs it)"
	ktap_finish
	exit 1
fi
ktap_ok "stress-ng in the guest: $(cat /tmp/sng.ver)"

if ! insmod /cowlab.ko; then
	ktap_not_ok "insmod cowlab.ko for stress-ng"
	ktap_finish
	exit 1
fi
secs=$COWLAB_T_STRESS_SECS
ksm=no
if [ -w $K/run ]; then
	echo 1000 >$K/pages_to_scan
	echo 10 >$K/sleep_millisecs
	echo 1 >$K/run
	ksm=yes
fi
cow_ksm0=$(awk '$1 == "cow_ksm" { print $2 }' /proc/vmstat)
mark=$(ktap_dmesg_mark)

# The reader, from before stress-ng starts until after it ends.
loadtest poll 0 >/tmp/poll.out 2>&1 &
poller=$!
# Half-way, ksmd unmerges every merged page (break_ksm: unshare faults
# from 6.2), then merges again.  Meanwhile the most pages_sharing seen,
# once a second: ksmd merged stress-ng's pages (5.10 has no cow_ksm).
if [ $ksm = yes ]; then
	( sleep $((secs / 2)); echo 2 >$K/run; sleep 2; echo 1 >$K/run ) &
	unmerger=$!
	rm -f /tmp/ksm.stop
	( max=0
	  while [ ! -e /tmp/ksm.stop ]; do
		n=$(cat $K/pages_sharing)
		[ "$n" -gt $max ] && max=$n
		sleep 1
	  done
	  echo $max >/tmp/ksm.max ) &
	sampler=$!
fi
sleep 1
t0=$(date +%s)
loadtest nocap stress-ng --fork 1 --vfork 1 --mmap 1 --mmap-bytes 16M \
	--mremap 1 --mremap-bytes 16M --madvise 1 --userfaultfd 1 \
	--vm-rw 1 --vm-rw-bytes 1M \
	--vm 1 --vm-bytes 16M --vm-keep --vm-method zero-one --vm-madvise mergeable \
	--verify --temp-path /tmp --metrics-brief -t "${secs}s" >/tmp/sng.out 2>&1
st=$?
t1=$(date +%s)
kill -TERM $poller
wait $poller
pst=$?
if [ $ksm = yes ]; then
	wait $unmerger
	: >/tmp/ksm.stop
	wait $sampler
fi
sed 's/^/# /' /tmp/sng.out
ktap_check "stress-ng: fork vfork mmap mremap madvise userfaultfd vm-rw vm, ${secs} s, --verify: exit $st ($((t1 - t0)) s)" \
	test $st = 0

sed 's/^/# /' /tmp/poll.out
ktap_check "reader polled every cowlab file meanwhile: every read a whole table (exit $pst)" \
	test $pst = 0

# KSM happened: ksmd merged stress-ng's pages, and (where /proc/vmstat
# counts it) writes copied merged pages.
cow_ksm1=$(awk '$1 == "cow_ksm" { print $2 }' /proc/vmstat)
if [ $ksm = no ]; then
	ktap_skip "no $K/run (no CONFIG_KSM)" "KSM merged stress-ng's pages"
else
	shared=$(cat /tmp/ksm.max)
	broke=
	[ -n "$cow_ksm0" ] && broke=", cow_ksm +$((cow_ksm1 - cow_ksm0))"
	echo "# ksm: full_scans $(cat $K/full_scans), pages_sharing at most $shared$broke"
	if [ -n "$cow_ksm0" ]; then
		ktap_check "KSM merged stress-ng's pages (pages_sharing up to $shared) and writes copied them$broke" \
			test "$shared" -gt 0 -a $((cow_ksm1 - cow_ksm0)) -gt 0
	else
		ktap_check "KSM merged stress-ng's pages (pages_sharing up to $shared; no cow_ksm in /proc/vmstat here)" \
			test "$shared" -gt 0
	fi
fi
[ $ksm = yes ] && echo 0 >$K/run

# Every probe's nmissed, and it must be 0.
cat $D/probes >/tmp/probes
awk 'NR > 1 { printf "# probe %s: nmissed %s\n", $1, $5 }' /tmp/probes
missed=$(awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "nmissed") c = i; next }
	      c && $c != 0 { n++ } END { print c ? n + 0 : "no-column" }' /tmp/probes)
ktap_check "every probe's nmissed is 0 ($missed not)" test "$missed" = 0

# Every dropped or lost counter of stats; procs_dropped and events_dropped
# must be 0.
cat $D/stats >/tmp/stats
grep -E 'dropped|untracked|unattributed|tracked|capacity' /tmp/stats | sed 's/^/# stats: /'
pd=$(awk '$1 == "procs_dropped" { print $2 }' /tmp/stats)
ed=$(awk '$1 == "events_dropped" { print $2 }' /tmp/stats)
ktap_check "stats: procs_dropped ${pd:-?} and events_dropped ${ed:-?} are 0" \
	test "$pd" = 0 -a "$ed" = 0

# procs lists stress-ng's processes, and their copies.
if cat $D/procs >/tmp/procs && head -n1 /tmp/procs | grep -q '^pid ppid state comm cow_copy'; then
	n=$(awk 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "cow_copy") c = i; if ($i == "comm") m = i }; next }
		 $m ~ /^stress-ng/ { n++; s += $c } END { printf "%d %d", n, s }' /tmp/procs)
	echo "# procs: $(($(wc -l </tmp/procs) - 1)) rows; stress-ng processes and their cow_copy: $n"
	ktap_check "procs lists stress-ng's processes, with copies ($n)" \
		test "${n#* }" -gt 0
else
	ktap_not_ok "procs readable after stress-ng"
fi

ktap_no_reports "$mark" "no kernel report during stress-ng"
ktap_unload "rmmod after stress-ng: cowlab unloads, its directory is gone"
ktap_finish || rc=1
exit $rc
