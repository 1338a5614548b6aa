#!/usr/bin/env bash
# A scripted session of the interactive lab shell (`make lab`): boot
# `scripts/vm.sh --interactive` under expect, wait for the "lab# " prompt,
# type the course's commands one by one, keep each one's output, power the
# guest off; then check every output.  One guest at a time; each session
# has a hard timeout.  Prints KTAP and "N passed, N failed".
#
# Usage: scripts/lab-test.sh [-k KERNEL]... [-t SECONDS]
#   -k K         kernel: 5.10, 6.1, 6.12, 7.x or a release (repeatable;
#                default: each of $COWLAB_KERNELS, one after the other,
#                about 20 s a session under TCG)
#   -t SECONDS   hard limit per session, default 600
#   --keep DIR   keep the transcripts (DIR/K/console.log, DIR/K/NN.out)
# Exit status: 0 if every check passed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels=() limit=600 keep=
while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) kernels+=("$2"); shift 2 ;;
	-t|--timeout) limit=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"$COWLAB_KERNELS"
command -v expect >/dev/null || die "expect missing: run scripts/setup.sh"

# The commands typed, in order; check_session knows them by index.
COMMANDS=("help" "p run" "show p-heap" "cow run" "show cow-heap" "log cow"
	  "nofork run" "show nofork-heap" "stop all" "show cow-heap" "show p-heap")

# The expect side: boot, wait for the prompt, type each command, save its
# output (everything up to the next prompt, the echo included) as
# DIR/NN.out (NN from 01), then `poweroff -f` and wait for QEMU to end.
# Exit status: 0 done; 3 no prompt or a command timed out; 4 QEMU ended early.
# shellcheck disable=SC2016
EXPECT_SCRIPT='
set vm [lindex $argv 0]
set kernel [lindex $argv 1]
set dir [lindex $argv 2]
set cmds [lrange $argv 3 end]
log_user 0
match_max 1000000
log_file -noappend -a $dir/console.log
proc save {name text} {
	set f [open $name w]
	puts -nonewline $f $text
	close $f
}
proc give_up {code why} {
	global dir
	save $dir/failure "$why\n"
	catch {exec kill [exp_pid]}
	exit $code
}
set timeout 180
spawn -noecho $vm --interactive -k $kernel
expect {
	-re {lab# (\x1b\[6n)?$} { save $dir/00.out $expect_out(buffer) }
	timeout { give_up 3 "no lab# prompt within $timeout s of boot" }
	eof { give_up 4 "QEMU ended before the prompt" }
}
set i 1
foreach c $cmds {
	send -- "$c\r"
	set timeout 120
	expect {
		-re {\r\nlab# (\x1b\[6n)?$} { save [format "%s/%02d.out" $dir $i] $expect_out(buffer) }
		timeout { give_up 3 "no prompt within $timeout s after \"$c\"" }
		eof { give_up 4 "QEMU ended after \"$c\"" }
	}
	incr i
}
send -- "poweroff -f\r"
set timeout 60
expect {
	eof {}
	timeout { give_up 3 "QEMU still runs 60 s after poweroff -f" }
}
catch wait
exit 0
'

n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
# diag [TEXT...]: KTAP comment lines, from the arguments or stdin.
diag() { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi | sed 's/^/# /'; }

# txt N: the file holding the output of command N (01 is the first), without
# the echoed command line, the prompt, carriage returns and colours.
txt() { printf '%s/%02d.txt' "$dir" "$1"; }
clean_outputs() {
	local f
	for f in "$dir"/[0-9][0-9].out; do
		[ -e "$f" ] || continue
		sed -e 's/\r*$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$f" |
			sed '1d;$d' >"${f%.out}.txt"
	done
}

# has N TEXT...: the output of command N holds each TEXT (a fixed string).
has() {
	local i=$1 t
	shift
	for t; do
		grep -qF -- "$t" "$(txt "$i")" && continue
		diag "'${COMMANDS[$((i - 1))]}': no \"$t\" in:"
		diag <"$(txt "$i")"
		return 1
	done
}

# eq WHAT WANT HAVE: equal, or a diagnostic.
eq() {
	[ "$2" = "$3" ] && return 0
	diag "$1: expected \"$2\", got \"$3\""
	return 1
}

# pids N DEMO: "PARENT CHILD" from the first line of `show DEMO-heap`.
pids() {
	sed -n "s/^$2: parent \([0-9]*\), child \([0-9]*\);.*/\1 \2/p" "$(txt "$1")" | head -n 1
}

# region_row N: the region's row of `cowlab diff --pages` in the output of
# command N: START SIZE PERM SHARED EXCL COPIED SHARED EXCL COPIED NAME.
region_row() {
	awk '/^START / { getline; print; exit }' "$(txt "$1")"
}

# faults N WHO PID: "cow_copy cow_zero wp_reuse" of the region for WHO
# (parent or child) in the output of command N.
faults() {
	sed -n "s/^  $2 *$3: cow_copy \([0-9]*\)  cow_zero \([0-9]*\)  wp_reuse \([0-9]*\)$/\1 \2 \3/p" "$(txt "$1")"
}

check_help() {
	local c rc=0
	for c in "p run" "show p-heap" "cow run" "show cow-heap" "nofork run" \
		 "show nofork-heap" "log cow" "log p" "log nofork" "stop cow" \
		 "stop all" "help" "next X \[N\]" "fork_faults run" "zero_fill run"; do
		grep -q "^  $c  " "$(txt 1)" || { diag "help: no line for \"$c\""; rc=1; }
	done
	return $rc
}

# The p demo: every page of the region shared by both, none copied, no
# COW fault in it.
check_p_heap() {
	local pp rc=0
	pp=$(pids 3 p)
	[ -n "$pp" ] || { diag "no 'p: parent P, child C' line in:"; diag <"$(txt 3)"; return 1; }
	has 3 "-- pid ${pp% *} (p)" "-- pid ${pp#* } (p)" || rc=1
	eq "p region: SIZE PERM, then SHARED EXCL COPIED of parent and of child" \
		"2560 rw-p 2560 0 0 2560 0 0" \
		"$(region_row 3 | awk '{ print $2, $3, $4, $5, $6, $7, $8, $9 }')" || rc=1
	eq "p parent's region faults" "0 0 0" "$(faults 3 parent "${pp% *}")" || rc=1
	eq "p child's region faults" "0 0 0" "$(faults 3 child "${pp#* }")" || rc=1
	return $rc
}

# The cow demo, at whatever iteration it is: the parent copied nothing and
# reused page 0 once; the child copied at least page 0, every page it holds
# alone is a copy, and it took one cow_copy per copy; each side's pages add
# up to the region.
check_cow_heap() {
	local pp rc=0
	pp=$(pids 5 cow)
	[ -n "$pp" ] || { diag "no 'cow: parent P, child C' line in:"; diag <"$(txt 5)"; return 1; }
	has 5 "-- pid ${pp% *} (cow)" "-- pid ${pp#* } (cow)" || rc=1
	# shellcheck disable=SC2046
	set -- $(region_row 5)
	[ $# -ge 9 ] || { diag "no region row in:"; diag <"$(txt 5)"; return 1; }
	eq "cow region SIZE PERM" "2560 rw-p" "$2 $3" || rc=1
	eq "cow parent SHARED + EXCL" 2560 $(($4 + $5)) || rc=1
	eq "cow child SHARED + EXCL" 2560 $(($7 + $8)) || rc=1
	eq "cow parent COPIED" 0 "$6" || rc=1
	[ "$9" -ge 1 ] || { diag "cow child COPIED: expected >= 1, got $9"; rc=1; }
	eq "cow child EXCL (= COPIED)" "$9" "$8" || rc=1
	eq "cow parent's region faults" "0 0 1" "$(faults 5 parent "${pp% *}")" || rc=1
	eq "cow child's region faults (cow_copy = COPIED)" "$9 0 0" \
		"$(faults 5 child "${pp#* }")" || rc=1
	return $rc
}

check_log_cow() {
	local pp
	pp=$(pids 5 cow)
	[ -n "$pp" ] && has 6 "child  pid=${pp#* }: buffer[0]=1 (page 0, y=0)" \
			      "parent pid=${pp% *}: buffer[0]=1"
}

# nofork: one process; of its region only page 0 is resident, and it is
# the zero page; no COW fault in it.
check_nofork_heap() {
	local p start rc=0
	p=$(sed -n 's/^nofork: one process, pid \([0-9]*\);.*/\1/p' "$(txt 8)")
	start=$(sed -n 's/^== region buffer: \([0-9a-f]*\)-.*/\1/p' "$(txt 8)")
	if [ -z "$p" ] || [ -z "$start" ]; then
		diag "no 'nofork: one process, pid P' or region line in:"
		diag <"$(txt 8)"
		return 1
	fi
	# vmas --pages: START SIZE PERM RSS SHARED EXCL ZERO COPIED COPY ZERO REUSE NAME
	eq "nofork region: SIZE PERM RSS SHARED EXCL ZERO COPIED COPY ZERO REUSE" \
		"2560 rw-p 1 0 0 1 0 0 0 0" \
		"$(awk -v s="$start" '$1 ~ s "$" { $1 = ""; $NF = ""; print; exit }' "$(txt 8)" | sed 's/^ //; s/ $//')" || rc=1
	eq "nofork region faults" "0 0 0" "$(faults 8 pid "$p")" || rc=1
	return $rc
}

check_stop_all() {
	local pp cp
	pp=$(pids 3 p)
	cp=$(pids 5 cow)
	[ -n "$pp" ] && [ -n "$cp" ] &&
		has 9 "stopped cow (pid $cp)" "stopped p (pid $pp)" "stopped nofork (pid " &&
		has 10 "cow is not running" && has 11 "p is not running"
}

# check_out N DESC FN [ARGS]: a KTAP line for FN's verdict on the output of
# command N (not ok if there is none).
check_out() {
	local i=$1 d=$2
	shift 2
	if [ ! -e "$(txt "$i")" ]; then
		not_ok "$d (no output)"
	elif "$@"; then
		ok "$d"
	else
		not_ok "$d"
	fi
}

CHECKS_PER_SESSION=11

# session K: one boot, then the checks of its transcript.
session() {
	local k=$1 rc=0 reports
	dir=$work/$k
	mkdir -p "$dir"
	echo "# lab session on $k"
	printf '%s\n' "$EXPECT_SCRIPT" >"$dir/session.exp"
	timeout --kill-after=10 "$limit" expect -f "$dir/session.exp" \
		"$COWLAB_TOP/scripts/vm.sh" "$k" "$dir" "${COMMANDS[@]}" || rc=$?
	if [ $rc != 0 ]; then
		[ -e "$dir/failure" ] || echo "session killed after ${limit} s" >"$dir/failure"
		diag <"$dir/failure"
		diag "last console lines:"
		tail -n 20 "$dir/console.log" 2>/dev/null | sed 's/\r$//' | diag
	fi
	clean_outputs
	if [ $rc = 0 ]; then
		ok "$k: boots to the lab prompt, runs ${#COMMANDS[@]} commands, powers off"
	else
		not_ok "$k: boots to the lab prompt, runs ${#COMMANDS[@]} commands, powers off"
	fi
	check_out 1 "$k: help lists every command" check_help
	check_out 2 "$k: p run starts p" has 2 "p 0.1.0: pid=" "runs in the background"
	check_out 3 "$k: show p-heap: all 2560 pages shared by parent and child, none copied" check_p_heap
	check_out 4 "$k: cow run starts cow" has 4 "cow 0.1.0: pid=" "runs in the background"
	check_out 5 "$k: show cow-heap: the child's copies, the parent's one reuse" check_cow_heap
	check_out 6 "$k: log cow shows parent and child writing" check_log_cow
	check_out 7 "$k: nofork run starts nofork" has 7 "nofork 0.1.0: pid=" "runs in the background"
	check_out 8 "$k: show nofork-heap: one page resident, the zero page" check_nofork_heap
	check_out 11 "$k: stop all stops cow, p and nofork" check_stop_all
	reports=$(sed 's/\r$//' "$dir/console.log" 2>/dev/null | "$COWLAB_TOP/scripts/kernel-reports.sh" || true)
	if [ -z "$reports" ]; then
		ok "$k: no kernel BUG/WARNING/Oops report"
	else
		diag "$reports"
		not_ok "$k: no kernel BUG/WARNING/Oops report"
	fi
}

work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/cowlab-labtest.XXXXXX")}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
# Build the initramfs first, outside the session's time limit.
for k in "${kernels[@]}"; do
	rel=$(resolve_kernel "$k") || die "kernel $k is not installed: run scripts/setup.sh"
	"$COWLAB_TOP/scripts/initramfs.sh" "$rel" >/dev/null
done
echo "TAP version 13"
echo "1..$((CHECKS_PER_SESSION * ${#kernels[@]}))"
for k in "${kernels[@]}"; do
	session "$k"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
