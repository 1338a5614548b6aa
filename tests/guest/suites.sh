#!/bin/sh
# Several guest suites in one boot, one after the other (each loads and
# unloads cowlab itself): /guest/suites.sh SUITE...  Fails if any failed.
rc=0
for s in "$@"; do
	echo "# suite $s"
	"/guest/$s.sh" || rc=1
done
exit $rc
