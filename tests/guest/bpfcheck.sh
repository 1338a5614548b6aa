#!/bin/sh
# Issue "Independent witnesses", part 2, in the guest: cowcheck (BPF,
# userspace/bpf) and cowlab count the same copy-on-write breaks.
#
# cowlab is loaded and reset, cowcheck started; once it is attached (its
# --ready file exists) the course demos run bounded, THP off and on, then a
# remote write through /proc/PID/mem, then a mixed load (forkloops in
# parallel, one killed mid-run; COWLAB_T_BPF_LOOPS and COWLAB_T_BPF_ITERS
# size it).  Then cowcheck is stopped and its table compared with cowlab's
# procs, by column name: for every pid that either table lists, all six
# classes must be equal (a pid that cowcheck does not list had no event:
# zeros).  Only pids created after cowcheck was attached and before the
# workloads ended are compared, so that neither tool saw only part of a
# process's life.  Also: cowcheck's loss counters are zero, and the
# workloads produced events of every class they can (all but unshare).
. /guest/ktap.sh
D=${COWLAB_DEBUGFS:-/sys/kernel/debug/cowlab}
THP=/sys/kernel/mm/transparent_hugepage/enabled
W=/tmp/bpfcheck
CLASSES="cow_copy cow_zero wp_reuse unshare thp_reuse thp_split"
# The mixed load's size: forkloops side by side, and their iterations.
loops=${COWLAB_T_BPF_LOOPS:-4}
iters=${COWLAB_T_BPF_ITERS:-30}
rc=0

rm -rf $W
mkdir -p $W

# The workloads: THP mode, then the command.  THP "never" runs the demos
# as the README's exact expectations assume (they also madvise NOHUGEPAGE);
# "always" runs them with --huge, where THPs are reused, split and copied.
workloads() {
	cat <<'EOF'
never cow --steps 8
never p --steps 2
never nofork --steps 2
never fork_msg
never two_pages
never fork_exec
never vfork_exec
never fork_faults --no-wait
never zero_fill
never threads_fork
never shared_private
always cow --steps 8 --huge
always fork_exec --huge
always fork_faults --no-wait --huge
always zero_fill --huge
always threads_fork --huge
always shared_private --huge
EOF
}

# A fresh pid: every process created after it has a larger one (the guest
# creates far fewer than pid_max processes, so pids do not wrap).
new_pid() {
	sh -c 'echo $$'
}

# compare COWLAB_PROCS COWCHECK_TABLE LO HI: one "#" line per difference,
# then "compared N differences M" and the totals per class of the compared
# pids.  Columns are found by name in each header line.
compare() {
	awk -v lo="$3" -v hi="$4" -v classes="$CLASSES" '
	BEGIN { nc = split(classes, cls, " ") }
	FNR == 1 {
		f++
		name[f] = f == 1 ? "cowlab" : "cowcheck"
		for (i = 1; i <= NF; i++)
			col[f, $i] = i
		if (!((f, "pid") in col)) {
			printf "# %s: no pid column\n", name[f]
			bad++
		}
		for (c = 1; c <= nc; c++)
			if (!((f, cls[c]) in col)) {
				printf "# %s: no %s column\n", name[f], cls[c]
				bad++
			}
		next
	}
	{
		pid = $(col[f, "pid"])
		if (pid !~ /^[0-9]+$/) {
			printf "# %s: bad line: %s\n", name[f], $0
			bad++
			next
		}
		pid += 0
		if (pid <= lo || pid >= hi)
			next
		if ((f, pid) in seen) {
			printf "# %s: pid %d listed twice\n", name[f], pid
			bad++
		}
		seen[f, pid] = 1
		pids[pid] = 1
		for (c = 1; c <= nc; c++)
			v[f, pid, c] = $(col[f, cls[c]])
	}
	END {
		for (pid in pids) {
			n++
			for (c = 1; c <= nc; c++) {
				a = (1, pid, c) in v ? v[1, pid, c] : "0"
				b = (2, pid, c) in v ? v[2, pid, c] : "0"
				if ((a "") != (b "")) {
					printf "# pid %d %s: cowlab %s, cowcheck %s\n",
					       pid, cls[c], a, b
					bad++
				}
				tot[c] += b
			}
		}
		printf "compared %d differences %d\n", n, bad
		for (c = 1; c <= nc; c++)
			printf "total %s %d\n", cls[c], tot[c]
	}' "$1" "$2"
}

# field TABLE PID COLUMN: COLUMN of PID's line in TABLE (header first).
field() {
	awk -v p="$2" -v c="$3" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$(col["pid"]) == p { print $(col[c]) }' "$1"
}

# diag FILE: print FILE as KTAP diagnostics.
diag() {
	sed 's/^/# /' "$1"
}

nwork=$(workloads | wc -l)
ktap_plan $((nwork + 9))

thp_orig=$(sed 's/.*\[\(.*\)\].*/\1/' $THP)
if ! insmod /cowlab.ko; then
	echo "Bail out! insmod cowlab.ko failed"
	exit 1
fi
echo reset > "$D/control"

# 1: cowcheck attaches (a bounded poll for its ready file, 60 s).
cowcheck --ready $W/ready > $W/cowcheck.out 2> $W/cowcheck.err &
bpid=$!
i=0
while [ ! -e $W/ready ] && [ $i -lt 600 ] && kill -0 $bpid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -e $W/ready ]; then
	diag $W/cowcheck.err
	ktap_not_ok "cowcheck attaches"
	kill $bpid 2>/dev/null
	wait $bpid 2>/dev/null
	rmmod cowlab
	echo "Bail out! cowcheck did not attach"
	exit 1
fi
diag $W/cowcheck.err
ktap_ok "cowcheck attaches"
lo=$(new_pid)

# 2..: the demos, bounded.
n=0
workloads > $W/workloads
while read -r thp cmd; do
	n=$((n + 1))
	echo "$thp" > $THP
	$cmd > $W/work.$n.out 2>&1 < /dev/null
	st=$?
	if [ $st = 0 ]; then
		ktap_ok "THP $thp: $cmd"
	else
		tail -n 20 $W/work.$n.out | sed 's/^/# /'
		ktap_not_ok "THP $thp: $cmd (exit status $st)"
	fi
done < $W/workloads

# A remote fault: a write through /proc/PID/mem (FOLL_FORCE, as a debugger
# sets a breakpoint) into the text of a sleeping process.  dd's task takes
# the fault, for the sleeper's mm: cowlab counts one cow_copy for the
# sleeper, and cowcheck must have counted the same.
(exec sleep 1000) &
sp=$!
i=0
while [ $i -lt 600 ] && [ "$(cat /proc/$sp/comm 2>/dev/null)" != sleep ]; do
	sleep 0.1
	i=$((i + 1))
done
text=$(awk '$2 ~ /^r-xp/ { split($1, r, "-"); print r[1]; exit }' /proc/$sp/maps)
# The read maps the page, so that the write takes the write-protect fault.
dd if=/proc/$sp/mem bs=1 skip=$((0x$text)) count=1 2>/dev/null > /dev/null
before=$(field "$D/procs" $sp cow_copy)
printf '\314' | dd of=/proc/$sp/mem bs=1 seek=$((0x$text)) conv=notrunc 2>/dev/null
st=$?
after=$(field "$D/procs" $sp cow_copy)
got=$(dd if=/proc/$sp/mem bs=1 skip=$((0x$text)) count=1 2>/dev/null | od -An -to1 | tr -d ' ')
kill -KILL $sp
wait $sp 2>/dev/null
grown=$((${after:-0} - ${before:-0}))
ktap_check "remote write to /proc/$sp/mem at $text: one cow_copy for the target (status $st, byte $got, +$grown)" \
	test "$st" = 0 -a "$got" = 314 -a "$grown" = 1

# The mixed load, THP on: forkloops side by side on both CPUs (children
# that copy, then exit, parents that reuse), 4 MiB ones with THPs, and one
# that runs until it is killed in the middle of its faults.
echo always > $THP
forkloop 64 > $W/killed.out 2>&1 &
killpid=$!
pids=
n=0
while [ $n -lt "$loops" ]; do
	n=$((n + 1))
	forkloop 64 "$iters" > $W/forkloop.$n.out 2>&1 &
	pids="$pids $!"
	if [ $((n % 2)) = 0 ]; then
		forkloop 1024 "$((iters / 4 + 1))" > $W/forkloop.$n.thp.out 2>&1 &
		pids="$pids $!"
	fi
done
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
ktap_check "mixed load: $loops x forkloop 64 $iters, $((loops / 2)) x forkloop 1024 $((iters / 4 + 1)) in parallel ($bad failed)" test $bad = 0
kill -KILL $killpid
wait $killpid 2>/dev/null
st=$?
# Its last child outlives it, writing: a bounded poll (60 s) until no
# forkloop is left but zombies, whose events are all done.
i=0
while [ $i -lt 600 ] && cat /proc/[0-9]*/stat 2>/dev/null |
	awk '$2 == "(forkloop)" && $3 != "Z" { found = 1 } END { exit !found }'; do
	sleep 0.1
	i=$((i + 1))
done
ktap_check "mixed load: a forkloop killed mid-run (exit status $st), its children done" \
	test $st = 137 -a $i -lt 600
hi=$(new_pid)
echo "$thp_orig" > $THP

# Stop cowcheck: it detaches and prints its table.
kill -TERM $bpid
wait $bpid
st=$?
ktap_check "cowcheck exits 0 at SIGTERM (status $st)" test $st = 0

# Its loss counters: programs skipped (recursion), maps full, no owner.
grep '^cowcheck: stat ' $W/cowcheck.err > $W/stats
if [ "$(wc -l < $W/stats)" -ge 4 ] && awk '$4 != 0 { exit 1 }' $W/stats; then
	ktap_ok "cowcheck lost nothing ($(awk '{ printf "%s%s=%s", s, $3, $4; s = " " }' $W/stats))"
else
	diag $W/cowcheck.err
	ktap_not_ok "cowcheck lost nothing"
fi

cat "$D/procs" > $W/cowlab.procs
echo "# cowlab stats:"
diag "$D/stats"
echo "# cowlab probes:"
diag "$D/probes"

# The comparison, pid by pid, class by class.
compare $W/cowlab.procs $W/cowcheck.out "$lo" "$hi" > $W/compare
compared=$(sed -n 's/^compared \([0-9]*\) differences.*/\1/p' $W/compare)
differences=$(sed -n 's/^compared [0-9]* differences \([0-9]*\)$/\1/p' $W/compare)
grep '^#' $W/compare
if [ "${differences:-x}" = 0 ] && [ "${compared:-0}" -gt 0 ]; then
	ktap_ok "cowlab and cowcheck agree on all six classes for the $compared processes created while both counted (pids $lo..$hi)"
else
	echo "# cowlab's procs:"
	diag $W/cowlab.procs
	echo "# cowcheck's table:"
	diag $W/cowcheck.out
	ktap_not_ok "cowlab and cowcheck agree on all six classes for the ${compared:-?} processes created while both counted (pids $lo..$hi; ${differences:-?} differences)"
fi

# The comparison was not vacuous: every class the workloads can produce
# was seen (unshare needs a read-only GUP pin, which no workload takes).
totals=$(awk '/^total / { printf "%s%s=%s", s, $2, $3; s = " " }' $W/compare)
echo "# totals of the compared processes: $totals"
missing=$(awk '/^total / && $2 != "unshare" && $3 == 0 { printf " %s", $2 }' $W/compare)
ktap_check "every class but unshare was exercised${missing:+ (none of:$missing)}" test -z "$missing"

ktap_check "rmmod cowlab" rmmod cowlab

ktap_finish || rc=1
exit $rc
