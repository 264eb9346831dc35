# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2317
# Helpers shared by bench/scenarios/*.sh (sourced by bench/run.sh; defines
# no scenario itself).  See bench/README.md.

# private_file PATH: stdin to PATH, mode 600 (epmd_secure refuses a config
# or ACL file that group or others may write).
private_file() {
	(umask 077 && cat >"$1") || broken "cannot write $1"
	chmod 600 "$1"
}

# secure_check CONF ACL: epmd_secure -t must accept them.
secure_check() {
	local out
	out=$("${BIN[secure]}" -config "$1" -acl "$2" -t 2>&1) ||
	    broken "epmd_secure -t rejects $1 / $2: $out"
}

# start_extra LABEL BINARY [ARGS...]: one more daemon on loopback (pinned
# like the others, with NODE_NAME registered); stop it with stop_daemon.
start_extra() {
	local l=$1 b=$2
	shift 2
	# BIN and ARGS are run.sh's associative arrays.
	# shellcheck disable=SC2004,SC2034
	BIN[$l]=$b
	# shellcheck disable=SC2004,SC2034
	ARGS[$l]=
	start_daemon "$l" "$@"
}

# alive_or_broken LABEL...: like check_alive, for extra labels.
alive_or_broken() {
	local l
	for l in "$@"; do
		kill -0 "${PID[$l]}" 2>/dev/null ||
		    broken "$l daemon (pid ${PID[$l]}) died; see $WORK/$l.log"
	done
}

# ratio A B [DIGITS]: A / B, 0 when B is 0.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" \
	    'BEGIN { printf("%.*f", d, (b > 0) ? a / b : 0) }'
}

# range_of N...: "lo-hi" of the numbers, two decimals.
range_of() {
	printf '%s\n' "$@" | sort -g |
	    awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf("%.2f-%.2f", lo, hi) }'
}

# vm_kib PID FIELD: a /proc/PID/status field in KiB (VmRSS, VmHWM).
vm_kib() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# is_noisy N...: true if the highest of the numbers is over 1.25 x the
# lowest (as run.sh flags a lookup level): the host was busy meanwhile.
is_noisy() {
	printf '%s\n' "$@" | sort -g |
	    awk 'NR == 1 { lo = $1 } { hi = $1 } END { exit !(lo > 0 ? hi / lo > 1.25 : hi > 0) }'
}

# range_noisy "LO-HI": true if HI > 1.25 x LO.
range_noisy() {
	is_noisy "${1%-*}" "${1#*-}"
}
