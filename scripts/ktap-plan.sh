#!/bin/sh
# Check every KTAP/TAP block of a log against its plan: a block starts at a
# "TAP version" or "KTAP version" line at the start of a line, holds one
# "1..N" plan, and must hold exactly N top-level results ("ok"/"not ok"
# lines).  A suite that died half-way shows fewer.  Prints one "not ok"
# line per block that disagrees (and nothing else); exit 1 if any did.
#
# Usage: scripts/ktap-plan.sh NAME < LOG    (NAME names the log in messages)
name=${1:-log}
awk -v name="$name" '
function close_block() {
	if (inblock && plan < 0 && results > 0) {
		printf "not ok - %s: block at line %d has %d results and no plan\n",
			name, start, results
		bad++
	} else if (inblock && plan >= 0 && results != plan) {
		printf "not ok - %s: block at line %d planned 1..%d, has %d results\n",
			name, start, plan, results
		bad++
	}
	inblock = 0
}
/^(K?TAP) version / { close_block(); inblock = 1; start = NR; plan = -1; results = 0; next }
inblock && /^1\.\.[0-9]+/ {
	if (plan >= 0) {
		printf "not ok - %s: block at line %d has a second plan at line %d\n",
			name, start, NR
		bad++
	}
	plan = substr($1, 4) + 0
	next
}
inblock && /^(ok|not ok) / { results++ }
END { close_block(); exit bad ? 1 : 0 }
'
