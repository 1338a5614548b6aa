#!/bin/sh
# Issue "cowlab core" in the guest: exact per-process counts (cowtest), the
# control file and limits (ctltest), module parameters, and load/unload
# while processes fork and write.
. /guest/ktap.sh
D=/sys/kernel/debug/cowlab
rc=0

insmod /cowlab.ko || { echo "not ok - insmod cowlab.ko"; exit 1; }
cowtest || rc=1
ctltest || rc=1
rmmod cowlab || rc=1
insmod /cowlab.ko max_procs=16 || rc=1
ctltest --cap 16 || rc=1
rmmod cowlab || rc=1
# More live children than the 64 a fixed array once held.
insmod /cowlab.ko max_procs=100 || rc=1
ctltest --cap 100 || rc=1
rmmod cowlab || rc=1

ktap_plan 5

# A bad parameter is refused and leaves nothing behind.
if insmod /cowlab.ko max_procs=5 2>/dev/null; then
	ktap_not_ok "insmod max_procs=5 refused"
	rmmod cowlab
else
	ktap_check "insmod max_procs=5 refused" test ! -d $D
fi

# max_pages has an upper bound (2^30 pages): above it (here 2^32) insmod
# fails with EINVAL, dmesg names the range, nothing stays loaded.
if insmod /cowlab.ko max_pages=4294967296 2>/tmp/insmod.err; then
	ktap_not_ok "insmod max_pages=4294967296 refused with EINVAL (it loaded)"
	rmmod cowlab
else
	sed 's/^/# /' /tmp/insmod.err
	if grep -q 'Invalid argument' /tmp/insmod.err && test ! -d $D &&
	   ! grep -q '^cowlab ' /proc/modules &&
	   dmesg | grep -q 'max_pages=4294967296 out of range (0\.\.1073741824)'; then
		ktap_ok "insmod max_pages=4294967296 refused with EINVAL"
	else
		ktap_not_ok "insmod max_pages=4294967296 refused with EINVAL (error, module or dmesg wrong)"
	fi
fi

# rmmod while a reader holds a file open: refused (module in use), then
# works once the reader is gone.
insmod /cowlab.ko
exec 3<$D/procs
if rmmod cowlab 2>/dev/null; then busy=no; else busy=yes; fi
head -n1 <&3 >/tmp/hdr
exec 3<&-
if [ $busy = yes ] && grep -q '^pid ppid state comm' /tmp/hdr && rmmod cowlab; then
	ktap_ok "rmmod while a file is open: EBUSY, then unloads"
else
	ktap_not_ok "rmmod while a file is open: EBUSY, then unloads (busy=$busy)"
	rmmod cowlab 2>/dev/null
fi

# Load/unload cycles under fork-and-write load.
cycles=${COWLAB_T_CYCLES:-200}
forkloop 64 &
loadpid=$!
bad=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	insmod /cowlab.ko || { bad=$((bad + 1)); continue; }
	# The load's processes show up, with a header naming the columns,
	# and every row has as many fields as the header names.
	if ! cat $D/procs >/tmp/procs ||
	   ! head -n1 /tmp/procs | grep -q '^pid ppid state comm cow_copy cow_zero wp_reuse' ||
	   ! awk 'NR == 1 { n = NF } NR > 1 && NF != n { exit 1 }' /tmp/procs; then
		echo "# cycle $i: procs unreadable:"; sed 's/^/# /' /tmp/procs
		bad=$((bad + 1))
	fi
	rmmod cowlab || bad=$((bad + 1))
done
kill $loadpid
wait $loadpid 2>/dev/null
ktap_check "$cycles insmod/rmmod cycles under fork-and-write load ($bad bad)" test $bad = 0

# The load ran unaffected by the probes coming and going.
forkloop 16 50
ktap_check "fork-and-write loop still runs after the cycles" test $? = 0

ktap_finish || rc=1
exit $rc
