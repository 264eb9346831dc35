#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2317  # scenario_* and trap handlers are called indirectly
# Benchmark epmd_secure against stock epmd in the same run.
#
#   bench/run.sh                  the default scenarios (rss lookup idle)
#   bench/run.sh default acl      the defaults, then scenario_acl
#   bench/run.sh all              the defaults, then every other scenario
#                                 (bench/scenarios/*.sh: acl logging attack
#                                 reload)
#   bench/run.sh lookup           only the lookup scenario
#   bench/run.sh --list           list the known scenarios
#
# Prints figures and informational PASS/MISS against the targets; never fails
# on a figure.  Exit status is non-zero only when the harness itself broke
# (loadgen does not build, a daemon does not start or dies, a step times out).
#
# Each scenario is a function scenario_NAME.  More can be dropped into
# bench/scenarios/*.sh (sourced at start-up); bench/README.md lists the
# helpers they can use.
#
# Environment:
#   EPMD_SECURE        daemon under test            (default ./epmd_secure)
#   EPMD_STOCK         reference daemon             (default /usr/bin/epmd)
#   EPMD_SECURE_ARGS   extra daemon arguments       (default none)
#   EPMD_STOCK_ARGS    extra daemon arguments       (default none)
#   LOOKUP_SECS        seconds per lookup round     (default 1)
#   LOOKUP_ROUNDS      rounds per daemon and level  (default 7, order ABBA...)
#   CONCURRENCY        client counts                (default "1 16 64")
#   IDLE_CONNS         idle connections to hold     (default 10000)
#   KEEP_LOGS=1        keep the work directory (raw loadgen lines, daemon
#                      logs); it is always kept when the harness breaks
#   BENCH_PIN          1: daemons on cpu 0, loadgen on cpu 1 (default 1 when
#                      taskset exists and there are >= 2 cpus); 0: unpinned
#   CC                 compiler for loadgen         (default cc)
#   RESULTS_MD         also write every figure as a markdown table there
#   MACHINE_NOTE       a note on the host for that table
#                      (default "N-cpu host, uname -sr")

set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
LOADGEN=$BENCH_DIR/loadgen

EPMD_SECURE=${EPMD_SECURE:-$ROOT/epmd_secure}
EPMD_STOCK=${EPMD_STOCK:-/usr/bin/epmd}
EPMD_SECURE_ARGS=${EPMD_SECURE_ARGS:-}
EPMD_STOCK_ARGS=${EPMD_STOCK_ARGS:-}
LOOKUP_SECS=${LOOKUP_SECS:-1}
LOOKUP_ROUNDS=${LOOKUP_ROUNDS:-7}
CONCURRENCY=${CONCURRENCY:-"1 16 64"}
IDLE_CONNS=${IDLE_CONNS:-10000}
KEEP_LOGS=${KEEP_LOGS:-0}
CC=${CC:-cc}
if [ -z "${BENCH_PIN:-}" ]; then
	BENCH_PIN=0
	command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] && BENCH_PIN=1
fi
# Pinning keeps the daemon and the load generator off each other's cpu; on a
# shared 2-cpu VM it cuts the run-to-run spread from ~20% to a few percent.
if [ "$BENCH_PIN" = 1 ]; then
	PIN_DAEMON=(taskset -c 0)
	PIN_LOAD=(taskset -c 1)
else
	PIN_DAEMON=()
	PIN_LOAD=()
fi

DEFAULT_SCENARIOS="rss lookup idle"
EXTRA_ORDER="acl logging attack reload"	# the order `all` runs them in
NODE_NAME=bench

# Targets (informational).
TARGET_RATIO=0.95	# our lookups/s over stock's, at every concurrency
TARGET_RSS_KIB=3072	# idle RSS, 3 MiB
TARGET_CONN_KIB=2	# RSS per idle connection

# The two daemons, by label; "secure" first.
LABELS="secure stock"
declare -A BIN ARGS PORT PID REGPID
BIN[secure]=$EPMD_SECURE
BIN[stock]=$EPMD_STOCK
ARGS[secure]=$EPMD_SECURE_ARGS
ARGS[stock]=$EPMD_STOCK_ARGS

CALLER_DIR=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/epmd-bench.XXXXXX")
cd "$WORK" || exit 1	# nothing stray lands in the caller's directory
BROKEN=0
PASSES=0
MISSES=0
SUMMARY=()
CHILDREN=()		# every background process this script started
VERDICT=
LOOKUP=
IDLE=
EXIT_HOOKS=()		# functions run first on exit (netns teardown...)
FIGURES=$WORK/figures.tsv	# scenario, figure, value, target, verdict
NOTES=$WORK/notes.txt		# "scenario: text" lines under the table
: >"$FIGURES"
: >"$NOTES"
RESULTS_MD=${RESULTS_MD:-}
RESULTS_MD_ARG=$RESULTS_MD
case $RESULTS_MD in
""|/*) ;;
*) RESULTS_MD=$CALLER_DIR/$RESULTS_MD ;;
esac

# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------

cleanup() {
	local p h
	trap - EXIT INT TERM
	for h in "${EXIT_HOOKS[@]}"; do
		"$h"
	done
	for p in "${CHILDREN[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${CHILDREN[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ "$BROKEN" -ne 0 ] || [ "$KEEP_LOGS" = 1 ]; then
		echo "logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; BROKEN=1; exit 130' INT TERM

# broken MSG: report a harness failure and stop.  Call it in the current
# shell (not inside $(...)), so that the exit and the cleanup happen.
broken() {
	echo "bench: HARNESS ERROR: $*" >&2
	BROKEN=1
	exit 1
}

# kv LINE KEY: value of KEY in a "k=v k=v" line.
kv() {
	local tok
	for tok in $1; do
		case $tok in
		"$2="*) echo "${tok#*=}"; return 0 ;;
		esac
	done
	echo ""
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# wait_for_line FILE REGEX TENTHS: wait for a line, at most TENTHS / 10 s.
wait_for_line() {
	local file=$1 re=$2 tries=$3
	while [ "$tries" -gt 0 ]; do
		grep -q -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# verdict WHAT OK: record one informational target check; sets VERDICT.
verdict() {
	if [ "$2" = 1 ]; then
		PASSES=$((PASSES + 1))
		SUMMARY+=("PASS  $1")
		VERDICT=PASS
	else
		MISSES=$((MISSES + 1))
		SUMMARY+=("MISS  $1")
		VERDICT=MISS
	fi
}

# at_exit FN: run FN on exit (before the children are killed); FN must be
# safe to run twice, as a scenario may also call it itself when done.
at_exit() {
	EXIT_HOOKS+=("$1")
}

# figure SCENARIO WHAT VALUE [TARGET [VERDICT]]: one row of the results
# table (printed at the end; written to RESULTS_MD when set).
figure() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" "${5:-}" \
	    >>"$FIGURES"
}

# note SCENARIO TEXT: a line of explanation under the results table.
note() {
	printf -- '- %s: %s\n' "$1" "$2" >>"$NOTES"
}

# median N...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

check_alive() {
	local l
	for l in $LABELS; do
		kill -0 "${PID[$l]}" 2>/dev/null ||
		    broken "$l daemon (${BIN[$l]}, pid ${PID[$l]}) died; see $WORK/$l.log"
	done
}

# --------------------------------------------------------------------------
# Helpers for scenarios
# --------------------------------------------------------------------------

# start_daemon LABEL [EXTRA ARGS...]: start it on a fresh free port, wait
# until it accepts, and register NODE_NAME on it (the registration is held
# open by a loadgen child).  Sets PORT[LABEL], PID[LABEL], REGPID[LABEL].
start_daemon() {
	local l=$1 port tries
	shift
	port=$("$LOADGEN" freeport) || broken "no free port"
	PORT[$l]=$port
	# shellcheck disable=SC2086
	"${PIN_DAEMON[@]}" "${BIN[$l]}" -port "$port" ${ARGS[$l]} "$@" \
	    >>"$WORK/$l.log" 2>&1 &
	PID[$l]=$!
	CHILDREN+=("${PID[$l]}")
	tries=50
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		kill -0 "${PID[$l]}" 2>/dev/null ||
		    broken "$l daemon did not start; see $WORK/$l.log"
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || broken "$l daemon not listening on $port"
		sleep 0.1
	done
	"$LOADGEN" register -p "$port" -n "$NODE_NAME" -t 600 \
	    >"$WORK/$l.register" 2>&1 &
	REGPID[$l]=$!
	CHILDREN+=("${REGPID[$l]}")
	wait_for_line "$WORK/$l.register" '^registered' 50 ||
	    broken "registering $NODE_NAME on $l failed: $(cat "$WORK/$l.register")"
}

# stop_daemon LABEL
stop_daemon() {
	kill "${REGPID[$1]}" "${PID[$1]}" 2>/dev/null
	wait "${REGPID[$1]}" "${PID[$1]}" 2>/dev/null
}

# restart_daemon LABEL [EXTRA ARGS...]: for scenarios that need other flags.
restart_daemon() {
	stop_daemon "$1"
	start_daemon "$@"
}

# run_lookup LABEL CLIENTS SECS [NAME]: one closed-loop run; sets LOOKUP to
# loadgen's key=value result line and appends it to $WORK/LABEL.lookups.
run_lookup() {
	local l=$1 c=$2 secs=$3 name=${4:-$NODE_NAME}
	LOOKUP=$("${PIN_LOAD[@]}" "$LOADGEN" lookup -p "${PORT[$l]}" -n "$name" -c "$c" \
	    -t "$secs" -m 2000000 -T 2000)
	case $LOOKUP in
	lookups=*) ;;
	*) broken "loadgen lookup failed against $l: $LOOKUP" ;;
	esac
	echo "$l c=$c $LOOKUP" >>"$WORK/$l.lookups"
}

# idle_one LABEL: hold IDLE_CONNS idle connections against one daemon; sets
# IDLE to "held=N rss0=K rss1=K fds0=N fds1=N per_conn=X".
idle_one() {
	local l=$1 pid=${PID[$1]} out="$WORK/$1.idle" lg rss0 fds0 rss1 fds1
	local held per tries
	rss0=$(rss_kib "$pid")
	fds0=$(fd_count "$pid")
	"${PIN_LOAD[@]}" "$LOADGEN" idle -p "${PORT[$l]}" -N "$IDLE_CONNS" -t 60 -k 256 -T 2000 \
	    -w 20 >"$out" 2>&1 &
	lg=$!
	CHILDREN+=("$lg")
	wait_for_line "$out" '^idle_ready' 400 ||
	    broken "idle connections against $l did not settle: $(cat "$out")"
	sleep 0.5
	rss1=$(rss_kib "$pid")
	fds1=$(fd_count "$pid")
	held=$(kv "$(grep '^idle_ready' "$out")" alive)
	kill "$lg" 2>/dev/null
	wait "$lg" 2>/dev/null
	# Let the daemon see the closes before anything else is measured.
	tries=50
	while [ "$(fd_count "$pid")" -gt "$fds0" ] && [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	per=$(awk -v a="$rss0" -v b="$rss1" -v n="$held" \
	    'BEGIN { printf("%.2f", (n > 0) ? (b - a) / n : 0) }')
	IDLE="held=$held rss0=$rss0 rss1=$rss1 fds0=$fds0 fds1=$fds1 per_conn=$per"
	grep '^idle_' "$out" | sed "s/^/  $l: /" >>"$WORK/idle.detail"
}

# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

scenario_rss() {
	local l rss ok
	echo "== Idle RSS (fresh daemon, one node registered)"
	printf '%-12s %10s   %s\n' daemon "VmRSS KiB" "target <= $TARGET_RSS_KIB KiB"
	for l in $LABELS; do
		rss=$(rss_kib "${PID[$l]}")
		[ -n "$rss" ] || broken "cannot read RSS of $l"
		if [ "$l" = secure ]; then
			ok=0; le "$rss" "$TARGET_RSS_KIB" && ok=1
			verdict "idle RSS ${rss} KiB <= ${TARGET_RSS_KIB} KiB" "$ok"
			printf '%-12s %10s   %s\n' epmd_secure "$rss" "$VERDICT"
			figure rss "idle RSS, epmd_secure (KiB)" "$rss" \
			    "<= $TARGET_RSS_KIB" "$VERDICT"
		else
			printf '%-12s %10s   %s\n' "stock epmd" "$rss" "(reference)"
			figure rss "idle RSS, stock epmd (KiB)" "$rss"
		fi
	done
	echo
}

scenario_lookup() {
	local c r l order ok ratio v
	local -A RATES P50S P99S ERR
	local ratios rows=()
	echo "== PORT_PLEASE2 lookups, closed loop, ${LOOKUP_ROUNDS} rounds x ${LOOKUP_SECS}s per daemon and level (ABBA order)"
	# Warm both up (allocator, caches, TIME_WAIT churn) before measuring.
	for l in $LABELS; do
		run_lookup "$l" 16 0.3
	done
	for c in $CONCURRENCY; do
		ratios=
		for l in $LABELS; do
			RATES[$l]=; P50S[$l]=; P99S[$l]=; ERR[$l]=0
		done
		for r in $(seq 1 "$LOOKUP_ROUNDS"); do
			# Alternate who goes first, so neither always follows.
			if [ $((r % 2)) -eq 1 ]; then order=$LABELS
			else order=$(echo "$LABELS" | awk '{ print $2, $1 }'); fi
			for l in $order; do
				run_lookup "$l" "$c" "$LOOKUP_SECS"
				RATES[$l]="${RATES[$l]} $(kv "$LOOKUP" rate)"
				P50S[$l]="${P50S[$l]} $(kv "$LOOKUP" p50_us)"
				P99S[$l]="${P99S[$l]} $(kv "$LOOKUP" p99_us)"
				ERR[$l]=$((ERR[$l] + $(kv "$LOOKUP" errors) + $(kv "$LOOKUP" notfound)))
				check_alive
			done
			# The ratio of the two runs of one round: neighbours in
			# time share whatever else the host was doing.
			ratios="$ratios $(awk -v a="${RATES[secure]##* }" -v b="${RATES[stock]##* }" \
			    'BEGIN { printf("%.4f", (b > 0) ? a / b : 0) }')"
		done
		v=$c
		for l in $LABELS; do
			# shellcheck disable=SC2086
			v="$v $(median ${RATES[$l]}) $(median ${P50S[$l]}) $(median ${P99S[$l]}) ${ERR[$l]}"
		done
		# shellcheck disable=SC2086
		rows+=("$v $(median $ratios) $(printf '%s\n' $ratios | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf("%.2f-%.2f", lo, hi) }')")
	done

	printf '%5s | %9s %7s %7s %5s | %9s %7s %7s %5s | %6s %11s  %s\n' \
	    conc "ours/s" "p50 us" "p99 us" err "stock/s" "p50 us" "p99 us" err \
	    ratio "(range)" "target >= ${TARGET_RATIO}x"
	local rs p50a p99a ea rt p50b p99b eb range
	for v in "${rows[@]}"; do
		read -r c rs p50a p99a ea rt p50b p99b eb ratio range <<<"$v"
		ratio=$(awk -v x="$ratio" 'BEGIN { printf("%.2f", x) }')
		ok=0; ge "$ratio" "$TARGET_RATIO" && ok=1
		verdict "lookups c=$c: ${ratio}x stock >= ${TARGET_RATIO}x" "$ok"
		# A round spread over 25% means the host was busy: say so.
		awk -v r="$range" 'BEGIN { split(r, x, "-"); exit !(x[1] > 0 && x[2] / x[1] > 1.25) }' &&
		    VERDICT="$VERDICT (noisy)"
		printf '%5s | %9.0f %7.0f %7.0f %5s | %9.0f %7.0f %7.0f %5s | %6s %11s  %s\n' \
		    "$c" "$rs" "$p50a" "$p99a" "$ea" "$rt" "$p50b" "$p99b" "$eb" \
		    "$ratio" "($range)" "$VERDICT"
		figure lookup "c=$c: lookups/s epmd_secure / stock (p99 us)" \
		    "$(printf '%.0f / %.0f (%.0f / %.0f us)' "$rs" "$rt" "$p99a" "$p99b")"
		figure lookup "c=$c: ratio epmd_secure/stock (round range)" \
		    "$ratio ($range)" ">= $TARGET_RATIO" "$VERDICT"
	done
	note lookup "closed-loop PORT_PLEASE2 on loopback, ${LOOKUP_ROUNDS} rounds x ${LOOKUP_SECS}s per daemon and level in ABBA order; medians; ratio = median of per-round ratios (range: lowest-highest round; 'noisy' = spread over 25%); epmd_secure with no config file: log_target syslog to /dev/log, which does not exist here"
	echo "(medians over the rounds of: replies 'w 0' per second, p50 and p99 latency;"
	echo " ratio = median of the per-round ours/stock ratios (range: lowest-highest round,"
	echo " wider than 25% is flagged noisy: rerun before trusting that row); err = failed, timed-out or"
	echo " not-found requests, summed; in-flight requests at the end of a round are not counted)"
	echo
}

scenario_idle() {
	local l name ok held per verd
	echo "== ${IDLE_CONNS} idle connections (opened 256 at a time, never sending a byte)"
	printf '%-12s %11s %9s %9s %11s %8s   %s\n' daemon held "RSS0 KiB" "RSS1 KiB" \
	    "daemon fds" "KiB/conn" "target <= $TARGET_CONN_KIB KiB/conn"
	: >"$WORK/idle.detail"
	# Memory per idle connection is the figure: let epmd_secure hold them
	# all for the measurement (by default it closes a connection silent
	# for first_byte_timeout, 2 s, and caps at 8192).
	printf '%s\n' "max_connections 16384" "max_sources 16384" \
	    "first_byte_timeout 60" "packet_timeout 60" "log_target none" \
	    >"$WORK/idle.conf"
	chmod 600 "$WORK/idle.conf"
	for l in $LABELS; do
		if [ "$l" = secure ]; then
			restart_daemon secure -config "$WORK/idle.conf"
		fi
		idle_one "$l"
		check_alive
		held=$(kv "$IDLE" held)
		per=$(kv "$IDLE" per_conn)
		if [ "$l" = secure ]; then
			name=epmd_secure
			ok=0
			[ "${held:-0}" -gt 0 ] && [ -n "$per" ] &&
			    le "$per" "$TARGET_CONN_KIB" && ok=1
			verdict "idle conns ${per} KiB/conn <= ${TARGET_CONN_KIB} KiB (${held}/${IDLE_CONNS} held)" "$ok"
			verd=$VERDICT
		else
			name="stock epmd"
			verd="(reference)"
		fi
		printf '%-12s %11s %9s %9s %11s %8s   %s\n' "$name" "$held/$IDLE_CONNS" \
		    "$(kv "$IDLE" rss0)" "$(kv "$IDLE" rss1)" \
		    "$(kv "$IDLE" fds0)->$(kv "$IDLE" fds1)" "$per" "$verd"
		if [ "$l" = secure ]; then
			figure idle "$name: held / KiB per conn (RSS $(kv "$IDLE" rss0)->$(kv "$IDLE" rss1) KiB)" \
			    "$held/$IDLE_CONNS, $per" "<= $TARGET_CONN_KIB KiB/conn" "$verd"
		else
			figure idle "$name: held / KiB per conn (RSS $(kv "$IDLE" rss0)->$(kv "$IDLE" rss1) KiB)" \
			    "$held/$IDLE_CONNS, $per"
		fi
		# Later scenarios get the daemon as configured for them.
		if [ "$l" = secure ]; then
			restart_daemon secure
		fi
	done
	note idle "${IDLE_CONNS} loopback connections that never send; held = still open once the count settled (epmd_secure run with max_connections 16384, first_byte_timeout 60, packet_timeout 60: by default it closes silent connections after 2 s and caps at 8192)"
	echo "(held = connections still open once the count settled; KiB/conn = (RSS1 - RSS0) / held;"
	echo " stock epmd uses select() and closes every connection whose fd >= FD_SETSIZE)"
	cat "$WORK/idle.detail"
	echo
}

# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

for f in "$BENCH_DIR"/scenarios/*.sh; do
	[ -e "$f" ] || continue
	# shellcheck disable=SC1090
	. "$f"
done

list_scenarios() {
	declare -F | awk '{ print $3 }' | sed -n 's/^scenario_//p'
}

if [ "${1:-}" = --list ]; then
	list_scenarios
	exit 0
fi

SCENARIOS=()
[ $# -gt 0 ] || set -- default
for s in "$@"; do
	if [ "$s" = default ]; then
		# shellcheck disable=SC2206
		SCENARIOS+=($DEFAULT_SCENARIOS)
	elif [ "$s" = all ]; then
		# The defaults, then the others in EXTRA_ORDER, then any more.
		# shellcheck disable=SC2206
		SCENARIOS+=($DEFAULT_SCENARIOS)
		for x in $EXTRA_ORDER $(list_scenarios); do
			case " $DEFAULT_SCENARIOS ${SCENARIOS[*]} " in
			*" $x "*) ;;
			*) declare -F "scenario_$x" >/dev/null && SCENARIOS+=("$x") ;;
			esac
		done
	elif declare -F "scenario_$s" >/dev/null; then
		SCENARIOS+=("$s")
	else
		broken "unknown scenario '$s' (known: $(list_scenarios | tr '\n' ' '))"
	fi
done

for l in $LABELS; do
	[ -x "${BIN[$l]}" ] ||
	    broken "${BIN[$l]} is not executable (run make, or set EPMD_SECURE / EPMD_STOCK)"
done

"$CC" -O2 -Wall -Wextra -o "$LOADGEN" "$BENCH_DIR/loadgen.c" ||
    broken "building loadgen failed"

# The daemons and loadgen are children: raise the fd limit for all of them.
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ] || [ "$HARD" -ge 65536 ]; then
	NOFILE=65536
else
	NOFILE=$HARD
fi
ulimit -n "$NOFILE" || broken "cannot raise the fd limit to $NOFILE"
if [ "$NOFILE" -lt $((IDLE_CONNS + 64)) ]; then
	echo "note: fd limit $NOFILE < IDLE_CONNS + 64; idle figures will be partial"
fi

for l in $LABELS; do
	start_daemon "$l"
done

echo "epmd_secure: ${BIN[secure]} ${ARGS[secure]} (port ${PORT[secure]}, pid ${PID[secure]})"
echo "stock epmd:  ${BIN[stock]} ${ARGS[stock]} (port ${PORT[stock]}, pid ${PID[stock]})"
if [ "$BENCH_PIN" = 1 ]; then PINNED="daemons on cpu 0, loadgen on cpu 1"
else PINNED="unpinned: loadgen and daemon share the cpus"; fi
echo "host: $(nproc) cpus, fd limit $NOFILE, $(uname -sr); $PINNED"
echo

START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${SCENARIOS[@]}"; do
	"scenario_$s"
	check_alive
done

echo "== Summary (informational; figures never fail the run)"
for line in "${SUMMARY[@]}"; do
	echo "  $line"
done
ELAPSED=$(( $(date +%s) - START ))
echo "  targets: $PASSES met, $MISSES missed; scenarios took ${ELAPSED}s"

# results_md: every figure as one markdown table.
results_md() {
	echo "# epmd_secure benchmark results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: ${MACHINE_NOTE:-$(nproc)-cpu host}; $(uname -sr); fd hard limit $(ulimit -Hn); $PINNED"
	echo "- command: \`${RUN_CMD}\`"
	echo "- scenarios: ${SCENARIOS[*]} (took ${ELAPSED}s); targets: $PASSES met, $MISSES missed"
	echo "- host load average (1, 5, 15 min): $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the VM shows here)"
	echo "- epmd_secure: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (+ local changes)'); stock: ${BIN[stock]}"
	echo
	echo "| scenario | figure | value | target | verdict |"
	echo "|---|---|---|---|---|"
	awk -F '\t' '{ gsub(/\|/, "\\|"); printf("| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5) }' "$FIGURES"
	if [ -s "$NOTES" ]; then
		echo
		echo "How the figures were taken:"
		echo
		cat "$NOTES"
	fi
}
RUN_CMD=${RUN_CMD:-${RESULTS_MD_ARG:+RESULTS_MD=$RESULTS_MD_ARG }${MACHINE_NOTE:+MACHINE_NOTE=\"$MACHINE_NOTE\" }bench/run.sh $*}
echo
echo "== Figures"
awk -F '\t' '{ printf("  %-8s %-62s %-28s %-12s %s\n", $1, $2, $3, $4, $5) }' "$FIGURES"
if [ -n "$RESULTS_MD" ]; then
	results_md >"$RESULTS_MD" || broken "cannot write $RESULTS_MD"
	echo "  (written to $RESULTS_MD)"
fi
exit 0
