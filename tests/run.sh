#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every test: the cmocka unit binaries (plain and sanitizer builds) and
# the integration scripts. Exit status 0 only if nothing failed. The last
# line is the summary: "N passed, N failed, N skipped".
# Usage: tests/run.sh [integration-test-name-filter]
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
failures=""
logdir=$(mktemp -d /tmp/epmd_secure-tests.XXXXXX)
filter=${1:-}

# A cmocka binary counts as its individual tests.
run_unit() {
	bin=$1
	label=$2
	out="$logdir/$label.log"
	"$bin" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or aborted before cmocka's summary
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $label"
		echo "FAIL unit $label ($f failed; log $out)"
		grep -E '^\[  (FAILED|ERROR)|Failure|error' "$out" | head -20
	else
		echo "ok   unit $label ($p tests)"
	fi
}

if [ -z "$filter" ]; then
	for bin in build/test_*; do
		[ -x "$bin" ] && run_unit "$bin" "$(basename "$bin")"
	done
	for bin in build/asan/test_*; do
		[ -x "$bin" ] && run_unit "$bin" "asan-$(basename "$bin")"
	done
fi

for t in tests/integration/test_*.py tests/integration/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	out="$logdir/$name.log"
	# Every integration test is bounded; 600 s is a hang, not a slow pass.
	timeout -k 10 600 "$t" >"$out" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "ok   $name" ;;
	77) skipped=$((skipped + 1))
	    echo "SKIP $name: $(grep -m1 '^SKIP' "$out" | cut -c7-)" ;;
	*) failed=$((failed + 1)); failures="$failures $name"
	   echo "FAIL $name (exit $rc; log $out)"; tail -30 "$out" ;;
	esac
done

# The protocol-facing tests again, against the daemon built with ASan and
# UBSan: any report it writes is a failure, even if the test passed.
asan_bin=build/asan/epmd_secure
if [ -z "$filter" ] && [ -x "$asan_bin" ]; then
	asan_logs="$logdir/asan-reports"
	mkdir -p "$asan_logs"
	for name in test_parity.py test_cli.py test_audit_rsyslog.py \
	    test_abuse_netns.py; do
		t=tests/integration/$name
		[ -e "$t" ] || continue
		out="$logdir/asan-$name.log"
		EPMD_SECURE="$PWD/$asan_bin" \
		ASAN_OPTIONS="detect_leaks=0:log_path=$asan_logs/report" \
		UBSAN_OPTIONS="print_stacktrace=1:log_path=$asan_logs/report" \
		    timeout -k 10 600 "$t" >"$out" 2>&1
		rc=$?
		case $rc in
		0) passed=$((passed + 1)); echo "ok   asan-$name" ;;
		77) skipped=$((skipped + 1)); echo "SKIP asan-$name" ;;
		*) failed=$((failed + 1)); failures="$failures asan-$name"
		   echo "FAIL asan-$name (exit $rc; log $out)"; tail -30 "$out" ;;
		esac
	done
	if ls "$asan_logs"/report* >/dev/null 2>&1; then
		failed=$((failed + 1)); failures="$failures asan-reports"
		echo "FAIL sanitizer reports from the daemon:"
		head -40 "$asan_logs"/report*
	else
		passed=$((passed + 1))
		echo "ok   no sanitizer report from the daemon"
	fi
fi

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "logs: $logdir"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
