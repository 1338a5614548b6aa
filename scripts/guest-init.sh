#!/bin/busybox sh
# /init of cowlab's guest: mount the usual filesystems, run the command that
# vm.sh put in /etc/cowlab-run between markers, dump dmesg, power off.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# No /dev/console in the archive: attach to it now that devtmpfs is here.
exec 0</dev/console 1>/dev/console 2>&1
mount -t debugfs none /sys/kernel/debug
mount -t tmpfs tmp /tmp
hostname cowlab
. /etc/cowlab-run
export COWLAB_KERNEL
for v in $(set | sed -n 's/^\(COWLAB_T_[A-Za-z0-9_]*\)=.*/\1/p'); do
	export "$v"
done
echo COWLAB_BOOTED

if [ "${COWLAB_INTERACTIVE:-0}" = 1 ]; then
	[ -x /guest/lab.sh ] && . /guest/lab.sh
	setsid cttyhack sh -l
	poweroff -f
fi

echo COWLAB_BEGIN
cd /root
eval "$COWLAB_CMD"
rc=$?
echo "COWLAB_END $rc"
# The whole kernel log, for the host's report check and for people.
echo "COWLAB_DMESG"
dmesg
sync
poweroff -f
