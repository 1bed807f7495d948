#!/bin/sh
# smoke.sh - run every fuzz target for a while (make fuzz-smoke).
#
#   smoke.sh SRCDIR SECONDS TARGET...
#
# Each target starts from its committed seed corpus (fuzz/corpus/NAME,
# copied so the source tree stays clean) and runs for SECONDS, two at a
# time on this 2-core machine.  A crash leaves its input in
# fuzz-findings/ and fails the run.  The totals go to stdout.
set -u
srcdir=$1 seconds=$2
shift 2
mkdir -p fuzz-work fuzz-findings
status=0
run_one() {
	t=$1
	name=$(basename "$t" | sed 's/^fuzz_//')
	mkdir -p "fuzz-work/$name"
	cp "$srcdir/fuzz/corpus/$name/"* "fuzz-work/$name/" 2>/dev/null || true
	# -close_fd_mask=2: the targets' own warnings would slow the run;
	# libFuzzer still reports crashes on its copy of stderr
	"./$t" -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix="fuzz-findings/$name-" "fuzz-work/$name" \
		>"fuzz-work/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-work/$name.log")
	echo "fuzz: $name: ${runs:-?} runs in ${seconds}s, exit $rc"
	if [ "$rc" != 0 ]; then
		tail -40 "fuzz-work/$name.log"
		return 1
	fi
}
set -- "$@"
while [ $# -gt 0 ]; do
	run_one "$1" & p1=$!
	p2=
	if [ $# -gt 1 ]; then run_one "$2" & p2=$!; shift; fi
	shift
	wait "$p1" || status=1
	[ -z "$p2" ] || wait "$p2" || status=1
done
if ls fuzz-findings/* >/dev/null 2>&1; then
	echo "fuzz: findings:"; ls -l fuzz-findings
	status=1
fi
exit $status
