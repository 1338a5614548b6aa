#!/bin/sh
# Issue "Independent witnesses", part 2, in the guest: cowcheck (BPF,
# userspace/bpf) and cowlab count the same copy-on-write breaks.
#
# cowlab is loaded and reset, cowcheck started; once it is attached (its
# --ready file exists) the course demos run bounded, THP off and on, then
# remote writes through /proc/PID/mem, then a mixed load (forkloops in
# parallel, one killed mid-run; COWLAB_T_BPF_LOOPS and COWLAB_T_BPF_ITERS
# size it; COWLAB_T_BPF_ATTACH is cowcheck's --attach, default auto).  Then cowcheck is stopped and its table compared with cowlab's
# procs, by column name, one test per class of cowlab's `classes` file:
# for every pid that either table lists, the class must be equal (a pid a
# table does not list had no event: 0, or `-` where that tool marks the
# class absent on this kernel).  A class both mark absent (unshare on 5.10)
# is skipped with both reasons; one that only cowcheck cannot see here is
# skipped with its reason (cowlab's counts then have no witness).  Only
# pids created after cowcheck was attached and before the workloads ended
# are compared, so that neither tool saw only part of a process's life.
# Also: cowcheck's loss counters are zero; the huge-zero-page workload's
# thp_zero equals the kernel's own count of THPs it faulted in (vmstat
# thp_fault_alloc: one per 2 MiB on 7.x, none on the split path of 6.12
# and older); and the workloads produced events of every class they can
# on this kernel (not unshare: only pathtest's KSM unmerge makes some, and
# only from 6.2).  pathtest is a workload: private file pages written
# first (file_copy), read then written, shared ones, KSM pages written
# (cow_ksm) and unmerged.  hugetest is one too (huge pages reserved for
# it with nr_hugepages): private hugetlb pages copied (huge_copy) and
# reused (huge_reuse) after a fork.  A class of cowlab that cowcheck has no
# column for (one newer than cowcheck) is skipped, saying that cowlab's
# count has no witness here.
. /guest/ktap.sh
D=${COWLAB_DEBUGFS:-/sys/kernel/debug/cowlab}
THP=/sys/kernel/mm/transparent_hugepage/enabled
W=/tmp/bpfcheck
# The mixed load's size: forkloops side by side, and their iterations.
loops=${COWLAB_T_BPF_LOOPS:-4}
iters=${COWLAB_T_BPF_ITERS:-30}
# How cowcheck attaches (its --attach: auto, fentry or kprobe).
attach=${COWLAB_T_BPF_ATTACH:-auto}
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
never pathtest /tmp
never hugetest
EOF
}

# A fresh pid: every process created after it has a larger one (the guest
# creates far fewer than pid_max processes, so pids do not wrap).
new_pid() {
	sh -c 'echo $$'
}

# vmstat NAME: a counter of /proc/vmstat.
vmstat() {
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' /proc/vmstat
}

# compare COWLAB_PROCS COWCHECK_TABLE LO HI: per class of $CMP_CLASSES, one
# "diff CLASS TEXT" line per difference, then "class CLASS compared N
# differences M total T" (T: cowcheck's sum over the compared pids, "-"
# for a class it marks absent).
# Columns are found by name in each header line; a pid a table does not
# list shows 0, or "-" for the classes that table marks absent
# ($ABSENT_COWLAB, $ABSENT_COWCHECK).
compare() {
	awk -v lo="$3" -v hi="$4" -v classes="$CMP_CLASSES" \
	    -v abs1=" $ABSENT_COWLAB " -v abs2=" $ABSENT_COWCHECK " '
	BEGIN { nc = split(classes, cls, " ") }
	function dflt(f, c) {
		return index(f == 1 ? abs1 : abs2, " " cls[c] " ") ? "-" : "0"
	}
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
				a = (1, pid, c) in v ? v[1, pid, c] : dflt(1, c)
				b = (2, pid, c) in v ? v[2, pid, c] : dflt(2, c)
				if ((a "") != (b "")) {
					printf "diff %s pid %d: cowlab %s, cowcheck %s\n",
					       cls[c], pid, a, b
					d[c]++
				}
				tot[c] += b
			}
		}
		# A missing column or a bad line counts against every class.
		for (c = 1; c <= nc; c++)
			printf "class %s compared %d differences %d total %s\n",
			       cls[c], n, d[c] + bad,
			       dflt(2, c) == "-" ? "-" : tot[c] + 0
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
thp_orig=$(sed 's/.*\[\(.*\)\].*/\1/' $THP)
# hugetest's huge pages (it needs 5 free); given back at the end.
hp_orig=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
echo 8 > /proc/sys/vm/nr_hugepages 2>/dev/null
if ! insmod /cowlab.ko; then
	ktap_plan 1
	ktap_not_ok "insmod cowlab.ko"
	ktap_finish
	exit 1
fi
echo reset > "$D/control"

# The classes cowlab has on this kernel, in its classes file's order; those
# it does not count ("absent": the kernel cannot have them; "missing": a
# probe failed) show "-" in procs.  The reason runs to the end of the line.
cat "$D/classes" > $W/classes
CLASSES=$(awk 'NR > 1 { printf "%s%s", s, $1; s = " " }' $W/classes)
ABSENT_COWLAB=$(awk 'NR > 1 && $2 != "counted" { printf "%s%s", s, $1; s = " " }' $W/classes)
nclasses=$(echo "$CLASSES" | wc -w)
ktap_plan $((nwork + 10 + nclasses))
echo "# cowlab classes:"
diag $W/classes

# 1: cowcheck attaches (a bounded poll for its ready file, 60 s).
cowcheck --attach "$attach" --ready $W/ready > $W/cowcheck.out 2> $W/cowcheck.err &
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
# The classes cowcheck finds absent here: "cowcheck: class NAME absent WHY".
ABSENT_COWCHECK=$(awk '$1 == "cowcheck:" && $2 == "class" && $4 == "absent" { printf "%s%s", s, $3; s = " " }' $W/cowcheck.err)

# 2..: the demos, bounded.
n=0
workloads > $W/workloads
while read -r thp cmd; do
	n=$((n + 1))
	echo "$thp" > $THP
	fa0=$(vmstat thp_fault_alloc)
	$cmd > $W/work.$n.out 2>&1 < /dev/null &
	wp=$!
	wait $wp
	st=$?
	# The huge zero page written over: the kernel's count of THPs it
	# faulted in meanwhile (nothing else runs), for the test below.
	if [ "$thp $cmd" = "always zero_fill --huge" ]; then
		hz_pid=$wp
		hz_alloc=$(($(vmstat thp_fault_alloc) - fa0))
	fi
	if [ $st = 0 ]; then
		ktap_ok "THP $thp: $cmd"
	else
		tail -n 20 $W/work.$n.out | sed 's/^/# /'
		ktap_not_ok "THP $thp: $cmd (exit status $st)"
	fi
done < $W/workloads

# Remote faults: writes through /proc/PID/mem.  dd's task takes the
# fault, for the target's mm: cowlab counts the event for the target, and
# cowcheck must have counted the same (the comparison below).
#
# First FOLL_FORCE, as a debugger sets a breakpoint: into the text of a
# sleeping process, one cow_copy.  Kernels built with PROC_MEM_FORCE_PTRACE
# or PROC_MEM_NO_FORCE (an option since 6.12; 7.x's Debian build) refuse a
# forced write from a process that is not the target's tracer: then the
# write must have failed without changing the byte or counting anything.
(exec sleep 1000) &
sp=$!
i=0
while [ $i -lt 600 ] && [ "$(cat /proc/$sp/comm 2>/dev/null)" != sleep ]; do
	sleep 0.1
	i=$((i + 1))
done
text=$(awk '$2 ~ /^r-xp/ { split($1, r, "-"); print r[1]; exit }' /proc/$sp/maps)
# The read maps the page, so that the write takes the write-protect fault.
old=$(dd if=/proc/$sp/mem bs=1 skip=$((0x$text)) count=1 2>/dev/null | od -An -to1 | tr -d ' ')
before=$(field "$D/procs" $sp cow_copy)
printf '\314' | dd of=/proc/$sp/mem bs=1 seek=$((0x$text)) conv=notrunc 2>/dev/null
st=$?
after=$(field "$D/procs" $sp cow_copy)
got=$(dd if=/proc/$sp/mem bs=1 skip=$((0x$text)) count=1 2>/dev/null | od -An -to1 | tr -d ' ')
kill -KILL $sp
wait $sp 2>/dev/null
grown=$((${after:-0} - ${before:-0}))
desc="remote forced write to /proc/$sp/mem at $text: one cow_copy for the target (status $st, byte $old -> $got, +$grown)"
if [ "$st" != 0 ] && [ "$got" = "$old" ] && [ "$grown" = 0 ]; then
	ktap_skip "this kernel refuses a forced /proc/PID/mem write from a non-tracer (status $st, byte unchanged, nothing counted)" "$desc"
else
	ktap_check "$desc" test "$st" = 0 -a "$got" = 314 -a "$grown" = 1
fi

# Then without force, into a writable mapping: a page of zero_fill that
# maps the shared zero page (it stops after reading its region, --wait),
# as kpageflags says (KPF_ZERO_PAGE, bit 24, of the pfn pagemap gives):
# one cow_zero.
mkfifo $W/zf.in
zero_fill --wait --pages 4 < $W/zf.in > $W/zf.out 2>&1 &
zp=$!
exec 3> $W/zf.in
# Its checkpoints: mapped (answered with a line), read (kept waiting).
labwait -t 60 -p $zp $W/zf.out '# waiting' 1
echo >&3
labwait -t 60 -p $zp $W/zf.out '# waiting' 2
addr=$(sed -n 's/^region buffer: addr=\([0-9a-f]*\)-.*/\1/p' $W/zf.out)
pm=$(dd if=/proc/$zp/pagemap bs=8 skip=$((0x${addr:-0} / 4096)) count=1 2>/dev/null | od -An -tx8 | tr -d ' ')
pfn=$((0x${pm#??} & 0x7fffffffffffff))
kf=$(dd if=/proc/kpageflags bs=8 skip=$pfn count=1 2>/dev/null | od -An -tx8 | tr -d ' ')
zero=$(((0x${kf#??} >> 24) & 1))
before=$(field "$D/procs" $zp cow_zero)
printf 'x' | dd of=/proc/$zp/mem bs=1 seek=$((0x${addr:-0})) conv=notrunc 2>/dev/null
st=$?
after=$(field "$D/procs" $zp cow_zero)
got=$(dd if=/proc/$zp/mem bs=1 skip=$((0x${addr:-0})) count=1 2>/dev/null)
exec 3>&-
wait $zp
zst=$?
grown=$((${after:-0} - ${before:-0}))
ktap_check "remote write to /proc/$zp/mem at ${addr:-?} over the zero page (kpageflags zero $zero): one cow_zero for the target (status $st, byte $got, +$grown, zero_fill status $zst)" \
	test "$zero" = 1 -a "$st" = 0 -a "$got" = x -a "$grown" = 1 -a "$zst" = 0

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
echo "$hp_orig" > /proc/sys/vm/nr_hugepages 2>/dev/null

# Stop cowcheck: it detaches and prints its table.
kill -TERM $bpid
wait $bpid
st=$?
ktap_check "cowcheck exits 0 at SIGTERM (status $st)" test $st = 0

# Its loss counters: programs skipped (recursion), maps full, no owner.
# "-": a counter this kernel does not keep (prog_misses before 5.12;
# cowcheck says why).  Its other counters ("info") only inform.
grep '^cowcheck: stat ' $W/cowcheck.err > $W/stats
awk '$4 == "-"' $W/stats | sed 's/^/# /'
grep '^cowcheck: info ' $W/cowcheck.err | sed 's/^/# /'
if [ "$(wc -l < $W/stats)" -ge 4 ] && awk '$4 != 0 && $4 != "-" { exit 1 }' $W/stats; then
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

# The classes cowcheck has no column for: not compared.
UNKNOWN_COWCHECK= CMP_CLASSES=
for c in $CLASSES; do
	if head -n1 $W/cowcheck.out | tr ' ' '\n' | grep -qx "$c"; then
		CMP_CLASSES="$CMP_CLASSES $c"
	else
		UNKNOWN_COWCHECK="$UNKNOWN_COWCHECK $c"
	fi
done

# The comparison, pid by pid, one test per class.
compare $W/cowlab.procs $W/cowcheck.out "$lo" "$hi" > $W/compare
grep '^#' $W/compare
# why TOOL CLASS: the reason TOOL gives for not counting CLASS here.
why() {
	if [ "$1" = cowlab ]; then
		awk -v c="$2" 'NR > 1 && $1 == c { $1 = ""; sub(/^ /, ""); print }' $W/classes
	else
		awk -v c="$2" '$1 == "cowcheck:" && $2 == "class" && $3 == c {
			$1 = $2 = $3 = ""; sub(/^ */, ""); print }' $W/cowcheck.err
	fi
}
# in_list WORD LIST
in_list() {
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}
dumped=0
for c in $CLASSES; do
	if in_list "$c" "$UNKNOWN_COWCHECK"; then
		ktap_skip "cowcheck has no $c class (its columns: $(head -n1 $W/cowcheck.out)): cowlab's $c has no witness here" \
			"$c: cowlab and cowcheck agree"
		continue
	fi
	set -- $(awk -v c="$c" '$1 == "class" && $2 == c { print $4, $6, $8 }' $W/compare)
	compared=${1:-?} differences=${2:-?}
	grep "^diff $c " $W/compare | sed 's/^diff /# /'
	ok=0
	[ "$differences" = 0 ] && [ "$compared" != "?" ] && [ "$compared" -gt 0 ] && ok=1
	if in_list "$c" "$ABSENT_COWLAB" && in_list "$c" "$ABSENT_COWCHECK" && [ $ok = 1 ]; then
		ktap_skip "$c is not counted on this kernel by either (cowlab: $(why cowlab "$c"); cowcheck: $(why cowcheck "$c")); both show - for all $compared processes" \
			"$c: cowlab and cowcheck agree"
	elif ! in_list "$c" "$ABSENT_COWLAB" && in_list "$c" "$ABSENT_COWCHECK"; then
		ktap_skip "cowcheck cannot see $c on this kernel ($(why cowcheck "$c")): cowlab's $c has no witness here" \
			"$c: cowlab and cowcheck agree"
	elif [ $ok = 1 ]; then
		ktap_ok "$c: cowlab and cowcheck agree for the $compared processes created while both counted (pids $lo..$hi)"
	else
		if [ $dumped = 0 ]; then
			echo "# cowlab's procs:"
			diag $W/cowlab.procs
			echo "# cowcheck's table:"
			diag $W/cowcheck.out
			dumped=1
		fi
		in_list "$c" "$ABSENT_COWLAB" && echo "# cowlab does not count $c here: $(why cowlab "$c")"
		ktap_not_ok "$c: cowlab and cowcheck agree for the $compared processes created while both counted (pids $lo..$hi; $differences differences)"
	fi
done

# The huge zero page written over, THP on: the kernel faulted in one THP
# per 2 MiB written over it on 7.x (do_huge_zero_wp_pmd), none where the
# PMD is split instead: thp_zero must be exactly that.
hz_bpf=$(field $W/cowcheck.out "${hz_pid:-0}" thp_zero)
hz_cowlab=$(field $W/cowlab.procs "${hz_pid:-0}" thp_zero)
ktap_check "zero_fill --huge (pid ${hz_pid:-?}): thp_zero equals the kernel's thp_fault_alloc growth ${hz_alloc:-?} (cowlab ${hz_cowlab:-0}, cowcheck ${hz_bpf:-0})" \
	test -n "${hz_alloc:-}" -a "${hz_bpf:-0}" = "$hz_alloc" -a "${hz_cowlab:-0}" = "$hz_alloc"

# The comparison was not vacuous: every class the workloads can produce
# on this kernel was seen.  Not unshare (it needs a read-only GUP pin,
# which no workload takes, or a KSM unmerge from 6.2); thp_zero only where
# the kernel replaces the huge zero page by a THP (the oracle above); no
# class either tool does not count here, or cowcheck does not know.
totals=$(awk '$1 == "class" { printf "%s%s=%s", s, $2, $8; s = " " }' $W/compare)
echo "# cowcheck's totals over the compared processes: $totals"
expect=
for c in $CLASSES; do
	in_list "$c" "$ABSENT_COWLAB $ABSENT_COWCHECK $UNKNOWN_COWCHECK unshare" && continue
	[ "$c" = thp_zero ] && [ "${hz_alloc:-0}" = 0 ] && continue
	expect="$expect $c"
done
missing=$(awk -v e="$expect" 'BEGIN { n = split(e, x, " "); for (i = 1; i <= n; i++) want[x[i]] = 1 }
	$1 == "class" && ($2 in want) && $8 == 0 { printf " %s", $2 }' $W/compare)
ktap_check "every class the workloads produce here was exercised (${expect# }${missing:+; none of:$missing})" test -z "$missing"

ktap_check "rmmod cowlab" rmmod cowlab

ktap_finish || rc=1
exit $rc
