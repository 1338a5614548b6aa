#!/bin/sh
# Smoke test, a few seconds: cowlab loads with the files docs/debugfs.md
# describes, each with its header; every probe registered; the classes
# this kernel can count; a process forked now is listed with its exact
# pid, parent, command and state; reset zeroes every count and forgets the
# exited; a bad command and an unknown pid are refused; rmmod cleans up.
# Exact event counts are cowtest's (core.sh) and demos.sh's: from a shell
# no fork-and-write has a count known in advance (the shell's own stack and
# libc pages are copied too), so none is asserted here.
#
#   scripts/vm.sh -k 7.x /guest/smoke.sh
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
COUNTS="cow_copy cow_zero wp_reuse unshare thp_reuse thp_split thp_zero file_copy cow_ksm huge_copy huge_reuse fork_copy"
# Counted here, before test 6's reset: after it no process of ours forks.
set -- $COUNTS
ncounts=$#
rc=0

ktap_plan 8
rmmod cowlab 2>/dev/null
if ! insmod /cowlab.ko; then
	ktap_not_ok "insmod cowlab.ko"
	ktap_finish
	exit 1
fi

# 1. The files, and modes that match what each one is for: read only,
# write only (control), or a pid written then read (vmas, pages).
modes=$(cd $D && stat -c '%n %a %u' * | sort | tr '\n' ' ')
want="classes 400 0 control 200 0 pages 600 0 probes 400 0 procs 400 0 stats 400 0 users 400 0 vmas 600 0 "
if [ "$modes" = "$want" ]; then
	ktap_ok "the 8 files of docs/debugfs.md, root's, modes 400, 200 (control), 600 (vmas, pages)"
else
	echo "# got:  $modes"
	echo "# want: $want"
	ktap_not_ok "the 8 files of docs/debugfs.md, root's, modes 400, 200 (control), 600 (vmas, pages)"
fi

# The kernel's version, for the two facts below that docs/debugfs.md
# gives by kernel change (no oracle says what a probe is for).
set -- $(uname -r | tr '.-' '  ')
major=$1 minor=$2
atleast() { [ "$major" -gt "$1" ] || { [ "$major" = "$1" ] && [ "$minor" -ge "$2" ]; }; }

# 2. The probes of docs/debugfs.md's table for this kernel, each
# registered: status ok, error 0.  __get_user_pages serves unshare (5.19),
# break_ksm is there from 6.2, and 7.x has __zap_vma_range where the
# others have unmap_page_range.
want="copy_page_range do_huge_pmd_wp_page finish_fault pmdp_huge_clear_flush pmdp_set_access_flags ptep_clear_flush ptep_set_access_flags"
atleast 5 19 && want="$want __get_user_pages"
atleast 6 2 && want="$want break_ksm"
if atleast 7 0; then want="$want __zap_vma_range"; else want="$want unmap_page_range"; fi
want=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
cat $D/probes >/tmp/probes
got=$(sed 1d /tmp/probes | cut -d' ' -f1 | sort | tr '\n' ' ')
if [ "$(head -n1 /tmp/probes)" = "symbol kind status error nmissed" ] &&
   [ "$got" = "$want" ] &&
   awk 'NR > 1 && !($3 == "ok" && $4 == 0) { bad = 1 } END { exit bad }' /tmp/probes; then
	ktap_ok "probes: the $(echo $want | wc -w) of this kernel, each ok, error 0"
else
	sed 's/^/# /' /tmp/probes
	echo "# want the symbols: $want"
	ktap_not_ok "probes: those of this kernel, each ok, error 0"
fi

# 3. classes: every class counted, but unshare before 5.19, which has no
# FAULT_FLAG_UNSHARE (the kernel change that added unshare faults).
if atleast 5 19; then
	unshare="unshare counted -"
else
	unshare="unshare absent"
fi
want="class status reason
cow_copy counted -
cow_zero counted -
wp_reuse counted -
$unshare
thp_reuse counted -
thp_split counted -
thp_zero counted -
file_copy counted -
cow_ksm counted -
huge_copy counted -
huge_reuse counted -
fork_copy counted -"
got=$(cut -d' ' -f1-3 $D/classes | sed 's/^unshare absent .*/unshare absent/')
if [ "$got" = "$want" ]; then
	ktap_ok "classes: all counted$(atleast 5 19 || echo ', unshare absent (kernel before 5.19)')"
else
	echo "$got" | sed 's/^/# got: /'
	ktap_not_ok "classes: all counted, unshare absent only before 5.19"
fi

# 4. Headers, column by column.
ok=1
[ "$(head -n1 $D/procs)" = "pid ppid state comm $COUNTS" ] || ok=0
[ "$(head -n1 $D/stats)" = "name value" ] || ok=0
for f in vmas pages; do
	echo $$ >$D/$f || ok=0
done
[ "$(head -n1 $D/vmas)" = "start end perms resident shared exclusive zero copied cow_copy cow_zero wp_reuse name" ] || ok=0
[ "$(head -n1 $D/pages)" = "addr map" ] || ok=0
if [ $ok = 1 ]; then
	ktap_ok "procs, stats, vmas, pages: the headers of docs/debugfs.md"
else
	head -qn1 $D/procs $D/stats $D/vmas $D/pages | sed 's/^/# /'
	ktap_not_ok "procs, stats, vmas, pages: the headers of docs/debugfs.md"
fi

# 5. A process forked now: listed from its fork, live while it runs,
# exited after; its parent is this shell, its command what the kernel
# says (/proc/PID/comm).  The sleeper is labwait waiting for init (up to
# 30 s), not busybox's sleep: busybox execs its applets as /proc/self/exe
# and renames them afterwards (prctl), and cowlab keeps the name of the
# exec ("exe").
# start_sleeper: the sleeper in the background, its pid in $sp and its
# command in $sc once it has exec'd and sleeps (it takes no fault then).
read -r mycomm </proc/$$/comm
start_sleeper() {
	labwait -t 30 -p 1 &
	sp=$! sc= i=0
	while [ $i -lt 500 ]; do
		read -r sc </proc/$sp/comm
		read -r line </proc/$sp/stat
		set -- $line
		[ "$sc" != "$mycomm" ] && [ "$3" = S ] && return 0
		i=$((i + 1))
		usleep 10000
	done
	echo "# $sp: not asleep after 5 s: $line"
}
row() { grep "^$1 " $D/procs | cut -d' ' -f1-4; }
start_sleeper
child=$sp ccomm=$sc
start_sleeper
other=$sp ocomm=$sc
live=$(row $child)
kill $child
wait $child 2>/dev/null
dead=$(row $child)
if [ "$live" = "$child $$ live $ccomm" ] && [ "$dead" = "$child $$ exited $ccomm" ]; then
	ktap_ok "a process forked now: \"$live\", then \"$dead\""
else
	echo "# got \"$live\" and \"$dead\", want \"$child $$ live $ccomm\" and \"$child $$ exited $ccomm\""
	ktap_not_ok "a process forked now: listed live with its pid, parent and command, then exited"
fi

# 6. reset: every count 0 and every exited process gone, but for this
# shell's row (it runs, and copies its own pages on the way: read is a
# builtin, so no process of ours forks meanwhile).  The other sleeper,
# live and asleep, had counts from its start.
echo "# before reset: $(grep "^$other " $D/procs)"
echo reset >$D/control
bad=0 rows=0
while read -r pid ppid state comm counts; do
	[ "$pid" = pid ] && continue
	[ "$pid" = $$ ] && continue
	rows=$((rows + 1))
	n=0
	for c in $counts; do
		n=$((n + 1))
		[ "$c" = 0 ] || [ "$c" = - ] || bad=$((bad + 1))
	done
	[ "$state" = live ] || bad=$((bad + 1))
	[ $n = "$ncounts" ] || bad=$((bad + 1))
done <$D/procs
after=$(grep "^$other " $D/procs)
kill $other
wait $other 2>/dev/null
if [ $bad = 0 ] && ! grep -q "^$child " $D/procs &&
   echo "$after" | grep -qE "^$other $$ live $ocomm( (0|-)){$ncounts}\$"; then
	ktap_ok "reset: the $rows other rows live and all 0 (\"$after\"), $child forgotten"
else
	grep -v "^$$ " $D/procs | sed 's/^/# /'
	ktap_not_ok "reset: every other row live and all 0, $child forgotten ($bad bad fields, \"$after\")"
fi

# 7. Refused: an unknown pid (ESRCH), and what is no command (EINVAL).
# $child was reaped and reset forgot it: no process, no row.
e1=$( (echo "reset $child" >$D/control) 2>&1)
e2=$( (echo "reset all" >$D/control) 2>&1)
e3=$( (echo "$child" >$D/vmas) 2>&1)
case "$e1|$e2|$e3" in
*"No such process"*"|"*"Invalid argument"*"|"*"No such process"*)
	ktap_ok "reset of a forgotten pid: ESRCH; \"reset all\": EINVAL; vmas of a reaped pid: ESRCH" ;;
*)
	echo "# got: $e1 / $e2 / $e3"
	ktap_not_ok "reset of a forgotten pid: ESRCH; \"reset all\": EINVAL; vmas of a reaped pid: ESRCH" ;;
esac

# 8. Unload.
if rmmod cowlab && [ ! -d $D ] && ! grep -q '^cowlab ' /proc/modules; then
	ktap_ok "rmmod: unloaded, its directory gone"
else
	ktap_not_ok "rmmod: unloaded, its directory gone"
fi
ktap_finish || rc=1
exit $rc
