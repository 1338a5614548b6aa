#!/bin/sh
# shellcheck disable=SC3043,SC3045 # local, read -t: busybox ash has them
# Issue 14, item 2: a Python prefork server (userspace/workloads/prefork.py)
# measured by cowlab, without and with gc.freeze() before the fork, THP off
# and on.  The parent preloads an object graph of $MIB MiB and forks $NW
# workers; each serves requests that read a tenth of the records
# (reference counts written), then runs one gc.collect().  At three
# moments, with every worker waiting: ready (just forked: its counters
# since the fork are shown, then `reset PID` gives it a clean slate, so
# that its counters, page records and sites cover the measurement only),
# served (after the requests) and end (after gc.collect()), each worker's
# procs row and smaps_rollup are read; its sites at served and end, its
# vmas and `cowlab sites` at end.  Checked:
#
# - the server ran: $NW workers through the three moments, exit 0;
# - per worker, the pages it got by COW breaks from ready to end (procs:
#   cow_copy + cow_zero + file_copy + unshare + cow_ksm + 512 x thp_zero)
#   against its smaps Private_Dirty growth over the same time, within
#   TOL_PD pages (see there for what the difference is made of);
# - vmas: the copied pages summed over its VMAs are its COW pages since
#   ready (each page is copied once, none was unmapped: exact);
# - sites: per class, the counts of its sites add up to its procs
#   counters (exact), and at least SITES_PY percent of its cow_copy events
#   were written by instructions of the interpreter, /usr/bin/python3.11;
# - the effect of gc.freeze(), per THP mode: each worker's gc.collect()
#   copies at most GC_FROZEN pages of a frozen heap and at least
#   GC_UNFROZEN_PCT percent of the graph's pages of an unfrozen one, and
#   each worker's copies from ready to end with gc.freeze() are less than
#   FREEZE_PCT percent of its copies without.
#
# The size is the issue's 100 MiB: under TCG the graph builds in 2-5 s and
# the four runs take about a minute on a quiet host.
#
# Needs Python: boot with the overlay of scripts/guest-python.sh, which
# holds prefork.py as /usr/share/cowlab/prefork.py:
#   scripts/vm.sh -k 6.12 -x "$(scripts/guest-python.sh)" /guest/prefork.sh
# COWLAB_T_PREFORK_MIB (default 100) sizes the graph (the bounds below are
# for 100), COWLAB_T_PREFORK_THP (default "never always") the THP modes;
# COWLAB_T_PREFORK_SHOW=1 adds what cowlab procs, vmas and sites show at
# end (docs/workloads.md was written from that output).
. /guest/ktap.sh
trap "" PIPE # a server that died: its fifo gives EPIPE, not death
D=/sys/kernel/debug/cowlab
PY=${COWLAB_T_PYTHON:-python3}
SRV=${COWLAB_T_PREFORK:-/usr/share/cowlab/prefork.py}
MIB=${COWLAB_T_PREFORK_MIB:-100}
THPS=${COWLAB_T_PREFORK_THP:-never always}
THP=/sys/kernel/mm/transparent_hugepage/enabled
NW=3
W=/tmp/prefork
rc=0

# Bounds, from real runs (6.12 and 7.x, THP off and on, 100 MiB, 3
# workers: docs/workloads.md shows one) and what the quantities are made
# of:
# TOL_PD: |Private_Dirty growth - COW pages| per worker, in pages.  Seen:
# 0 to 24.  The difference is what smaps counts and no COW break
# explains: anonymous pages the worker faults in fresh (a new pymalloc
# pool is 16 KiB), pages that became private to it because the parent
# and the other workers copied theirs away (pages every process writes:
# the interpreter's state, hot small objects), minus pages freed since.
# None of these grows with the heap: 24 of 13,500 copies, 10 of 1,700.
TOL_PD=64
# SITES_PY: percent of cow_copy events at instructions of python3.11
# itself (the interpreter is linked statically into it).  Seen: all but
# 0 or 1 (libc's malloc); the requests and the GC are the interpreter's.
SITES_PY=99
# GC_FROZEN: pages a worker's gc.collect() copies when gc.freeze() moved
# the graph out of its reach.  Seen: 15 to 22: it still traverses the
# young objects, made since the fork in pages shared with older ones.
GC_FROZEN=64
# GC_UNFROZEN_PCT: the same without gc.freeze(), in percent of the graph's
# pages: every page holding a GC header of the graph (its dicts and lists,
# and what shares their pymalloc pools) that the requests did not copy
# first.  Seen: 45.8 to 46.3 %.
GC_UNFROZEN_PCT=40
# FREEZE_PCT: a worker's copies from ready to end with gc.freeze(), in
# percent of its copies without.  The requests read a tenth of the
# records and copy about 7 % of the graph's pages either way; only the
# unfrozen gc.collect() adds about 46 %.  Seen: 12 to 13 %.
FREEZE_PCT=20

ktap_plan $(( $(echo "$THPS" | wc -w) * 11 + 2 ))
if ! command -v "$PY" >/dev/null || [ ! -r "$SRV" ]; then
	echo "# no $PY or no $SRV in this guest: boot with" \
	     "scripts/vm.sh -x \"\$(scripts/guest-python.sh)\""
	for _ in $(seq $(( $(echo "$THPS" | wc -w) * 11 + 2 ))); do
		ktap_not_ok "prefork: no Python in the guest"
	done
	ktap_finish
	exit 1
fi
if ! insmod /cowlab.ko; then
	ktap_not_ok "insmod cowlab.ko"
	exit 1
fi
echo 1 >/sys/module/cowlab/parameters/sites
mark=$(ktap_dmesg_mark)
rm -rf $W
mkdir -p $W
# khugepaged would collapse pages into THPs behind the workers' backs.
echo 86400000 \
	>/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs \
	2>/dev/null
thp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $THP)

# next KIND: the server's next line into $line (and the run's log); fails
# unless it starts with KIND.
next() {
	line=
	read -r -t 900 line <&4 || return 1
	echo "$line" >>"$W/$run.log"
	case $line in "$1" | "$1 "*) return 0 ;; esac
	return 1
}
# field KEY: the value of KEY=VALUE in $line.
field() { echo "$line" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# snap STAGE PID: PID's procs counters and smaps_rollup, as "key value"
# lines in $W/$run.STAGE.PID.
snap() {
	awk -v pid="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["pid"] == pid {
			for (k in c)
				if (k != "comm" && k != "state") print k, $c[k]
		}' $D/procs >"$W/$run.$1.$2"
	awk '/^(Rss|Private_Dirty|Shared_Dirty|AnonHugePages):/ {
		sub(":", "", $1); print $1, $2 }' \
		"/proc/$2/smaps_rollup" >>"$W/$run.$1.$2"
}
# val STAGE PID KEY
val() { awk -v k="$3" '$1 == k { print $2 }' "$W/$run.$1.$2"; }
# copies STAGE PID: the pages PID got by COW breaks, by its counters.
copies() {
	awk '{ v[$1] = $2 == "-" ? 0 : $2 }
	     END { print v["cow_copy"] + v["cow_zero"] + v["file_copy"] + \
			 v["unshare"] + v["cow_ksm"] + 512 * v["thp_zero"] }' \
		"$W/$run.$1.$2"
}
# anon_vmas PID: copied, exclusive and shared pages over PID's anonymous
# VMAs ([anon], [heap], [stack]), and copied over all of them, from vmas.
vmas_of() {
	echo "$1" >$D/vmas && cat $D/vmas >"$W/$run.vmas.$1"
	awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	     $c["copied"] != "-" {
		all += $c["copied"]
		if ($NF ~ /^\[(anon|heap|stack)\]$/) {
			cp += $c["copied"]; ex += $c["exclusive"]
			sh += $c["shared"]
		}
	     }
	     END { print cp + 0, ex + 0, sh + 0, all + 0 }' "$W/$run.vmas.$1"
}

# serve RUN ARGS...: one run of the server; the workers' pids in $W/RUN.pids.
# 0 if it went through every moment and exited 0.
serve() {
	local i pid st=0
	run=$1
	shift
	rm -f $W/in $W/out
	mkfifo $W/in $W/out
	: >"$W/$run.log"
	: >"$W/$run.pids"
	"$PY" "$SRV" --mib "$MIB" --workers $NW "$@" <$W/in >$W/out \
		2>"$W/$run.err" &
	spid=$!
	exec 3>$W/in 4<$W/out
	next built || st=1
	echo "# $run: $line"
	for i in $(seq $NW); do
		next ready || { st=1; break; }
		field pid >>"$W/$run.pids"
	done
	# What each worker did from its fork to here, then a clean slate
	# (counters, page records, sites): the measurement starts now.
	for pid in $(cat "$W/$run.pids"); do
		snap fork "$pid"
		echo "reset $pid" >$D/control || st=1
		snap ready "$pid"
	done
	echo >&3
	for i in $(seq $NW); do next served || { st=1; break; }; done
	for pid in $(cat "$W/$run.pids"); do
		snap served "$pid"
		echo "$pid" >$D/sites && cat $D/sites >"$W/$run.sites0.$pid"
	done
	echo >&3
	for i in $(seq $NW); do
		next "done" || { st=1; break; }
		echo "# $run: $line"
	done
	for pid in $(cat "$W/$run.pids"); do
		snap end "$pid"
		vmas_of "$pid" >"$W/$run.anon.$pid"
		echo "$pid" >$D/sites && cat $D/sites >"$W/$run.sites.$pid"
		cowlab sites "$pid" >"$W/$run.csites.$pid" 2>&1
	done
	snap end "$spid"
	# COWLAB_T_PREFORK_SHOW=1: what the reader shows at end (for
	# docs/workloads.md).
	if [ "${COWLAB_T_PREFORK_SHOW:-0}" = 1 ]; then
		echo "# $run: \$ cowlab procs --pid $spid"
		cowlab procs --pid "$spid" 2>&1 | sed 's/^/#   /'
		pid=$(head -n 1 "$W/$run.pids")
		echo "# $run: \$ cowlab vmas $pid"
		cowlab vmas "$pid" 2>&1 | sed 's/^/#   /'
		echo "# $run: \$ cowlab sites $pid"
		sed 's/^/#   /' "$W/$run.csites.$pid"
	fi
	echo >&3
	next exit || st=1
	exec 3>&- 4<&-
	wait "$spid" || st=1
	[ "$(wc -l <"$W/$run.pids")" = $NW ] || st=1
	[ $st = 0 ] || sed 's/^/# stderr: /' "$W/$run.err" | tail -n 20
	return $st
}

# report RUN: each worker's figures, as "# " lines.
report() {
	local pid
	echo "# $1: per worker: COW pages before ready (since its fork), then" \
	     "from ready: at served -> at end (cow_copy cow_zero wp_reuse" \
	     "thp_split); Private_Dirty KiB at ready -> served -> end; vmas at" \
	     "end: copied exclusive shared over anon VMAs, copied in all"
	for pid in $(cat "$W/$1.pids"); do
		echo "#   $pid: $(copies fork "$pid"), $(copies served "$pid") ->" \
		     "$(copies end "$pid") ($(val end "$pid" cow_copy)" \
		     "$(val end "$pid" cow_zero) $(val end "$pid" wp_reuse)" \
		     "$(val end "$pid" thp_split)); PD" \
		     "$(val ready "$pid" Private_Dirty) ->" \
		     "$(val served "$pid" Private_Dirty) ->" \
		     "$(val end "$pid" Private_Dirty); vmas $(cat "$W/$1.anon.$pid")"
	done
	echo "#   parent $spid: COW pages $(copies end "$spid") since the fork" \
	     "(cow_copy $(val end "$spid" cow_copy)), AnonHugePages" \
	     "$(val end "$spid" AnonHugePages) KiB"
}

# check_pd RUN: Private_Dirty growth against COW pages, per worker.
check_pd() {
	local pid cow pd d bad=0 what=''
	for pid in $(cat "$W/$1.pids"); do
		cow=$(( $(copies end "$pid") - $(copies ready "$pid") ))
		pd=$(( ($(val end "$pid" Private_Dirty) - \
			$(val ready "$pid" Private_Dirty)) / 4 ))
		d=$((pd - cow))
		[ $d -lt 0 ] && d=$((-d))
		what="$what $pid: $cow vs $pd (diff $d);"
		[ $d -le "$TOL_PD" ] || bad=1
	done
	ktap_check "$1: each worker's COW pages from ready to end match its Private_Dirty growth within $TOL_PD pages:$what" \
		[ $bad = 0 ]
}

# check_vmas RUN: copied pages in vmas = COW pages since the reset.
check_vmas() {
	local pid all cow bad=0 what=''
	for pid in $(cat "$W/$1.pids"); do
		all=$(cut -d' ' -f4 "$W/$1.anon.$pid")
		cow=$(copies end "$pid")
		what="$what $pid: $all/$cow"
		[ "$all" = "$cow" ] || bad=1
	done
	ktap_check "$1: vmas: each worker's copied pages are its COW pages since ready (copied/COW:$what)" \
		[ $bad = 0 ]
}

# check_sites RUN: sites add up to procs; the interpreter wrote them.
check_sites() {
	local pid bad=0 what='' c s p py cc
	for pid in $(cat "$W/$1.pids"); do
		for c in cow_copy cow_zero wp_reuse thp_split thp_reuse file_copy; do
			s=$(awk -v c=$c 'NR > 1 && $2 == c { s += $3 }
					 END { print s + 0 }' "$W/$1.sites.$pid")
			p=$(val end "$pid" $c)
			[ "$s" = "$p" ] || { bad=1; what="$what $pid $c: sites $s, procs $p;"; }
		done
		# cowlab sites: COUNT CLASS ADDRESS SYMBOL SOURCE MODULE
		py=$(awk '$2 == "cow_copy" && $NF == "python3.11" { s += $1 }
			  END { print s + 0 }' "$W/$1.csites.$pid")
		cc=$(val end "$pid" cow_copy)
		what="$what $pid: $py of $cc;"
		[ $((py * 100)) -ge $((cc * SITES_PY)) ] || bad=1
	done
	ktap_check "$1: sites add up to procs per class, >= $SITES_PY % of cow_copy written by python3.11's code:$what" \
		[ $bad = 0 ]
}

# sites_phases RUN PID: PID's busiest sites in the request loop (sites at
# served) and in gc.collect() (what grew from served to end), with the
# symbols cowlab sites gave them.
sites_phases() {
	awk -v pid="$2" '
		FILENAME ~ /\.csites\./ { if ($3 ~ /^[0-9a-f]+$/) sym[$3] = $4; next }
		FILENAME ~ /\.sites0\./ { if (FNR > 1) a[$1 " " $2] = $3; next }
		FNR > 1 {
			k = $1 " " $2
			d = $3 - ((k in a) ? a[k] : 0)
			if (d > 0) b[k] = d
		}
		END {
			for (k in a) print "requests", a[k], k, sym[substr(k, 1, index(k, " ") - 1)]
			for (k in b) print "gc", b[k], k, sym[substr(k, 1, index(k, " ") - 1)]
		}' "$W/$1.csites.$2" "$W/$1.sites0.$2" "$W/$1.sites.$2" |
		sort -k1,1 -k2,2nr | awk '{ n[$1]++ } n[$1] <= 6' |
		sed "s/^/# $1: $2: /"
}

# phase RUN FROM TO PID: COW pages of PID in RUN between two moments.
phase() {
	run=$1
	echo $(( $(copies "$3" "$4") - $(copies "$2" "$4") ))
}

for mode in $THPS; do
	if ! echo "$mode" >$THP 2>/dev/null; then
		for _ in $(seq 11); do
			ktap_not_ok "THP $mode: cannot write $THP"
		done
		rc=1
		continue
	fi
	for f in nofreeze freeze; do
		arg=
		[ $f = freeze ] && arg=--freeze
		t0=$(date +%s)
		if serve "thp-$mode-$f" $arg; then
			ktap_ok "$run: $NW workers ready, served, ended, the server exited 0 ($(($(date +%s) - t0)) s)"
		else
			ktap_not_ok "$run: $NW workers ready, served, ended, the server exited 0"
			rc=1
		fi
		report "$run"
		check_pd "$run" || rc=1
		check_vmas "$run" || rc=1
		check_sites "$run" || rc=1
		pid=$(head -n 1 "$W/$run.pids")
		echo "# $run: cowlab sites $pid:"
		head -n 12 "$W/$run.csites.$pid" | sed 's/^/#   /'
		tail -n 4 "$W/$run.csites.$pid" | sed 's/^/#   /'
		sites_phases "$run" "$pid"
	done
	# The effect of gc.freeze(): worker i of one run against worker i
	# of the other (the same requests: the same seed).
	un=thp-$mode-nofreeze fr=thp-$mode-freeze
	graph=$((MIB * 256))
	bad_fr=0 bad_un=0 bad_tot=0 w_fr='' w_un='' w_tot=''
	i=0
	for upid in $(cat "$W/$un.pids"); do
		i=$((i + 1))
		fpid=$(sed -n "${i}p" "$W/$fr.pids")
		[ -n "$fpid" ] || { bad_fr=1 bad_un=1 bad_tot=1; continue; }
		gf=$(phase "$fr" served end "$fpid")
		tf=$(phase "$fr" ready end "$fpid")
		gu=$(phase "$un" served end "$upid")
		tu=$(phase "$un" ready end "$upid")
		w_fr="$w_fr $gf" w_un="$w_un $gu"
		w_tot="$w_tot $tf/$tu ($((tf * 100 / (tu + 1))) %)"
		[ "$gf" -le $GC_FROZEN ] || bad_fr=1
		[ $((gu * 100)) -ge $((graph * GC_UNFROZEN_PCT)) ] || bad_un=1
		[ $((tf * 100)) -lt $((tu * FREEZE_PCT)) ] || bad_tot=1
	done
	ktap_check "thp-$mode: gc.collect() of a frozen heap copies <= $GC_FROZEN pages per worker (copied:$w_fr)" \
		[ $bad_fr = 0 ]
	ktap_check "thp-$mode: gc.collect() of an unfrozen heap copies >= $GC_UNFROZEN_PCT % of the graph's $graph pages per worker (copied:$w_un)" \
		[ $bad_un = 0 ]
	ktap_check "thp-$mode: with gc.freeze() each worker copies < $FREEZE_PCT % of what it copies without (freeze/nofreeze:$w_tot)" \
		[ $bad_tot = 0 ]
	[ $bad_fr$bad_un$bad_tot = 000 ] || rc=1
done
echo "$thp_was" >$THP
ktap_no_reports "$mark" "prefork: no kernel report"
ktap_unload
ktap_finish || rc=1
exit $rc
