# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2317
# scenario_reload: reloading the maximum ACL (100,000 rules) under load.
#
# One epmd_secure (log_target none) starts with RELOAD_RULES rules (the
# acl scenario's generator: every lookup decided by the last rule). A
# closed-loop lookup run of RELOAD_SECS (RELOAD_CONCURRENCY clients) is
# made once without a reload (the baseline) and once with a SIGHUP that
# reloads the same file half a second in; loadgen's max_us of the second
# is the longest a lookup waited while the ACL was read and compiled.
# The reload runs in a thread of its own: the daemon has 2 threads until
# it is done. RSS: at start, after reloading the same file, and after
# switching to a 1-rule ACL.
# Targets: max lookup latency during the reload <= 50 ms; RSS per rule
# <= 100 bytes ((RSS with the big ACL - RSS with 1 rule) / rules).

RELOAD_RULES=${RELOAD_RULES:-100000}
RELOAD_SECS=${RELOAD_SECS:-3}
RELOAD_CONCURRENCY=${RELOAD_CONCURRENCY:-1}
TARGET_RELOAD_MAX_MS=50
TARGET_BYTES_PER_RULE=100

# threads PID: the process's thread count.
reload_threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# reload_wait PID: SIGHUP it and wait until its reload thread is gone;
# prints the seconds it took.
reload_wait() {
	local pid=$1 t0 t1 tries=600
	t0=$(date +%s.%N)
	kill -HUP "$pid"
	sleep 0.01
	while [ "$(reload_threads "$pid")" != 1 ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || broken "reload did not finish in 60 s"
		sleep 0.1
	done
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf("%.2f", b - a) }'
}

scenario_reload() {
	local dir=$WORK/reload pid rss0 rss1 rss2 base during lg secs bpr ok
	mkdir -p "$dir"
	echo "== Reload of a ${RELOAD_RULES}-rule ACL under lookups (c=${RELOAD_CONCURRENCY}, ${RELOAD_SECS}s)"
	acl_generate "$RELOAD_RULES" | private_file "$dir/big"
	printf 'allow 127.0.0.0/8\n' | private_file "$dir/small"
	cp "$dir/big" "$dir/acl" && chmod 600 "$dir/acl"
	printf 'log_target none\nacl_file %s\n' "$dir/acl" | private_file "$dir/none.conf"
	secure_check "$dir/none.conf" "$dir/acl"
	start_extra rl "${BIN[secure]}" -config "$dir/none.conf"
	pid=${PID[rl]}
	rss0=$(rss_kib "$pid")
	run_lookup rl 1 0.3	# warm-up
	run_lookup rl "$RELOAD_CONCURRENCY" "$RELOAD_SECS"
	base=$(kv "$LOOKUP" max_us)
	"${PIN_LOAD[@]}" "$LOADGEN" lookup -p "${PORT[rl]}" -n "$NODE_NAME" \
	    -c "$RELOAD_CONCURRENCY" -t "$RELOAD_SECS" -m 2000000 -T 2000 \
	    >"$dir/during" &
	lg=$!
	CHILDREN+=("$lg")
	sleep 0.5
	secs=$(reload_wait "$pid")
	wait "$lg"
	during=$(kv "$(cat "$dir/during")" max_us)
	[ -n "$during" ] || broken "loadgen during the reload: $(cat "$dir/during")"
	rss1=$(rss_kib "$pid")
	cp "$dir/small" "$dir/acl"
	reload_wait "$pid" >/dev/null
	rss2=$(rss_kib "$pid")
	alive_or_broken rl
	stop_daemon rl

	printf '%-42s %10s\n' "reload of the same file (s)" "$secs"
	printf '%-42s %10s\n' "max lookup latency, no reload (us)" "$base"
	ok=0; le "$during" $((TARGET_RELOAD_MAX_MS * 1000)) && ok=1
	verdict "reload: max lookup latency ${during} us <= ${TARGET_RELOAD_MAX_MS} ms" "$ok"
	printf '%-42s %10s   %s\n' "max lookup latency, during reload (us)" "$during" "$VERDICT"
	figure reload "reload of ${RELOAD_RULES} rules (s)" "$secs"
	figure reload "max lookup latency no reload / during (us)" "$base / $during" \
	    "<= $((TARGET_RELOAD_MAX_MS * 1000))" "$VERDICT"
	bpr=$(awk -v a="$rss1" -v b="$rss2" -v n="$RELOAD_RULES" \
	    'BEGIN { printf("%.0f", (a - b) * 1024 / n) }')
	ok=0; le "$bpr" "$TARGET_BYTES_PER_RULE" && ok=1
	verdict "reload: ${bpr} bytes per rule <= ${TARGET_BYTES_PER_RULE}" "$ok"
	printf '%-42s %10s\n' "RSS at start (KiB)" "$rss0"
	printf '%-42s %10s\n' "RSS after reloading the same file (KiB)" "$rss1"
	printf '%-42s %10s\n' "RSS after switching to 1 rule (KiB)" "$rss2"
	printf '%-42s %10s   %s\n' "bytes per rule" "$bpr" "$VERDICT"
	figure reload "RSS start / after reload / after 1-rule ACL (KiB)" \
	    "$rss0 / $rss1 / $rss2"
	figure reload "bytes per rule" "$bpr" "<= $TARGET_BYTES_PER_RULE" "$VERDICT"
	note reload "one epmd_secure, log_target none, ${RELOAD_RULES}-rule ACL (the acl scenario's), SIGHUP reloading the same file during a ${RELOAD_SECS}s lookup run (c=${RELOAD_CONCURRENCY}); bytes per rule = (RSS after reload - RSS with 1 rule) / rules"
	echo
}
