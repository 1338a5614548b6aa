#!/bin/sh
# Issue 13, the reader's side of timeline, exposure and the sites switch,
# against the real module: `cowlab sites --on/--off` moves stats'
# sites_on; the lab's cow (4 KiB pages) forks, its child writes page 0,
# then after a pause of 1 s pages 1 and 2; `cowlab timeline CHILD` shows
# exactly the rows of the timeline file (FROM, COPY, NOCOPY), two bursts
# apart, adding up to the child's counters in procs; --json and --svg say
# the same; `cowlab procs` shows the child's COST computed from procs'
# fork_shared, by_parent and by_self; `cowlab sites CHILD`, with
# recording off, says how to switch it on; and after the child exits,
# `cowlab timeline` still shows it.  Then the kernel's log must be clean.
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
W=/tmp/tlr
rm -rf $W
mkdir -p $W
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
mark=$(ktap_dmesg_mark)
ktap_plan 14

# stat NAME: the value of NAME in stats.
stat() { awk -v n="$1" '$1 == n { print $2 }' $D/stats; }

# 1: the switch.
off0=$(stat sites_on)
cowlab sites --on >$W/on.out 2>&1; rc_on=$?
on1=$(stat sites_on)
cowlab --json sites --off >$W/off.out 2>&1; rc_off=$?
off1=$(stat sites_on)
if [ "$off0" = 0 ] && [ $rc_on = 0 ] && [ "$on1" = 1 ] && [ $rc_off = 0 ] &&
   [ "$off1" = 0 ] && [ "$(cat $W/off.out)" = '{"sites_on":0}' ]; then
	ktap_ok "sites: off after insmod, cowlab sites --on turns sites_on to 1, --off back to 0"
else
	cat $W/on.out $W/off.out | sed 's/^/# /'
	ktap_not_ok "sites: sites_on $off0, --on (exit $rc_on) $on1, --off (exit $rc_off) $off1"
fi

# timeline_raw PID: the timeline file of PID, as the module prints it.
timeline_raw() { echo "$1" >$D/timeline && cat $D/timeline; }

# check_rows PID OUT: the text chart OUT has the rows of the timeline file
# of PID: same number, FROM in ms since the first start, COPY, NOCOPY.
check_rows() {
	timeline_raw "$1" >"$W/raw.$1" || return 1
	awk 'NR == FNR {
		if (FNR == 1) { for (i = 1; i <= NF; i++) c[$i] = i; next }
		if (n == 0) o = $c["start_ns"]
		n++
		from[n] = sprintf("%d.%03d", int(($c["start_ns"] - o) / 1e9),
				  int(($c["start_ns"] - o) % 1e9 / 1e6))
		cp[n] = $c["copy"]; nc[n] = $c["nocopy"]
		next
	}
	/FROM +TO/ { t = 1; next }
	t { m++; if ($1 != from[m] || $(NF - 1) != cp[m] || $NF != nc[m]) {
		print "# row " m ": " $0 " / file: " from[m] " " cp[m] " " nc[m]; bad = 1 } }
	END { if (m != n) { print "# " m " rows, file " n; bad = 1 }
	      exit bad }' "$W/raw.$1" "$2"
}

# Run the lab's cow, 12 steps, at each checkpoint one line; a pause of
# 1 s before the child's first write to page 1 (its iteration 5).
mkfifo $W/in $W/out
cow --steps 12 --wait --nohuge <$W/in >$W/out 2>$W/err &
cpid=$!
exec 4>$W/in 3<$W/out
child=''
while IFS= read -r line <&3; do
	echo "$line" >>$W/transcript
	case $line in
	'# step 1 fork: parent '*)
		child=${line#*and child }
		child=${child%% *} ;;
	'# step 6 '*) sleep 1 ;;
	'# step 13 '*)
		# the child's last iteration done, before it exits: check live
		cowlab timeline "$child" >$W/live.out 2>&1
		echo $? >$W/live.rc
		cowlab --json timeline "$child" >$W/live.json 2>&1
		cowlab timeline --svg $W/live.svg "$child" >/dev/null 2>&1
		echo $? >$W/svg.rc
		cat $D/procs >$W/procs
		cowlab procs --pid $cpid >$W/procs.out 2>&1
		cowlab procs --wide --pid $cpid >$W/wide.out 2>&1
		cowlab sites "$child" >$W/sites.out 2>&1
		echo $? >$W/sites.rc
		check_rows "$child" $W/live.out >$W/live.check
		echo $? >$W/live.crc ;;
	'# step 14 child-exit'*)
		cowlab timeline "$child" >$W/dead.out 2>&1
		echo $? >$W/dead.rc ;;
	esac
	case $line in '# waiting') echo >&4 ;; esac
done
exec 3<&- 4>&-
wait $cpid
crc=$?
ktap_check "cow --steps 12: exit 0, child $child" [ "$crc" = 0 -a -n "$child" ]
[ $crc = 0 ] || sed 's/^/# /' $W/err $W/transcript | tail -n 20

ktap_check "cowlab timeline CHILD: exit 0, the rows of the timeline file (FROM, COPY, NOCOPY)" \
	[ "$(cat $W/live.rc)" = 0 -a "$(cat $W/live.crc)" = 0 ]
sed 's/^/# /' $W/live.check $W/live.out

# The child's events: copy and nocopy from procs (the classes of each).
awk -v p="$child" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["pid"] == p {
		split("cow_copy cow_zero unshare thp_zero file_copy cow_ksm huge_copy fork_copy", a)
		split("wp_reuse thp_reuse huge_reuse thp_split", b)
		for (k in a) if (a[k] in c && $c[a[k]] != "-") cp += $c[a[k]]
		for (k in b) if (b[k] in c && $c[b[k]] != "-") nc += $c[b[k]]
		print cp + 0, nc + 0, $c["fork_shared"], $c["by_parent"], $c["by_self"]
	}' $W/procs >$W/child.procs
read -r pcopy pnocopy fshared bypar byself <$W/child.procs
tsum=$(awk 'NR > 1 { c += $3; n += $4 } END { print c + 0, n + 0 }' "$W/raw.$child")
ktap_check "timeline of the child adds up to procs: copy nocopy $tsum = $pcopy $pnocopy, $pcopy >= 3" \
	[ "$tsum" = "$pcopy $pnocopy" -a "$pcopy" -ge 3 ]

# Two bursts: an empty bucket between two with events, the second later.
gaps=$(awk 'NR > 1 { if ($3 + $4) { if (seen && empty) g++; seen = 1; empty = 0 } else empty = 1 }
	END { print g + 0 }' "$W/raw.$child")
ktap_check "timeline: the writes before and after the 1 s pause are apart ($gaps gaps)" \
	[ "$gaps" -ge 1 ]

jsum=$(sed -n 's/.*"copy":\([0-9]*\),"nocopy":\([0-9]*\),"buckets".*/\1 \2/p' $W/live.json)
jrows=$(grep -c '^{"start_ns"' $W/live.json)
rows=$(($(wc -l <"$W/raw.$child") - 1))
ktap_check "cowlab --json timeline: copy nocopy $jsum, $jrows buckets, as the file" \
	[ "$jsum" = "$tsum" -a "$jrows" = "$rows" ]

bars=$(awk 'NR > 1 && $3 + $4 > 0' "$W/raw.$child" | wc -l)
gsvg=$(grep -c '^<g><title>' $W/live.svg)
ktap_check "cowlab timeline --svg: an SVG document with a bar for each of the $bars buckets with events" \
	[ "$(cat $W/svg.rc)" = 0 -a "$(head -c 5 $W/live.svg)" = "<?xml" \
	-a "$(tail -n 1 $W/live.svg)" = "</svg>" -a "$gsvg" = "$bars" ]

# COST of the child, from procs' columns: round(100 * copied / shared).
want=$(awk -v s="$fshared" -v p="$bypar" -v b="$byself" 'BEGIN {
	if (s == "-" || p == "-" || b == "-" || s == 0) { print "-"; exit }
	c = p + b; v = int((c * 100 + int(s / 2)) / s)
	if (c && !v) print "<1%"; else print v "%" }')
got=$(awk -v p="$child" '$1 == p { print $(NF - 2) }' $W/procs.out)
ktap_check "cowlab procs: the child's COST $got = (by_parent $bypar + by_self $byself) / fork_shared $fshared" \
	[ -n "$got" -a "$got" = "$want" ]
sed 's/^/# /' $W/procs.out
ktap_check "exposure: the child's fork_shared $fshared >= the 2560 pages of cow's buffer, by_self $byself >= 3" \
	[ "$fshared" -ge 2560 -a "$byself" -ge 3 ]
wide=$(awk -v p="$child" '$1 == p { print $(NF - 5), $(NF - 4), $(NF - 3) }' $W/wide.out)
ktap_check "cowlab procs --wide: SHARED BY_PARENT BY_SELF $wide" \
	[ "$wide" = "$fshared $bypar $byself" ]

ktap_check "cowlab sites CHILD with recording off: exit 0, says cowlab sites --on" \
	[ "$(cat $W/sites.rc)" = 0 -a -n "$(grep -e '^`cowlab sites --on`' $W/sites.out)" ]
sed 's/^/# /' $W/sites.out

ktap_check "cowlab timeline of the exited child: exit 0, 'exited', the same rows" \
	[ "$(cat $W/dead.rc)" = 0 -a -n "$(grep "^process $child (cow, exited)" $W/dead.out)" \
	-a "$(sed 1d $W/dead.out)" = "$(sed 1d $W/live.out)" ]

ktap_no_reports "$mark" "timeline-reader: no kernel report"
ktap_unload
ktap_finish
