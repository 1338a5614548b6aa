#!/bin/sh
# Issue "Independent witnesses", part 3, in the guest: the kernel's own COW
# selftest (tools/testing/selftests/mm/cow.c, built by
# scripts/selftest-cow.sh as /usr/bin/cow-selftest) runs twice, without
# cowlab and with cowlab loaded and counting.  Its results must be the
# same, test by test: cowlab only watches.  And cowlab must have seen the
# selftest's COW breaks.
#
# COWLAB_T_COW_STEPS=1 adds a third run under cowsteps, which prints after
# each of the selftest's scenarios the cowlab classes its faults landed in
# (docs/selftest-cow.md was written from that output).
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
rc=0

if ! command -v cow-selftest >/dev/null; then
	ktap_plan 1
	ktap_skip "no /usr/bin/cow-selftest: run scripts/selftest-cow.sh $COWLAB_KERNEL" \
		"kernel COW selftest unchanged by cowlab"
	ktap_finish
	exit $?
fi
steps=${COWLAB_T_COW_STEPS:-0}
echo "# cow-selftest from linux-source $(cat /usr/bin/cow-selftest.source 2>/dev/null || echo '?')"

# A few 2 MiB hugetlb pages, so that the hugetlb variants run (each needs
# two at most); 1 GiB ones stay absent and their variants skip.
echo 16 > /proc/sys/vm/nr_hugepages
echo "# hugetlb: $(cat /proc/sys/vm/nr_hugepages) x 2 MiB pages reserved"

# run NAME [WRAPPER]: the selftest's output in /tmp/NAME.out, its exit
# status in /tmp/NAME.rc.
run() {
	t0=$(date +%s)
	$2 cow-selftest >/tmp/$1.out 2>&1
	echo $? >/tmp/$1.rc
	echo "# $1: exit $(cat /tmp/$1.rc) after $(($(date +%s) - t0)) s;" \
		"$(sed -n 's/^# Totals: //p' /tmp/$1.out | grep . || echo 'no Totals line')"
}

# The results, one line each: number, pass/fail/skip/xfail, scenario, text.
results() {
	awk '/^# \[RUN\]/ { run = substr($0, 9); next }
	     /^(not )?ok [0-9]+/ {
		st = "pass"
		if ($1 == "not") { st = "fail"; n = $3; msg = substr($0, length("not ok " n) + 2) }
		else { n = $2; msg = substr($0, length("ok " n) + 2) }
		if (msg ~ /^# SKIP/) st = "skip"
		else if (msg ~ /^# XFAIL/) st = "xfail"
		print n " " st " | " run " | " msg
	     }' "$1"
}

# Sum column COL of procs (in /tmp/procs) over the selftest's processes.
sum_col() {
	awk -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			 $c["comm"] == "cow-selftest" { s += $c[col] }
			 END { print s + 0 }' /tmp/procs
}

n=9
[ "$steps" = 1 ] && n=10
ktap_plan $n

run plain
results /tmp/plain.out >/tmp/plain.res
ktap_check "cow-selftest runs to completion without cowlab ($(wc -l </tmp/plain.res) results)" \
	grep -q '^# Totals' /tmp/plain.out

if ! insmod /cowlab.ko max_procs=65536; then
	ktap_not_ok "insmod cowlab.ko max_procs=65536"
	ktap_finish
	exit 1
fi
run loaded
results /tmp/loaded.out >/tmp/loaded.res
cat $D/procs >/tmp/procs
ktap_check "cow-selftest runs to completion with cowlab loaded ($(wc -l </tmp/loaded.res) results)" \
	grep -q '^# Totals' /tmp/loaded.out

if cmp -s /tmp/plain.res /tmp/loaded.res && [ -s /tmp/plain.res ]; then
	ktap_ok "same pass/fail/skip results, test by test, with and without cowlab"
else
	echo "# results differ (- without cowlab, + with):"
	diff /tmp/plain.res /tmp/loaded.res | sed 's/^/# /'
	ktap_not_ok "same pass/fail/skip results, test by test, with and without cowlab"
fi
ktap_check "same exit status with and without cowlab ($(cat /tmp/plain.rc))" \
	test "$(cat /tmp/plain.rc)" = "$(cat /tmp/loaded.rc)"

# What cowlab saw of the selftest's processes.
nprocs=$(awk 'NR > 1 && $4 == "cow-selftest"' /tmp/procs | wc -l)
line=""
for c in cow_copy cow_zero wp_reuse unshare thp_reuse thp_split; do
	eval "$c=$(sum_col $c)"
	line="$line $c=$(sum_col $c)"
done
echo "# cowlab, summed over $nprocs cow-selftest processes:$line"
echo "# cowlab stats: $(awk 'NR > 1 { printf "%s=%s ", $1, $2 }' $D/stats)"
echo "# cowlab probes (symbol status nmissed): $(awk 'NR > 1 { printf "%s %s %s; ", $1, $3, $5 }' $D/probes)"
# Its basic COW cases copy anon pages (a parent writing after fork), and
# its shared-zeropage cases write to the zero page.
ktap_check "cowlab counted the selftest's COW copies (cow_copy $cow_copy > 0)" \
	test "$cow_copy" -gt 0
ktap_check "cowlab counted the selftest's zero-page COWs (cow_zero $cow_zero > 0)" \
	test "$cow_zero" -gt 0
# A THP shared with a child and written by the parent is split first.
if [ -d /sys/kernel/mm/transparent_hugepage ]; then
	ktap_check "cowlab counted the selftest's THP splits (thp_split $thp_split > 0)" \
		test "$thp_split" -gt 0
else
	ktap_skip "no THP in this kernel" "cowlab counted the selftest's THP splits"
fi
# Its R/O pinning cases need PIN_LONGTERM_TEST of /sys/kernel/debug/gup_test
# (CONFIG_GUP_TEST, 6.2 on: the 6.12 debug kernel has it, Debian's kernels
# do not): pinning a shared anon page read-only unshares it.
ro_ran=$(grep '^[0-9]* [a-z]* | R/O GUP pin on R/O-mapped shared page' /tmp/loaded.res |
	grep -vc '^[0-9]* skip ')
if [ "$ro_ran" -gt 0 ]; then
	ktap_check "cowlab counted the selftest's unshare faults (unshare $unshare > 0)" \
		test "$unshare" -gt 0
else
	ktap_skip "the selftest's R/O pin cases did not run (no gup_test PIN_LONGTERM_TEST)" \
		"cowlab counted the selftest's unshare faults"
fi

if [ "$steps" = 1 ]; then
	echo reset >$D/control
	t0=$(date +%s)
	cowsteps cow-selftest >/tmp/steps.out 2>&1
	echo "# steps: exit $? after $(($(date +%s) - t0)) s"
	# Scenario, its results (as diagnostics), the classes of its faults.
	sed -n -e '/^# \[RUN\]/p' -e '/^# cowlab:/p' \
		-e 's/^\(not \)\{0,1\}ok [0-9]/# &/p' /tmp/steps.out
	results /tmp/steps.out >/tmp/steps.res
	if cmp -s /tmp/plain.res /tmp/steps.res; then
		ktap_ok "same results again under cowsteps (ptrace)"
	else
		diff /tmp/plain.res /tmp/steps.res | sed 's/^/# /'
		ktap_not_ok "same results again under cowsteps (ptrace)"
	fi
fi

ktap_check "rmmod cowlab" rmmod cowlab
echo 0 > /proc/sys/vm/nr_hugepages
ktap_finish || rc=1
exit $rc
