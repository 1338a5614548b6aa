#!/usr/bin/env bash
# Every test, on every kernel (5.10, 6.1, 6.12, 7.x): host checks first
# (build without warnings, checkpatch, the reader's unit tests, dkms), then
# the guest suites, one QEMU guest per kernel, two kernels side by side
# (one per core), the lab session, then the debug test kernels (KUnit, and
# the guest suites again under KASAN, lockdep and kmemleak; built once,
# then cached).  Each part prints KTAP; the closing line counts every
# test: "N passed, N failed, N skipped".
#
# Usage: scripts/test.sh [SUITE...]
#   suites: host guest lab kunit (default: all; lab comes with guest)
#   COWLAB_KERNELS="6.1"  limit the kernels; COWLAB_GUEST_TESTS="core" limit
#   the guest scripts (tests/guest/<name>.sh); COWLAB_DEBUG_KERNELS="7.x"
#   limit the debug kernels (default: 6.12 7.x, those of COWLAB_KERNELS);
#   COWLAB_GUESTS=N  guests at once (default 2).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

suites=${*:-host guest kunit}
logs=$COWLAB_BUILD/test-logs
rm -rf "$logs"
mkdir -p "$logs"
# Suites joined by + share one boot (tests/guest/suites.sh): a boot costs
# 15-40 s under TCG.
# redis+prefork (issue 14's Redis BGSAVE and Python prefork server) runs on
# 6.12 and 7.x only: see guest_suite.
guest_tests=${COWLAB_GUEST_TESTS:-core vmas+budget+hugetlb+mthp+sites+timeline+timeline-reader demos+pagemap bpfcheck+paths+pin selftest fuzz+load redis+prefork}
failed_steps=

# plan_check LOG: every KTAP block of LOG must have as many results as its
# plan says (a suite that died half-way has fewer); the mismatches are
# added to LOG as "not ok" lines.
plan_check() {
	"$COWLAB_TOP/scripts/ktap-plan.sh" "$(basename "$1" .log)" <"$1" >"$1.plan" ||
		cat "$1.plan" >>"$1"
	rm -f "$1.plan"
}

# run_step NAME CMD...: run, keep the log, print it.
run_step() {
	local name=$1
	shift
	echo "# ---- $name"
	local t0=$SECONDS
	"$@" >"$logs/$name.log" 2>&1
	local rc=$?
	echo "# $name took $((SECONDS - t0)) s" >>"$logs/$name.log"
	plan_check "$logs/$name.log"
	cat "$logs/$name.log"
	if [ $rc != 0 ]; then
		failed_steps="$failed_steps $name"
		grep -q '^not ok ' "$logs/$name.log" ||
			echo "not ok - $name exited $rc" >>"$logs/$name.log"
	fi
}

build_warnings_free() {
	local k rel n=0 fail=0 out
	echo "TAP version 13"
	echo "1..$(echo $COWLAB_KERNELS | wc -w)"
	for k in $COWLAB_KERNELS; do
		n=$((n + 1))
		rel=$(resolve_kernel "$k") || { echo "not ok $n - build for $k (not installed)"; fail=1; continue; }
		rm -rf "$COWLAB_BUILD/$rel/module"
		out=$("$COWLAB_TOP/scripts/build-module.sh" "$rel" W=1 2>&1)
		if [ $? = 0 ] && ! echo "$out" | grep -qi 'warning:\|error:'; then
			echo "ok $n - cowlab.ko builds for $rel, no warnings (W=1)"
		else
			echo "$out" | sed 's/^/# /'
			echo "not ok $n - cowlab.ko builds for $rel, no warnings (W=1)"
			fail=1
		fi
	done
	return $fail
}

# collect NAME PID:KERNEL...: wait for runs started in the background, each
# logging to $logs/NAME-KERNEL.log, and print their logs in order.
collect() {
	local name=$1 pk rc k log
	shift
	for pk in "$@"; do
		wait "${pk%%:*}"
		rc=$?
		k=${pk#*:}
		log=$logs/$name-$k.log
		echo "# ---- $name $k"
		plan_check "$log"
		cat "$log"
		if [ $rc != 0 ]; then
			failed_steps="$failed_steps $name-$k"
			grep -q '^not ok ' "$log" ||
				echo "not ok - $name $k exited $rc" >>"$log"
		fi
	done
}

debug_kernel() {
	local rel t0=$SECONDS

	echo "1..1"
	rel=$("$COWLAB_TOP/scripts/build-test-kernel.sh" "$1") || {
		echo "not ok 1 - debug test kernel $1 builds"
		return 1
	}
	echo "ok 1 - debug test kernel $rel ready ($((SECONDS - t0)) s; cached in $COWLAB_CACHE/kernels)"
}

# Everything the guests need, built once, sequentially: the kernel's own
# COW selftest (selftest.sh runs it) and the initramfs, per kernel.
guest_setup() {
	local k rel n=1 fail=0

	echo "TAP version 13"
	echo "1..$(($(echo $COWLAB_KERNELS | wc -w) * 2 + 2))"
	if "$COWLAB_TOP/scripts/guest-python.sh" >/dev/null; then
		echo "ok 1 - Python overlay for the guests (pagemap.sh, prefork.sh)"
	else
		echo "not ok 1 - Python overlay for the guests (pagemap.sh, prefork.sh)"
		fail=1
	fi
	n=$((n + 1))
	if "$COWLAB_TOP/scripts/guest-redis.sh" >/dev/null; then
		echo "ok $n - Redis overlay for the guests (redis.sh)"
	else
		echo "not ok $n - Redis overlay for the guests (redis.sh)"
		fail=1
	fi
	for k in $COWLAB_KERNELS; do
		n=$((n + 1))
		if ! rel=$(resolve_kernel "$k"); then
			echo "not ok $n - kernel $k set up"
			n=$((n + 1))
			echo "not ok $n - initramfs for $k"
			fail=1
			continue
		fi
		if "$COWLAB_TOP/scripts/selftest-cow.sh" "$rel" >/dev/null; then
			echo "ok $n - COW selftest built for $rel"
		else
			echo "not ok $n - COW selftest built for $rel"
			fail=1
		fi
		n=$((n + 1))
		if "$COWLAB_TOP/scripts/initramfs.sh" "$rel" >/dev/null; then
			echo "ok $n - initramfs for $rel"
		else
			echo "not ok $n - initramfs for $rel"
			fail=1
		fi
	done
	return $fail
}

guest_suite() {
	local k=$1 t rc=0 extra cmd
	for t in $guest_tests; do
		local t0=$SECONDS
		echo "# guest $k: $t"
		# The workload boots (issue 14) run, by default, on 6.12 and
		# the newest 7.x only, as the issue asks: each takes minutes
		# under TCG, and make test's CI budget has no room for them on
		# every kernel.  Asked for by name (COWLAB_GUEST_TESTS), they
		# run on any.
		case "+$t+" in
		*+prefork+* | *+redis+*)
			if [ -z "${COWLAB_GUEST_TESTS:-}" ] && [ "$k" != 6.12 ] &&
			   [ "$k" != 7.x ]; then
				echo "# guest $k: $t not run: workloads on 6.12 and 7.x only (CI budget)"
				continue
			fi ;;
		esac
		# pagemap.sh and prefork.sh run Python: the overlay of
		# scripts/guest-python.sh; redis.sh runs Redis: the overlay of
		# scripts/guest-redis.sh (both cached; built by guest_setup).
		extra=()
		case "+$t+" in
		*+pagemap+* | *+prefork+*)
			extra=(-x "$("$COWLAB_TOP/scripts/guest-python.sh")") ;;
		esac
		case "+$t+" in
		*+redis+*) extra+=(-x "$("$COWLAB_TOP/scripts/guest-redis.sh")") ;;
		esac
		cmd=("/guest/$t.sh")
		[[ $t == *+* ]] && cmd=(/guest/suites.sh ${t//+/ })
		# load.sh in short: 50 insmod/rmmod cycles (1.1 s each on
		# 6.1 on a quiet host, up to 6 s beside other guests) and 10 s
		# of stress-ng; its defaults are the issue's 1,000 cycles and
		# 30 s (make load).  core.sh's lighter cycles (insmod, procs,
		# rmmod under fork load: a subset of load.sh's) 50, not 200.
		COWLAB_T_LOAD_CYCLES=${COWLAB_T_LOAD_CYCLES:-50} \
		COWLAB_T_STRESS_SECS=${COWLAB_T_STRESS_SECS:-10} \
		COWLAB_T_CYCLES=${COWLAB_T_CYCLES:-50} \
			"$COWLAB_TOP/scripts/vm.sh" -k "$k" -t 1800 "${extra[@]}" \
			"${cmd[@]}" || rc=1
		echo "# guest $k: $t took $((SECONDS - t0)) s"
	done
	return $rc
}

if [[ " $suites " == *" host "* ]]; then
	run_step build build_warnings_free
	run_step checkpatch "$COWLAB_TOP/scripts/checkpatch.sh"
	if [ -x "$COWLAB_TOP/tests/reader/run.sh" ]; then
		run_step reader "$COWLAB_TOP/tests/reader/run.sh"
	fi
	run_step demo-model make -s -C "$COWLAB_TOP" test-demo-model \
		BUILD="$COWLAB_BUILD"
	run_step dkms "$COWLAB_TOP/scripts/dkms-test.sh"
fi

if [[ " $suites " == *" guest "* ]]; then
	# Build once, sequentially, then boot the kernels side by side.
	run_step guest-setup guest_setup
	# At most COWLAB_GUESTS at once: a TCG guest keeps one core busy.
	set -- $COWLAB_KERNELS
	while [ $# -gt 0 ]; do
		pids=
		for _ in $(seq "${COWLAB_GUESTS:-2}"); do
			[ $# -gt 0 ] || break
			guest_suite "$1" >"$logs/guest-$1.log" 2>&1 &
			pids="$pids $!:$1"
			shift
		done
		collect guest $pids
	done
fi

if [[ " $suites " == *" lab "* ]] || { [[ " $suites " == *" guest "* ]] && [ -z "${COWLAB_GUEST_TESTS:-}" ]; }; then
	run_step lab "$COWLAB_TOP/scripts/lab-test.sh"
fi

if [[ " $suites " == *" kunit "* ]]; then
	# The debug kernels: 6.12 and the newest 7.x by default (6.1's still
	# builds: COWLAB_DEBUG_KERNELS="6.1 6.12 7.x").
	debug_kernels=
	for k in ${COWLAB_DEBUG_KERNELS:-6.12 7.x}; do
		[[ " $COWLAB_KERNELS " == *" $k "* ]] && debug_kernels="$debug_kernels $k"
	done
	# Build them one after the other (each uses every CPU), then run them
	# side by side.
	for k in $debug_kernels; do
		run_step "debug-kernel-$k" debug_kernel "$k"
	done
	pids=
	for k in $debug_kernels; do
		[[ " $failed_steps " == *" debug-kernel-$k "* ]] && continue
		"$COWLAB_TOP/scripts/test-kunit.sh" "$k" >"$logs/kunit-$k.log" 2>&1 &
		pids="$pids $!:$k"
	done
	collect kunit $pids
fi

pass=$(cat "$logs"/*.log | grep -E '^ok ' | grep -vc '# SKIP')
skip=$(cat "$logs"/*.log | grep -E '^ok ' | grep -c '# SKIP')
fail=$(cat "$logs"/*.log | grep -cE '^not ok ')
echo "# ----"
echo "# make test took $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ -n "$failed_steps" ] && echo "# failed:$failed_steps"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ -z "$failed_steps" ]
