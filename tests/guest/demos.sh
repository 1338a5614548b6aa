#!/bin/sh
# shellcheck disable=SC3043 # local: busybox ash has it
# Issue "course demos" in the guest: every demo of userspace/demos, bounded
# and with --wait, driven through fifos.  At each checkpoint (the demo has
# printed "# waiting" and blocks reading stdin), every key of every
# "# expect" line is compared exactly with cowlab's `vmas` row for the
# region (`cowlab --json vmas PID`): the absolute page counts, and for the
# "+N" keys the growth of the row's event counts since the previous
# checkpoint that listed the pid (since the VMA was created, for its first).
# The process totals in `procs` must be at least the region's counts.  One
# KTAP line per demo, with each mismatch as a "#" line before it.
#
# The kernel's own witness, where it has one (5.19+): delay accounting's
# wpcopy_count (tests/guest/wpcopy), turned on before any demo starts.  For
# a single-threaded process writing anonymous memory, its growth between
# two checkpoints must equal the growth of cow_copy + cow_zero + unshare
# (+ cow_ksm) in `procs` (the whole process: stack and libc data too),
# exactly: file_copy (a private file page written first, as a process's
# .data is) is no wp_page_copy().  It is
# per task, so a process whose threads write (the threads_fork parent) is
# left out.  On 5.10 there is no wpcopy_count: the ok lines say so.
#
# Needs the module's `vmas` file (docs/debugfs.md); without it every demo
# is skipped.  Nothing sleeps: the demo blocks on its stdin fifo while the
# test reads cowlab, and the test blocks reading the demo's stdout fifo.
. /guest/ktap.sh
D=${COWLAB_DEBUGFS:-/sys/kernel/debug/cowlab}
W=/tmp/demos
rc=0
# A demo that dies must not take the test with it when we answer it.
trap '' PIPE

# The demos: checkpoints and "# expect" lines each prints (with its
# default pages), whose processes' wpcopy_count is compared ("all", or
# only the "child": the parent runs threads), then the command.
# userspace/demos/README.md, "Checkpoints by demo", lists every
# expectation with --nohuge (the default).  With --huge the demos' model
# follows THP too, asking thp_fault_alloc which faults got a huge page
# (where kernels differ: 7.x replaces the huge zero page by a THP, older
# ones split it), and adds the process's thp_reuse, thp_split and thp_zero
# ("+N" keys compared with the growth of those procs columns, exactly).
demo_table() {
	cat <<'EOF'
9 16 all cow --steps 6
3 3 all nofork --steps 2
5 8 all p --steps 2
5 8 all fork_msg
4 6 all two_pages
6 8 all fork_exec
4 4 all vfork_exec
7 11 all fork_faults
3 3 all zero_fill
6 9 child threads_fork
7 24 all shared_private
9 16 all cow --steps 6 --huge
3 3 all nofork --steps 2 --huge
5 8 all p --steps 2 --huge
6 8 all fork_exec --huge
4 4 all vfork_exec --huge
7 11 all fork_faults --huge
3 3 all zero_fill --huge
6 9 child threads_fork --huge
EOF
}

# The comparison of one checkpoint.  Input files: the previous event counts
# ("PID START KEY VALUE" lines), then the checkpoint's "# expect" lines;
# reads DIR/vmas.PID and DIR/procs.json (`cowlab --json`).  Prints one "#"
# line per mismatch and "checked N" (values compared) last; writes the
# updated event counts to DIR/prev.new.
CHECK_AWK='
function jparse(line, obj,   i, n, p, f, k, v) {
	for (k in obj)
		delete obj[k]
	sub(/^\{/, "", line)
	sub(/\},?$/, "", line)
	# "name" is last and may hold anything: leave it out.
	p = index(line, ",\"name\":")
	if (p)
		line = substr(line, 1, p - 1)
	n = split(line, f, ",")
	for (i = 1; i <= n; i++) {
		p = index(f[i], ":")
		k = substr(f[i], 1, p - 1)
		v = substr(f[i], p + 1)
		gsub(/"/, "", k)
		gsub(/"/, "", v)
		obj[k] = v
	}
}
# find_vma(PID, START, obj): the vmas object of PID starting at 0xSTART.
function find_vma(pid, start, obj,   f, line, found) {
	f = dir "/vmas." pid
	found = 0
	while ((getline line < f) > 0)
		if (!found && index(line, "\"start\":\"0x" start "\"")) {
			jparse(line, obj)
			found = 1
		}
	close(f)
	return found
}
function bad(msg) {
	printf "# %s step %s: %s\n", demo, step, msg
}
FILENAME == ARGV[1] { prev[$1 " " $2 " " $3] = $4; next }
/^# expect / {
	n = split(substr($0, 10), t, " ")
	pid = ""; start = ""; end = ""
	for (i = 1; i <= n; i++) {
		p = index(t[i], "=")
		k[i] = substr(t[i], 1, p - 1)
		v[i] = substr(t[i], p + 1)
		if (k[i] == "pid")
			pid = v[i]
		if (k[i] == "addr") {
			start = v[i]; sub(/-.*/, "", start)
			end = v[i]; sub(/.*-/, "", end)
		}
	}
	pids[pid] = 1
	if (!find_vma(pid, start, vma)) {
		bad("pid " pid ": cowlab shows no VMA starting at " start)
		next
	}
	for (i = 1; i <= n; i++) {
		key = k[i]
		if (key == "pid")
			continue
		if (key ~ /^thp_/) {
			# a class of the whole process: procs, in END
			thpwant[pid " " key] = substr(v[i], 2) + 0
			continue
		}
		checked++
		if (key == "addr") {
			if (vma["end"] != "0x" end)
				bad("pid " pid " " start ": end " end " expected, cowlab " vma["end"])
			continue
		}
		if (!(key in vma) || vma[key] == "null") {
			bad("pid " pid " " start ": cowlab has no " key " (" vma[key] ")")
			continue
		}
		if (v[i] ~ /^\+/) {
			want = substr(v[i], 2) + 0
			was = prev[pid " " start " " key] + 0
			have = vma[key] - was
			prev[pid " " start " " key] = vma[key]
			sum[pid " " key] += vma[key]
			if (have != want)
				bad("pid " pid " " start ": " key "=+" want " expected, cowlab +" have " (" was " -> " vma[key] ")")
		} else if (vma[key] != v[i] + 0) {
			bad("pid " pid " " start ": " key "=" v[i] " expected, cowlab " vma[key])
		}
	}
}
END {
	# Process totals count the region and everything else.
	f = dir "/procs.json"
	while ((getline line < f) > 0) {
		if (line !~ /^\{"pid":/)
			continue
		jparse(line, pr)
		if (!(pr["pid"] in pids))
			continue
		listed[pr["pid"]] = 1
		# --huge: each THP class grew exactly as much as expected
		for (kk in thpwant) {
			split(kk, pk, " ")
			if (pk[1] != pr["pid"])
				continue
			checked++
			if (!(pk[2] in pr) || pr[pk[2]] == "null") {
				bad("pid " pk[1] ": procs has no " pk[2])
				continue
			}
			was = prev[pk[1] " - " pk[2]] + 0
			prev[pk[1] " - " pk[2]] = pr[pk[2]]
			if (pr[pk[2]] - was != thpwant[kk])
				bad("pid " pk[1] ": procs " pk[2] "=+" thpwant[kk] " expected, cowlab +" pr[pk[2]] - was " (" was " -> " pr[pk[2]] ")")
		}
		# unshare is null where the kernel has none (5.10); the copy
		# of a KSM page is a wp_page_copy() too (cow_ksm, null in a
		# reader or module before it); file_copy is not one
		copies[pr["pid"]] = pr["cow_copy"] + pr["cow_zero"] + \
			(pr["unshare"] == "null" ? 0 : pr["unshare"]) + \
			(pr["cow_ksm"] == "null" ? 0 : pr["cow_ksm"])
		checked++
		if (pr["state"] != "live")
			bad("pid " pr["pid"] ": procs shows it " pr["state"])
		for (kk in sum) {
			split(kk, pk, " ")
			if (pk[1] != pr["pid"])
				continue
			checked++
			if (pr[pk[2]] < sum[kk])
				bad("pid " pk[1] ": procs " pk[2] " " pr[pk[2]] " < the region'"'"'s " sum[kk])
		}
	}
	close(f)
	# A process that never forked nor took a COW fault is not listed.
	for (kk in thpwant) {
		split(kk, pk, " ")
		if (!(pk[1] in listed) && thpwant[kk] > 0) {
			checked++
			bad("pid " pk[1] ": not in procs, but " pk[2] "=+" thpwant[kk] " expected")
		}
	}
	for (kk in sum) {
		split(kk, pk, " ")
		if (!(pk[1] in listed) && sum[kk] > 0) {
			checked++
			bad("pid " pk[1] ": not in procs, but its region has " pk[2] " " sum[kk])
		}
	}
	# wpcopy_count ("PID COUNT" lines, for the pids to compare) against
	# cow_copy + cow_zero + unshare in procs, each since the previous
	# checkpoint of that pid (the first one only records them).
	f = dir "/wpcopy"
	while ((getline line < f) > 0) {
		split(line, w, " ")
		p = w[1]
		if ((p " - wpcopy") in prev) {
			checked++
			wp++
			dw = w[2] - prev[p " - wpcopy"]
			dc = copies[p] - prev[p " - copies"]
			if (dw != dc)
				bad("pid " p ": wpcopy_count +" dw ", procs cow_copy + cow_zero + unshare + cow_ksm +" dc " (" prev[p " - copies"] " -> " copies[p] ")")
		}
		prev[p " - wpcopy"] = w[2]
		prev[p " - copies"] = copies[p] + 0
	}
	close(f)
	for (kk in prev)
		print kk, prev[kk] > (dir "/prev.new")
	print "checked", checked + 0
	print "wpcopy", wp + 0
}'

# check_checkpoint DEMO STEP: compare $W/expect with cowlab now; append
# mismatches to $W/bad; add to $checked and $wpchecked.  The pids of the
# "# expect" lines, less $wpskip, are asked for their wpcopy_count.
check_checkpoint() {
	local p wp=''
	for p in $(sed -n 's/^# expect pid=\([0-9]*\) .*/\1/p' $W/expect | sort -u); do
		cowlab --json vmas "$p" >"$W/vmas.$p" 2>>$W/bad.cowlab ||
			echo "# $1 step $2: cowlab --json vmas $p failed" >>$W/bad
		[ "$p" = "$wpskip" ] || wp="$wp $p"
	done
	cowlab --json procs >$W/procs.json 2>>$W/bad.cowlab ||
		echo "# $1 step $2: cowlab --json procs failed" >>$W/bad
	: >$W/wpcopy
	if [ $have_wpcopy = yes ] && [ -n "$wp" ]; then
		# shellcheck disable=SC2086 # one word per pid
		wpcopy $wp >$W/wpcopy 2>>$W/bad.cowlab ||
			echo "# $1 step $2: wpcopy$wp failed" >>$W/bad
	fi
	: >$W/prev.new
	awk -v dir=$W -v demo="$1" -v step="$2" "$CHECK_AWK" $W/prev $W/expect >$W/result
	mv $W/prev.new $W/prev
	grep '^#' $W/result >>$W/bad
	checked=$((checked + $(sed -n 's/^checked //p' $W/result)))
	wpchecked=$((wpchecked + $(sed -n 's/^wpcopy //p' $W/result)))
}

# run_demo STEPS EXPECTS WHO DEMO [ARGS...]: one KTAP line.  WHO: whose
# wpcopy_count to compare, "all" or "child" (not the parent's).
run_demo() {
	local nsteps="$1" nexpects="$2" who="$3" line step='' steps=0 expects=0
	local dpid status wpnote
	shift 3
	checked=0 wpchecked=0 wpskip=''
	rm -rf $W
	mkdir -p $W
	mkfifo $W/in $W/out
	: >$W/prev
	: >$W/bad
	: >$W/expect
	"$@" --wait <$W/in >$W/out 2>$W/err &
	dpid=$!
	[ "$who" = all ] || wpskip=$dpid
	# In this order: the demo opens its stdin first, then its stdout.
	exec 4>$W/in 3<$W/out
	while IFS= read -r line <&3; do
		echo "$line" >>$W/transcript
		case $line in
		'# step '*)
			steps=$((steps + 1))
			step=${line#\# step }
			step=${step%%:*}
			: >$W/expect ;;
		'# expect '*)
			expects=$((expects + 1))
			echo "$line" >>$W/expect ;;
		'# waiting')
			check_checkpoint "$*" "$step"
			echo >&4 ;;
		esac
	done
	exec 3<&- 4>&-
	wait $dpid
	status=$?
	[ $status = 0 ] || echo "# $*: exit status $status: $(cat $W/err)" >>$W/bad
	# --huge where THP cannot be followed (the demo says why): no
	# expectations at all
	if [ $status = 0 ] && [ $expects = 0 ] &&
	   grep -q "^# note: --huge: .*cannot follow" $W/transcript; then
		ktap_skip "$(sed -n 's/^# note: --huge: .*cannot follow it here (\(.*\)).*/\1/p' $W/transcript)" "$*"
		return
	fi
	[ $steps = "$nsteps" ] ||
		echo "# $*: $steps checkpoints, $nsteps expected" >>$W/bad
	[ $expects = "$nexpects" ] ||
		echo "# $*: $expects expect lines, $nexpects expected" >>$W/bad
	if [ -s $W/bad ]; then
		head -n 40 $W/bad
		sed 's/^/# cowlab: /' $W/bad.cowlab 2>/dev/null | head -n 5
		ktap_not_ok "$*: $steps checkpoints, $expects expect lines, $(wc -l <$W/bad) mismatches"
		rc=1
	else
		case $have_wpcopy in
		yes) wpnote="$wpchecked wpcopy_count deltas equal" ;;
		no) wpnote="no wpcopy_count on this kernel" ;;
		*) wpnote="wpcopy_count not compared: sched_clock unstable" ;;
		esac
		ktap_ok "$*: $steps checkpoints, $expects expect lines, $checked values as cowlab shows them ($wpnote)"
	fi
}

[ -d /sys/module/cowlab ] || insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
# Delay accounting before any demo is forked: tasks forked while it is
# off are never accounted.  Exit 3: the kernel has no wpcopy_count (5.10).
have_wpcopy=yes
wpcopy --enable 2>$W.wpcopy || {
	wrc=$?
	have_wpcopy=no
	[ $wrc = 3 ] || { echo "not ok - wpcopy --enable: $(cat $W.wpcopy)"; exit 1; }
	echo "# wpcopy_count: $(cat $W.wpcopy)"
}
# delayacct_end() counts a call only if local_clock() moved on during it
# (kernel/delayacct.c: "if (ns > 0)").  With an unstable sched_clock (6.1
# under TCG marks the TSC unstable: "TSCs unsynchronized") the clock can
# stand still over a copy, and wpcopy_count then misses calls: seen, 1145
# of 1280 copies.  It is a witness only on a stable sched_clock; the
# kernel says which it is at boot (kernel/sched/clock.c).
if [ $have_wpcopy = yes ] &&
   [ "$(dmesg | sed -n 's/.*sched_clock: Marking \(un\)\{0,1\}stable.*/&/p' |
	tail -n 1 | sed 's/.*Marking \([a-z]*\).*/\1/')" != stable ]; then
	have_wpcopy=unstable
	echo "# wpcopy_count: not compared: this kernel's sched_clock is not stable (no 'sched_clock: Marking stable' in dmesg; boot with tsc=reliable), and delay accounting does not count a call over which local_clock() stood still"
fi
# khugepaged could collapse a block of the region into a THP behind the
# model's back, between a step and its checkpoint: keep it asleep.
echo 86400000 >/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs 2>/dev/null
ktap_plan "$(demo_table | wc -l)"
# The table on fd 5: the demos' stdin is their fifo.
exec 5<<EOF
$(demo_table)
EOF
while read -r nsteps nexpects who cmd <&5; do
	if [ ! -e "$D/vmas" ]; then
		ktap_skip "the module has no $D/vmas" "$cmd"
		continue
	fi
	# shellcheck disable=SC2086
	run_demo "$nsteps" "$nexpects" "$who" $cmd
done
exec 5<&-
rmmod cowlab || rc=1
ktap_finish || rc=1
exit $rc
