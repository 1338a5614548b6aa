#!/bin/sh
# shellcheck disable=SC3043 # local: busybox ash has it
# Issue 12: userspace/demos/pagemap_check.py in the guest.  Each demo runs
# under pagemap_check.py (as `make -C userspace/demos pagemap-check` does
# on a host), which at every checkpoint compares each "# expect" line of
# the demo's model with the kernel's own page tables, without cowlab:
# /proc/PID/pagemap for the PFNs, /proc/kpagecount for the mapcount (so
# shared/exclusive per page, also inside a PMD-mapped THP where pagemap's
# exclusive bit is per PMD on 5.10 and 7.x), /proc/kpageflags for the zero
# pages and THPs; cow_copy, cow_zero, thp_zero and copied from the PFNs
# that changed.  Once with 4 KiB pages only (--nohuge, the demos' default)
# and once with --huge, where the demos' model follows THP by asking the
# kernel (thp_fault_alloc) and kernels differ (7.x replaces the huge zero
# page by a THP and reuses a large folio that only this process maps).
#
# One Python process runs them all (pagemap_check.py --each: starting the
# interpreter costs ~0.5 s under TCG).  One KTAP line per demo run: ok
# when the demo exited 0 and every one of the expected number of
# "# expect" lines matched; each mismatch is a "#" line before it.  A
# --huge run whose demo says it cannot follow THP on this kernel (and so
# prints no expectation) is skipped with its reason.
#
# Needs Python: boot with the overlay of scripts/guest-python.sh
#   scripts/vm.sh -k 6.12 -x "$(scripts/guest-python.sh)" /guest/pagemap.sh
# Without it every run is "not ok": nothing was checked.
. /guest/ktap.sh
PY=${COWLAB_T_PYTHON:-python3}
CHECK=${COWLAB_T_PAGEMAP_CHECK:-/usr/share/cowlab/pagemap_check.py}
W=/tmp/pagemap
rc=0

# "# expect" lines each run prints (default pages), then the command; the
# runs of the Makefile's pagemap-check, then each again with --huge.
runs() {
	cat <<'EOF'
44 cow --steps 20
4 nofork --steps 3
10 p --steps 3
8 fork_msg
6 two_pages
8 fork_exec
4 vfork_exec
11 fork_faults
3 zero_fill
24 shared_private
9 threads_fork
EOF
}
all_runs() {
	runs
	runs | sed 's/$/ --huge/'
}

# result N EXPECTS DESC: the KTAP line of run N from its output $W/run.N
# (pagemap_check.py's lines from "run: CMD" on).
result() {
	local n="$1" nexp="$2" desc="$3" out="$W/run.$1" sum passed failed why
	if [ ! -s "$out" ]; then
		# pagemap_check.py's last words, before the first run it missed
		[ -e $W/err.shown ] || sed 's/^/# stderr: /' $W/err | tail -n 10
		: >$W/err.shown
		ktap_not_ok "$desc: no result (pagemap_check.py exited $status)"
		rc=1
		return
	fi
	sum=$(sed -n 's/^time: //p' "$out")
	[ -z "$sum" ] || echo "# $desc: $sum"
	# "DEMO: N passed, N failed"
	sum=$(grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' "$out")
	passed=$(echo "$sum" | sed -n 's/^[a-z_]*: \([0-9]*\) passed, .*/\1/p')
	failed=$(echo "$sum" | sed -n 's/^[a-z_]*: .* \([0-9]*\) failed$/\1/p')
	# The demo's note says why it printed no expectation.
	why=$(sed -n 's/^note: --huge: .*cannot follow it here (\(.*\)).*/\1/p' \
	      "$out")
	if [ "$passed" = 0 ] && [ "$failed" = 0 ] && [ -n "$why" ]; then
		ktap_skip "$why" "$desc"
		return
	fi
	if [ "$failed" = 0 ] && [ "$passed" = "$nexp" ]; then
		ktap_ok "$desc: $passed expect lines as pagemap and" \
			"kpagecount show them"
		return
	fi
	grep '^FAIL ' "$out" | head -n 20 | sed 's/^/# /'
	[ -n "$passed" ] && [ $((passed + failed)) != "$nexp" ] &&
		echo "# $desc: $((passed + failed)) expect lines, $nexp expected"
	ktap_not_ok "$desc: ${passed:-?} passed, ${failed:-?} failed of" \
		"$nexp expect lines"
	rc=1
}

rm -rf $W
mkdir -p $W
# khugepaged could collapse a block of the region into a THP behind the
# model's back, between a step and its checkpoint: keep it asleep.
echo 86400000 \
	>/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs \
	2>/dev/null
ktap_plan "$(all_runs | wc -l)"
if ! command -v "$PY" >/dev/null || [ ! -r "$CHECK" ]; then
	echo "# no $PY or no $CHECK in this guest: boot with" \
	     "scripts/vm.sh -x \"\$(scripts/guest-python.sh)\""
	all_runs | while read -r _ cmd; do
		ktap_not_ok "$cmd: no Python in the guest"
	done
	echo "0 passed, $(all_runs | wc -l) failed, 0 skipped"
	exit 1
fi
# The runs as arguments, "/usr/bin/DEMO ARGS" each.
exec 5<<EOF
$(all_runs)
EOF
set --
while read -r _ cmd <&5; do
	set -- "$@" "/usr/bin/$cmd"
done
exec 5<&-
"$PY" "$CHECK" --each "$@" >$W/all 2>$W/err </dev/null
status=$?
awk -v dir=$W '/^run: /{ n++ } n { print > (dir "/run." n) }' $W/all
n=0
exec 5<<EOF
$(all_runs)
EOF
while read -r nexp cmd <&5; do
	n=$((n + 1))
	result $n "$nexp" "$cmd"
done
exec 5<&-
# Every run ok, yet a failure status: say so (it is counted below).
[ $status = 0 ] || [ $rc != 0 ] ||
	{ echo "# pagemap_check.py exited $status"; rc=1; }
ktap_finish || rc=1
exit $rc
