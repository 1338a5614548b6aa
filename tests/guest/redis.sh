#!/bin/sh
# shellcheck disable=SC3043 # local: busybox ash has it
# Issue 14: a Redis BGSAVE measured by cowlab and checked against what
# Redis says itself (INFO persistence).  Debian 12's redis-server, in the
# overlay of scripts/guest-redis.sh:
#   scripts/vm.sh -k 6.12 -x "$(scripts/guest-redis.sh)" /guest/redis.sh
#
# Twice, THP off and on (transparent_hugepage/enabled never, always, and
# Redis told not to turn THP off for itself): a redis-server on a unix
# socket, no persistence but the one BGSAVE into a tmpfs directory; DEBUG
# POPULATE fills KEYS keys of VSIZE bytes (80,000 x 1,000 B, ~88 MB: the
# issue's 200 MB takes minutes under TCG, and 88 MB is already 22,000
# pages of values); the parent's cowlab records are reset; BGSAVE with
# rdb-key-save-delay so the save outlasts the writes; redis-cli --pipe
# overwrites every EVERY-th key (a quarter) with a new value while the
# child saves.  Three moments (forkview: cowlab's vmas and pages of both,
# the child's smaps), F2 and F3 with both processes stopped:
#   F1  the writes are done (both running: a stop inside one of Redis's
#       smaps readings makes Redis wait 100 times as long as it took for
#       the next one);
#   F2  Redis has taken two readings of its own (current_cow_size) since
#       F1: the second one began after F1;
#   F3  the child has saved 90 % of the keys;
# then the save ends and Redis reports rdb_last_cow_size.
#
# Exact (the same moment, nothing running):
#   - the child's exclusive pages in its anonymous VMAs (cowlab vmas) are
#     its smaps Private_Dirty there, at F2 and F3;
#   - no page the parent copied during the save is shared in the child:
#     the child's page there is private (X) or gone, or the zero page
#     (Z) for a zero page the parent replaced, or a copy of the child's
#     own (C: both replaced a zero page; or, with THP, the child copied
#     first and the parent then copied too a page only it mapped, as the
#     kernel reuses a page of a large folio only when nobody else maps
#     any page of the folio);
#   - the parent's copied pages are at most its COW events since the
#     reset (each event makes one page, a thp_zero 512);
#   - the parent's sites add up to its procs counters, per class, and
#     its timeline too;
#   - exposure (procs): the parent's copies that the child holds alone
#     <= by_parent <= the parent's copies since the reset (just before
#     the fork); by_self = the child's copies.
# Within bounds (Redis reads smaps at other moments): Redis reads its
# Private_Dirty total over every VMA.  In the anonymous VMAs that is
# cowlab's exclusive count (above); in file VMAs (a library's .data
# written) it is at most cowlab's exclusive pages there (a page-cache page
# only the child maps is exclusive but clean: Private_Clean).  Between F1
# and F2 the child's private memory only grows: the parent's copies, the
# child's own writes; it gives nothing back (no dismissObject() madvise:
# the values are below 4 KiB, and with THP on Redis skips it).  So
# current_cow_size, read (begun and ended) between F1 and F2, is at least
# cowlab's anonymous exclusive pages at F1 and at most its exclusive pages
# at F2, file VMAs included.  rdb_last_cow_size, read after the last key: at least
# cowlab's at F3; at most that, plus one page per COW event either
# process had after F3, plus 8 pages for the child's last steps (the
# file's flush and rename, the stdio buffer of its last smaps read).
# khugepaged sleeps during the rounds: a collapse in the parent makes the
# child's pages private without any COW event (seen: 142 pages in 90 s).
# Then what Redis cannot say: how much of the child's private memory the
# parent copied (forkview's pc_cx), and the parent's sites.  Then dmesg.
. /guest/ktap.sh
KEYS=${COWLAB_T_REDIS_KEYS:-80000}
VSIZE=${COWLAB_T_REDIS_VALUE:-1000}
EVERY=${COWLAB_T_REDIS_EVERY:-4}
DELAY=${COWLAB_T_REDIS_DELAY:-200}
D=/tmp/redis
S=$D/sock
CG=/sys/kernel/debug/cowlab
MM=/sys/kernel/mm/transparent_hugepage
rc=0

cli() { redis-cli -s $S "$@"; }
# check DESC CONDITION: ok if the shell condition (a string, evaluated
# whole: ktap_check would take only the first command of an && chain).
check() { if eval "$2"; then ktap_ok "$1"; else ktap_not_ok "$1"; fi; }
info() { cli info persistence | tr -d '\r' | sed -n "s/^$1://p"; }
now() { cut -d' ' -f1 /proc/uptime; }
# procs_col PID COLUMN
procs_col() {
	awk -v pid="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$h["pid"] == pid { print $h[c] }' $CG/procs
}
# events PID: its COW events that can each make pages private (a
# thp_zero makes 512)
events() {
	awk -v pid="$1" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$h["pid"] == pid { n = 0
			split("cow_copy cow_zero unshare file_copy cow_ksm", c, " ")
			for (i in c) if ((c[i] in h) && $h[c[i]] != "-") n += $h[c[i]]
			if ("thp_zero" in h && $h["thp_zero"] != "-") n += 512 * $h["thp_zero"]
			print n }' $CG/procs
}
# sum_cols PID COLUMN...: the sum of PID's procs columns ("-" counts 0)
sum_cols() {
	awk -v pid="$1" -v cols="$*" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$h["pid"] == pid { n = split(cols, c, " "); s = 0
			for (i = 2; i <= n; i++) if ((c[i] in h) && $h[c[i]] != "-") s += $h[c[i]]
			print s }' $CG/procs
}
child_of() {
	awk -v pp="$1" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$h["ppid"] == pp && $h["state"] == "live" { print $h["pid"] }' $CG/procs
}
# freeze NAME [run]: both processes stopped (unless "run"), cowlab's and
# smaps' view in $D/NAME (forkview's NAME=VALUE lines, and the events so
# far).
freeze() {
	[ "${2:-}" = run ] || kill -STOP "$cpid" "$rpid"
	if ! forkview "$rpid" "$cpid" >"$D/$1"; then
		echo "# forkview $rpid $cpid failed"
		: >"$D/$1"
	fi
	{
		echo "p_events=$(events "$rpid")"
		echo "c_events=$(events "$cpid")"
		echo "p_copies=$(sum_cols "$rpid" cow_copy unshare)"
		echo "c_copies=$(sum_cols "$cpid" cow_copy unshare)"
		for c in fork_shared by_parent by_self; do
			echo "c_$c=$(procs_col "$cpid" $c)"
		done
	} >>"$D/$1"
	if [ "$1" = f2 ]; then
		cowlab sites "$cpid" >$D/child.sites 2>&1
		cowlab procs --pid "$rpid" >$D/procs.txt 2>&1
		cowlab diff "$rpid" "$cpid" >$D/diff.txt 2>&1
	fi
	[ "${2:-}" = run ] || kill -CONT "$rpid" "$cpid"
	echo "# $1 at $(now) s:" $(cat "$D/$1")
}
# val NAME KEY: KEY from freeze NAME's file, 0 if missing
val() { v=$(sed -n "s/^$2=//p" "$D/$1"); echo "${v:-0}"; }

# round never|always: one BGSAVE; its KTAP lines.
round() {
	local mode=$1 t0 i lo hi rcur rlast tag ok
	tag="THP $( [ "$mode" = never ] && echo off || echo on)"
	echo "$mode" >$MM/enabled
	rm -rf $D
	mkdir -p $D
	redis-server --unixsocket $S --port 0 --save '' --appendonly no \
		--dir $D --dbfilename dump.rdb --enable-debug-command yes \
		--disable-thp no --rdb-key-save-delay "$DELAY" \
		--logfile $D/log --loglevel verbose &
	rpid=$!
	for i in $(seq 150); do
		[ "$(cli ping 2>/dev/null)" = PONG ] && break
		sleep 0.2
	done
	t0=$(now)
	cli debug populate "$KEYS" key "$VSIZE" >/dev/null
	awk -v n="$KEYS" -v e="$EVERY" -v s="$VSIZE" 'BEGIN {
		v = sprintf("%" s "s", ""); gsub(/ /, "y", v)
		for (i = 0; i < n; i += e) printf "SET key:%d %s\r\n", i, v }' >$D/sets
	echo "# $tag: redis-server $rpid, $(cli dbsize) keys in" \
	     "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s;" \
	     $(cli info memory | tr -d '\r' | grep -E '^used_memory(_rss)?:') \
	     "$(grep AnonHugePages /proc/$rpid/smaps_rollup)"
	thp_kb=$(awk '/AnonHugePages/ { print $2 }' /proc/$rpid/smaps_rollup)
	echo "reset $rpid" >$CG/control
	cli bgsave >/dev/null
	cpid=
	for i in $(seq 100); do
		cpid=$(child_of "$rpid")
		[ -n "$cpid" ] && break
		sleep 0.1
	done
	if [ -z "$cpid" ]; then
		cli shutdown nosave >/dev/null 2>&1
		wait
		for i in 1 2 3 4 5 6 7 8 9; do
			ktap_not_ok "$tag: no BGSAVE child in procs"
		done
		return 1
	fi
	cli --pipe <$D/sets >$D/pipe.out 2>&1
	echo "# $tag: BGSAVE child $cpid; $(grep replies $D/pipe.out)" \
	     "SETs in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s"
	# F1 with both running: a stop inside one of Redis's smaps readings
	# makes that reading look slow, and Redis waits 100 times as long
	# for the next one (seen: none for 62 s).  F1 is only a lower bound.
	freeze f1 run
	f1end=$(now)
	# A reading of Redis's takes time (it walks its smaps) and its age
	# counts from its end: the first reading to end after F1 may have
	# begun before F1, while the SETs still ran (seen on 7.x: 171 pages
	# below F1).  The second one began after the first ended, so after
	# F1.  A new reading shows as its age going down (the age is whole
	# seconds, and readings are at least 1 s apart).
	rcur="" fresh=0 prev=""
	for i in $(seq 240); do
		[ "$(info rdb_bgsave_in_progress)" = 1 ] || break
		set -- $(info current_cow_size) $(info current_cow_size_age) $(now)
		if [ -n "$prev" ] && [ "$2" -lt "$prev" ] &&
		   awk -v u="$3" -v f="$f1end" 'BEGIN { exit !(u - 1 > f) }'; then
			fresh=$((fresh + 1))
		fi
		prev=$2
		if [ $fresh -ge 2 ]; then
			rcur=$1
			break
		fi
		sleep 0.5
	done
	[ -n "$rcur" ] && freeze f2
	echo "# $tag: current_cow_size ${rcur:-none} (age $2 s at $3 s)"
	for i in $(seq 600); do
		[ "$(info rdb_bgsave_in_progress)" = 1 ] || break
		k=$(info current_save_keys_processed)
		[ "${k:-0}" -ge $((KEYS * 9 / 10)) ] && break
		sleep 0.5
	done
	[ "$(info rdb_bgsave_in_progress)" = 1 ] && freeze f3
	for i in $(seq 600); do
		[ "$(info rdb_bgsave_in_progress)" = 1 ] || break
		sleep 0.5
	done
	rlast=$(info rdb_last_cow_size)
	echo "# $tag: save done at $(now) s, rdb_last_cow_size $rlast," \
	     "status $(info rdb_last_bgsave_status)"
	grep -E '^pid |^'"$rpid"' |^'"$cpid"' ' $CG/procs | sed 's/^/# /'

	# THP on must mean THP used.
	if [ "$mode" = never ]; then
		check "$tag: the parent has no THP (AnonHugePages $thp_kb kB)" \
			"[ '${thp_kb:-1}' = 0 ]"
	else
		check "$tag: the parent's dataset is in THPs (AnonHugePages $thp_kb kB)" \
			"[ ${thp_kb:-0} -gt 0 ]"
	fi

	ok=1
	for f in f2 f3; do
		[ -s $D/$f ] || { echo "# $f: not taken"; ok=0; continue; }
		[ $(($(val $f c_exclusive) * 4)) = "$(val $f s_anon_dirty_kb)" ] ||
			{ echo "# $f: cowlab $(val $f c_exclusive) pages," \
			       "smaps $(val $f s_anon_dirty_kb) kB"; ok=0; }
	done
	check "$tag: child's exclusive anon pages (cowlab) = its smaps Private_Dirty there, at F2 F3 ($(val f2 c_exclusive) pages at F2)" \
		"[ $ok = 1 ]"

	check "$tag: of $(val f3 pc) pages the parent copied, none shared in the child ($(val f3 pc_cx) private there, $(val f3 pc_cz) zero, $(val f3 pc_cc) copied by both, $(val f3 pc_cabsent) gone; at F3)" \
		"[ -s $D/f3 ] && [ $(val f3 pc_cs) = 0 ] && [ $(val f3 pc_cx) -gt 0 ]"

	check "$tag: parent's copied pages ($(val f3 p_copied)) <= its COW events since the reset ($(val f3 p_events))" \
		"[ -s $D/f3 ] && [ $(val f3 p_copied) -le $(val f3 p_events) ]"

	lo=$(($(val f1 c_exclusive) * 4096))
	hi=$((($(val f2 c_exclusive) + $(val f2 c_file_exclusive)) * 4096))
	check "$tag: current_cow_size ${rcur:-none} within [$lo, $hi] (cowlab at F1, F2)" \
		"[ -n '$rcur' ] && [ -s $D/f2 ] && [ '$rcur' -ge $lo ] && [ '$rcur' -le $hi ]"

	lo=$(($(val f3 c_exclusive) * 4096))
	end_p=$(events "$rpid")
	end_c=$(events "$cpid")
	hi=$((($(val f3 c_exclusive) + $(val f3 c_file_exclusive) + \
	       end_p - $(val f3 p_events) + end_c - $(val f3 c_events) + 8) * 4096))
	check "$tag: rdb_last_cow_size ${rlast:-none} within [$lo, $hi] (cowlab at F3, events since)" \
		"[ -s $D/f3 ] && [ ${rlast:-0} -ge $lo ] && [ ${rlast:-0} -le $hi ]"

	# The sites file, per class, adds up to procs (the parent, live), and
	# cowlab sites shows every row of it.
	cowlab sites "$rpid" >$D/parent.sites 2>&1
	echo "$rpid" >$CG/sites
	cat $CG/sites >$D/parent.rawsites
	bad=
	for c in cow_copy cow_zero wp_reuse thp_split; do
		a=$(awk -v c=$c 'NR > 1 && $2 == c { s += $3 } END { print s + 0 }' \
			$D/parent.rawsites)
		b=$(procs_col "$rpid" $c)
		# cowlab sites: COUNT CLASS ADDRESS SYMBOL SOURCE MODULE
		r=$(awk -v c=$c '$2 == c && $1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }' \
			$D/parent.sites)
		[ "$a" = "$b" ] && [ "$r" = "$b" ] ||
			bad="$bad $c: sites file $a, cowlab sites $r, procs $b;"
	done
	check "$tag: the parent's sites (file and cowlab sites) add up to procs per class${bad:- (cow_copy $(procs_col "$rpid" cow_copy))}" \
		"[ -z '$bad' ]"
	[ -z "$bad" ] || sed 's/^/# file: /' $D/parent.rawsites | head -n 8

	# Exposure (procs of the child, at F3): the pages the parent copied
	# that the child now holds alone are among the parent's copies since
	# the fork (by_parent), which are among its copies since the reset,
	# just before the fork; by_self is the child's own.
	check "$tag: exposure at F3: parent-copied private pages $(val f3 pc_cx) <= by_parent $(val f3 c_by_parent) <= the parent's copies $(val f3 p_copies); by_self $(val f3 c_by_self) = the child's $(val f3 c_copies) (fork_shared $(val f3 c_fork_shared))" \
		"[ -s $D/f3 ] && [ $(val f3 pc_cx) -le $(val f3 c_by_parent) ] &&
		 [ $(val f3 c_by_parent) -le $(val f3 p_copies) ] &&
		 [ $(val f3 c_by_self) = $(val f3 c_copies) ]"

	# The parent's timeline adds up to its procs counters.
	echo "$rpid" >$CG/timeline
	cat $CG/timeline >$D/parent.timeline
	set -- $(awk 'NR > 1 { c += $3; n += $4 } END { print c + 0, n + 0 }' \
		$D/parent.timeline)
	pc_sum=$(sum_cols "$rpid" cow_copy cow_zero unshare thp_zero file_copy \
		cow_ksm huge_copy fork_copy)
	pn_sum=$(sum_cols "$rpid" wp_reuse thp_reuse thp_split huge_reuse)
	check "$tag: the parent's timeline adds up to procs (copy $1 of $pc_sum, nocopy $2 of $pn_sum)" \
		"[ '$1' = $pc_sum ] && [ '$2' = $pn_sum ]"

	echo "# $tag: at F2, cowlab procs --pid $rpid; cowlab diff $rpid $cpid (anon):"
	sed 's/^/#   /' $D/procs.txt
	grep -E '^START|anon|heap|stack|^total' $D/diff.txt | sed 's/^/#   /'
	echo "# $tag: cowlab timeline $rpid; cowlab timeline $cpid (the child, exited):"
	# (buckets without events left out here)
	{ cowlab timeline "$rpid"; cowlab timeline "$cpid"; } 2>&1 |
		awk '!($(NF - 1) == "0" && $NF == "0")' | sed 's/^/#   /'
	echo "# $tag: what Redis cannot say: of the child's $(val f3 c_exclusive)" \
	     "private anon pages, the parent copied $(val f3 pc_cx) (its writes)," \
	     "the child $(val f3 cc) (its own); the parent's COW events:"
	{ head -n 8 $D/parent.sites; grep -E '^ *[0-9]+ [a-z_]+ +(other|task:)' \
		$D/parent.sites; } | sed 's/^/#   /'
	echo "# $tag: the child's (at F2):"
	head -n 6 $D/child.sites 2>/dev/null | sed 's/^/#   /'
	cli shutdown nosave >/dev/null 2>&1
	wait
}

rmmod cowlab 2>/dev/null
insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
ktap_plan 20
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "# no redis-server in this guest: boot with" \
	     "scripts/vm.sh -x \"\$(scripts/guest-redis.sh)\""
	for i in $(seq 20); do ktap_not_ok "redis: no redis-server in the guest"; done
	ktap_finish
	exit 1
fi
mark=$(ktap_dmesg_mark)
sleep_ms=$(cat $MM/khugepaged/scan_sleep_millisecs 2>/dev/null)
echo 86400000 >$MM/khugepaged/scan_sleep_millisecs 2>/dev/null
thp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $MM/enabled 2>/dev/null)
echo "sites on" >$CG/control 2>/dev/null || echo 1 >/sys/module/cowlab/parameters/sites
round never || rc=1
if [ -w $MM/enabled ] && grep -q always $MM/enabled; then
	round always || rc=1
else
	for i in 1 2 3 4 5 6 7 8 9; do
		ktap_skip "no transparent huge pages in this kernel" "THP on"
	done
fi
[ -n "$thp_was" ] && echo "$thp_was" >$MM/enabled
[ -n "$sleep_ms" ] && echo "$sleep_ms" >$MM/khugepaged/scan_sleep_millisecs
ktap_no_reports "$mark" "redis: no kernel report"
ktap_unload
ktap_finish || rc=1
exit $rc
