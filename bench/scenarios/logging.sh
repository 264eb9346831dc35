# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2317
# scenario_logging: the cost of auditing every query to a real rsyslogd.
#
# Three daemons on loopback, measured one after the other (order ABC, CBA,
# ...), LOG_ROUNDS rounds of LOG_SECS at each level of LOG_CONCURRENCY:
#   syslog  epmd_secure, log_target syslog, log_socket = the imuxsock socket
#           of a private rsyslogd (started here: -n -f CONF -i PIDFILE, its
#           own work directory, imuxsock with SysSock.Use="off" -- the
#           system's /dev/log is never touched -- and RateLimit.Interval="0"
#           on the input, since imuxsock may rate-limit a sender; omfile
#           writes every record to out.log);
#   off     epmd_secure, log_target none (the daemon's own switch: records
#           are discarded, counters still count);
#   stock   /usr/bin/epmd (logs nothing per query).
# Every PORT_PLEASE2 is logged by epmd_secure (one record per query).  All
# three look up the node "logbench".  rsyslogd is pinned to the daemons' cpu
# (LOG_PIN_RSYSLOG=1): the syslog daemon shares the server host, while the
# load generator stands for remote clients.
#
# Targets: syslog >= 0.9 x off, syslog >= 0.9 x stock, and the records in
# out.log with req=PORT_PLEASE2 verdict=ok ... node=logbench >= 99% of the
# lookups loadgen saw served (w 0) from the syslog daemon.

LOG_CONCURRENCY=${LOG_CONCURRENCY:-"1 16"}
LOG_ROUNDS=${LOG_ROUNDS:-5}
LOG_SECS=${LOG_SECS:-1}
LOG_PIN_RSYSLOG=${LOG_PIN_RSYSLOG:-1}
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
TARGET_LOG_RATIO=0.9
TARGET_LOG_KEPT=99
LOG_NODE=logbench
RSYSLOG_PID=

logging_stop_rsyslog() {
	if [ -n "$RSYSLOG_PID" ]; then
		kill "$RSYSLOG_PID" 2>/dev/null
		wait "$RSYSLOG_PID" 2>/dev/null
		RSYSLOG_PID=
	fi
}

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

scenario_logging() {
	local dir=$WORK/logging sock out tries c r l order ok v
	local -A RATES REGS TICKS OKS
	local rows=() served=0 logged prev t0 t1 ticks hz counters
	local ratios_off ratios_stock
	[ -x "$RSYSLOGD" ] || broken "$RSYSLOGD not found (set RSYSLOGD)"
	mkdir -p "$dir"
	sock=$dir/log.sock
	out=$dir/out.log
	echo "== Logging: every query to a private rsyslogd vs log_target none vs stock, ${LOG_ROUNDS} rounds x ${LOG_SECS}s"

	cat >"$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir")
main_queue(queue.workerThreads="1")
# The bench's own socket only; never the system's /dev/log.
module(load="imuxsock" SysSock.Use="off")
# No input rate limiting: every record must get through.
input(type="imuxsock" Socket="$sock" RateLimit.Interval="0" Unlink="on")
template(name="msgonly" type="string" string="%syslogtag%%msg%\\n")
if \$syslogfacility-text == "syslog" then {
    action(type="omfile" file="$dir/rsyslogd-internal.log")
    stop
}
action(type="omfile" file="$out" template="msgonly")
EOF
	local pin=()
	[ "$LOG_PIN_RSYSLOG" = 1 ] && pin=("${PIN_DAEMON[@]}")
	"${pin[@]}" "$RSYSLOGD" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" \
	    >"$dir/rsyslogd.stderr" 2>&1 &
	RSYSLOG_PID=$!
	CHILDREN+=("$RSYSLOG_PID")
	at_exit logging_stop_rsyslog
	tries=100
	until [ -S "$sock" ]; do
		kill -0 "$RSYSLOG_PID" 2>/dev/null ||
		    broken "rsyslogd exited; see $dir/rsyslogd.stderr"
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || broken "rsyslogd did not create $sock"
		sleep 0.1
	done

	printf 'log_target syslog\nlog_socket %s\n' "$sock" | private_file "$dir/syslog.conf"
	printf 'log_target none\n' | private_file "$dir/none.conf"
	printf 'allow 127.0.0.0/8\nallow ::1\n' | private_file "$dir/acl"
	secure_check "$dir/syslog.conf" "$dir/acl"
	start_extra lsys "${BIN[secure]}" -config "$dir/syslog.conf" -acl "$dir/acl"
	start_extra lnone "${BIN[secure]}" -config "$dir/none.conf" -acl "$dir/acl"
	# Is rsyslogd receiving?  The start record must reach out.log.
	wait_for_line "$out" "epmd_secure\\[${PID[lsys]}\\]: ts=[^ ]* event=start" 100 ||
	    broken "no start record from epmd_secure in $out"

	for l in lsys lnone stock; do
		"$LOADGEN" register -p "${PORT[$l]}" -n "$LOG_NODE" -P 45679 -t 600 \
		    >"$dir/$l.register" 2>&1 &
		REGS[$l]=$!
		CHILDREN+=("${REGS[$l]}")
		wait_for_line "$dir/$l.register" '^registered' 50 ||
		    broken "registering $LOG_NODE on $l failed: $(cat "$dir/$l.register")"
	done

	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$RSYSLOG_PID")
	for l in lsys lnone stock; do
		run_lookup "$l" 16 0.3 "$LOG_NODE"	# warm-up
		[ "$l" = lsys ] && served=$((served + $(kv "$LOOKUP" ok)))
	done
	TICKS[lsys]=0; TICKS[lnone]=0; TICKS[stock]=0
	OKS[lsys]=0; OKS[lnone]=0; OKS[stock]=0
	for c in $LOG_CONCURRENCY; do
		RATES[lsys]=; RATES[lnone]=; RATES[stock]=
		ratios_off=; ratios_stock=
		local errs=0
		for r in $(seq 1 "$LOG_ROUNDS"); do
			if [ $((r % 2)) -eq 1 ]; then order="lsys lnone stock"
			else order="stock lnone lsys"; fi
			for l in $order; do
				local k0 k1
				k0=$(cpu_ticks "${PID[$l]}")
				run_lookup "$l" "$c" "$LOG_SECS" "$LOG_NODE"
				k1=$(cpu_ticks "${PID[$l]}")
				TICKS[$l]=$((TICKS[$l] + k1 - k0))
				OKS[$l]=$((OKS[$l] + $(kv "$LOOKUP" ok)))
				RATES[$l]="${RATES[$l]} $(kv "$LOOKUP" rate)"
				errs=$((errs + $(kv "$LOOKUP" errors) + $(kv "$LOOKUP" notfound)))
				[ "$l" = lsys ] && served=$((served + $(kv "$LOOKUP" ok)))
			done
			alive_or_broken lsys lnone stock
			kill -0 "$RSYSLOG_PID" 2>/dev/null || broken "rsyslogd died; see $dir/rsyslogd.stderr"
			ratios_off="$ratios_off $(ratio "${RATES[lsys]##* }" "${RATES[lnone]##* }" 4)"
			ratios_stock="$ratios_stock $(ratio "${RATES[lsys]##* }" "${RATES[stock]##* }" 4)"
		done
		# shellcheck disable=SC2086
		rows+=("$c $(median ${RATES[lsys]}) $(median ${RATES[lnone]}) $(median ${RATES[stock]}) $(median $ratios_off) $(range_of $ratios_off) $(median $ratios_stock) $(range_of $ratios_stock) $errs")
	done

	# Ask for the counters record, then wait until out.log stops growing.
	kill -USR1 "${PID[lsys]}"
	wait_for_line "$out" "epmd_secure\\[${PID[lsys]}\\]: ts=[^ ]* event=counters" 100 ||
	    echo "note: no counters record reached out.log within 10 s"
	prev=-1
	tries=50
	while [ "$tries" -gt 0 ]; do
		logged=$(grep -c "req=PORT_PLEASE2 verdict=ok .*node=$LOG_NODE$" "$out")
		[ "$logged" = "$prev" ] && break
		prev=$logged
		sleep 0.2
		tries=$((tries - 1))
	done
	t1=$(cpu_ticks "$RSYSLOG_PID")
	ticks=$((t1 - t0))
	counters=$(grep "epmd_secure\\[${PID[lsys]}\\]: ts=[^ ]* event=counters" "$out" | tail -1)
	local dropped daemon_ok
	dropped=$(echo "$counters" | sed -n 's/.* log_dropped=\([0-9]*\).*/\1/p')
	daemon_ok=$(echo "$counters" | sed -n 's/.* PORT_PLEASE2\.ok=\([0-9]*\).*/\1/p')

	for l in lsys lnone stock; do
		kill "${REGS[$l]}" 2>/dev/null
		wait "${REGS[$l]}" 2>/dev/null
	done
	stop_daemon lsys
	stop_daemon lnone
	logging_stop_rsyslog

	printf '%5s | %9s %9s %9s | %16s %16s %5s\n' conc "syslog/s" "off/s" "stock/s" \
	    "syslog/off" "syslog/stock" err
	for v in "${rows[@]}"; do
		local a b s1 ro rgo rs rgs e vo vs
		read -r c a b s1 ro rgo rs rgs e <<<"$v"
		ro=$(ratio "$ro" 1); rs=$(ratio "$rs" 1)
		ok=0; ge "$ro" "$TARGET_LOG_RATIO" && ok=1
		verdict "logging c=$c: syslog/off ${ro} >= ${TARGET_LOG_RATIO}" "$ok"; vo=$VERDICT
		range_noisy "$rgo" && vo="$vo (noisy)"
		ok=0; ge "$rs" "$TARGET_LOG_RATIO" && ok=1
		verdict "logging c=$c: syslog/stock ${rs} >= ${TARGET_LOG_RATIO}" "$ok"; vs=$VERDICT
		range_noisy "$rgs" && vs="$vs (noisy)"
		printf '%5s | %9.0f %9.0f %9.0f | %4s %-11s %4s %-11s %5s  %s / %s\n' "$c" "$a" "$b" "$s1" \
		    "$ro" "($rgo)" "$rs" "($rgs)" "$e" "$vo" "$vs"
		figure logging "c=$c: lookups/s syslog / off / stock" \
		    "$(printf '%.0f / %.0f / %.0f' "$a" "$b" "$s1")"
		figure logging "c=$c: ratio syslog/off (round range)" "$ro ($rgo)" \
		    ">= $TARGET_LOG_RATIO" "$vo"
		figure logging "c=$c: ratio syslog/stock (round range)" "$rs ($rgs)" \
		    ">= $TARGET_LOG_RATIO" "$vs"
	done
	local pct
	pct=$(awk -v a="$logged" -v b="$served" 'BEGIN { printf("%.2f", (b > 0) ? 100 * a / b : 0) }')
	ok=0; ge "$pct" "$TARGET_LOG_KEPT" && ok=1
	verdict "logging: ${pct}% of served lookups in the rsyslog file >= ${TARGET_LOG_KEPT}%" "$ok"
	echo "records in rsyslog's file: $logged of $served lookups loadgen saw served = ${pct}%  $VERDICT (target >= ${TARGET_LOG_KEPT}%)"
	echo "daemon's own counters: PORT_PLEASE2.ok=${daemon_ok:-?} log_dropped=${dropped:-?}" \
	    "(the daemon also answers lookups still in flight when a round ends, which loadgen does not count)"
	local us_sys us_none us_stock us_rs
	us_sys=$(awk -v t="${TICKS[lsys]}" -v h="$hz" -v n="${OKS[lsys]}" 'BEGIN { printf("%.1f", n ? 1e6 * t / h / n : 0) }')
	us_none=$(awk -v t="${TICKS[lnone]}" -v h="$hz" -v n="${OKS[lnone]}" 'BEGIN { printf("%.1f", n ? 1e6 * t / h / n : 0) }')
	us_stock=$(awk -v t="${TICKS[stock]}" -v h="$hz" -v n="${OKS[stock]}" 'BEGIN { printf("%.1f", n ? 1e6 * t / h / n : 0) }')
	us_rs=$(awk -v t="$ticks" -v h="$hz" -v n="$logged" 'BEGIN { printf("%.1f", n ? 1e6 * t / h / n : 0) }')
	echo "cpu per served lookup (user+sys, measured rounds): daemon with syslog ${us_sys} us, with log_target none ${us_none} us," \
	    "stock ${us_stock} us; rsyslogd ${us_rs} us per record ($(awk -v t="$ticks" -v h="$hz" 'BEGIN { printf("%.2f", t / h) }') s for $logged records," \
	    "$( [ "$LOG_PIN_RSYSLOG" = 1 ] && echo "pinned to the daemons' cpu" || echo unpinned))"
	echo "(rsyslog: imuxsock SysSock.Use=\"off\", input RateLimit.Interval=\"0\" (rate limiting off), omfile;"
	echo " 'off' = epmd_secure's own log_target none; stock epmd writes no per-query log)"
	note logging "syslog = epmd_secure auditing every query to a private rsyslogd (imuxsock SysSock.Use=off, input RateLimit.Interval=0, omfile), rsyslogd pinned to the daemons' cpu: ${LOG_PIN_RSYSLOG}; off = epmd_secure log_target none; stock = /usr/bin/epmd; ${LOG_ROUNDS} rounds x ${LOG_SECS}s, order ABC/CBA; median of per-round ratios; cpu us = user+sys of the process / lookups served in the measured rounds"
	figure logging "records in rsyslog file / lookups served" \
	    "$logged / $served = ${pct}%" ">= ${TARGET_LOG_KEPT}%" "$VERDICT"
	figure logging "daemon counters: PORT_PLEASE2.ok / log_dropped" "${daemon_ok:-?} / ${dropped:-?}"
	figure logging "cpu us per lookup: daemon syslog / daemon off / stock" \
	    "$us_sys / $us_none / $us_stock"
	figure logging "cpu us per record: rsyslogd (on the daemons' cpu: $LOG_PIN_RSYSLOG)" "$us_rs"
	echo
}
