# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2317
# scenario_attack: epmd_secure and stock epmd under attack from another
# "host", in two private network namespaces joined by a veth pair.
#
#   epmdbench-PID-srv  veth-srv 198.18.0.1/24     the daemon under test
#        |  veth
#   epmdbench-PID-cli  veth-cli 198.18.0.10/24    legit client A   (allowed)
#                               198.18.0.11/24    legit client B   (allowed)
#                               198.18.0.20/24    idle attacker    (denied)
#                               198.18.0.30/24    lookup flooder   (allowed)
#                               198.18.0.40.../24 many-connection sources
#
# 198.18.0.0/15 is the benchmarking range (RFC 2544); the namespaces have no
# default route and nothing of the host's; loadgen dials a non-loopback
# address only with BENCH_NETNS=1, from inside /run/netns/epmdbench-*, to an
# on-link address.  Both namespaces, and every process in them, are removed
# on exit (also on ^C, TERM, or a harness error).
#
# The daemons are measured one after the other (never at once), on cpu 0;
# loadgen runs on cpu 1 (when pinned).  For each:
#   a. ATTACK_IDLE_CONNS idle connections from the denied host, reopened when
#      the server closes them (at most ATTACK_RECONNECT a second): legit A's
#      lookups/s under attack / its unloaded rate (mean of before and after).
#      Target (epmd_secure) >= 0.9.
#   b. a full-speed lookup flood (ATTACK_FLOOD_CLIENTS concurrent) from the
#      allowed flooder: legit B's lookups/s under flood / unloaded.
#      Target (epmd_secure) >= 0.8.  Two legit clients:
#      closed: ATTACK_LEGIT_CLIENTS closed-loop client(s), as fast as the
#         daemon answers.  epmd_secure's rate limit comes from a probe of
#         that rate: ratelimit_rate = ratelimit_burst = probe x
#         ATTACK_RL_MARGIN, rounded up to 100 (per /32), so the legit host
#         is not limited at its own rate -- which lets the flooder have as
#         much, and a closed-loop client alone uses a large share of the
#         daemon's cpu: the daemon is shared, not protected.
#      paced: 4 clients paced at ATTACK_PACE lookups/s (a host with a steady
#         need); ratelimit_rate = ratelimit_burst = 2 x ATTACK_PACE.  Its
#         served rate and p99 latency under flood are what a real
#         neighbour of an abusive host would see.
#   c. ATTACK_MANY_CONNS idle connections from ATTACK_MANY_SOURCES sources:
#      the daemon stays up, a registration from loopback in the server
#      namespace still works, peak RSS (VmHWM) under 64 MiB.  epmd_secure
#      gets max_connections 16384, max_connections_per_source 4096,
#      max_sources 16384, first_byte_timeout 60 and -packet_timeout 60, so
#      that it really holds them all (worst case for memory); its fd limit
#      is raised to the hard limit by run.sh (ulimit -n) and by itself.
#
# epmd_secure logs to stderr (a file) here; its counters (SIGUSR1) give the
# refusals.  Stock epmd has no ACL, no rate limit and no caps: it serves the
# flooder in full, and with select() it holds ~1016 connections; the rest
# (legit ones too) are accepted and closed at once.

ATTACK_IDLE_CONNS=${ATTACK_IDLE_CONNS:-5000}
ATTACK_RECONNECT=${ATTACK_RECONNECT:-1000}
ATTACK_FLOOD_CLIENTS=${ATTACK_FLOOD_CLIENTS:-8}
ATTACK_MANY_CONNS=${ATTACK_MANY_CONNS:-15000}
ATTACK_MANY_SOURCES=${ATTACK_MANY_SOURCES:-6}
ATTACK_LEGIT_CLIENTS=${ATTACK_LEGIT_CLIENTS:-1}
ATTACK_SECS=${ATTACK_SECS:-1.5}
ATTACK_CYCLES=${ATTACK_CYCLES:-2}
ATTACK_RL_MARGIN=${ATTACK_RL_MARGIN:-1.5}
ATTACK_PACE=${ATTACK_PACE:-500}
ATTACK_NICE=${ATTACK_NICE:-0}
ATTACK_LABELS=${ATTACK_LABELS:-"secure stock"}
TARGET_ATTACK_IDLE=0.9
TARGET_ATTACK_FLOOD=0.8
TARGET_ATTACK_RSS_KIB=65536

A_NS_SRV=epmdbench-$$-srv
A_NS_CLI=epmdbench-$$-cli
A_SRV=198.18.0.1
A_LEGIT_A=198.18.0.10
A_LEGIT_B=198.18.0.11
A_DENIED=198.18.0.20
A_FLOODER=198.18.0.30
A_MANY_BASE=40			# 198.18.0.40 ...
A_PORT=
A_PID=
A_REG=
A_RL=

# ---------------------------------------------------------------- plumbing

attack_teardown() {
	local ns p
	for ns in "$A_NS_SRV" "$A_NS_CLI"; do
		[ -e "/run/netns/$ns" ] || continue
		# Everything in these namespaces was started by this scenario.
		for p in $(timeout 10 ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		timeout 10 ip netns del "$ns" 2>/dev/null ||
		    echo "bench: could not delete namespace $ns" >&2
	done
}

attack_setup() {
	local tries i ns
	[ "$(id -u)" = 0 ] || return 1
	command -v ip >/dev/null || return 1
	for ns in "$A_NS_SRV" "$A_NS_CLI"; do
		[ -e "/run/netns/$ns" ] && broken "namespace $ns already exists"
	done
	at_exit attack_teardown
	ip netns add "$A_NS_SRV" || return 1
	ip netns add "$A_NS_CLI" || broken "ip netns add $A_NS_CLI failed"
	{ ip -n "$A_NS_SRV" link set lo up &&
	  ip -n "$A_NS_CLI" link set lo up &&
	  ip -n "$A_NS_SRV" link add veth-srv type veth peer name veth-cli netns "$A_NS_CLI" &&
	  ip -n "$A_NS_SRV" addr add "$A_SRV/24" dev veth-srv &&
	  ip -n "$A_NS_CLI" addr add "$A_LEGIT_A/24" dev veth-cli &&
	  ip -n "$A_NS_CLI" addr add "$A_LEGIT_B/24" dev veth-cli &&
	  ip -n "$A_NS_CLI" addr add "$A_DENIED/24" dev veth-cli &&
	  ip -n "$A_NS_CLI" addr add "$A_FLOODER/24" dev veth-cli; } ||
	    broken "setting up the veth pair failed"
	for i in $(seq 0 $((ATTACK_MANY_SOURCES - 1))); do
		ip -n "$A_NS_CLI" addr add "198.18.0.$((A_MANY_BASE + i))/24" dev veth-cli ||
		    broken "adding source address failed"
	done
	{ ip -n "$A_NS_SRV" link set veth-srv up &&
	  ip -n "$A_NS_CLI" link set veth-cli up; } || broken "veth up failed"
	attack_prefixes
	tries=100
	until ip -n "$A_NS_SRV" -o link show veth-srv | grep -q LOWER_UP &&
	    ip -n "$A_NS_CLI" -o link show veth-cli | grep -q LOWER_UP; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || broken "veth link did not come up"
		sleep 0.1
	done
	return 0
}

# Command prefixes (arrays, so that "${X[@]}" cmd & gives cmd's own pid:
# a shell function run in the background would be a subshell, and killing
# it would leave loadgen running).  Set by attack_setup.
IN_SRV=()	# in the server namespace, pinned as load
IN_CLI=()	# in the client namespace, loadgen may dial 198.18.0.0/24
ATTACKER=()	# as IN_CLI, at nice ATTACK_NICE

attack_prefixes() {
	IN_SRV=(ip netns exec "$A_NS_SRV" "${PIN_LOAD[@]}")
	IN_CLI=(ip netns exec "$A_NS_CLI" env BENCH_NETNS=1 "${PIN_LOAD[@]}")
	ATTACKER=("${IN_CLI[@]}")
	[ "$ATTACK_NICE" != 0 ] &&
	    ATTACKER=(ip netns exec "$A_NS_CLI" env BENCH_NETNS=1 nice -n "$ATTACK_NICE" "${PIN_LOAD[@]}")
	return 0
}

# a_lookup SRC CLIENTS SECS [LOADGEN ARGS...]: lookups of NODE_NAME from
# SRC in the client namespace; sets LOOKUP.
a_lookup() {
	local src=$1 c=$2 secs=$3
	shift 3
	LOOKUP=$("${IN_CLI[@]}" "$LOADGEN" lookup -a "$A_SRV" -b "$src" -p "$A_PORT" \
	    -n "$NODE_NAME" -c "$c" -t "$secs" -m 2000000 -T 2000 "$@" 2>&1)
	case $LOOKUP in
	lookups=*) ;;
	*) broken "loadgen lookup from $src failed: $LOOKUP" ;;
	esac
	echo "$A_LABEL from=$src c=$c $* $LOOKUP" >>"$WORK/attack/lookups"
}

# a_start LABEL [ARGS...]: the daemon in the server namespace, node
# NODE_NAME registered from loopback there.
a_start() {
	local l=$1 tries
	shift
	A_LABEL=$l
	A_PORT=4369
	[ "$l" = stock ] && A_PORT=4370
	ip netns exec "$A_NS_SRV" "${PIN_DAEMON[@]}" "${BIN[$l]}" -port "$A_PORT" \
	    -address "$A_SRV" "$@" >>"$WORK/attack/$l.log" 2>&1 &
	A_PID=$!
	CHILDREN+=("$A_PID")
	tries=50
	until ip netns exec "$A_NS_SRV" bash -c "exec 3<>/dev/tcp/$A_SRV/$A_PORT" 2>/dev/null; do
		kill -0 "$A_PID" 2>/dev/null ||
		    broken "$l daemon did not start in $A_NS_SRV; see $WORK/attack/$l.log"
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || broken "$l daemon not listening on $A_SRV:$A_PORT"
		sleep 0.1
	done
	"${IN_SRV[@]}" "$LOADGEN" register -p "$A_PORT" -n "$NODE_NAME" -t 600 \
	    >"$WORK/attack/$l.register" 2>&1 &
	A_REG=$!
	CHILDREN+=("$A_REG")
	wait_for_line "$WORK/attack/$l.register" '^registered' 50 ||
	    broken "registering $NODE_NAME on $l failed: $(cat "$WORK/attack/$l.register")"
}

a_stop() {
	kill "$A_REG" "$A_PID" 2>/dev/null
	wait "$A_REG" "$A_PID" 2>/dev/null
}

a_alive() {
	kill -0 "$A_PID" 2>/dev/null ||
	    broken "$A_LABEL daemon died during the attack; see $WORK/attack/$A_LABEL.log"
}

# a_counters: epmd_secure's counters record (SIGUSR1), "" for stock.
a_counters() {
	local n0 tries=30
	[ "$A_LABEL" = secure ] || return 0
	n0=$(grep -c 'event=counters' "$WORK/attack/secure.log")
	kill -USR1 "$A_PID"
	while [ "$(grep -c 'event=counters' "$WORK/attack/secure.log")" = "$n0" ] &&
	    [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	grep 'event=counters' "$WORK/attack/secure.log" | tail -1
}

# counters_delta BEFORE AFTER KEY...: after - before for each KEY.
counters_delta() {
	local b=$1 a=$2 k out=
	shift 2
	for k in "$@"; do
		out="$out $k=$(( $(kv "$a" "$k" | sed 's/^$/0/') - $(kv "$b" "$k" | sed 's/^$/0/') ))"
	done
	echo "${out# }"
}

# wait_fds PID MAX TENTHS: until the daemon is back to <= MAX fds.
wait_fds() {
	local t=$3
	while [ "$(fd_count "$1")" -gt "$2" ] && [ "$t" -gt 0 ]; do
		sleep 0.1
		t=$((t - 1))
	done
}

# mean_rate A B: mean of two rates.
mean_rate() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf("%.0f", (a + b) / 2) }'
}

# ------------------------------------------------------------------ phases

# cycle_ratio "U0 U1 ..." "A1 A2 ...": mean over the cycles of
# A_k / mean(U_k-1, U_k): each attacked run against its neighbours in time.
cycle_ratio() {
	awk -v u="$1" -v a="$2" 'BEGIN {
		nu = split(u, U, " "); na = split(a, A, " "); s = 0; n = 0
		for (k = 1; k <= na && k < nu; k++) {
			m = (U[k] + U[k + 1]) / 2
			s += (m > 0) ? A[k] / m : 0; n++
		}
		printf("%.2f", n ? s / n : 0)
	}'
}

# mean_of N...: the mean, rounded.
mean_of() {
	printf '%s\n' "$@" | awk '{ s += $1; n++ } END { printf("%.0f", n ? s / n : 0) }'
}

# a. idle connections from the denied host: ATTACK_CYCLES times, the
# attacker up for one legit run, down for the next.
attack_idle() {
	local l=$A_LABEL out pid fd0 fd1=0 k us=() as=() ea=0 rt c0 c1 v ready done_
	local conn=0 held=0 recon=0
	fd0=$(fd_count "$A_PID")
	a_lookup "$A_LEGIT_A" "$ATTACK_LEGIT_CLIENTS" "$ATTACK_SECS"; us+=("$(kv "$LOOKUP" rate)")
	c0=$(a_counters)
	for k in $(seq 1 "$ATTACK_CYCLES"); do
		out="$WORK/attack/$l.idle.$k"
		"${ATTACKER[@]}" "$LOADGEN" idle -a "$A_SRV" -b "$A_DENIED" -p "$A_PORT" \
		    -N "$ATTACK_IDLE_CONNS" -k 256 -T 2000 -w 15 -t 40 -r "$ATTACK_RECONNECT" \
		    >"$out" 2>&1 &
		pid=$!
		CHILDREN+=("$pid")
		wait_for_line "$out" '^idle_ready' 300 ||
		    broken "idle attack against $l did not settle: $(cat "$out")"
		v=$(fd_count "$A_PID")
		[ "$v" -gt "$fd1" ] && fd1=$v
		a_lookup "$A_LEGIT_A" "$ATTACK_LEGIT_CLIENTS" "$ATTACK_SECS"; as+=("$(kv "$LOOKUP" rate)")
		ea=$((ea + $(kv "$LOOKUP" errors)))
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		a_alive
		ready=$(grep '^idle_ready' "$out")
		done_=$(grep '^idle_done' "$out")
		conn=$((conn + $(kv "$ready" connected)))
		held=$((held + $(kv "$ready" alive)))
		recon=$((recon + $(kv "$done_" reconnects | sed 's/^$/0/')))
		wait_fds "$A_PID" "$fd0" 50
		a_lookup "$A_LEGIT_A" "$ATTACK_LEGIT_CLIENTS" "$ATTACK_SECS"; us+=("$(kv "$LOOKUP" rate)")
	done
	c1=$(a_counters)
	rt=$(cycle_ratio "${us[*]}" "${as[*]}")
	printf '  a. %-7s legit lookups/s unloaded %s, under attack %s: ratio %s  (legit errors under attack %s)\n' \
	    "$l" "${us[*]}" "${as[*]}" "$rt" "$ea"
	printf '     attacker, per cycle: %s connected, %s held once settled, %s reopened during the hold; daemon fds %s -> %s\n' \
	    "$((conn / ATTACK_CYCLES))" "$((held / ATTACK_CYCLES))" "$((recon / ATTACK_CYCLES))" "$fd0" "$fd1"
	if [ "$l" = secure ]; then
		echo "     daemon counters (delta): $(counters_delta "$c0" "$c1" NONE.conn_limit NONE.timeout NONE.no_request PORT_PLEASE2.ok)"
		local ok=0
		ge "$rt" "$TARGET_ATTACK_IDLE" && ok=1
		verdict "attack a (${ATTACK_IDLE_CONNS} idle, denied host): legit ${rt}x unloaded >= ${TARGET_ATTACK_IDLE}" "$ok"
		is_noisy "${us[@]}" && VERDICT="$VERDICT (noisy)"
		figure attack "a. epmd_secure: legit lookups/s unloaded -> under ${ATTACK_IDLE_CONNS} idle conns" \
		    "$(mean_of "${us[@]}") -> $(mean_of "${as[@]}")"
		figure attack "a. epmd_secure: ratio (attacker conns held by daemon)" "$rt ($((held / ATTACK_CYCLES)))" \
		    ">= $TARGET_ATTACK_IDLE" "$VERDICT"
	else
		figure attack "a. stock: legit lookups/s unloaded -> under ${ATTACK_IDLE_CONNS} idle conns" \
		    "$(mean_of "${us[@]}") -> $(mean_of "${as[@]}")"
		figure attack "a. stock: ratio (attacker conns held by daemon)" "$rt ($((held / ATTACK_CYCLES)))" \
		    "(expected ~0)"
	fi
}

# b. a lookup flood from an allowed host, ATTACK_CYCLES times on and off.
# attack_flood VARIANT (closed|paced): legit B's client is closed-loop or
# paced.
attack_flood() {
	local v=$1 l=$A_LABEL out pid k us=() as=() ps=() pa=() ea=0 rt c0 c1 fl
	local d la=() nc=$ATTACK_LEGIT_CLIENTS target fok=0 ferr=0 fsecs=0 fref frate
	if [ "$v" = paced ]; then
		la=(-R "$ATTACK_PACE")
		nc=4
	fi
	a_lookup "$A_LEGIT_B" "$nc" "$ATTACK_SECS" "${la[@]}"
	us+=("$(kv "$LOOKUP" rate)"); ps+=("$(kv "$LOOKUP" p99_us)")
	c0=$(a_counters)
	for k in $(seq 1 "$ATTACK_CYCLES"); do
		out="$WORK/attack/$l.flood.$v.$k"
		"${ATTACKER[@]}" "$LOADGEN" lookup -a "$A_SRV" -b "$A_FLOODER" -p "$A_PORT" -n "$NODE_NAME" \
		    -c "$ATTACK_FLOOD_CLIENTS" -t "$(awk -v s="$ATTACK_SECS" 'BEGIN { print s + 0.8 }')" \
		    -m 5000000 -T 2000 >"$out" 2>&1 &
		pid=$!
		CHILDREN+=("$pid")
		sleep 0.4
		a_lookup "$A_LEGIT_B" "$nc" "$ATTACK_SECS" "${la[@]}"
		as+=("$(kv "$LOOKUP" rate)"); pa+=("$(kv "$LOOKUP" p99_us)")
		ea=$((ea + $(kv "$LOOKUP" errors)))
		wait "$pid" 2>/dev/null
		a_alive
		fl=$(cat "$out")
		case $fl in
		lookups=*) ;;
		*) broken "flooder against $l failed: $fl" ;;
		esac
		fok=$((fok + $(kv "$fl" ok)))
		ferr=$((ferr + $(kv "$fl" errors)))
		fsecs=$(awk -v a="$fsecs" -v b="$(kv "$fl" secs)" 'BEGIN { print a + b }')
		a_lookup "$A_LEGIT_B" "$nc" "$ATTACK_SECS" "${la[@]}"
		us+=("$(kv "$LOOKUP" rate)"); ps+=("$(kv "$LOOKUP" p99_us)")
	done
	c1=$(a_counters)
	rt=$(cycle_ratio "${us[*]}" "${as[*]}")
	frate=$(awk -v e="$fok" -v s="$fsecs" 'BEGIN { printf("%.0f", s > 0 ? e / s : 0) }')
	fref=$(awk -v e="$ferr" -v s="$fsecs" 'BEGIN { printf("%.0f", s > 0 ? e / s : 0) }')
	if [ "$v" = paced ]; then
		d="paced ${ATTACK_PACE}/s"
	else
		d="closed loop, c=$nc"
	fi
	printf '  b. %-7s legit (%s): lookups/s unloaded %s, under flood %s: ratio %s; p99 us %s -> %s; legit errors %s\n' \
	    "$l" "$d" "${us[*]}" "${as[*]}" "$rt" "${ps[*]}" "${pa[*]}" "$ea"
	printf '     flooder (%s clients): served %s/s, refused or failed %s/s\n' \
	    "$ATTACK_FLOOD_CLIENTS" "$frate" "$fref"
	if [ "$l" = secure ]; then
		echo "     daemon counters (delta): $(counters_delta "$c0" "$c1" PORT_PLEASE2.ok PORT_PLEASE2.rate_limited NONE.conn_limit)"
		local ok=0
		ge "$rt" "$TARGET_ATTACK_FLOOD" && ok=1
		verdict "attack b (lookup flood, legit $d, limit ${A_RL}/s): legit ${rt}x unloaded >= ${TARGET_ATTACK_FLOOD}" "$ok"
		is_noisy "${us[@]}" && VERDICT="$VERDICT (noisy)"
		target=">= $TARGET_ATTACK_FLOOD"
	else
		VERDICT=
		target=
	fi
	figure attack "b. $l, legit $d: lookups/s unloaded -> under flood (p99 us)" \
	    "$(mean_of "${us[@]}") -> $(mean_of "${as[@]}") ($(mean_of "${ps[@]}") -> $(mean_of "${pa[@]}") us)"
	figure attack "b. $l, legit $d: ratio (legit errors)" "$rt ($ea)" "$target" "$VERDICT"
	figure attack "b. $l, legit $d: flooder served/s, refused/s$( [ "$l" = secure ] && echo " (limit ${A_RL}/s per /32)")" \
	    "$frate, $fref"
}

# c. many connections from several sources.
attack_many() {
	local l=$A_LABEL i per pids=() outs=() rss0 hwm rss1 fds held=0 conn=0 reg lb lg
	local up=1 regok=0 t
	per=$((ATTACK_MANY_CONNS / ATTACK_MANY_SOURCES))
	rss0=$(vm_kib "$A_PID" VmRSS)
	for i in $(seq 0 $((ATTACK_MANY_SOURCES - 1))); do
		outs+=("$WORK/attack/$l.many.$i")
		"${ATTACKER[@]}" "$LOADGEN" idle -a "$A_SRV" -b "198.18.0.$((A_MANY_BASE + i))" \
		    -p "$A_PORT" -N "$per" -k 256 -T 5000 -w 30 -t 60 \
		    >"${outs[$i]}" 2>&1 &
		pids+=($!)
		CHILDREN+=($!)
	done
	for i in "${!outs[@]}"; do
		wait_for_line "${outs[$i]}" '^idle_ready' 500 ||
		    broken "many-connection attack ($i) against $l did not settle: $(cat "${outs[$i]}")"
		held=$((held + $(kv "$(grep '^idle_ready' "${outs[$i]}")" alive)))
		conn=$((conn + $(kv "$(grep '^idle_ready' "${outs[$i]}")" connected)))
	done
	a_alive
	fds=$(fd_count "$A_PID")
	rss1=$(vm_kib "$A_PID" VmRSS)
	# A registration from loopback, held 1 s, while all that is open.
	reg=$("${IN_SRV[@]}" "$LOADGEN" register -a 127.0.0.1 -p "$A_PORT" -n lbcheck -P 45690 \
	    -t 1 -T 5000 2>&1)
	case $reg in registered*) regok=1 ;; esac
	lb=$("${IN_SRV[@]}" "$LOADGEN" lookup -a 127.0.0.1 -p "$A_PORT" -n "$NODE_NAME" -c 1 \
	    -t 0.5 -T 2000 2>&1)
	a_lookup "$A_LEGIT_A" "$ATTACK_LEGIT_CLIENTS" 1; lg=$LOOKUP
	kill -0 "$A_PID" 2>/dev/null || up=0
	hwm=$(vm_kib "$A_PID" VmHWM)
	for i in "${pids[@]}"; do
		kill "$i" 2>/dev/null
	done
	for i in "${pids[@]}"; do
		wait "$i" 2>/dev/null
	done
	wait_fds "$A_PID" 64 100
	t=$(fd_count "$A_PID")
	kill -0 "$A_PID" 2>/dev/null || up=0
	printf '  c. %-7s %s connections opened from %s sources, %s still open at the client; daemon fds %s\n' \
	    "$l" "$conn" "$ATTACK_MANY_SOURCES" "$held" "$fds"
	printf '     RSS %s KiB before, %s KiB holding them, peak (VmHWM) %s KiB; fds after release %s; daemon up: %s\n' \
	    "$rss0" "$rss1" "$hwm" "$t" "$( [ "$up" = 1 ] && echo yes || echo NO)"
	printf '     loopback registration during the attack: %s\n' \
	    "$( [ "$regok" = 1 ] && echo "ok ($(echo "$reg" | head -1))" || echo "FAILED: $(echo "$reg" | tr '\n' ' ')")"
	printf '     loopback lookups: %s/s (errors %s); legit remote lookups: %s/s (errors %s)\n' \
	    "$(kv "$lb" rate)" "$(kv "$lb" errors)" "$(kv "$lg" rate)" "$(kv "$lg" errors)"
	if [ "$l" = secure ]; then
		local ok=0
		[ "$up" = 1 ] && [ "$regok" = 1 ] && [ -n "$hwm" ] && le "$hwm" "$TARGET_ATTACK_RSS_KIB" && ok=1
		verdict "attack c (${ATTACK_MANY_CONNS} conns): up, loopback registration ok, peak RSS ${hwm} KiB <= ${TARGET_ATTACK_RSS_KIB}" "$ok"
		figure attack "c. epmd_secure: conns held (daemon fds) of ${ATTACK_MANY_CONNS}" "$fds"
		figure attack "c. epmd_secure: peak RSS KiB (VmHWM); up; loopback registration" \
		    "$hwm; $( [ "$up" = 1 ] && echo up || echo DOWN); $( [ "$regok" = 1 ] && echo ok || echo FAILED)" \
		    "<= $TARGET_ATTACK_RSS_KIB, up, ok" "$VERDICT"
		figure attack "c. epmd_secure: loopback / legit remote lookups/s during it" \
		    "$(kv "$lb" rate) / $(kv "$lg" rate)"
	else
		figure attack "c. stock: conns held (daemon fds) of ${ATTACK_MANY_CONNS}" "$fds"
		figure attack "c. stock: peak RSS KiB (VmHWM); up; loopback registration" \
		    "$hwm; $( [ "$up" = 1 ] && echo up || echo DOWN); $( [ "$regok" = 1 ] && echo ok || echo FAILED)"
		figure attack "c. stock: loopback / legit remote lookups/s during it" \
		    "$(kv "$lb" rate) / $(kv "$lg" rate)"
	fi
}

scenario_attack() {
	local dir=$WORK/attack l u0 acl f
	mkdir -p "$dir"
	echo "== Attacks, from another network namespace (198.18.0.0/24 over veth)"
	if ! attack_setup; then
		attack_teardown
		echo "skipped: needs root, iproute2 and working 'ip netns add'"
		figure attack "skipped" "needs root and ip netns"
		echo
		return 0
	fi
	acl=$dir/acl
	private_file "$acl" <<EOF
# bench attack ACL
allow 127.0.0.0/8
allow ::1
allow $A_LEGIT_A
allow $A_LEGIT_B
allow $A_FLOODER
deny 0.0.0.0/0
deny ::/0
EOF
	for l in $ATTACK_LABELS; do
		echo "-- ${l}"
		if [ "$l" = secure ]; then
			# Probe legit A's unloaded rate with no effective limit.
			printf 'log_target stderr\nratelimit_rate 1000000\nratelimit_burst 1000000\n' |
			    private_file "$dir/probe.conf"
			secure_check "$dir/probe.conf" "$acl"
			a_start secure -config "$dir/probe.conf" -acl "$acl"
			a_lookup "$A_LEGIT_A" "$ATTACK_LEGIT_CLIENTS" 1
			u0=$(kv "$LOOKUP" rate)
			a_stop
			A_RL=$(awk -v u="$u0" -v m="$ATTACK_RL_MARGIN" \
			    'BEGIN { r = int((u * m + 99) / 100) * 100; if (r < 100) r = 100; print r }')
			printf 'log_target stderr\nratelimit_rate %s\nratelimit_burst %s\n' "$A_RL" "$A_RL" |
			    private_file "$dir/ab.conf"
			printf 'log_target stderr\nratelimit_rate %s\nratelimit_burst %s\n' \
			    "$((2 * ATTACK_PACE))" "$((2 * ATTACK_PACE))" | private_file "$dir/paced.conf"
			{ cat "$dir/ab.conf"
			  printf 'max_connections 16384\nmax_connections_per_source 4096\n'
			  printf 'max_sources 16384\nfirst_byte_timeout 60\n'
			} | private_file "$dir/c.conf"
			for f in ab paced c; do
				secure_check "$dir/$f.conf" "$acl"
			done
			echo "  rate limit for a, b closed: ratelimit_rate $A_RL, ratelimit_burst $A_RL per /32" \
			    "(legit probe ${u0}/s x ${ATTACK_RL_MARGIN}); for b paced: $((2 * ATTACK_PACE)), burst $((2 * ATTACK_PACE));" \
			    "other limits default (max_connections_per_source 64, first_byte_timeout 2 s)"
			figure attack "epmd_secure rate limit, a and b closed (per /32; probe x ${ATTACK_RL_MARGIN})" \
			    "rate=burst=$A_RL (probe $u0/s)"
			figure attack "epmd_secure rate limit, b paced (per /32; 2 x pace)" \
			    "rate=burst=$((2 * ATTACK_PACE))"
			a_start secure -config "$dir/ab.conf" -acl "$acl"
			attack_idle
			attack_flood closed
			a_stop
			A_RL=$((2 * ATTACK_PACE))
			a_start secure -config "$dir/paced.conf" -acl "$acl"
			attack_flood paced
			a_stop
			a_start secure -config "$dir/c.conf" -acl "$acl" -packet_timeout 60
		else
			a_start "$l"
			attack_idle
			attack_flood closed
			attack_flood paced
			a_stop
			a_start "$l"	# afresh, for its peak RSS
		fi
		attack_many
		a_stop
	done
	attack_teardown
	note attack "namespaces epmdbench-PID-srv (daemon, 198.18.0.1) and -cli (clients) over veth; legit runs of ${ATTACK_SECS}s alternate unloaded / attacked (${ATTACK_CYCLES} cycles); ratio = mean over cycles of attacked / mean(unloaded runs either side); 'noisy' = the unloaded runs differ by over 25%"
	note attack "a: ${ATTACK_IDLE_CONNS} idle conns from a host the ACL denies, reopened as closed (<= ${ATTACK_RECONNECT}/s); legit client closed-loop, c=${ATTACK_LEGIT_CLIENTS}"
	note attack "b: flood = ${ATTACK_FLOOD_CLIENTS} closed-loop clients from an allowed host; 'closed' legit = closed-loop c=${ATTACK_LEGIT_CLIENTS} with ratelimit_rate = burst = ${ATTACK_RL_MARGIN} x its own probed rate (so it is never limited, and neither is a flooder slower than that); 'paced' legit = 4 clients at ${ATTACK_PACE}/s with ratelimit_rate = burst = $((2 * ATTACK_PACE))"
	note attack "c: ${ATTACK_MANY_CONNS} idle conns from ${ATTACK_MANY_SOURCES} sources; epmd_secure set to hold them all (max_connections 16384, max_connections_per_source 4096, max_sources 16384, first_byte_timeout 60, -packet_timeout 60); daemon fds include ~12 of its own; registration = ALIVE2 from 127.0.0.1 in the server namespace, held 1 s"
	note attack "stock epmd: no ACL, rate limit or caps; select() with FD_SETSIZE 1024: holds ~1016 connections, accepts and at once closes every other (legit ones included)"
	echo "(legit runs ${ATTACK_SECS}s each, unloaded and attacked alternating, ${ATTACK_CYCLES} attack cycles; ratio = mean over the cycles"
	echo " of attacked / mean of the unloaded runs either side; refused = rate-limited or closed connections, as loadgen sees them;"
	echo " stock epmd: select() with FD_SETSIZE 1024, so it holds ~1016 connections and accepts-and-closes the rest,"
	echo " legit ones included; it closes idle ones only after its packet_timeout (60 s); no ACL, no rate limit)"
	echo
}
