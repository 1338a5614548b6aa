# shellcheck shell=sh
# KTAP output for the guest's shell tests: source it, call ktap_plan N,
# then ktap_ok / ktap_not_ok / ktap_skip, and ktap_finish last.
ktap_n=0 ktap_pass=0 ktap_fail=0 ktap_skipped=0
ktap_plan() { echo "TAP version 13"; echo "1..$1"; }
ktap_ok() { ktap_n=$((ktap_n + 1)); ktap_pass=$((ktap_pass + 1)); echo "ok $ktap_n - $*"; }
ktap_not_ok() { ktap_n=$((ktap_n + 1)); ktap_fail=$((ktap_fail + 1)); echo "not ok $ktap_n - $*"; }
ktap_skip() { ktap_n=$((ktap_n + 1)); ktap_skipped=$((ktap_skipped + 1)); echo "ok $ktap_n - $2 # SKIP $1"; }
# ktap_check DESC CMD...: ok if CMD succeeds.
ktap_check() { d=$1; shift; if "$@"; then ktap_ok "$d"; else ktap_not_ok "$d"; fi; }
ktap_finish() {
	echo "$ktap_pass passed, $ktap_fail failed, $ktap_skipped skipped"
	[ "$ktap_fail" = 0 ]
}
# What the kernel reports when something is wrong (scripts/kernel-reports.sh
# checks the whole console of every run as well).
KTAP_REPORTS='BUG|WARNING|Oops|general protection|KASAN|UBSAN|lockdep|possible recursive|circular locking|inconsistent lock state|unreferenced object|kmemleak|soft lockup|hard LOCKUP|rcu: INFO|Call Trace'
# ktap_dmesg_mark: the number of dmesg lines so far, for ktap_no_reports.
ktap_dmesg_mark() { dmesg | wc -l; }
# ktap_no_reports MARK DESC: ok if dmesg after line MARK has no report.
ktap_no_reports() {
	dmesg | tail -n +$(($1 + 1)) >/tmp/ktap.dmesg
	if grep -qE "$KTAP_REPORTS" /tmp/ktap.dmesg; then
		sed 's/^/# /' /tmp/ktap.dmesg | head -n 60
		ktap_not_ok "$2"
	else
		ktap_ok "$2 ($(wc -l </tmp/ktap.dmesg) lines of dmesg)"
	fi
}
# ktap_unload [DESC]: ok if rmmod cowlab works and its directory is gone.
ktap_unload() {
	if rmmod cowlab && [ ! -d /sys/kernel/debug/cowlab ]; then
		ktap_ok "${1:-rmmod: cowlab unloads, its directory is gone}"
	else
		ktap_not_ok "${1:-rmmod: cowlab unloads, its directory is gone}"
	fi
}
