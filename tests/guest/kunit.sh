#!/bin/sh
# Issue "Independent witnesses", part 1, in a guest of the debug kernel
# (scripts/build-test-kernel.sh: KUnit, KASAN, lockdep, kmemleak):
#
# 1. cowlab's KUnit suites: /cowlab-kunit.ko (built with
#    CONFIG_COWLAB_KUNIT_TEST=y) runs them when it is loaded; each suite's
#    results are read from
#    /sys/kernel/debug/kunit/<suite>/results, shown, and must hold no
#    "not ok".  Then cowtest against cowlab-kunit.ko: the module must still
#    count exactly after its suites ran.
# 2. The regular guest suites on this kernel (COWLAB_T_KUNIT_SUITES,
#    default "core vmas demos load", plus "selftest" when
#    /usr/bin/cow-selftest is there; "none": KUnit only), each a KTAP
#    subtest, indented.
# 3. kmemleak: after cowlab is unloaded, a scan must report nothing that
#    cowlab allocated (frames in cowlab, or in the now empty module area).
#
# scripts/test-kunit.sh builds all that and runs this script.
. /guest/ktap.sh
K=/sys/kernel/debug/kunit
LEAK=/sys/kernel/debug/kmemleak
SUITES="cowlab_classify cowlab_control cowlab_pid cowlab_pages cowlab_stats cowlab_account cowlab_sites cowlab_history"
rc=0

guest_suites=${COWLAB_T_KUNIT_SUITES:-core vmas demos load}
[ "$guest_suites" = none ] && guest_suites=
if [ -z "${COWLAB_T_KUNIT_SUITES:-}" ] && command -v cow-selftest >/dev/null; then
	guest_suites="$guest_suites selftest"
fi
# The insmod/rmmod cycles of core.sh are slow under KASAN and lockdep, and
# so are fuzz.sh's writes (100000 took 594 s on the 6.12 debug kernel).
: "${COWLAB_T_CYCLES:=50}"
: "${COWLAB_T_FUZZ_ITERS:=20000}"
# load.sh's cycles take 2.8 s each here on 6.12, 3.8 s on 7.x (a quiet
# host; 4-6 s beside other guests): the 1,000 would be 47-63 min.
# 20 cycles and 20 s of stress-ng: load.sh takes ~2 min.
: "${COWLAB_T_LOAD_CYCLES:=20}"
: "${COWLAB_T_STRESS_SECS:=20}"
export COWLAB_T_CYCLES COWLAB_T_FUZZ_ITERS
export COWLAB_T_LOAD_CYCLES COWLAB_T_STRESS_SECS

nsuites=$(echo $SUITES | wc -w)
ktap_plan $((nsuites + 6 + $(echo $guest_suites | wc -w)))

if [ ! -d $K ] || [ ! -e /cowlab-kunit.ko ]; then
	echo "# no $K or no /cowlab-kunit.ko: not the debug kernel? (scripts/test-kunit.sh)"
	ktap_not_ok "KUnit available"
	ktap_finish
	exit 1
fi

# Reports that exist before cowlab ever loads are not cowlab's.
if [ -e $LEAK ]; then
	echo scan > $LEAK
	echo clear > $LEAK
fi

# ---- 1. KUnit ----
# Issue 12, item 8: from 6.3 on, KUnit runs a module's suites after its
# init, with debugfs up and the probes counting.  A reader cats procs in a
# loop meanwhile: every read must succeed with the header (the suites own
# their instances and leave the module's alone), and the kernel must
# report nothing.  6.1 runs the suites before the init: no procs then.
R8=/tmp/kunit-procs
r8_reader() {
	n=0 during=0 bad=0
	while :; do
		fin=0
		[ -e $R8.done ] && fin=1
		if [ -e /sys/kernel/debug/cowlab/procs ]; then
			if cat /sys/kernel/debug/cowlab/procs >$R8.out 2>&1 &&
			   head -n1 $R8.out | grep -q '^pid ppid state comm'; then
				n=$((n + 1))
				[ $fin = 0 ] && [ -d $K/cowlab_stats ] &&
					during=$((during + 1))
			else
				bad=$((bad + 1))
				[ -e $R8.bad ] || cp $R8.out $R8.bad
			fi
		fi
		[ $fin = 1 ] && break
	done
	echo "$n $during $bad" >$R8.result
}
r8_major=$(uname -r | cut -d. -f1) r8_minor=$(uname -r | cut -d. -f2)
r8_pid=
if [ "$r8_major" -gt 6 ] || { [ "$r8_major" = 6 ] && [ "$r8_minor" -ge 3 ]; }; then
	rm -f $R8.*
	r8_dmesg=$(ktap_dmesg_mark)
	r8_reader &
	r8_pid=$!
fi
t0=$(date +%s)
if insmod /cowlab-kunit.ko; then
	ktap_ok "insmod cowlab-kunit.ko runs the suites ($(($(date +%s) - t0)) s)"
else
	ktap_not_ok "insmod cowlab-kunit.ko runs the suites"
fi
if [ -z "$r8_pid" ]; then
	ktap_skip "$(uname -r) runs the suites before the module's init" \
		"procs read while the KUnit suites run"
else
	: >$R8.done
	wait $r8_pid
	read -r r8_n r8_during r8_bad <$R8.result
	dmesg | tail -n +$((r8_dmesg + 1)) | grep -E "$KTAP_REPORTS" >$R8.reports
	[ -e $R8.bad ] && sed 's/^/# bad read: /' $R8.bad | head -n 20
	sed 's/^/# /' $R8.reports | head -n 60
	ktap_check "procs read while the KUnit suites run: $r8_n reads, $r8_during of them during the suites from cowlab_stats on, $r8_bad bad, $(wc -l <$R8.reports) report lines" \
		test "$r8_during" -ge 1 -a "$r8_bad" = 0 -a ! -s $R8.reports
fi
for s in $SUITES; do
	f=$K/$s/results
	if [ ! -e $f ]; then
		ktap_not_ok "KUnit suite $s (no $f)"
		continue
	fi
	sed 's/^/# /' $f
	# The suite's own count, parameters included (6.1 keeps only part of
	# a long suite's log in results: its "# Totals" line is complete).
	totals=$(sed -n 's/^[[:space:]]*# Totals: //p' $f | tail -n1)
	if [ -z "$totals" ]; then
		# KUnit prints no stats for a suite of one case
		# (kunit_should_print_stats()): count its case lines against
		# its plan.
		plan=$(sed -n 's/^    1\.\.\([0-9]*\)$/\1/p' $f | head -n1)
		pass=$(grep -cE '^    ok [0-9]+ ' $f)
		skip=$(grep -cE '^    ok [0-9]+ .*# SKIP' $f)
		fail=$(grep -cE '^    not ok [0-9]+ ' $f)
		pass=$((pass - skip))
		if [ -n "$plan" ] && [ $((pass + skip + fail)) = "$plan" ]; then
			totals="pass:$pass fail:$fail skip:$skip total:$plan, counted"
		fi
	fi
	desc="KUnit suite $s (${totals:-no Totals line, or cases not as planned})"
	if echo "$totals" | grep -q ' fail:0 ' && grep -qE '^ok [0-9]+ ' $f &&
	   ! grep -qE '^[[:space:]]*not ok ' $f; then
		ktap_ok "$desc"
	else
		ktap_not_ok "$desc"
	fi
done
# The module still counts after its tests (6.12 runs them after init),
# exactly: the suites must have used instances of their own, not the live
# module's probes and table (issue 12).  cowtest's exact counts of every
# class, against cowlab-kunit.ko.
if [ -e /sys/kernel/debug/cowlab/procs ]; then
	t0=$(date +%s)
	cowtest >/tmp/cowtest-kunit.out 2>&1
	st=$?
	sed 's/^/    /' /tmp/cowtest-kunit.out
	ktap_check "cowlab-kunit.ko counts exactly after its suites (cowtest: exit $st, $(($(date +%s) - t0)) s)" \
		test $st = 0
else
	ktap_not_ok "cowlab-kunit.ko counts exactly after its suites (no procs)"
fi
if [ -e /sys/kernel/debug/cowlab/procs ] &&
   head -n1 /sys/kernel/debug/cowlab/procs | grep -q '^pid ppid state comm'; then
	rmmod cowlab
	ktap_check "cowlab-kunit.ko: procs readable after the suites, then unloads" \
		test ! -d /sys/kernel/debug/cowlab
else
	rmmod cowlab 2>/dev/null
	ktap_not_ok "cowlab-kunit.ko: procs readable after the suites, then unloads"
fi

# ---- 2. The guest suites, on this kernel ----
for t in $guest_suites; do
	t0=$(date +%s)
	/guest/$t.sh >/tmp/$t.out 2>&1
	st=$?
	sed 's/^/    /' /tmp/$t.out
	if [ $st = 0 ]; then
		ktap_ok "guest suite $t.sh on the debug kernel ($(($(date +%s) - t0)) s)"
	else
		ktap_not_ok "guest suite $t.sh on the debug kernel: exit $st ($(($(date +%s) - t0)) s)"
	fi
	rmmod cowlab 2>/dev/null
done

# ---- 3. kmemleak, cowlab unloaded ----
if [ ! -e $LEAK ]; then
	ktap_skip "no $LEAK" "kmemleak: nothing of cowlab's leaked"
else
	# Objects younger than 5 s are never reported; two scans to be sure.
	sleep 6
	echo scan > $LEAK
	echo scan > $LEAK
	cat $LEAK > /tmp/kmemleak
	n=$(grep -c '^unreferenced object' /tmp/kmemleak)
	# Per report: cowlab's if a frame names cowlab, or is a bare address
	# (symbols of an unloaded module no longer resolve: cowlab was the
	# only module).
	awk '/^unreferenced object/ { if (rep != "" && ours) printf "%s", rep; rep = ""; ours = 0 }
	     { rep = rep $0 "\n" }
	     /cowlab|\] 0x[0-9a-f]+$/ { ours = 1 }
	     END { if (rep != "" && ours) printf "%s", rep }' /tmp/kmemleak >/tmp/kmemleak.cowlab
	mine=$(grep -c '^unreferenced object' /tmp/kmemleak.cowlab)
	echo "# kmemleak: $n reports, $mine of them cowlab's"
	if [ "$mine" = 0 ]; then
		[ "$n" = 0 ] || sed 's/^/# (not cowlab) /' /tmp/kmemleak | head -n 40
		ktap_ok "kmemleak: nothing of cowlab's leaked"
	else
		sed 's/^/# /' /tmp/kmemleak.cowlab
		ktap_not_ok "kmemleak: nothing of cowlab's leaked ($mine reports)"
	fi
fi
ktap_check "no cowlab module left loaded" sh -c '! grep -q "^cowlab " /proc/modules'

ktap_finish || rc=1
exit $rc
