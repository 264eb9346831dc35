#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets and run each for a short, bounded time from
# the checked-in seeds: a crash, sanitizer report or mismatch fails
# (six targets, FUZZ_SMOKE_SECONDS each, 10 by default: about a minute).
# Longer runs: make -C tests/fuzz run FUZZ_TIME=600.
set -u
cd "$(dirname "$0")/../.." || exit 1
command -v clang >/dev/null 2>&1 || { echo "SKIP: clang is not installed" >&2; exit 77; }
secs=${FUZZ_SMOKE_SECONDS:-10}
out=$(mktemp -d /tmp/epmd-fuzz-smoke.XXXXXX)
if ! make -s -C tests/fuzz OUT="$out" >"$out/build.log" 2>&1; then
	echo "FAIL: the fuzz targets do not build"; cat "$out/build.log"; exit 1
fi
rc=0
for t in wire util conf addr audit proto sockdiag owner logfmt; do
	mkdir -p "$out/corpus-$t" "$out/artifacts-$t"
	cp tests/fuzz/seeds/"$t"/* "$out/corpus-$t/"
	if timeout -k 5 $((secs + 60)) "$out/fuzz_$t" -max_total_time="$secs" \
	    -max_len=4096 -artifact_prefix="$out/artifacts-$t/" \
	    "$out/corpus-$t" >"$out/$t.log" 2>&1; then
		echo "ok   fuzz_$t: $(grep -o 'Done [0-9]* runs' "$out/$t.log")"
	else
		echo "FAIL fuzz_$t (log $out/$t.log, artifacts $out/artifacts-$t)"
		tail -30 "$out/$t.log"
		rc=1
	fi
done
[ $rc -eq 0 ] && rm -rf "$out"
exit $rc
