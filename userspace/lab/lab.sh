# shellcheck shell=sh disable=SC3043 # local: busybox ash has it
# The lab shell: the course's commands (`cow run`, `show cow-heap`,
# `log cow`, ...) as shell functions, for busybox ash in the guest.
# userspace/lab/*.sh are installed as /guest/*.sh (scripts/initramfs.sh).
#
# Sourced three ways:
#  - by the guest's /init (pid 1) in interactive mode (`make lab`): mounts
#    debugfs, loads cowlab, and exports ENV so that the interactive shell
#    /init starts next sources this file again (functions are not
#    inherited by a new shell; ENV is read by every interactive ash);
#  - by that interactive shell through ENV: defines the commands, prints
#    the welcome and `help`, sets the prompt to "lab# ";
#  - by scripts (/guest/labcmd.sh, /guest/demo.sh): defines the commands
#    and sets up; prints nothing.
#
# Contracts:
#  - a demo X started with `X run` runs in the background, detached from
#    the shell, with stdout and stderr in /tmp/lab/X.log, stdin on the fifo
#    /tmp/lab/X.in (opened read-write by the demo, so it never sees end of
#    file), its pid in /tmp/lab/X.pid; `next X` writes one line on the fifo
#    per checkpoint to pass (demos run with --wait pause at each one);
#  - every command that waits for a demo blocks in labwait (inotify and a
#    pidfd, with a deadline): nothing sleeps to synchronise;
#  - pids and the region's address come from the demo's own output:
#    "NAME VERSION: pid=P: ...", "region NAME: addr=START-END pages=N ...",
#    "# expect pid=C ..." (userspace/demos/README.md).

LAB_DIR=/tmp/lab
LAB_DEBUGFS=/sys/kernel/debug/cowlab
# Demos that loop (forever, or --steps N) and demos that run their steps once.
LAB_LOOPING="cow p nofork"
LAB_ONCE="fork_msg two_pages fork_exec vfork_exec fork_faults zero_fill shared_private threads_fork"
LAB_DEMOS="$LAB_LOOPING $LAB_ONCE"
# The line a demo has reached when `X run` returns: fnmatch(3) pattern for
# labwait, and the same as a regular expression for awk.
LAB_PAUSED_GLOB='# waiting'
LAB_PAUSED_RE='^# waiting$'
LAB_ITER_GLOB='# step * iteration:*'
LAB_ITER_RE='^# step [0-9]+ iteration:'
LAB_TIMEOUT=${LAB_TIMEOUT:-300}

# Debugfs mounted, cowlab loaded, /tmp/lab there. Idempotent.
lab_setup() {
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs none /sys/kernel/debug
	if [ ! -d /sys/module/cowlab ] && ! insmod /cowlab.ko; then
		echo "lab: insmod /cowlab.ko failed: show will have no counts" >&2
	fi
	mkdir -p "$LAB_DIR"
}

# lab_is_demo X: X is one of the demos.
lab_is_demo() {
	case " $LAB_DEMOS " in *" $1 "*) [ -n "$1" ] ;; *) return 1 ;; esac
}

lab_is_looping() {
	case " $LAB_LOOPING " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# lab_alive PID [COMM]: PID is running (not a zombie), named COMM if given.
lab_alive() {
	local stat state
	read -r stat 2>/dev/null </proc/"$1"/stat || return 1
	state=${stat##*) }
	state=${state%% *}
	[ "$state" != Z ] && [ "$state" != X ] || return 1
	[ -z "${2:-}" ] || [ "$(cat /proc/"$1"/comm 2>/dev/null)" = "$2" ]
}

# lab_ppid PID: its parent's pid.
lab_ppid() {
	local stat
	read -r stat 2>/dev/null </proc/"$1"/stat || return 1
	stat=${stat##*) }
	stat=${stat#* }
	echo "${stat%% *}"
}

# lab_parent X: print the pid of X's running parent process, or fail.
lab_parent() {
	local pid
	[ -r "$LAB_DIR/$1.pid" ] || return 1
	read -r pid <"$LAB_DIR/$1.pid" || return 1
	lab_alive "$pid" "$1" || return 1
	echo "$pid"
}

# lab_children X P: the pids of P's live children running X that the log
# names in "# expect" lines, oldest first.
lab_children() {
	local c
	for c in $(sed -n 's/^# expect pid=\([0-9]*\) .*/\1/p' "$LAB_DIR/$1.log" |
		   awk '!seen[$0]++'); do
		[ "$c" != "$2" ] && lab_alive "$c" "$1" &&
			[ "$(lab_ppid "$c")" = "$2" ] && echo "$c"
	done
}

# lab_regions X: "NAME START END PAGES" for each region X announced.
lab_regions() {
	sed -n 's/^region \([^:]*\): addr=\([0-9a-f]*\)-\([0-9a-f]*\) pages=\([0-9]*\) .*/\1 \2 \3 \4/p' \
		"$LAB_DIR/$1.log"
}

# lab_print X FROM [TO]: lines FROM..TO (default: the end) of X's log, for
# people: without the "# expect" and "# waiting" lines meant for harnesses.
# Remembers TO as the last line shown.
lab_print() {
	local log="$LAB_DIR/$1.log" to="${3:-}"
	[ -n "$to" ] || to=$(wc -l <"$log")
	[ "$to" -ge "$2" ] && sed -n "$2,${to}p" "$log" |
		grep -v -e '^# expect ' -e '^# waiting$'
	echo "$to" >"$LAB_DIR/$1.shown"
}

# lab_nth_line FILE ERE N: the line number of the Nth line matching ERE,
# or of the last line if there are fewer.
lab_nth_line() {
	awk -v re="$2" -v n="$3" '$0 ~ re && ++k == n { print NR; found = 1; exit }
		END { if (!found) print NR }' "$1"
}

# lab_run X [ARGS]: start demo X in the background, return once it has
# reached its first pause (--wait: the demos in LAB_ONCE by default), or
# its first iteration (the looping demos, so that the child exists), or
# its end (a LAB_ONCE demo with --no-wait).
lab_run() {
	local x="$1" pid a wait=no glob re rc
	shift
	if pid=$(lab_parent "$x"); then
		echo "$x is already running (pid $pid): 'stop $x' first"
		return 1
	fi
	lab_is_looping "$x" || wait=yes
	for a; do
		case $a in
		--) break ;;
		-w|--wait) wait=given ;;
		--no-wait) wait=no ;;
		esac
	done
	[ $wait = yes ] && set -- --wait "$@"
	[ $wait = given ] && wait=yes
	mkdir -p "$LAB_DIR"
	rm -f "$LAB_DIR/$x.in" "$LAB_DIR/$x.pid"
	mkfifo "$LAB_DIR/$x.in"
	: >"$LAB_DIR/$x.log"
	echo $wait >"$LAB_DIR/$x.wait"
	# A subshell, so that the demo is not one of this shell's jobs.
	(command "$x" "$@" <>"$LAB_DIR/$x.in" >"$LAB_DIR/$x.log" 2>&1 &
	 echo $! >"$LAB_DIR/$x.pid")
	read -r pid <"$LAB_DIR/$x.pid"
	if [ $wait = yes ]; then
		glob=$LAB_PAUSED_GLOB re=$LAB_PAUSED_RE
	elif lab_is_looping "$x"; then
		glob=$LAB_ITER_GLOB re=$LAB_ITER_RE
	else
		glob='' re=''
	fi
	if [ -n "$glob" ]; then
		labwait -t "$LAB_TIMEOUT" -p "$pid" "$LAB_DIR/$x.log" "$glob" 1
	else
		labwait -t "$LAB_TIMEOUT" -p "$pid"
	fi
	rc=$?
	if [ $rc = 0 ] && [ -n "$re" ]; then
		lab_print "$x" 1 "$(lab_nth_line "$LAB_DIR/$x.log" "$re" 1)"
	else
		lab_print "$x" 1
	fi
	case $rc in
	0) if [ $wait = yes ]; then
		echo "[$x (pid $pid) is waiting: 'next $x' goes on, 'show $x-heap' shows its memory]"
	   elif lab_is_looping "$x"; then
		echo "[$x (pid $pid) runs in the background: 'show $x-heap', 'log $x', 'stop $x']"
	   else
		echo "[$x has finished: 'log $x' shows its output]"
	   fi ;;
	1) echo "[$x (pid $pid) has exited: 'log $x' shows why]"; return 1 ;;
	*) echo "[$x (pid $pid) did not get there within ${LAB_TIMEOUT}s]"; return 1 ;;
	esac
}

# next X [N]: let a waiting demo pass N checkpoints (default 1); print
# what it printed meanwhile.
next() {
	local x="${1:-}" n="${2:-1}" pid have shown rc i
	case $n in
	''|*[!0-9]*) n=bad ;;
	esac
	if ! lab_is_demo "$x" || [ "$n" = bad ]; then
		echo "usage: next DEMO [N]   (DEMO: $LAB_DEMOS)"
		return 2
	fi
	if ! pid=$(lab_parent "$x"); then
		echo "$x is not running: '$x run' starts it"
		return 1
	fi
	if [ "$(cat "$LAB_DIR/$x.wait")" != yes ]; then
		echo "$x does not pause: start it with '$x run --wait'"
		return 1
	fi
	have=$(grep -c '^# waiting$' "$LAB_DIR/$x.log")
	i=0
	while [ $i -lt "$n" ]; do echo; i=$((i + 1)); done >"$LAB_DIR/$x.in"
	labwait -t "$LAB_TIMEOUT" -p "$pid" "$LAB_DIR/$x.log" \
		"$LAB_PAUSED_GLOB" $((have + n))
	rc=$?
	read -r shown <"$LAB_DIR/$x.shown"
	if [ $rc = 0 ]; then
		lab_print "$x" $((shown + 1)) \
			"$(lab_nth_line "$LAB_DIR/$x.log" "$LAB_PAUSED_RE" $((have + n)))"
		echo "[$x is waiting: 'next $x' goes on]"
	elif [ $rc = 1 ]; then
		lab_print "$x" $((shown + 1))
		echo "[$x has finished]"
	else
		lab_print "$x" $((shown + 1))
		echo "[$x did not get there within ${LAB_TIMEOUT}s]"
		return 1
	fi
}

# lab_region_faults LABEL PID START: the event counts of PID's VMA at
# 0xSTART, one line.
lab_region_faults() {
	cowlab --json vmas "$2" | awk -v label="$1" -v start="\"start\":\"0x$3\"" '
		index($0, start) {
			n = split($0, f, ",")
			for (i = 1; i <= n; i++) {
				split(f[i], kv, ":")
				gsub(/"/, "", kv[1])
				c[kv[1]] = kv[2]
			}
			printf "  %s: cow_copy %s  cow_zero %s  wp_reuse %s\n", label,
				c["cow_copy"], c["cow_zero"], c["wp_reuse"]
		}'
}

# show X-heap: X's region in its parent and child side by side (pages of
# 4 KiB), or in its lone process, with cowlab's counts.
show() {
	local x="${1:-}" p c name start end pages
	x=${x%-heap}
	if [ $# != 1 ] || ! lab_is_demo "$x"; then
		echo "usage: show DEMO-heap   (DEMO: $LAB_DEMOS)"
		return 2
	fi
	if ! p=$(lab_parent "$x"); then
		echo "$x is not running: '$x run' starts it"
		return 1
	fi
	c=$(lab_children "$x" "$p" | tail -n 1)
	if [ -n "$c" ]; then
		echo "$x: parent $p, child $c; counts in pages of 4 KiB"
	else
		echo "$x: one process, pid $p; counts in pages of 4 KiB"
		cowlab vmas --pages "$p" || return 1
	fi
	lab_regions "$x" | while read -r name start end pages; do
		echo
		echo "== region $name: $start-$end, $pages pages"
		if [ -n "$c" ]; then
			cowlab diff --pages --vma "0x$start" "$p" "$c" &&
			cowlab map "$p" "0x$start" "$c" || return 1
		else
			cowlab map "$p" "0x$start" || return 1
		fi
		echo "COW faults in the region (copied, zero page replaced, reused in place):"
		if [ -n "$c" ]; then
			lab_region_faults "parent $p" "$p" "$start" &&
			lab_region_faults "child  $c" "$c" "$start" || return 1
		else
			lab_region_faults "pid $p" "$p" "$start" || return 1
		fi
	done || return 1
	echo
	echo "== COW faults of the whole processes, stack and libc data too (cowlab procs --pid $p)"
	cowlab procs --pid "$p" 2>/dev/null ||
		echo "(none: $p has not forked nor taken a COW fault since cowlab was loaded)"
}

# log X [all]: what X printed, without the lines for harnesses ("all":
# everything); a long log is cut to its first 3 and last 20 lines.
log() {
	local x="${1:-}" f n
	if ! lab_is_demo "$x"; then
		echo "usage: log DEMO [all]   (DEMO: $LAB_DEMOS)"
		return 2
	fi
	f=$LAB_DIR/$x.log
	if [ ! -s "$f" ]; then
		echo "no log for $x: '$x run' starts it"
		return 1
	fi
	if [ "${2:-}" = all ]; then
		cat "$f"
		return
	fi
	grep -v -e '^# expect ' -e '^# waiting$' "$f" >"$LAB_DIR/.log.$$"
	n=$(wc -l <"$LAB_DIR/.log.$$")
	if [ "$n" -gt 30 ]; then
		head -n 3 "$LAB_DIR/.log.$$"
		echo "... ($((n - 23)) more lines: 'log $x all' shows everything)"
		tail -n 20 "$LAB_DIR/.log.$$"
	else
		cat "$LAB_DIR/.log.$$"
	fi
	rm -f "$LAB_DIR/.log.$$"
}

# lab_stop_one X: stop X's processes if it runs; print what was stopped.
# Fails if X was not running.
lab_stop_one() {
	local x="$1" p kids k rc=1
	if p=$(lab_parent "$x"); then
		# List the children first: once the parent is gone, their
		# parent is init and they no longer look like X's.
		kids=$(lab_children "$x" "$p" | tr '\n' ' ')
		kids=${kids% }
		# shellcheck disable=SC2086 # one word per pid
		kill "$p" $kids 2>/dev/null
		for k in "$p" $kids; do
			labwait -t 30 -p "$k" || echo "$x: pid $k did not exit"
		done
		echo "stopped $x (pid $p${kids:+ $kids})"
		rc=0
	fi
	rm -f "$LAB_DIR/$x.pid" "$LAB_DIR/$x.in"
	return $rc
}

# stop X | stop all: end demos started with `X run`.
stop() {
	local x n=0
	case ${1:-} in
	all)
		for x in $LAB_DEMOS; do
			[ -e "$LAB_DIR/$x.pid" ] && lab_stop_one "$x" &&
				n=$((n + 1))
		done
		[ $n -gt 0 ] || echo "no demo was running" ;;
	*)
		if ! lab_is_demo "${1:-}"; then
			echo "usage: stop DEMO | stop all   (DEMO: $LAB_DEMOS)"
			return 2
		fi
		lab_stop_one "$1" || echo "$1 is not running" ;;
	esac
}

# lab_demo X ARG...: `X run [ARGS]` starts X in the background; anything
# else runs the program X itself with those arguments.
lab_demo() {
	local x="$1"
	shift
	if [ "${1:-}" = run ]; then
		shift
		lab_run "$x" "$@"
	else
		command "$x" "$@"
	fi
}

for lab_x in $LAB_DEMOS; do
	eval "$lab_x() { lab_demo $lab_x \"\$@\"; }"
done
unset lab_x

help() {
	cat <<'EOF'
The course's copy-on-write demos, with cowlab counting (all pages 4 KiB):
  p run              start p: 10 MiB filled, fork, both only read it
  show p-heap        p's buffer in parent and child: every page shared
  cow run            start cow: 10 MiB filled, fork, the child writes it
  show cow-heap      cow's buffer in parent and child: the child's copies
  nofork run         start nofork: one process, 10 MiB it never writes
  show nofork-heap   the memory map of nofork's one process
  log cow            what cow printed
  log p              what p printed
  log nofork         what nofork printed
  stop cow           stop a demo (stop p, stop nofork, ...)
  stop all           stop every demo
  help               this list
Every demo also works this way; these pause at each step:
  fork_faults run    minor faults of parent and child, step by step
  zero_fill run      reads map the zero page, writes replace it
  shared_private run MAP_SHARED versus MAP_PRIVATE across fork
  threads_fork run   threads share pages, a forked child copies them
  fork_msg run, two_pages run, fork_exec run, vfork_exec run
  next X [N]         let paused demo X go on N steps (default 1)
  X run --wait       pause a looping demo (cow, p, nofork) at each step
  X run ARGS         ARGS go to the demo (cow run --steps 5); X --help
cowlab procs, cowlab vmas PID, cowlab map PID, cowlab diff PID1 PID2:
the reader itself (cowlab --help).
EOF
}

lab_setup
if [ $$ = 1 ]; then
	# /init: the interactive shell it starts next reads this file again.
	ENV=/guest/lab.sh
	export ENV
else
	case $- in
	*i*)
		PS1='lab# '
		echo
		echo "cowlab lab shell: cowlab is loaded; its files are in $LAB_DEBUGFS"
		help ;;
	esac
fi
