#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the reader, cowlab(1): no module needed. Builds the reader
# with AddressSanitizer and UBSan, runs the cases in ./cases against the
# fixture directories in ./fixtures and the goldens in ./expected, then a few
# tests that need a terminal, another user or a mount namespace. Prints
# KTAP; the last line is "N passed, N failed"; exits 1 if any failed.
#
# Usage: tests/reader/run.sh [--update] [NAME...]
#   NAME...    only these cases (and no other tests)
#   --update   write expected/NAME.{out,err} from the reader's output
#              instead of comparing. Review every changed line by hand
#              (git diff tests/reader/expected) before committing it.
#
# Environment: CC (default: clang if installed, else gcc), KEEP=1 keeps
# the build and scratch directory.
set -u
export LC_ALL=C
unset COWLAB_DEBUGFS NO_COLOR

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here" || exit 1

update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
only=("$@")

if [ -z "${CC:-}" ]; then
	if command -v clang >/dev/null; then CC=clang; else CC=gcc; fi
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cowlab-reader-test.XXXXXX")
chmod 755 "$work"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
R=$work/cowlab

# Sanitizer reports get exit codes of their own, not our 1 and 2.
export ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1
export LSAN_OPTIONS=exitcode=88

n=0
passed=0
failed=0
skipped=0

ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

skip() {
	n=$((n + 1))
	skipped=$((skipped + 1))
	echo "ok $n - $1 # SKIP $2"
}

# Show a file as KTAP diagnostics.
diag() {
	sed -n '1,40s/^/# /p' "$1"
}

# crashed RC ERRFILE: a sanitizer report or a signal, rather than an answer?
crashed() {
	[ "$1" -ge 86 ] || grep -qE 'Sanitizer|runtime error' "$2"
}

# run_case NAME EXIT ARGS...: run, compare with the goldens.
run_case() {
	local name=$1 want=$2 rc why=""
	shift 2
	local out=$work/$name.out err=$work/$name.err
	"$R" "$@" > "$out" 2> "$err"
	rc=$?
	if [ "$update" = 1 ]; then
		cp "$out" "expected/$name.out"
		if [ -s "$err" ]; then
			cp "$err" "expected/$name.err"
		else
			rm -f "expected/$name.err"
		fi
	fi
	if crashed "$rc" "$err"; then
		why="crashed (exit $rc)"
	elif [ "$rc" != "$want" ]; then
		why="exit $rc, want $want"
	elif [ ! -e "expected/$name.out" ]; then
		why="no expected/$name.out (run.sh --update $name, then review it)"
	elif ! cmp -s "$out" "expected/$name.out"; then
		why="stdout differs from expected/$name.out"
		diff -u "expected/$name.out" "$out" > "$work/$name.diff"
	elif [ -e "expected/$name.err" ] && ! cmp -s "$err" "expected/$name.err"; then
		why="stderr differs from expected/$name.err"
		diff -u "expected/$name.err" "$err" > "$work/$name.diff"
	elif [ ! -e "expected/$name.err" ] && [ -s "$err" ]; then
		why="unexpected stderr"
		cp "$err" "$work/$name.diff"
	elif [[ " $* " == *" --json "* ]] && [ "$rc" = 0 ] && ! json_ok "$out" "$*"; then
		why="not valid JSON"
	fi
	if [ -n "$why" ]; then
		not_ok "$name: $why"
		[ -e "$work/$name.diff" ] && diag "$work/$name.diff"
		[ -s "$err" ] && diag "$err"
	else
		ok "$name"
	fi
}

# json_ok FILE ARGS: FILE is one JSON document (top: one per line).
json_ok() {
	command -v python3 >/dev/null || return 0
	python3 - "$1" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
docs = text.splitlines() if " top " in " " + sys.argv[2] + " " else [text]
for d in docs:
    json.loads(d)
EOF
}

build() {
	if make -s -C "$top/userspace/reader" OUT="$work" SANITIZE=1 CC="$CC" \
		> "$work/build.log" 2>&1; then
		ok "build cowlab with $CC -fsanitize=address,undefined"
	else
		not_ok "build cowlab with $CC -fsanitize=address,undefined"
		diag "$work/build.log"
		echo "Bail out! the reader does not build"
		echo "$passed passed, $failed failed"
		exit 1
	fi
	# Leak checking needs ptrace; some sandboxes refuse it.
	if "$R" --version 2>&1 | grep -q 'LeakSanitizer has encountered a fatal error'; then
		echo "# LeakSanitizer cannot run here: leak checks off"
		export ASAN_OPTIONS=exitcode=86:detect_leaks=0:abort_on_error=0
	fi
}

# Every --help fits 80 columns and exits 0; --version names cowlab.
t_help() {
	local c bad=""
	for c in "" procs top vmas diff map status sites timeline; do
		# shellcheck disable=SC2086
		if ! "$R" $c --help > "$work/help" 2>&1; then
			bad="$bad '$c --help' failed;"
		elif awk 'length > 80 { exit 1 }' "$work/help"; then
			:
		else
			bad="$bad '$c --help' is wider than 80;"
		fi
	done
	"$R" --version | grep -q '^cowlab ' || bad="$bad --version;"
	"$R" help map | grep -q '^Usage: cowlab map' || bad="$bad 'help map';"
	if [ -n "$bad" ]; then not_ok "help and version: $bad"; else ok "help and version"; fi
}

# The lab's procs, top and map (and procs on 5.10 and 7.x, and of a module
# with more classes than the reader knows) fit an 80-column console;
# --wide is meant to be wider.
t_width() {
	local f bad=""
	for f in expected/procs-lab*.out expected/procs-k*.out \
		 expected/procs-new*.out expected/procs-missing.out \
		 expected/top-lab.out expected/top-new.out expected/map-4*.out \
		 expected/map-stack*.out expected/map-heap-color.out \
		 expected/map-gaps*.out expected/timeline-*.out; do
		case $f in *json* | *wide* | *svg*) continue ;; esac
		# Colour codes take no room on the screen.
		sed 's/\x1b\[[0-9;]*m//g' "$f" |
			awk 'length > 80 { exit 1 }' || bad="$bad $f"
	done
	# With COST, the header fits; a long comm (a redis child's 15
	# characters, indented) runs past 80, as in ps.
	for f in expected/procs-exposure*.out; do
		case $f in *json* | *wide*) continue ;; esac
		awk '/COMM$/ { if (length > 80) exit 1; found = 1 }
		     END { exit !found }' "$f" || bad="$bad $f"
	done
	if [ -n "$bad" ]; then not_ok "80 columns:$bad"; else ok "lab outputs fit 80 columns"; fi
}

# COWLAB_DEBUGFS does what --debugfs does.
t_env() {
	if COWLAB_DEBUGFS=fixtures/lab "$R" procs 2>&1 | cmp -s - expected/procs-lab.out; then
		ok "COWLAB_DEBUGFS selects the directory"
	else
		not_ok "COWLAB_DEBUGFS selects the directory"
	fi
}

# msg_check DESC RC OUT ERR TEXT: exit 1, nothing on stdout, and exactly
# TEXT on stderr: the messages that say what is wrong with the machine
# and how to fix it are part of the interface.
msg_check() {
	local desc=$1 rc=$2 out=$3 err=$4
	printf '%s\n' "$5" > "$work/msg.want"
	if [ "$rc" = 1 ] && [ ! -s "$out" ] && cmp -s "$err" "$work/msg.want"; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc, want 1)"
		diff -u "$work/msg.want" "$err" > "$work/msg.diff"
		diag "$work/msg.diff"
	fi
}

# as_nobody CMD...: run CMD as uid and gid 65534, no groups.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

can_be_nobody() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null
}

# The first debugfs mount point in /proc/mounts, or nothing.
debugfs_at() {
	awk '$3 == "debugfs" { print $2; exit }' /proc/mounts
}

# A cowlab directory whose parent is not debugfs: "mount -t debugfs"
# (where debugfs is mounted elsewhere, t_not_loaded), also as another
# user than root, who needs root for both.
t_not_mounted() {
	local rc
	mkdir -p "$work/debug"
	if [ -n "$(debugfs_at)" ]; then
		skip "debugfs not mounted" "debugfs is mounted here (t_not_loaded checks that message)"
		skip "debugfs not mounted, not root" "debugfs is mounted here"
		return
	fi
	"$R" --debugfs "$work/debug/cowlab" procs > "$work/nm.out" 2> "$work/nm.err"
	rc=$?
	msg_check "debugfs not mounted: says how to mount it" "$rc" \
		"$work/nm.out" "$work/nm.err" \
		"cowlab: debugfs is not mounted: mount -t debugfs none $work/debug"
	if ! can_be_nobody; then
		skip "debugfs not mounted, not root" "needs root and setpriv to become nobody"
		return
	fi
	as_nobody "$R" --debugfs "$work/debug/cowlab" procs > "$work/nm.out" 2> "$work/nm.err"
	msg_check "debugfs not mounted, not root: mount and run as root" "$?" \
		"$work/nm.out" "$work/nm.err" \
		"cowlab: debugfs is not mounted: as root, mount -t debugfs none $work/debug
        (and run cowlab as root: debugfs is root-only)"
}

# The default directory on this machine: an answer a person can act on.
t_default() {
	"$R" procs > "$work/def.out" 2> "$work/def.err"
	local rc=$?
	if [ -d /sys/kernel/debug/cowlab ]; then
		skip "default directory" "a cowlab module is loaded here"
	elif [ $rc = 1 ] && grep -qE 'mount -t debugfs|insmod cowlab.ko|run as root' "$work/def.err"; then
		ok "default directory: $(head -n1 "$work/def.err")"
	else
		not_ok "default directory (exit $rc)"
		diag "$work/def.err"
	fi
}

# debugfs mounted, cowlab not loaded: "insmod cowlab.ko"; and debugfs
# mounted, but not at the parent of --debugfs: "use --debugfs" where it
# is. Needs a private mount namespace to mount a debugfs of our own.
t_not_loaded() {
	local rc mnt
	mkdir -p "$work/dbg" "$work/debug"
	if ! unshare -m true 2>/dev/null; then
		skip "module not loaded" "cannot unshare a mount namespace"
		skip "debugfs mounted elsewhere" "cannot unshare a mount namespace"
		return
	fi
	unshare -m sh -c "mount -t debugfs none '$work/dbg' || exit 99
		awk '\$3 == \"debugfs\" { print \$2; exit }' /proc/mounts > '$work/nl.mnt'
		'$R' --debugfs '$work/debug/cowlab' procs > '$work/me.out' 2> '$work/me.err'
		echo \$? > '$work/me.rc'
		exec '$R' --debugfs '$work/dbg/cowlab' procs > '$work/nl.out' 2> '$work/nl.err'"
	rc=$?
	if [ $rc = 99 ]; then
		skip "module not loaded" "cannot mount debugfs"
		skip "debugfs mounted elsewhere" "cannot mount debugfs"
		return
	fi
	msg_check "debugfs mounted, module not loaded: says insmod" "$rc" \
		"$work/nl.out" "$work/nl.err" \
		"cowlab: cowlab module not loaded: run \`insmod cowlab.ko\` (or \`modprobe cowlab\`)
        (debugfs is mounted on $work/dbg, but it has no cowlab)"
	# The first debugfs of /proc/mounts: ours, or the machine's own.
	mnt=$(cat "$work/nl.mnt")
	msg_check "debugfs mounted elsewhere: says --debugfs where it is" \
		"$(cat "$work/me.rc")" "$work/me.out" "$work/me.err" \
		"cowlab: debugfs is not mounted on $work/debug (it is on $mnt): use --debugfs $mnt/cowlab,
        or mount -t debugfs none $work/debug"
}

# Not root: a directory that root may enter and others may not (debugfs's
# mount point is 0700), and files that root may read and others may not:
# "run as root" either way.
t_not_root() {
	if ! can_be_nobody; then
		skip "not root" "needs root and setpriv to become nobody"
		skip "not root, files" "needs root and setpriv to become nobody"
		return
	fi
	mkdir -p "$work/root-dir/debug" "$work/root-files"
	cp -r fixtures/lab "$work/root-dir/debug/cowlab"
	chmod 700 "$work/root-dir/debug"
	as_nobody "$R" --debugfs "$work/root-dir/debug/cowlab" procs \
		> "$work/nr.out" 2> "$work/nr.err"
	msg_check "not root: says run as root" "$?" "$work/nr.out" "$work/nr.err" \
		"cowlab: cannot look into $work/root-dir/debug/cowlab: permission denied: run as root (debugfs is root-only)"
	cp -r fixtures/lab "$work/root-files/cowlab"
	chmod 700 "$work/root-files/cowlab"
	as_nobody "$R" --debugfs "$work/root-files/cowlab" procs \
		> "$work/nr.out" 2> "$work/nr.err"
	msg_check "not root, files: says run as root" "$?" "$work/nr.out" "$work/nr.err" \
		"cowlab: $work/root-files/cowlab/procs: permission denied: run as root (debugfs files are root-only)"
}

# On a terminal, top redraws the screen and map is in colour (not with
# NO_COLOR or --color=never).
t_tty() {
	if ! command -v script >/dev/null; then
		skip "terminal" "no script(1) to make one"
		return
	fi
	local esc=$'\033' bad=""
	script -qec "'$R' --debugfs fixtures/lab top -n 2 -i 10" /dev/null > "$work/tty1" 2>&1
	grep -q "${esc}\[H${esc}\[2J" "$work/tty1" || bad="$bad top does not clear;"
	grep -q "Ctrl-C quits" "$work/tty1" || bad="$bad top has no title;"
	script -qec "'$R' --debugfs fixtures/lab map 413 stack" /dev/null > "$work/tty2" 2>&1
	grep -q "${esc}\[1;31mC" "$work/tty2" || bad="$bad map has no colour;"
	NO_COLOR=1 script -qec "'$R' --debugfs fixtures/lab map 413 stack" /dev/null > "$work/tty3" 2>&1
	grep -q "${esc}\[" "$work/tty3" && bad="$bad NO_COLOR ignored;"
	script -qec "'$R' --debugfs fixtures/lab map --color=never 413 stack" /dev/null > "$work/tty4" 2>&1
	grep -q "${esc}\[" "$work/tty4" && bad="$bad --color=never ignored;"
	if [ -n "$bad" ]; then not_ok "terminal:$bad"; else ok "terminal: top redraws, map colours"; fi
}

# fuzz_one DIR ARGS...: run on a damaged copy; 0 or 1, never a crash.
fuzz_one() {
	local rc
	"$R" --debugfs "$@" > /dev/null 2> "$work/fz.err"
	rc=$?
	if crashed "$rc" "$work/fz.err" || [ "$rc" -gt 1 ]; then
		echo "# exit $rc: cowlab --debugfs $*"
		diag "$work/fz.err"
		cp -r "$1" "$work/crash-$RANDOM"
		return 1
	fi
}

# args_for FILE: the command that reads fixture FILE.
args_for() {
	case $1 in
	procs) echo procs ;;
	# A newer module's classes: the procs table takes its class list
	# from them (fixtures/new), status shows them.
	classes) if [ "$2" = fixtures/new ]; then echo procs --wide; else echo status; fi ;;
	probes | stats) echo status ;;
	vmas.*) echo "vmas ${1#vmas.}" ;;
	timeline.*) echo "timeline ${1#timeline.}" ;;
	pages.*) echo "map ${1#pages.}" ;;
	esac
}

# Every file of lab, big, gaps and new cut short at many places, and with bytes
# replaced by others: the reader answers or complains, never crashes.
t_fuzz() {
	local kind=$1 src f size i step args bad=0 runs=0 d=$work/fuzz
	RANDOM=42
	for src in fixtures/lab fixtures/big fixtures/gaps fixtures/new fixtures/timeline; do
		for f in "$src"/*; do
			f=${f##*/}
			args=$(args_for "$f" "$src")
			size=$(wc -c < "$src/$f")
			step=$((size / 60 + 1))
			for ((i = 0; i < size; i += step)); do
				rm -rf "$d"
				cp -r "$src" "$d"
				if [ "$kind" = cut ]; then
					head -c "$i" "$src/$f" > "$d/$f"
				else
					local at=$((RANDOM * 32768 + RANDOM))
					at=$((at % size))
					local bytes=('' ' ' '-' '9' 'x' '\n' '\0' '\377' '\t' 'Z')
					local b=${bytes[RANDOM % ${#bytes[@]}]}
					{ head -c "$at" "$src/$f"; printf "$b"
					  tail -c +$((at + 2)) "$src/$f"; } > "$d/$f"
				fi
				runs=$((runs + 1))
				# shellcheck disable=SC2086
				fuzz_one "$d" $args || bad=$((bad + 1))
			done
		done
	done
	if [ $bad = 0 ]; then
		ok "$kind: $runs damaged files, no crash"
	else
		not_ok "$kind: $bad of $runs damaged files crashed the reader"
	fi
}

# fixtures/gaps-dots is fixtures/gaps with the lines the module leaves out
# (64 pages, all absent) printed: every gaps case must print the same
# there, and exit the same.
t_gaps_dots() {
	local name code rest rc bad="" m=0
	while read -r name code rest; do
		case $rest in *"fixtures/gaps "*) ;; *) continue ;; esac
		m=$((m + 1))
		# shellcheck disable=SC2086
		"$R" ${rest/fixtures\/gaps /fixtures/gaps-dots } \
			> "$work/dots.out" 2> /dev/null
		rc=$?
		if [ "$rc" != "$code" ] || ! cmp -s "$work/dots.out" "expected/$name.out"; then
			bad="$bad $name"
		fi
	done < cases
	if [ $m -lt 10 ]; then
		not_ok "omitted lines read as dots: only $m gaps cases"
	elif [ -n "$bad" ]; then
		not_ok "omitted lines read as dots: differs for$bad"
	else
		ok "omitted lines read as dots: $m gaps cases print the same with every line"
	fi
}

# 64 TiB VMAs with three lines in pages (gaps 142) and none (140): map's
# work and memory go by cells and printed pages, never by pages of the VMA
# (2^34 of them). Each run must take under 20 s and 64 MiB, with a screen
# of 100000 x 100000 (8M cells) and 8M cells a side from --cell-pages too.
t_huge() {
	local want a rc kb bad=""
	if [ ! -x /usr/bin/time ]; then
		skip "64 TiB VMAs" "no /usr/bin/time to measure memory"
		return
	fi
	while read -r want a; do
		# shellcheck disable=SC2086
		timeout 20 /usr/bin/time -o "$work/huge.time" -f %M \
			"$R" --debugfs fixtures/gaps $a > /dev/null 2>&1
		rc=$?
		kb=$(tail -n 1 "$work/huge.time" 2>/dev/null)
		if [ "$rc" = 124 ]; then
			bad="$bad '$a' took over 20 s;"
		elif [ "$rc" != "$want" ]; then
			bad="$bad '$a' exit $rc, want $want;"
		elif ! [ "${kb:-x}" -lt 65536 ] 2>/dev/null; then
			bad="$bad '$a' used ${kb:-?} KiB;"
		fi
	done <<'EOF'
0 map 142
0 map --json 142
0 map 140 100000000000 142
0 map --json 140 100000000000 142
0 map --majority 140 100000000000
0 map 142 --width 100000 --height 100000
0 map 140 100000000000 142 --cell-pages 2048
1 map 142 --cell-pages 1
EOF
	if [ -n "$bad" ]; then
		not_ok "64 TiB VMAs:$bad"
	else
		ok "64 TiB VMAs: map in under 20 s and 64 MiB"
	fi
}

# The SVG goldens are well-formed XML with an <svg> root; --svg FILE
# writes what --svg - prints, and prints the text chart; a file that
# cannot be written is an error.
t_svg() {
	local f bad="" m=0
	for f in expected/timeline-*-svg.out; do
		m=$((m + 1))
		python3 - "$f" <<'EOF' || bad="$bad $f"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert doc.documentElement.tagName == "svg"
assert doc.documentElement.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
EOF
	done
	if command -v xmllint >/dev/null; then
		xmllint --noout expected/timeline-*-svg.out 2> "$work/xmllint" ||
			bad="$bad (xmllint: $(head -n 1 "$work/xmllint"))"
	fi
	"$R" --debugfs fixtures/timeline timeline --svg "$work/t.svg" 301 \
		> "$work/svg.out" 2>&1
	cmp -s "$work/t.svg" expected/timeline-child-svg.out ||
		bad="$bad --svg FILE differs from --svg -;"
	cmp -s "$work/svg.out" expected/timeline-child.out ||
		bad="$bad --svg FILE does not print the chart;"
	"$R" --debugfs fixtures/timeline timeline --svg "$work/nosuch/t.svg" 301 \
		> "$work/svg.out" 2> "$work/svg.err"
	[ $? = 1 ] && grep -q "nosuch/t.svg: No such file or directory" "$work/svg.err" ||
		bad="$bad unwritable file not reported;"
	if [ $m -lt 3 ] || [ -n "$bad" ]; then
		not_ok "SVG:$bad ($m goldens)"
	else
		ok "SVG: $m goldens well-formed, --svg FILE = --svg -"
	fi
}

# cowlab sites --on / --off write 'sites on' / 'sites off' to control (a
# copy of the fixture: its control file keeps the last command); as
# another user than root: permission denied, run as root.
t_sites_switch() {
	local d=$work/switch bad=""
	rm -rf "$d"
	cp -r fixtures/sites "$d"
	: > "$d/control"
	"$R" --debugfs "$d" sites --on > "$work/sw.out" 2>&1 || bad="$bad --on failed;"
	[ "$(cat "$d/control")" = "sites on" ] || bad="$bad --on wrote '$(cat "$d/control")';"
	grep -qx "sites recording on: every process's COW events are recorded from now on" \
		"$work/sw.out" || bad="$bad --on says '$(head -n 1 "$work/sw.out")';"
	"$R" --debugfs "$d" --json sites --off > "$work/sw.out" 2>&1 || bad="$bad --off failed;"
	[ "$(cat "$d/control")" = "sites off" ] || bad="$bad --off wrote '$(cat "$d/control")';"
	[ "$(cat "$work/sw.out")" = '{"sites_on":0}' ] || bad="$bad --off --json says '$(cat "$work/sw.out")';"
	if [ -n "$bad" ]; then not_ok "sites --on/--off:$bad"; else ok "sites --on/--off write control"; fi
	if ! can_be_nobody; then
		skip "sites --on, not root" "needs root and setpriv to become nobody"
		return
	fi
	chmod 755 "$d"
	chmod 600 "$d/control"
	as_nobody "$R" --debugfs "$d" sites --on > "$work/sw.out" 2> "$work/sw.err"
	msg_check "sites --on, not root: says run as root" "$?" "$work/sw.out" \
		"$work/sw.err" \
		"cowlab: $d/control: permission denied: run as root (debugfs files are root-only)"
}

# The comparison can fail: a golden with one number changed must not match.
t_meta() {
	sed 's/1200/1201/' expected/procs-lab.out > "$work/wrong.out"
	"$R" --debugfs fixtures/lab procs > "$work/right.out" 2>&1
	if cmp -s "$work/right.out" expected/procs-lab.out &&
	   ! cmp -s "$work/right.out" "$work/wrong.out"; then
		ok "a changed golden is noticed"
	else
		not_ok "a changed golden is noticed"
	fi
}

cases=()
while read -r name code rest; do
	case $name in '' | '#'*) continue ;; esac
	if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then
		continue
	fi
	cases+=("$name $code $rest")
done < cases

extra=(t_help t_width t_env t_not_mounted t_default t_not_loaded t_not_root
       t_tty "t_fuzz cut" "t_fuzz mutate" t_gaps_dots t_huge t_svg
       t_sites_switch t_meta)
[ ${#only[@]} -gt 0 ] && extra=()
# Tests that print two results (ok or skip each): the plan counts them.
twice=" t_not_mounted t_not_loaded t_not_root t_sites_switch "
nplan=$((1 + ${#cases[@]}))
for t in "${extra[@]}"; do
	if [[ $twice == *" $t "* ]]; then
		nplan=$((nplan + 2))
	else
		nplan=$((nplan + 1))
	fi
done

echo "TAP version 13"
echo "1..$nplan"
build
for c in "${cases[@]}"; do
	# shellcheck disable=SC2086
	run_case $c
done
for t in "${extra[@]}"; do
	$t
done

[ "$update" = 1 ] && echo "# goldens written: review them (git diff tests/reader/expected)"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
