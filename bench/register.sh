#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ALIVE2 registrations per second, and PORT_PLEASE2 lookups per second,
# with the registration checks on (the defaults: check_port_owner yes,
# dist_exposure warn) and off (check_port_owner no, dist_exposure ignore),
# the two daemons measured one after the other in ABAB rounds. Logging is
# off in both (log_target none) so that the checks' cost is what differs.
# Prints medians and the on/off ratios; never fails on a figure.
#
#   bench/register.sh            ROUNDS=5 SECS=2 by default
#
# Run as root on the machine where the tests run; only 127.0.0.1 is dialled.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
BIN=${EPMD_SECURE:-./epmd_secure}
work=$(mktemp -d /tmp/epmd-regbench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

cc -O2 -Wall -Wextra -o "$work/regbench" bench/regbench.c
cc -O2 -Wall -Wextra -o "$work/loadgen" bench/loadgen.c
printf 'allow 127.0.0.0/8\nallow ::1\n' > "$work/acl"
printf 'log_target none\ncheck_port_owner yes\ndist_exposure warn\n' > "$work/on.conf"
printf 'log_target none\ncheck_port_owner no\ndist_exposure ignore\n' > "$work/off.conf"
chmod 644 "$work"/*.conf "$work/acl"

free_port() { "$work/loadgen" freeport; }

# start MODE: a daemon with that config, node "bench" registered on a port
# a helper really listens on (held for the whole run).
start() {
	port=$(free_port)
	"$BIN" -port "$port" -config "$work/$1.conf" -acl "$work/acl" \
	    >"$work/$1.log" 2>&1 &
	pids="$pids $!"
	eval "pid_$1=$!"
	i=0
	while ! "$BIN" -port "$port" -started 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "daemon $1 did not start"; exit 1; }
		sleep 0.05
	done
	sleep 600 | python3 tests/integration/impostor.py register "$port" bench \
	    listen 127.0.0.1 600 >"$work/$1.node" 2>&1 &
	pids="$pids $!"
	eval "port_$1=$port"
}
start on
start off
sleep 1

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for r in $(seq 1 "$ROUNDS"); do
	for m in on off; do
		eval "p=\$port_$m"
		"$work/regbench" -p "$p" -t "$SECS" >>"$work/reg.$m"
		"$work/loadgen" lookup -p "$p" -n bench -c 16 -t "$SECS" >>"$work/look.$m"
	done
done
for m in on off; do
	eval "reg_$m=\$(sed -n 's/.*per_sec=\([0-9]*\).*/\1/p' \"$work/reg.$m\" | median)"
	eval "look_$m=\$(grep -o ' rate=[0-9.]*' \"$work/look.$m\" | cut -d= -f2 | median)"
	eval "fail_$m=\$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' \"$work/reg.$m\" | paste -sd+ | bc)"
done
echo "ALIVE2 registrations/s (median of $ROUNDS x ${SECS}s): checks on $reg_on, off $reg_off" \
    "(ratio $(echo "scale=3; $reg_on / $reg_off" | bc)); failed: on $fail_on, off $fail_off"
echo "PORT_PLEASE2 lookups/s, 16 clients: checks on $look_on, off $look_off" \
    "(ratio $(echo "scale=3; $look_on / $look_off" | bc); target >= 0.95)"
