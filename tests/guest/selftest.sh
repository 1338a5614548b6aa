#!/bin/sh
# Issue "Independent witnesses", part 3, in the guest: the kernel's own COW
# selftest (tools/testing/selftests/mm/cow.c, built by
# scripts/selftest-cow.sh as /usr/bin/cow-selftest) runs twice, without
# cowlab and with cowlab loaded and counting.  Its results must be the
# same, test by test: cowlab only watches.  And cowlab must have seen the
# selftest's COW breaks, class by class as far as this kernel has them:
# what to expect of a class comes from cowlab's classes file (unshare is
# absent on 5.10: procs must show "-" for it) and, for thp_zero, from the
# kernel itself (does a write over the huge zero page fault in a THP, as
# 7.x does?  /proc/vmstat thp_fault_alloc around zero_fill --huge says).
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
echo "# cow-selftest from linux-source-$(cat /usr/bin/cow-selftest.source 2>/dev/null || echo '?')"

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

# Sum column COL of procs (in /tmp/procs) over the selftest's processes;
# "-" if every one of them shows "-" (a class not counted here).
sum_col() {
	awk -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			 $c["comm"] == "cow-selftest" { n++; if ($c[col] == "-") d++; s += $c[col] }
			 END { print (n && d == n) ? "-" : s + 0 }' /tmp/procs
}

# how CLASS: its status and reason in cowlab's classes file (/tmp/classes).
how() {
	awk -v c="$1" 'NR > 1 && $1 == c { $1 = ""; sub(/^ /, ""); print }' /tmp/classes
}

# counted CLASS: does cowlab count CLASS on this kernel?
counted() {
	[ "$(how "$1")" = "counted -" ]
}

# check_class CLASS DESC TEST...: a check of CLASS's sum, if cowlab counts
# it here; if the kernel cannot have it ("absent"), every selftest process
# must show "-" for it; a class whose probe is missing fails.
check_class() {
	c=$1 desc=$2
	shift 2
	case $(how "$c") in
	"counted -") ktap_check "$desc" "$@" ;;
	absent*)
		if [ "$(eval echo \$$c)" = - ]; then
			ktap_skip "$c $(how "$c"); procs shows - for all $nprocs cow-selftest processes" \
				"cowlab's $c for the selftest's processes"
		else
			ktap_not_ok "$desc ($c $(how "$c"), yet procs shows $(eval echo \$$c))"
		fi ;;
	*) ktap_not_ok "$desc ($c: $(how "$c"))" ;;
	esac
}

n=10
[ "$steps" = 1 ] && n=11
ktap_plan $n

# Does this kernel fault in a THP when the huge zero page is written over
# (7.x: do_huge_zero_wp_pmd()), or split it (6.12 and older)?  Ask the
# kernel: 2 MiB read (the huge zero page), then written, by zero_fill.
fa0=$(awk '$1 == "thp_fault_alloc" { print $2 }' /proc/vmstat)
zero_fill --huge --pages 512 >/tmp/hz.out 2>&1
hz_st=$?
hz_alloc=$(($(awk '$1 == "thp_fault_alloc" { print $2 }' /proc/vmstat) - ${fa0:-0}))
echo "# huge zero page written over by zero_fill --huge (status $hz_st): thp_fault_alloc +$hz_alloc"

run plain
results /tmp/plain.out >/tmp/plain.res
ktap_check "cow-selftest runs to completion without cowlab ($(wc -l </tmp/plain.res) results)" \
	grep -q '^# Totals' /tmp/plain.out

if ! insmod /cowlab.ko max_procs=65536; then
	ktap_not_ok "insmod cowlab.ko max_procs=65536"
	ktap_finish
	exit 1
fi
cat $D/classes >/tmp/classes
echo "# cowlab classes:"
sed 's/^/# /' /tmp/classes
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
for c in $(awk 'NR > 1 { print $1 }' /tmp/classes); do
	eval "$c=$(sum_col $c)"
	line="$line $c=$(sum_col $c)"
done
echo "# cowlab, summed over $nprocs cow-selftest processes:$line"
echo "# cowlab stats: $(awk 'NR > 1 { printf "%s=%s ", $1, $2 }' $D/stats)"
echo "# cowlab probes (symbol status nmissed): $(awk 'NR > 1 { printf "%s %s %s; ", $1, $3, $5 }' $D/probes)"
# Its basic COW cases copy anon pages (a parent writing after fork), and
# its shared-zeropage cases write to the zero page.
check_class cow_copy "cowlab counted the selftest's COW copies (cow_copy $cow_copy > 0)" \
	test "$cow_copy" -gt 0
check_class cow_zero "cowlab counted the selftest's zero-page COWs (cow_zero $cow_zero > 0)" \
	test "$cow_zero" -gt 0
# A THP shared with a child and written by the parent is split first.
if [ -d /sys/kernel/mm/transparent_hugepage ]; then
	check_class thp_split "cowlab counted the selftest's THP splits (thp_split $thp_split > 0)" \
		test "$thp_split" -gt 0
else
	ktap_skip "no THP in this kernel" "cowlab counted the selftest's THP splits"
fi
# Its huge zero page cases write 2 MiB over the huge zero page: where the
# kernel faults in a THP for that (the zero_fill probe above), thp_zero
# counts them; where it splits, nothing is ever a thp_zero.
hz_ran=$(grep '^[0-9]* [a-z]* | .* with huge zeropage' /tmp/loaded.res | grep -vc '^[0-9]* skip ')
if [ "$hz_ran" = 0 ]; then
	ktap_skip "the selftest's huge zero page cases did not run (no huge zero page?)" \
		"cowlab counted the selftest's huge zero page writes as the kernel made them"
elif [ "$hz_st" = 0 ] && [ "$hz_alloc" -gt 0 ]; then
	check_class thp_zero "cowlab counted the selftest's huge zero page writes as THPs faulted in (thp_zero $thp_zero > 0; $hz_ran such cases ran)" \
		test "$thp_zero" -gt 0
else
	check_class thp_zero "cowlab counted no thp_zero: this kernel splits the huge zero page when written (thp_zero $thp_zero = 0; $hz_ran such cases ran)" \
		test "$hz_st" = 0 -a "$thp_zero" = 0
fi
# Its R/O pinning cases need PIN_LONGTERM_TEST of /sys/kernel/debug/gup_test
# (CONFIG_GUP_TEST, 6.2 on: the 6.12 debug kernel has it, Debian's kernels
# do not): pinning a shared anon page read-only unshares it.
# On a kernel without unshare faults (5.10), the selftest expects what it
# expects there: cowlab's classes file says unshare is absent, and procs
# must show "-" for it, whether the pin cases ran or not.
ro_ran=$(grep '^[0-9]* [a-z]* | R/O GUP pin on R/O-mapped shared page' /tmp/loaded.res |
	grep -vc '^[0-9]* skip ')
if [ "$ro_ran" -gt 0 ] || ! counted unshare; then
	check_class unshare "cowlab counted the selftest's unshare faults (unshare $unshare > 0)" \
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
