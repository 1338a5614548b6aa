#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the course demos, no cowlab needed: run each one bounded,
# with --wait driven through a pipe, and check the exit status, the number
# of checkpoints, the format of every '# ' line (README.md) and, for the
# runs with 4 KiB pages only, every value of every checkpoint: the demos'
# model is deterministic there, and its lines must be exactly the ones of
# README.md's "Checkpoints by demo" (below, for these page counts and
# steps). Whether cowlab then shows those values is demos.sh's test, in
# the guest. POSIX sh, so it also runs under busybox.
#
# Usage: smoke.sh [BUILD_DIR]     (default ./build)

BIN=${1:-./build}
TMP=${TMPDIR:-/tmp}/demo-smoke.$$
mkdir -p "$TMP" || exit 1
trap 'rm -rf "$TMP"' EXIT

n=0
passed=0
failed=0

ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# check_output FILE STEPS WAITING EXPECTS HUGE: prints nothing if FILE is
# well formed. EXPECTS: "some" expect lines, or "any" number; HUGE: 1 if
# the run had --huge (its expect lines then carry the thp keys).
check_output() {
	awk -v steps="$2" -v waiting="$3" '
	function bad(msg) { print msg; errs++ }
	BEGIN {
		re = "^# expect pid=[0-9]+ addr=[0-9a-f]+-[0-9a-f]+ " \
		     "cow_copy=\\+[0-9]+ cow_zero=\\+[0-9]+ wp_reuse=\\+[0-9]+ " \
		     "resident=[0-9]+ shared=[0-9]+ exclusive=[0-9]+ " \
		     "zero=[0-9]+ copied=[0-9]+" \
		     "( thp_reuse=\\+[0-9]+ thp_split=\\+[0-9]+ thp_zero=\\+[0-9]+)?$"
	}
	/^# step / {
		if ($3 != nstep)
			bad("step number " $3 ", expected " nstep)
		if ($0 !~ /^# step [0-9]+ [a-z0-9-]+: ./)
			bad("malformed: " $0)
		nstep++
		next
	}
	/^# expect / {
		if ($0 !~ re) {
			bad("malformed: " $0)
			next
		}
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		if (v["resident"] != v["shared"] + v["exclusive"] + v["zero"])
			bad("resident != shared + exclusive + zero: " $0)
		if (v["copied"] > v["exclusive"])
			bad("copied > exclusive: " $0)
		if (!nstep)
			bad("expect before any step: " $0)
		nhuge += ("thp_zero" in v)
		delete v
		nexpect++
		next
	}
	/^# waiting$/ { nwait++; next }
	/^# note: / { next }
	/^#/ { bad("unknown # line: " $0) }
	END {
		if (nstep != steps)
			bad(nstep " steps, expected " steps)
		if (nwait != (waiting ? nstep : 0))
			bad(nwait " waiting lines for " nstep " steps")
		if (expects == "some" && !nexpect)
			bad("no expect line")
		if (huge && nexpect && nhuge != nexpect)
			bad(nhuge " of " nexpect " expect lines with thp keys")
		if (!huge && nhuge)
			bad("thp keys without --huge")
	}' expects="${4:-some}" huge="$5" "$1"
}

# The checkpoints of a run, one line each: "N name: Pa +cow_copy +cow_zero
# +wp_reuse resident/shared/exclusive/zero/copied, Ca ...": P the first pid
# of the run's expect lines (the parent), C any other (the child); a, b the
# regions in the order they first appear.
NORM='
function flush() { if (line != "") print line; line = "" }
/^# step / { flush(); name = $4; sub(/:$/, "", name); line = $3 " " name ":"; sep = " "; next }
/^# expect / {
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (!($3 in role)) role[$3] = nroles++ ? "C" : "P"
	if (!($4 in reg)) reg[$4] = substr("abcdefgh", ++nreg, 1)
	line = line sep role[$3] reg[$4] " " v["cow_copy"] " " v["cow_zero"] " " \
	       v["wp_reuse"] " " v["resident"] "/" v["shared"] "/" \
	       v["exclusive"] "/" v["zero"] "/" v["copied"]
	sep = ", "
}
END { flush() }'

# want "NAME ARGS": the exact checkpoints of that run (README.md's tables,
# at these sizes), or status 1 where none are fixed: with --huge the kernel
# decides where a THP backs the region (the model asks thp_fault_alloc), so
# those runs get the format and invariant checks only.
want() {
	case $1 in
	"cow --steps 3") cat <<'EOF'
0 touched: Pa +0 +0 +0 2560/0/2560/0/0
1 fork: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
2 iteration: Pa +0 +0 +1 2560/2559/1/0/0, Ca +1 +0 +0 2560/2559/1/0/1
3 iteration: Pa +0 +0 +0 2560/2559/1/0/0, Ca +0 +0 +0 2560/2559/1/0/1
4 iteration: Pa +0 +0 +0 2560/2559/1/0/0, Ca +0 +0 +0 2560/2559/1/0/1
5 child-exit: Pa +0 +0 +0 2560/0/2560/0/0
EOF
	;;
	"nofork --steps 3") cat <<'EOF'
0 mapped: Pa +0 +0 +0 0/0/0/0/0
1 iteration: Pa +0 +0 +0 1/0/0/1/0
2 iteration: Pa +0 +0 +0 1/0/0/1/0
3 iteration: Pa +0 +0 +0 1/0/0/1/0
EOF
	;;
	"p --steps 3") cat <<'EOF'
0 touched: Pa +0 +0 +0 2560/0/2560/0/0
1 fork: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
2 iteration: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
3 iteration: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
4 iteration: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
5 child-exit: Pa +0 +0 +0 2560/0/2560/0/0
EOF
	;;
	"fork_msg ") cat <<'EOF'
0 message: Pa +0 +0 +0 1/0/1/0/0
1 fork: Pa +0 +0 +0 1/1/0/0/0, Ca +0 +0 +0 1/1/0/0/0
2 child-read: Pa +0 +0 +0 1/1/0/0/0, Ca +0 +0 +0 1/1/0/0/0
3 child-write: Pa +0 +0 +0 1/0/1/0/0, Ca +1 +0 +0 1/0/1/0/1
4 child-exit: Pa +0 +0 +0 1/0/1/0/0
EOF
	;;
	"two_pages ") cat <<'EOF'
0 touched: Pa +0 +0 +0 2/0/2/0/0
1 fork: Pa +0 +0 +0 2/2/0/0/0, Ca +0 +0 +0 2/2/0/0/0
2 child-write: Pa +0 +0 +0 2/1/1/0/0, Ca +1 +0 +0 2/1/1/0/1
3 child-exit: Pa +0 +0 +0 2/0/2/0/0
EOF
	;;
	"fork_exec ") cat <<'EOF'
0 touched: Pa +0 +0 +0 2560/0/2560/0/0
1 fork: Pa +0 +0 +0 2560/2560/0/0/0, Ca +0 +0 +0 2560/2560/0/0/0
2 child-write: Pa +0 +0 +0 2560/1280/1280/0/0, Ca +1280 +0 +0 2560/1280/1280/0/1280
3 exec: Pa +0 +0 +0 2560/0/2560/0/0
4 parent-write: Pa +0 +0 +2560 2560/0/2560/0/0
5 child-exit: Pa +0 +0 +0 2560/0/2560/0/0
EOF
	;;
	"vfork_exec ") cat <<'EOF'
0 touched: Pa +0 +0 +0 2560/0/2560/0/0
1 vfork-exec: Pa +0 +0 +0 2560/0/2560/0/0
2 parent-write: Pa +0 +0 +0 2560/0/2560/0/0
3 child-exit: Pa +0 +0 +0 2560/0/2560/0/0
EOF
	;;
	"fork_faults --pages 64") cat <<'EOF'
0 allocate: Pa +0 +0 +0 0/0/0/0/0
1 touch: Pa +0 +0 +0 64/0/64/0/0
2 fork: Pa +0 +0 +0 64/64/0/0/0, Ca +0 +0 +0 64/64/0/0/0
3 child-read: Pa +0 +0 +0 64/64/0/0/0, Ca +0 +0 +0 64/64/0/0/0
4 child-write: Pa +0 +0 +0 64/0/64/0/0, Ca +64 +0 +0 64/0/64/0/64
5 parent-write: Pa +0 +0 +64 64/0/64/0/0, Ca +0 +0 +0 64/0/64/0/64
6 child-exit: Pa +0 +0 +0 64/0/64/0/0
EOF
	;;
	"zero_fill ") cat <<'EOF'
0 mapped: Pa +0 +0 +0 0/0/0/0/0
1 read: Pa +0 +0 +0 2560/0/0/2560/0
2 write: Pa +0 +2560 +0 2560/0/2560/0/2560
EOF
	;;
	"shared_private --pages 16") cat <<'EOF'
0 touched: Pa +0 +0 +0 16/0/16/0/0, Pb +0 +0 +0 16/0/16/0/0
1 fork: Pa +0 +0 +0 16/0/16/0/0, Ca +0 +0 +0 0/0/0/0/0, Pb +0 +0 +0 16/16/0/0/0, Cb +0 +0 +0 16/16/0/0/0
2 child-write: Pa +0 +0 +0 16/16/0/0/0, Ca +0 +0 +0 16/16/0/0/0, Pb +0 +0 +0 16/0/16/0/0, Cb +16 +0 +0 16/0/16/0/16
3 parent-read: Pa +0 +0 +0 16/16/0/0/0, Ca +0 +0 +0 16/16/0/0/0, Pb +0 +0 +0 16/0/16/0/0, Cb +0 +0 +0 16/0/16/0/16
4 parent-write: Pa +0 +0 +0 16/16/0/0/0, Ca +0 +0 +0 16/16/0/0/0, Pb +0 +0 +16 16/0/16/0/0, Cb +0 +0 +0 16/0/16/0/16
5 child-read: Pa +0 +0 +0 16/16/0/0/0, Ca +0 +0 +0 16/16/0/0/0, Pb +0 +0 +0 16/0/16/0/0, Cb +0 +0 +0 16/0/16/0/16
6 child-exit: Pa +0 +0 +0 16/0/16/0/0, Pb +0 +0 +0 16/0/16/0/0
EOF
	;;
	"threads_fork --pages 16") cat <<'EOF'
0 touched: Pa +0 +0 +0 16/0/16/0/0
1 threads-write: Pa +0 +0 +0 16/0/16/0/0
2 fork: Pa +0 +0 +0 16/16/0/0/0, Ca +0 +0 +0 16/16/0/0/0
3 child-write: Pa +0 +0 +0 16/0/16/0/0, Ca +16 +0 +0 16/0/16/0/16
4 threads-write-again: Pa +0 +0 +16 16/0/16/0/0, Ca +0 +0 +0 16/0/16/0/16
5 child-exit: Pa +0 +0 +0 16/0/16/0/0
EOF
	;;
	*) return 1 ;;
	esac
}

# run NAME STEPS "ARGS" [any]: a bounded run with --wait, then without.
run() {
	name=$1
	steps=$2
	args=$3
	for mode in wait nowait; do
		desc="$name $args ($mode)"
		if [ $mode = wait ]; then
			# one line per pause, as many as it asks for; no sleep
			yes '' | "$BIN/$name" $args --wait >"$TMP/out" 2>"$TMP/err"
			rc=$?
			w=1
		else
			"$BIN/$name" $args --no-wait </dev/null >"$TMP/out" \
				2>"$TMP/err"
			rc=$?
			w=0
		fi
		if [ $rc -ne 0 ]; then
			not_ok "$desc" "exit status $rc" "$(cat "$TMP/err")"
			continue
		fi
		case " $args " in
		*" --huge "*) huge=1 ;;
		*) huge=0 ;;
		esac
		errs=$(check_output "$TMP/out" "$steps" $w "${4:-some}" $huge)
		if [ -z "$errs" ] && want "$name $args" >"$TMP/want"; then
			awk "$NORM" "$TMP/out" >"$TMP/got"
			cmp -s "$TMP/want" "$TMP/got" ||
				errs="checkpoints differ from README.md's (- wanted, + got):
$(diff -u "$TMP/want" "$TMP/got" | grep '^[-+][0-9]')"
		fi
		if [ -n "$errs" ]; then
			not_ok "$desc" "$errs"
		else
			ok "$desc"
		fi
	done
}

# status NAME WANT "ARGS": the exit status alone.
status() {
	"$BIN/$1" $3 </dev/null >/dev/null 2>&1
	rc=$?
	if [ $rc -eq "$2" ]; then
		ok "$1 $3: exit status $2"
	else
		not_ok "$1 $3: exit status $2" "got $rc"
	fi
}

echo "KTAP version 1"
echo "1..36"

run cow 6 "--steps 3"
run nofork 4 "--steps 3"
run p 6 "--steps 3"
run fork_msg 5 ""
run two_pages 4 ""
run fork_exec 6 ""
run vfork_exec 4 ""
run fork_faults 7 "--pages 64"
run zero_fill 3 ""
run shared_private 7 "--pages 16"
run threads_fork 6 "--pages 16"
# --huge: expect lines only where THP can be followed (a note says why not)
run cow 4 "--steps 1 --pages 1024 --huge" any
run zero_fill 3 "--pages 1024 --huge" any

status cow 0 "--help"
status fork_exec 0 "--version"
status cow 2 "--pages 0"
status two_pages 2 "--pages 1"
status p 2 "--bogus"
status nofork 2 "--exec /bin/true"
status zero_fill 2 "extra"
status fork_exec 1 "--exec /nonexistent/program"
status vfork_exec 1 "--exec /nonexistent/program"
status cow 2 "--steps -1"

echo "smoke: $passed passed, $failed failed"
[ $failed -eq 0 ]
