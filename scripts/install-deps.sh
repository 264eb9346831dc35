#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages epmd_secure needs to build, test and benchmark,
# if any is missing. Idempotent and quiet when everything is present.
# Usage: scripts/install-deps.sh [build|test]   (default: test, the superset)
set -eu

build_pkgs="build-essential pkg-config libevent-dev libsystemd-dev libmnl-dev"
test_pkgs="$build_pkgs libcmocka-dev erlang-base python3 rsyslog nmap mandoc
iproute2 systemd procps util-linux clang libclang-rt-14-dev debhelper
dpkg-dev strace valgrind gcovr lintian rabbitmq-server erlang-dev elixir
golang-go golang-github-go-logfmt-logfmt-dev fail2ban prometheus-node-exporter
prometheus curl"

case "${1:-test}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# rabbitmq-server's postinst would start a broker (and a stock epmd on every
# interface): no service starts during the install; the host's own
# policy-rc.d, if any, is put back afterwards.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e $policy ]; then
	saved=$(mktemp /tmp/policy-rc.d.XXXXXX)
	cp -p $policy "$saved"
fi
trap 'if [ -n "$saved" ]; then cp -p "$saved" $policy; rm -f "$saved";
    else rm -f $policy; fi' EXIT
trap 'exit 1' INT TERM HUP
printf '#!/bin/sh\n# scripts/install-deps.sh: no service starts\nexit 101\n' \
    >$policy
chmod 0755 $policy
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
