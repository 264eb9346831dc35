#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test_takeover.sh: the Debian package on this very host (no systemd as
# PID 1), for real: epmd_secure becomes the epmd that every path starts.
#   (a) dpkg-buildpackage -b -us -uc in a copy of the tree; lintian on the
#       .deb reports no error;
#   (a2) make install-takeover / uninstall-takeover, same checks;
#   (b) dpkg -i: the init script starts the daemon on loopback and says so;
#       every erts-*/bin/epmd is diverted (stock kept byte for byte as
#       epmd.stock); status/reload/restart/stop;
#   (c) with the daemon stopped, `erl -sname t -noshell -eval 'halt()'`
#       without flags starts epmd_secure, on loopback only; a second
#       `epmd -daemon` (as erl runs it) is silent, exit 0;
#   (d) an erlang-base upgrade, simulated by a package shipping a stock
#       epmd under a new erts-* directory: the dpkg file trigger takes it
#       over; removing that package drops the diversion and the directory;
#   (e) real RabbitMQ (Debian rabbitmq-server, run here in the foreground
#       with its own dirs and ports): two nodes start through epmd_secure
#       and join_cluster; cluster_status lists both; with epmd_secure
#       killed, the CLI (rabbit_nodes_common:ensure_epmd/0, what
#       rabbit_epmd_monitor also calls) brings up epmd_secure, not stock;
#   (f) dpkg -P: stock epmd back byte for byte (sha256 before/after), no
#       diversion left, nothing listening, no init script;
#   (g) without the package, the README's settings for RabbitMQ:
#       ERL_ZFLAGS='-epmd "epmd_secure -daemon"' makes the CLI's helper
#       start ours; ERL_ZFLAGS='-start_epmd false' starts none.
# Every exit path (trap) stops what it started, purges both packages,
# undoes any diversion left and restores policy-rc.d: stock epmd is never
# left missing or diverted. Holds /tmp/epmd-stock.lock exclusively, so that
# no test using stock epmd runs meanwhile (they hold it shared).
# Exit 0 pass, 77 skip ("SKIP: reason"), 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)

failed=0
checks=0
ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; return 1; fi
}
section() { echo; echo "== $* ($(($(date +%s) - t_start)) s)"; }
skip() { echo "SKIP: $*"; exit 77; }
t_start=$(date +%s)

PKG=epmd-secure
FAKE=epmd-secure-test-erts
FAKE_ERTS=/usr/lib/erlang/erts-99.0.0
POLICY=/usr/sbin/policy-rc.d
EPMD_PORT=4369

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i on this host)"
for t in dpkg-buildpackage dpkg-deb dpkg-divert lintian erl ss sha256sum flock; do
	command -v "$t" >/dev/null 2>&1 ||
	    skip "$t is not installed (scripts/install-deps.sh test)"
done
if [ -d /run/systemd/system ]; then
	skip "systemd is PID 1 here: this test is for the init-script path"
fi
if dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null |
    grep -qx installed; then
	skip "$PKG is installed on this host; not touching an admin's install"
fi

tmp=$(mktemp -d /tmp/epmd_secure-takeover.XXXXXX) || exit 1
# The stock lock, exclusive: stock users (epmdtest.py) hold it shared.
exec 9>/tmp/epmd-stock.lock
flock -x -w 600 9 || { echo "FAIL cannot lock /tmp/epmd-stock.lock"; exit 1; }

if LC_ALL=C dpkg-divert --list '/usr/lib/erlang/*' | grep -q .; then
	echo "SKIP: something already diverts files under /usr/lib/erlang:"
	dpkg-divert --list '/usr/lib/erlang/*'
	exit 77
fi
if ss -Hltn "sport = :$EPMD_PORT" | grep -q .; then
	echo "SKIP: port $EPMD_PORT is in use:"
	ss -Hltnp "sport = :$EPMD_PORT"
	exit 77
fi

# Stock epmd as it is now: every erts-*/bin/epmd and its checksum.
stock_list=$tmp/stock.sha256
sha256sum /usr/lib/erlang/erts-*/bin/epmd >"$stock_list"
[ -s "$stock_list" ] || { echo "FAIL no /usr/lib/erlang/erts-*/bin/epmd"; exit 1; }
stock_one=$(head -1 "$stock_list" | awk '{print $2}')
cp -p "$stock_one" "$tmp/stock-epmd"
policy_saved=none
rabbit_pgids=""

# Processes listening on the epmd port (pids), whatever they are.
port_pids() {
	ss -Hltnp "sport = :$EPMD_PORT" 2>/dev/null |
	    grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

cleanup() {
	set +e
	for g in $rabbit_pgids; do
		kill -KILL "-$g" 2>/dev/null
	done
	[ -x /etc/init.d/epmd_secure ] && /etc/init.d/epmd_secure stop >/dev/null 2>&1
	# Anything on the port now was started by this test (we hold the
	# machine-wide integration lock): an epmd_secure or a stock epmd
	# that erl started.
	for p in $(port_pids); do
		c=$(cat "/proc/$p/comm" 2>/dev/null)
		case $c in
		epmd|epmd.stock|epmd_secure) kill -KILL "$p" 2>/dev/null ;;
		*) echo "note: port $EPMD_PORT held by pid $p ($c), left alone" ;;
		esac
	done
	for p in $FAKE $PKG; do
		if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
		    grep -qvx not-installed; then
			dpkg -P "$p" >>"$tmp/cleanup.log" 2>&1 ||
			    echo "note: dpkg -P $p failed, see $tmp/cleanup.log"
		fi
	done
	# Any diversion of ours still there: wrapper out, stock back.
	LC_ALL=C dpkg-divert --list '/usr/lib/erlang/*' |
	    sed -n "s|^diversion of \(.*\) to \(.*\) by $PKG\$|\1 \2|p" |
	    while read -r file to; do
		echo "note: undoing a leftover diversion of $file"
		grep -qx '# epmd-takeover: this epmd runs epmd_secure' "$file" 2>/dev/null &&
		    rm -f "$file"
		dpkg-divert --package "$PKG" --rename --quiet --divert "$to" \
		    --remove "$file"
	done
	if [ -d "$FAKE_ERTS" ] && ! dpkg -S "$FAKE_ERTS" >/dev/null 2>&1; then
		rm -rf "$FAKE_ERTS"
	fi
	case $policy_saved in
	none) ;;
	absent) rm -f "$POLICY" ;;
	*) cp -p "$policy_saved" "$POLICY" ;;
	esac
	if ! sha256sum --quiet -c "$stock_list" >/dev/null 2>&1; then
		echo "FAIL after cleanup, stock epmd differs from before:"
		sha256sum -c "$stock_list"
		failed=$((failed + 1))
	fi
	if [ "$failed" -eq 0 ]; then rm -rf "$tmp"; else echo "logs: $tmp"; fi
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT TERM HUP

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
arch=$(dpkg --print-architecture)

# ---------------------------------------------------------------- (a)
section "(a) build and lintian"
src=$tmp/deb/$PKG-$version
mkdir -p "$src"
git -C "$top" ls-files -z -c -o --exclude-standard |
    tar -C "$top" --null --ignore-failed-read -cf - -T - 2>/dev/null |
    tar -C "$src" -xf -
if (cd "$src" && timeout -k 10 300 dpkg-buildpackage -b -us -uc) \
    >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -b -us -uc"
else
	fail "dpkg-buildpackage -b -us -uc:"
	tail -30 "$tmp/build.log"
	exit 1
fi
deb=$tmp/deb/${PKG}_${version}_${arch}.deb
timeout -k 5 120 lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1
sed -e '/running with root privileges/d' -e 's/^/       | /' "$tmp/lintian.log"
check "lintian: no error (E:) on $(basename "$deb")" \
    sh -c '! grep -q "^E:" "$1"' - "$tmp/lintian.log"
check "lintian: no warning (W:) either" \
    sh -c '! grep -q "^W:" "$1"' - "$tmp/lintian.log"

# ---------------------------------------------------------------- (a2)
section "(a2) make install-takeover / uninstall-takeover (from the source tree)"
# The daemon just built in the package's tree stands in for an installed
# one ($(SBINDIR) is that directory).
if make -C "$src" install-takeover SBINDIR="$src" >"$tmp/mk-takeover.log" 2>&1; then
	ok "make install-takeover SBINDIR=$src"
else
	fail "make install-takeover:"
	tail -10 "$tmp/mk-takeover.log"
fi
while read -r sum file; do
	check "  $file runs $src/epmd_secure, stock kept as $file.stock" sh -c '
	    grep -qx "exec $2/epmd_secure \"\$@\"" "$1" &&
	    echo "$3  $1.stock" | sha256sum --quiet -c -' - "$file" "$src" "$sum"
done <"$stock_list"
make -C "$src" install-takeover SBINDIR="$src" >"$tmp/mk-takeover2.log" 2>&1
check "  a second install-takeover changes nothing" sh -c '
    [ "$(LC_ALL=C dpkg-divert --list "/usr/lib/erlang/*" | wc -l)" -eq "$(wc -l <"$1")" ]' \
    - "$stock_list"
make -C "$src" uninstall-takeover >"$tmp/mk-untakeover.log" 2>&1
rc=$?
check "make uninstall-takeover: exit 0, stock epmd back byte for byte, no diversion" sh -c '
    [ "$1" -eq 0 ] && sha256sum --quiet -c "$2" &&
    ! LC_ALL=C dpkg-divert --list "/usr/lib/erlang/*" | grep -q . &&
    ! ls /usr/lib/erlang/erts-*/bin/epmd.stock >/dev/null 2>&1' - "$rc" "$stock_list"

# ---------------------------------------------------------------- (b)
section "(b) dpkg -i on this host: the init script starts it on loopback"
# This host's policy-rc.d may forbid starting services (containers do);
# allow ours only, for the install, and put the original back at exit.
if [ -e "$POLICY" ]; then
	cp -p "$POLICY" "$tmp/policy-rc.d.orig"
	policy_saved=$tmp/policy-rc.d.orig
else
	policy_saved=absent
fi
cat >"$POLICY" <<'EOF'
#!/bin/sh
# test_takeover.sh: only epmd_secure may be started
[ "$1" = epmd_secure ] && exit 0
exit 101
EOF
chmod 0755 "$POLICY"
if timeout -k 5 120 dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
	ok "dpkg -i $(basename "$deb")"
else
	fail "dpkg -i:"
	tail -20 "$tmp/install.log"
	exit 1
fi
sed 's/^/       | /' "$tmp/install.log" | grep -v 'Reading database\|^       | (Reading'
check "the install says it listens on loopback" \
    grep -qE '^epmd_secure: listening on (127\.0\.0\.1:4369 \[::1\]:4369|\[::1\]:4369 127\.0\.0\.1:4369)$' \
    "$tmp/install.log"

# listeners: the sorted local addresses on the epmd port.
listeners() {
	ss -Hltn "sport = :$EPMD_PORT" | awk '{print $4}' | LC_ALL=C sort | tr '\n' ' '
}
# holder_is_ours: every holder of the port is /usr/sbin/epmd_secure.
holder_is_ours() {
	pids=$(port_pids)
	[ -n "$pids" ] || return 1
	for p in $pids; do
		[ "$(readlink "/proc/$p/exe")" = /usr/sbin/epmd_secure ] || return 1
	done
}
loopback_only="127.0.0.1:4369 [::1]:4369 "
check "port $EPMD_PORT: listeners are exactly 127.0.0.1 and ::1 ($(listeners))" \
    test "$(listeners)" = "$loopback_only"
check "the holder is /usr/sbin/epmd_secure" holder_is_ours
check "/etc/init.d/epmd_secure status: running" \
    sh -c '/etc/init.d/epmd_secure status >/dev/null'
check "rc2.d start link (update-rc.d defaults)" \
    sh -c 'ls /etc/rc2.d/S*epmd_secure >/dev/null 2>&1'

# Every erts-*/bin/epmd: a wrapper, stock under epmd.stock, byte for byte.
while read -r sum file; do
	check "$file is diverted to $file.stock by $PKG" \
	    sh -c 'LC_ALL=C dpkg-divert --list "$1" | grep -qx "diversion of $1 to $1.stock by epmd-secure"' - "$file"
	check "$file.stock is stock epmd byte for byte" \
	    sh -c 'echo "$1  $2.stock" | sha256sum --quiet -c -' - "$sum" "$file"
	check "$file is the wrapper that runs /usr/sbin/epmd_secure" \
	    grep -qx 'exec /usr/sbin/epmd_secure "$@"' "$file"
	check "dpkg-divert --truename $file is $file.stock" \
	    test "$(dpkg-divert --truename "$file")" = "$file.stock"
done <"$stock_list"

pid1=$(port_pids)
/etc/init.d/epmd_secure reload >"$tmp/reload.log" 2>&1
rc=$?
check "reload exits 0 and keeps the daemon (pid $pid1 -> $(port_pids))" \
    sh -c '[ "$1" -eq 0 ] && [ "$2" = "$3" ]' - "$rc" "$pid1" "$(port_pids)"
/etc/init.d/epmd_secure restart >"$tmp/restart.log" 2>&1
rc=$?
pid2=$(port_pids)
check "restart exits 0 with a new daemon (pid $pid2), loopback only" \
    sh -c '[ "$1" -eq 0 ] && [ -n "$3" ] && [ "$2" != "$3" ] && [ "$4" = "$5" ]' \
    - "$rc" "$pid1" "$pid2" "$(listeners)" "$loopback_only"
out=$(/usr/bin/epmd -daemon 2>&1)
rc=$?
check "epmd -daemon (as erl runs it) against the running daemon: exit 0, silent (rc $rc, '$out')" \
    sh -c '[ "$1" -eq 0 ] && [ -z "$2" ] && [ "$3" = "$4" ]' - "$rc" "$out" "$(port_pids)" "$pid2"
/etc/init.d/epmd_secure stop >"$tmp/stop.log" 2>&1
rc=$?
check "stop exits 0 and frees the port" \
    sh -c '[ "$1" -eq 0 ] && [ -z "$2" ]' - "$rc" "$(port_pids)"
/etc/init.d/epmd_secure status >/dev/null 2>&1
rc=$?
check "status after stop: 3 (not running), got $rc" test "$rc" -eq 3

# ---------------------------------------------------------------- (c)
section "(c) erl -sname without flags starts epmd_secure"
home=$tmp/home
mkdir -p "$home"
env -u ERL_EPMD_PORT -u ERL_EPMD_ADDRESS -u ERL_FLAGS -u ERL_AFLAGS \
    -u ERL_ZFLAGS HOME="$home" timeout -k 5 60 \
    erl -sname "t$$" -noshell -eval 'halt()' >"$tmp/erl.log" 2>&1
rc=$?
check "erl -sname t -noshell -eval 'halt()' exits 0" test "$rc" -eq 0
sleep 0.2
check "port $EPMD_PORT now: exactly 127.0.0.1 and ::1 ($(listeners)), never 0.0.0.0 or ::" \
    test "$(listeners)" = "$loopback_only"
check "the epmd erl started is /usr/sbin/epmd_secure (pid $(port_pids))" holder_is_ours
for p in $(port_pids); do
	check "its command line is epmd_secure -daemon ($(tr '\0' ' ' <"/proc/$p/cmdline"))" \
	    sh -c 'tr "\0" " " <"/proc/$1/cmdline" | grep -q "epmd_secure -daemon"' - "$p"
done
/etc/init.d/epmd_secure stop >/dev/null 2>&1
check "the init script stops the epmd_secure that erl started" test -z "$(port_pids)"

# ---------------------------------------------------------------- (d)
section "(d) a new erts-* directory (erlang-base upgrade): the trigger takes it over"
fake=$tmp/fake
mkdir -p "$fake/DEBIAN" "$fake$FAKE_ERTS/bin"
cp -p "$tmp/stock-epmd" "$fake$FAKE_ERTS/bin/epmd"
cat >"$fake/DEBIAN/control" <<EOF
Package: $FAKE
Version: 1.0
Architecture: all
Maintainer: epmd_secure tests <tests@invalid>
Description: test_takeover.sh: stock epmd under a new erts directory
 Installed and purged by tests/integration/test_takeover.sh only.
EOF
dpkg-deb --root-owner-group -Zgzip -b "$fake" "$tmp/fake.deb" >/dev/null 2>&1
new=$FAKE_ERTS/bin/epmd
stock_sum=$(sha256sum <"$tmp/stock-epmd" | awk '{print $1}')
for round in 1 2; do
	timeout -k 5 120 dpkg -i "$tmp/fake.deb" >"$tmp/fake-install.log" 2>&1
	rc=$?
	check "[$round] dpkg -i $FAKE (ships $new) exits 0" test "$rc" -eq 0
	check "[$round] the trigger ran epmd-takeover" \
	    grep -q "Processing triggers for $PKG" "$tmp/fake-install.log"
	check "[$round] $new is diverted to $new.stock" \
	    sh -c 'LC_ALL=C dpkg-divert --list "$1" | grep -qx "diversion of $1 to $1.stock by epmd-secure"' - "$new"
	check "[$round] $new is the wrapper, $new.stock the stock bytes" \
	    sh -c 'grep -qx "exec /usr/sbin/epmd_secure \"\$@\"" "$1" &&
	        [ "$(sha256sum <"$1.stock" | cut -d" " -f1)" = "$2" ]' - "$new" "$stock_sum"
	[ "$round" = 2 ] && break
	timeout -k 5 120 dpkg -P "$FAKE" >"$tmp/fake-remove.log" 2>&1
	rc=$?
	check "[$round] dpkg -P $FAKE (that erts-* goes away) exits 0" test "$rc" -eq 0
	check "[$round] its diversion is gone" \
	    sh -c '! LC_ALL=C dpkg-divert --list "$1" | grep -q .' - "$new"
	check "[$round] and so is $FAKE_ERTS" test ! -e "$FAKE_ERTS"
done

# ---------------------------------------------------------------- (e)
section "(e) RabbitMQ: two nodes through epmd_secure"
rmq=/usr/lib/rabbitmq/bin
host=$(hostname -s)
# AMQP and distribution ports of the two nodes: free a moment ago.
rabbit_ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("0.0.0.0", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
rabbit_env() {
	n=$1
	base=$tmp/rabbit$n
	mkdir -p "$base/mnesia" "$base/log"
	[ -f "$base/enabled_plugins" ] || echo '[].' >"$base/enabled_plugins"
	set -- $rabbit_ports
	[ "$n" = 1 ] && amqp=$1 dist=$2 || amqp=$3 dist=$4
	echo "HOME=$home RABBITMQ_NODENAME=rabbit$n@$host
	    RABBITMQ_NODE_PORT=$amqp RABBITMQ_DIST_PORT=$dist
	    RABBITMQ_MNESIA_BASE=$base/mnesia RABBITMQ_LOG_BASE=$base/log
	    RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins
	    RABBITMQ_PLUGINS_EXPAND_DIR=$base/plugins-expand
	    RABBITMQ_CONFIG_FILE=$base/rabbitmq
	    RABBITMQ_ADVANCED_CONFIG_FILE=$base/advanced.config
	    RABBITMQ_CONF_ENV_FILE=$base/rabbitmq-env.conf
	    RABBITMQ_PID_FILE=$base/pid RABBITMQ_LOGS=- RABBITMQ_SASL_LOGS=-
	    LC_ALL=C.UTF-8"
}
# ctl N TIMEOUT CMD ARGS...: rabbitmqctl-style CLI against node N.
ctl() {
	n=$1 to=$2 cmd=$3
	shift 3
	# shellcheck disable=SC2046
	env -u ERL_EPMD_PORT -u ERL_ZFLAGS $(rabbit_env "$n") \
	    timeout -k 5 "$to" "$rmq/$cmd" -n "rabbit$n@$host" "$@"
}
if [ ! -x "$rmq/rabbitmq-server" ]; then
	echo "SKIP-PART (e): rabbitmq-server is not installed (scripts/install-deps.sh test)"
else
	/etc/init.d/epmd_secure stop >/dev/null 2>&1
	for n in 1 2; do
		# Each node in its own session, whose id the session leader
		# writes down: the whole group is killed at the end.
		# shellcheck disable=SC2046
		env -u ERL_EPMD_PORT -u ERL_ZFLAGS $(rabbit_env "$n") \
		    setsid sh -c 'echo $$ >"$1"; exec "$2"' - "$tmp/rabbit$n.sid" \
		    "$rmq/rabbitmq-server" >"$tmp/rabbit$n.out" 2>&1 </dev/null &
	done
	for n in 1 2; do
		i=0
		while [ ! -s "$tmp/rabbit$n.sid" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		rabbit_pgids="$rabbit_pgids $(cat "$tmp/rabbit$n.sid" 2>/dev/null)"
	done
	for n in 1 2; do
		# await_startup fails at once while the node has not registered
		# yet: retry it, bounded.
		deadline=$(($(date +%s) + 120))
		while :; do
			ctl "$n" 60 rabbitmqctl await_startup --timeout 50 \
			    >"$tmp/await$n.log" 2>&1
			rc=$?
			[ "$rc" -eq 0 ] || [ "$(date +%s)" -ge "$deadline" ] && break
			sleep 1
		done
		check "rabbit$n@$host started (rabbitmqctl await_startup, rc $rc)" test "$rc" -eq 0 ||
		    { tail -20 "$tmp/rabbit$n.out"; tail -20 "$tmp/await$n.log"; }
	done
	check "the epmd the nodes started is epmd_secure on loopback only ($(listeners))" \
	    sh -c '[ "$1" = "$2" ]' - "$(listeners)" "$loopback_only"
	check "  ...held by /usr/sbin/epmd_secure" holder_is_ours
	check "epmd_secure -names lists rabbit1 and rabbit2" sh -c \
	    '/usr/sbin/epmd_secure -names | grep -q "^name rabbit1 at port" &&
	     /usr/sbin/epmd_secure -names | grep -q "^name rabbit2 at port"'
	ctl 2 60 rabbitmqctl stop_app >"$tmp/join.log" 2>&1 &&
	    ctl 2 60 rabbitmqctl join_cluster "rabbit1@$host" >>"$tmp/join.log" 2>&1 &&
	    ctl 2 60 rabbitmqctl start_app >>"$tmp/join.log" 2>&1
	rc=$?
	check "rabbit2: stop_app, join_cluster rabbit1@$host, start_app (rc $rc)" test "$rc" -eq 0 ||
	    tail -20 "$tmp/join.log"
	ctl 1 60 rabbitmqctl cluster_status --formatter json >"$tmp/status.json" 2>"$tmp/status.err"
	check "cluster_status lists both nodes as running" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
want = {"rabbit1@" + sys.argv[2], "rabbit2@" + sys.argv[2]}
sys.exit(0 if want <= set(s.get("running_nodes", [])) and want <= set(s.get("disk_nodes", [])) else 1)' \
	    "$tmp/status.json" "$host" || cat "$tmp/status.json" "$tmp/status.err"

	# epmd_secure gone: the CLI's ensure_epmd (an epmd-starter-N node,
	# none of our settings) must start epmd_secure, not stock.
	for p in $(port_pids); do kill -KILL "$p"; done
	check "epmd_secure killed, port free" test -z "$(port_pids)"
	ctl 1 60 rabbitmq-diagnostics ping >"$tmp/ping.log" 2>&1
	sleep 0.3
	check "after rabbitmq-diagnostics ping, the port is epmd_secure's on loopback only ($(listeners))" \
	    sh -c '[ "$1" = "$2" ]' - "$(listeners)" "$loopback_only"
	check "  ...held by /usr/sbin/epmd_secure, not stock" holder_is_ours
	for g in $rabbit_pgids; do
		kill -TERM "-$g" 2>/dev/null
	done
	for g in $rabbit_pgids; do
		i=0
		while kill -0 "-$g" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "-$g" 2>/dev/null
	done
	sleep 0.5
	left=""
	for g in $rabbit_pgids; do
		kill -0 "-$g" 2>/dev/null && left="$left $g"
	done
	check "both RabbitMQ nodes stopped (process groups left:${left:- none})" \
	    test -z "$left"
	rabbit_pgids=""
fi

# ---------------------------------------------------------------- (f)
section "(f) dpkg -P: stock epmd back byte for byte"
timeout -k 5 120 dpkg -P "$PKG" >"$tmp/purge.log" 2>&1
rc=$?
check "dpkg -P $PKG exits 0" test "$rc" -eq 0
check "every erts-*/bin/epmd is stock again (sha256 as before)" \
    sha256sum --quiet -c "$stock_list"
check "$new (the new erts-*, still installed) is stock again" \
    sh -c '[ "$(sha256sum <"$1" | cut -d" " -f1)" = "$2" ]' - "$new" "$stock_sum"
check "no epmd.stock left" sh -c '! ls /usr/lib/erlang/erts-*/bin/epmd.stock 2>/dev/null | grep -q .'
check "dpkg-divert --list: no diversion under /usr/lib/erlang" \
    sh -c '! LC_ALL=C dpkg-divert --list "/usr/lib/erlang/*" | grep -q .'
check "nothing listens on port $EPMD_PORT" test -z "$(port_pids)"
check "no init script, no rc links" sh -c '
    [ ! -e /etc/init.d/epmd_secure ] && ! ls /etc/rc?.d/*epmd_secure >/dev/null 2>&1'
timeout -k 5 60 dpkg -P "$FAKE" >/dev/null 2>&1
check "dpkg -P $FAKE removes $FAKE_ERTS" test ! -e "$FAKE_ERTS"

# ---------------------------------------------------------------- (g)
section "(g) without the package: the README's ERL_ZFLAGS keep RabbitMQ's helpers off stock"
ours=${EPMD_SECURE:-$src/epmd_secure}
if [ ! -x "$rmq/rabbitmq-diagnostics" ]; then
	echo "SKIP-PART (g): rabbitmq-server is not installed"
else
	p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	zport() {
		ss -Hltnp "sport = :$p" | awk '{print $4}' | LC_ALL=C sort | tr '\n' ' '
	}
	zcomm() {
		ss -Hltnp "sport = :$p" | grep -o '(("[^"]*"' | sort -u | tr -d '("' | tr '\n' ' '
	}
	# ensure_epmd/0 starts `erl -sname epmd-starter-N`: it inherits
	# ERL_ZFLAGS, so -epmd makes it start ours.
	env HOME="$home" ERL_EPMD_PORT=$p ERL_ZFLAGS="-epmd \"$ours -daemon\"" \
	    timeout -k 5 60 "$rmq/rabbitmq-diagnostics" -n "nosuch@$host" ping \
	    >"$tmp/zflags1.log" 2>&1
	check "ERL_ZFLAGS='-epmd \"epmd_secure -daemon\"': rabbitmq-diagnostics starts epmd_secure ($(zcomm)on $(zport))" \
	    sh -c '[ "$1" = "epmd_secure " ] && [ "$2" = "127.0.0.1:$3 [::1]:$3 " ]' - "$(zcomm)" "$(zport)" "$p"
	"$ours" -port "$p" -kill >/dev/null 2>&1
	sleep 0.3
	env HOME="$home" ERL_EPMD_PORT=$p ERL_ZFLAGS="-start_epmd false" \
	    timeout -k 5 60 "$rmq/rabbitmq-diagnostics" -n "nosuch@$host" ping \
	    >"$tmp/zflags2.log" 2>&1
	check "ERL_ZFLAGS='-start_epmd false': rabbitmq-diagnostics starts no epmd at all ($(zport))" \
	    test -z "$(zport)"
	for q in $(ss -Hltnp "sport = :$p" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
		kill -KILL "$q"
	done
fi

echo
echo "$checks checks, $failed failed, $(($(date +%s) - t_start)) s"
[ "$failed" -eq 0 ]
