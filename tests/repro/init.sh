#!/bin/busybox sh
# /init of the stale-int3 reproducer's guest (tests/repro/mttcg-int3.sh).
# No cowlab here: the kernel's own code patching does it.  A hammer process
# on CPU 1 keeps a function hot while this script, on CPU 0, turns a
# tracefs user of text_poke_bp() on and off TOGGLES times:
#   kprobe    a kprobe event on FUNC (kprobe_events; at FUNC's ftrace site)
#   function  the function tracer, filtered to FUNC (current_tracer)
#   event     the sched_process_fork tracepoint (a jump label in kernel_clone)
# Every toggle ends with text_poke_bp() replacing its int3 and syncing all
# CPUs by IPI, after which no CPU may execute that int3 again.  If CPU 1
# does, the kernel either dies ("Oops: int3", 6.2 and later, which treat an
# int3 that is not a kprobe and not being patched as a bug) or, on 5.10 and
# 6.1, re-runs the address forever because memory holds no int3 there
# (kprobe_int3_handler's "breakpoint removed" case): the hammer then stops
# making progress, which is checked after every toggle.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t tmpfs tmp /tmp
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
. /etc/repro.conf
T=/sys/kernel/tracing

finish() {
	echo "REPRO_END $1"
	poweroff -f
}

case $MODE in
kprobe)
	echo "p:repro/hot $FUNC" >> $T/kprobe_events || finish setup
	on() { echo 1 > $T/events/repro/hot/enable; }
	off() { echo 0 > $T/events/repro/hot/enable; } ;;
function)
	echo "$FUNC" > $T/set_ftrace_filter || finish setup
	on() { echo function > $T/current_tracer; }
	off() { echo nop > $T/current_tracer; } ;;
event)
	on() { echo 1 > $T/events/sched/sched_process_fork/enable; }
	off() { echo 0 > $T/events/sched/sched_process_fork/enable; } ;;
*)	finish setup ;;
esac

count() { od -An -tu8 -N8 /tmp/count | tr -d ' '; }

# advancing: does the hammer's counter move within 5 s?
advancing() {
	c0=$(count)
	n=0
	while [ $n -lt 250 ]; do
		[ "$(count)" != "$c0" ] && return 0
		usleep 20000
		n=$((n + 1))
	done
	return 1
}

taskset -p -c 0 $$ >/dev/null
taskset -c 1 /hammer /tmp/count &
hpid=$!
sleep 1
advancing || finish "setup (hammer does not run)"
echo "REPRO_START mode=$MODE func=$FUNC toggles=$TOGGLES cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
i=0
while [ $i -lt "$TOGGLES" ]; do
	i=$((i + 1))
	on || finish "setup (cannot turn $MODE on)"
	off
	[ $((i % 10)) = 0 ] && echo "REPRO_PROGRESS toggle=$i hammer=$(count)"
	if ! advancing; then
		echo "REPRO_STUCK toggle=$i: the hammer made no progress for 5 s"
		# Where is it?  The CPUs' backtraces (NMI), with the code bytes
		# memory holds at the stuck RIP.
		echo l > /proc/sysrq-trigger
		sleep 2
		# Patch the same text once more: QEMU invalidates the
		# translations of that page, and a stale one with it.
		on
		off
		if advancing; then
			echo "REPRO_RECOVERED: the hammer runs again after the code was rewritten"
		fi
		finish "stuck toggle=$i"
	fi
done
kill $hpid
finish "clean toggles=$i hammer=$(count)"
