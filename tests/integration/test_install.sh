#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test_install.sh: what a packager and an admin get.
#   (a) every man page is clean under `mandoc -Tlint -W warning`;
#   (b) every flag of `epmd_secure -h` is documented in epmd_secure(8), and
#       every keyword the config parser accepts in epmd_secure.conf(5)
#       (and no page documents a flag or keyword that does not exist);
#   (c) `make install` / `make uninstall` with DESTDIR: the exact tree, unit
#       paths, modes, config files never overwritten nor removed;
#   (d) the Debian package: built with dpkg-buildpackage in a copy of the
#       tree, its files, control fields and conffiles; its maintainer
#       scripts against stub systemctl/deb-systemd-* (with and without
#       systemd as PID 1); install, remove and purge into a scratch root.
# Nothing is built or installed in the work tree or on this system: all of
# it happens in a temporary directory, removed at exit.
# Exit 0 pass, 77 skip (a "SKIP: reason" line says why), 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)

failed=0
checks=0
ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
section() { echo; echo "== $*"; }

tmp=$(mktemp -d /tmp/epmd_secure-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP: $*"; exit 77; }

for t in mandoc make cc pkg-config tar; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (scripts/install-deps.sh test)"
done
pkg-config --exists libevent_core libsystemd ||
    skip "libevent-dev or libsystemd-dev is not installed (scripts/install-deps.sh test)"

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
[ -n "$version" ] || { echo "FAIL no VERSION in Makefile"; exit 1; }

# copy_tree DEST: the source tree without build outputs (the files git
# tracks or would track; everything but build products without git).
copy_tree() {
	mkdir -p "$1" || return 1
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$top" ls-files -z -c -o --exclude-standard |
		    tar -C "$top" --null --ignore-failed-read -cf - -T - \
		    2>/dev/null | tar -C "$1" -xf -
	else
		tar -C "$top" --exclude=./.git --exclude=./build \
		    --exclude=./epmd_secure --exclude=./bench/loadgen \
		    --exclude='*.o' --exclude=./debian/epmd-secure \
		    --exclude=./debian/.debhelper -cf - . | tar -C "$1" -xf -
	fi
	[ -f "$1/Makefile" ] && [ -f "$1/epmd_secure.c" ]
}

# ---------------------------------------------------------------- (a)
section "(a) man pages: mandoc -Tlint -W warning"
n=0
for page in man/*; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		ok "$page: no warnings"
	else
		fail "$page: mandoc exit $rc"
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
done
for page in epmd_secure.8 epmd_secure.conf.5 epmd_secure.acl.5; do
	check "man/$page exists" test -f "man/$page"
done

# ---------------------------------------------------------------- build
src=$tmp/src
if ! copy_tree "$src"; then
	echo "FAIL copying the source tree to $src"
	exit 1
fi
if ! make -C "$src" epmd_secure >"$tmp/build.log" 2>&1; then
	echo "FAIL make epmd_secure in a copy of the tree:"
	tail -30 "$tmp/build.log"
	exit 1
fi

# ---------------------------------------------------------------- (b)
section "(b) every flag in epmd_secure(8), every config keyword in epmd_secure.conf(5)"
usage=$("$src/epmd_secure" -h 2>&1)
rc=$?
check "epmd_secure -h exits 0" test "$rc" -eq 0
# Flags: a dash and a lower-case word at the start of a line or after a
# space, '[' or '|' ("comma- or space-separated" is no flag).
flags=$(printf '%s\n' "$usage" | grep -oE '(^|[][ |])-[a-z][a-z_]*' |
    sed 's/^[][ |]*-//' | sort -u)
nflags=$(printf '%s\n' "$flags" | grep -c .)
if [ "$nflags" -ge 15 ]; then
	ok "usage lists $nflags flags:" $flags
else
	fail "usage lists only $nflags flags (extraction broken?): $flags"
fi
for f in $flags; do
	if grep -qE "(^|[ ])Fl $f( |$)" man/epmd_secure.8; then
		ok "-$f documented in epmd_secure(8)"
	else
		fail "-$f is in the usage but not in man/epmd_secure.8 (as Fl $f)"
	fi
done
# ...and no page documents a flag the usage does not have.
for page in man/*; do
	for f in $(grep -oE '(^|[ ])Fl [a-z][a-z_]*' "$page" |
	    sed 's/.*Fl //' | sort -u); do
		if printf '%s\n' "$flags" | grep -qx "$f"; then :; else
			fail "$page documents -$f, which the usage does not list"
		fi
	done
done

# Keywords: one row each in conf.c's keyword table, `{ "name",`.
keys=$(sed -n '/^static const struct key keys\[\] = {/,/^};/p' conf.c |
    grep -oE '^[[:space:]]*\{ *"[a-z0-9_]+"' | sed 's/.*"\(.*\)"/\1/' |
    sort -u)
nkeys=$(printf '%s\n' "$keys" | grep -c .)
if [ "$nkeys" -ge 15 ]; then
	ok "conf.c accepts $nkeys keywords:" $keys
else
	fail "found only $nkeys keywords in conf.c (extraction broken?): $keys"
fi
# The shipped config uses only keywords the parser knows (this also checks
# the extraction above).
for k in $(sed -n 's/^[[:space:]]*\([a-z][a-z0-9_]*\).*/\1/p' \
    config/epmd_secure.conf | sort -u); do
	if printf '%s\n' "$keys" | grep -qx "$k"; then
		ok "config/epmd_secure.conf keyword $k is accepted by conf.c"
	else
		fail "config/epmd_secure.conf uses $k, which conf.c does not accept"
	fi
done
# ...and shows every keyword, set or commented out, so that the file is
# the documentation an admin reads first.
for k in $keys; do
	if grep -qE "^#?$k( |$)" config/epmd_secure.conf; then
		ok "config/epmd_secure.conf shows $k"
	else
		fail "config/epmd_secure.conf does not show $k (as \"$k ...\" or \"#$k ...\")"
	fi
done
for k in $keys; do
	if grep -qE "^\.It .*Ic $k( |$)" man/epmd_secure.conf.5; then
		ok "$k documented in epmd_secure.conf(5)"
	else
		fail "$k is accepted by conf.c but not documented in man/epmd_secure.conf.5 (.It Ic $k)"
	fi
done
for k in $(grep -E '^\.It .*Ic ' man/epmd_secure.conf.5 |
    grep -oE 'Ic [a-z][a-z0-9_]*' | sed 's/Ic //' | sort -u); do
	if printf '%s\n' "$keys" | grep -qx "$k"; then :; else
		fail "man/epmd_secure.conf.5 documents $k, which conf.c does not accept"
	fi
done

# ---------------------------------------------------------------- (c)
section "(c) make install / uninstall with DESTDIR"
root=$tmp/root
# tree DIR: every path under DIR, relative, sorted.
tree() { (cd "$1" && find . | LC_ALL=C sort); }
mode() { stat -c %a "$1"; }
expected_tree='.
./etc
./etc/epmd_secure
./etc/epmd_secure/acl
./etc/epmd_secure/epmd_secure.conf
./lib
./lib/systemd
./lib/systemd/system
./lib/systemd/system/epmd_secure.service
./lib/systemd/system/epmd_secure.socket
./usr
./usr/sbin
./usr/sbin/epmd_secure
./usr/share
./usr/share/man
./usr/share/man/man5
./usr/share/man/man5/epmd_secure.acl.5
./usr/share/man/man5/epmd_secure.conf.5
./usr/share/man/man8
./usr/share/man/man8/epmd_secure.8'
# A stray umask must not leak into the installed modes.
if (umask 002 && make -C "$src" install DESTDIR="$root" PREFIX=/usr \
    SYSCONFDIR=/etc) >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=\$tmp PREFIX=/usr SYSCONFDIR=/etc"
else
	fail "make install DESTDIR=\$tmp PREFIX=/usr SYSCONFDIR=/etc:"
	tail -20 "$tmp/install.log"
fi
got=$(tree "$root")
if [ "$got" = "$expected_tree" ]; then
	ok "installed tree is exactly:"
	printf '%s\n' "$expected_tree" | sed 's/^/       /'
else
	fail "installed tree differs (- expected, + got):"
	printf '%s\n' "$expected_tree" >"$tmp/want"
	printf '%s\n' "$got" >"$tmp/got"
	diff "$tmp/want" "$tmp/got" | sed -n 's/^[<>]/     &/p'
fi
for f in etc/epmd_secure/epmd_secure.conf etc/epmd_secure/acl \
    lib/systemd/system/epmd_secure.service \
    lib/systemd/system/epmd_secure.socket \
    usr/share/man/man8/epmd_secure.8 usr/share/man/man5/epmd_secure.conf.5 \
    usr/share/man/man5/epmd_secure.acl.5; do
	m=$(mode "$root/$f" 2>/dev/null)
	check "/$f mode 0644 (is ${m:-missing})" test "$m" = 644
done
m=$(mode "$root/usr/sbin/epmd_secure" 2>/dev/null)
check "/usr/sbin/epmd_secure mode 0755 (is ${m:-missing})" test "$m" = 755
for p in man/epmd_secure.8:usr/share/man/man8/epmd_secure.8 \
    man/epmd_secure.conf.5:usr/share/man/man5/epmd_secure.conf.5 \
    man/epmd_secure.acl.5:usr/share/man/man5/epmd_secure.acl.5 \
    config/epmd_secure.conf:etc/epmd_secure/epmd_secure.conf \
    config/acl:etc/epmd_secure/acl; do
	check "/${p#*:} is ${p%%:*}" cmp -s "${p%%:*}" "$root/${p#*:}"
done
svc=$root/lib/systemd/system/epmd_secure.service
sock=$root/lib/systemd/system/epmd_secure.socket
exec_start=$(sed -n 's/^ExecStart=//p' "$svc")
check "service ExecStart=$exec_start runs /usr/sbin/epmd_secure -systemd" \
    sh -c 'case "$1" in "/usr/sbin/epmd_secure -systemd "*) exit 0;; esac; exit 1' \
    - "$exec_start"
check "service ExecStart names /etc/epmd_secure/epmd_secure.conf" \
    sh -c 'case "$1" in *"-config /etc/epmd_secure/epmd_secure.conf"*) exit 0;; esac; exit 1' \
    - "$exec_start"
for u in "$svc" "$sock"; do
	c=$(sed -n 's/^Conflicts=//p' "$u" | tr '\n' ' ')
	check "$(basename "$u") Conflicts= ($c) has epmd.socket and epmd.service" \
	    sh -c 'case " $1 " in *" epmd.socket "*) ;; *) exit 1;; esac
	        case " $1 " in *" epmd.service "*) ;; *) exit 1;; esac' - "$c"
done
check "epmd_secure.socket listens on 127.0.0.1:4369 and [::1]:4369" \
    sh -c 'grep -qx "ListenStream=127.0.0.1:4369" "$1" &&
        grep -qx "ListenStream=\[::1\]:4369" "$1"' - "$sock"
check "installed config and ACL pass epmd_secure -t" \
    "$root/usr/sbin/epmd_secure" -t \
    -config "$root/etc/epmd_secure/epmd_secure.conf" \
    -acl "$root/etc/epmd_secure/acl"

# The admin's files survive a second install...
echo "max_nodes 100 # admin's edit" >>"$root/etc/epmd_secure/epmd_secure.conf"
echo "allow 192.0.2.7 port # admin's edit" >>"$root/etc/epmd_secure/acl"
cp "$root/etc/epmd_secure/epmd_secure.conf" "$tmp/conf.admin"
cp "$root/etc/epmd_secure/acl" "$tmp/acl.admin"
if make -C "$src" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    >"$tmp/install2.log" 2>&1; then
	ok "second make install"
else
	fail "second make install:"
	tail -20 "$tmp/install2.log"
fi
check "second install keeps the admin's epmd_secure.conf" \
    cmp -s "$tmp/conf.admin" "$root/etc/epmd_secure/epmd_secure.conf"
check "second install keeps the admin's acl" \
    cmp -s "$tmp/acl.admin" "$root/etc/epmd_secure/acl"
check "second install says it keeps them" \
    test "$(grep -c '^keeping existing' "$tmp/install2.log")" -eq 2
check "second install leaves the same tree" test "$(tree "$root")" = "$expected_tree"

# ...and uninstall, which leaves them alone.
if make -C "$src" uninstall DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    >"$tmp/uninstall.log" 2>&1; then
	ok "make uninstall DESTDIR=\$tmp PREFIX=/usr SYSCONFDIR=/etc"
else
	fail "make uninstall:"
	tail -20 "$tmp/uninstall.log"
fi
left=$(cd "$root" && find . ! -type d | LC_ALL=C sort | tr '\n' ' ')
check "uninstall leaves only the config files ($left)" test "$left" = \
    "./etc/epmd_secure/acl ./etc/epmd_secure/epmd_secure.conf "
check "uninstall keeps the admin's epmd_secure.conf" \
    cmp -s "$tmp/conf.admin" "$root/etc/epmd_secure/epmd_secure.conf"

# Another prefix and configuration directory: the units and the config
# follow them.
alt=$tmp/alt
if make -C "$src" install DESTDIR="$alt" PREFIX=/opt/epmd \
    SYSCONFDIR=/opt/epmd/etc UNITDIR=/opt/epmd/units \
    >"$tmp/install3.log" 2>&1; then
	ok "make install PREFIX=/opt/epmd SYSCONFDIR=/opt/epmd/etc UNITDIR=/opt/epmd/units"
else
	fail "make install with PREFIX=/opt/epmd:"
	tail -20 "$tmp/install3.log"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$alt/opt/epmd/units/epmd_secure.service" 2>/dev/null)
check "ExecStart=$exec_start" test "$exec_start" = \
    "/opt/epmd/sbin/epmd_secure -systemd -config /opt/epmd/etc/epmd_secure/epmd_secure.conf"
check "no unit names /usr/sbin/epmd_secure or /etc/epmd_secure any more" \
    sh -c '! grep -nE "(^|[^/A-Za-z0-9_.-])(/usr/sbin/epmd_secure|/etc/epmd_secure)" "$@"' \
    - "$alt/opt/epmd/units/epmd_secure.service" \
    "$alt/opt/epmd/units/epmd_secure.socket"
check "the installed config names acl_file /opt/epmd/etc/epmd_secure/acl" \
    grep -qx 'acl_file /opt/epmd/etc/epmd_secure/acl' \
    "$alt/opt/epmd/etc/epmd_secure/epmd_secure.conf"
make -C "$src" uninstall DESTDIR="$alt" PREFIX=/opt/epmd \
    SYSCONFDIR=/opt/epmd/etc UNITDIR=/opt/epmd/units >/dev/null 2>&1
left=$(cd "$alt" && find . ! -type d | LC_ALL=C sort | tr '\n' ' ')
check "uninstall there too leaves only the config files" test "$left" = \
    "./opt/epmd/etc/epmd_secure/acl ./opt/epmd/etc/epmd_secure/epmd_secure.conf "

# ---------------------------------------------------------------- (d)
section "(d) the Debian package"
for t in dpkg-buildpackage dpkg-deb dpkg-parsechangelog dh; do
	if ! command -v "$t" >/dev/null 2>&1; then
		if [ "$failed" -ne 0 ]; then
			echo "$checks checks, $failed failed"
			exit 1
		fi
		skip "$t is not installed (debhelper, dpkg-dev: scripts/install-deps.sh test); (a)-(c) passed"
	fi
done
cv=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
check "debian/changelog version $cv is the Makefile's VERSION $version" \
    test "$cv" = "$version"
arch=$(dpkg --print-architecture)
debdir=$tmp/deb
if ! copy_tree "$debdir/epmd-secure-$version"; then
	echo "FAIL copying the source tree for the package build"
	exit 1
fi
t0=$(date +%s)
# Bounded: tests/run.sh gives this whole script 600 s.
if (cd "$debdir/epmd-secure-$version" &&
    timeout -k 10 420 dpkg-buildpackage -b -us -uc) >"$tmp/deb.log" 2>&1; then
	ok "dpkg-buildpackage -b -us -uc in a copy of the tree ($(($(date +%s) - t0)) s)"
else
	fail "dpkg-buildpackage -b -us -uc:"
	tail -40 "$tmp/deb.log"
	echo "$checks checks, $failed failed"
	exit 1
fi
deb=$debdir/epmd-secure_${version}_${arch}.deb
check "built $(basename "$deb")" test -f "$deb"
check "dpkg-deb -f Package is epmd-secure" \
    test "$(dpkg-deb -f "$deb" Package)" = epmd-secure
check "dpkg-deb -f Version is $version" \
    test "$(dpkg-deb -f "$deb" Version)" = "$version"
check "dpkg-deb -f Architecture is $arch" \
    test "$(dpkg-deb -f "$deb" Architecture)" = "$arch"
depends=$(dpkg-deb -f "$deb" Depends)
check "Depends ($depends) comes from shlibs: libc6, libevent-core" \
    sh -c 'case "$1" in *libc6*libevent-core*|*libevent-core*libc6*) exit 0;; esac; exit 1' \
    - "$depends"

# Files: exactly these outside the package's doc directory.
dpkg -c "$deb" >"$tmp/contents" 2>&1
pkgfiles=$(awk '$1 !~ /^d/ { print $6 }' "$tmp/contents" |
    grep -v '^\./usr/share/doc/epmd-secure/' | LC_ALL=C sort)
expected_files='./etc/epmd_secure/acl
./etc/epmd_secure/epmd_secure.conf
./lib/systemd/system/epmd_secure.service
./lib/systemd/system/epmd_secure.socket
./usr/sbin/epmd_secure
./usr/share/man/man5/epmd_secure.acl.5.gz
./usr/share/man/man5/epmd_secure.conf.5.gz
./usr/share/man/man8/epmd_secure.8.gz'
if [ "$pkgfiles" = "$expected_files" ]; then
	ok "dpkg -c lists exactly (besides /usr/share/doc/epmd-secure):"
	printf '%s\n' "$expected_files" | sed 's/^/       /'
else
	fail "dpkg -c differs (- expected, + got):"
	printf '%s\n' "$expected_files" >"$tmp/want"
	printf '%s\n' "$pkgfiles" >"$tmp/got"
	diff "$tmp/want" "$tmp/got" | sed -n 's/^[<>]/     &/p'
fi
for f in README.Debian changelog.gz examples/cluster.conf.example; do
	check "dpkg -c lists /usr/share/doc/epmd-secure/$f" \
	    grep -q " \./usr/share/doc/epmd-secure/$f\$" "$tmp/contents"
done
check "dpkg -c: /usr/sbin/epmd_secure is -rwxr-xr-x root/root" \
    grep -qE '^-rwxr-xr-x root/root .* \./usr/sbin/epmd_secure$' "$tmp/contents"
for f in epmd_secure.conf acl; do
	check "dpkg -c: /etc/epmd_secure/$f is -rw-r--r-- root/root" \
	    grep -qE "^-rw-r--r-- root/root .* \./etc/epmd_secure/$f\$" "$tmp/contents"
done
conffiles=$(dpkg-deb --info "$deb" conffiles 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
check "conffiles: $conffiles" test "$conffiles" = \
    "/etc/epmd_secure/acl /etc/epmd_secure/epmd_secure.conf "
check "the packaged service runs /usr/sbin/epmd_secure" sh -c \
    'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./lib/systemd/system/epmd_secure.service |
        grep -q "^ExecStart=/usr/sbin/epmd_secure -systemd "' - "$deb"
check "no build products in the work tree" sh -c \
    '! ls -d debian/epmd-secure debian/.debhelper debian/files \
        debian/debhelper-build-stamp >/dev/null 2>&1'

# Maintainer scripts, against stubs that record what they are asked and
# keep which units are active and enabled. Needs a private mount namespace
# to make /run/systemd/system appear (or vanish) for the scripts only.
ctl=$tmp/ctl
dpkg-deb -e "$deb" "$ctl"
for s in postinst prerm postrm; do
	check "maintainer script $s is there" test -x "$ctl/$s"
done
stub=$tmp/stub
mkdir -p "$stub/bin"
cat >"$stub/bin/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>"$STUB_LOG"
verb=""
units=""
for a; do
	case $a in
	--*) ;;
	*) if [ -z "$verb" ]; then verb=$a; else units="$units $a"; fi ;;
	esac
done
case $verb in
is-active|is-enabled)
	d=active; [ "$verb" = is-enabled ] && d=enabled
	for u in $units; do [ -e "$STUB_STATE/$d/$u" ] || exit 1; done ;;
start) for u in $units; do touch "$STUB_STATE/active/$u"; done ;;
stop) for u in $units; do rm -f "$STUB_STATE/active/$u"; done ;;
esac
exit 0
EOF
cat >"$stub/bin/deb-systemd-invoke" <<'EOF'
#!/bin/sh
echo "deb-systemd-invoke $*" >>"$STUB_LOG"
verb=$1
shift
case $verb in
start|restart) for u; do touch "$STUB_STATE/active/$u"; done ;;
stop) for u; do rm -f "$STUB_STATE/active/$u"; done ;;
esac
exit 0
EOF
cat >"$stub/bin/deb-systemd-helper" <<'EOF'
#!/bin/sh
echo "deb-systemd-helper $*" >>"$STUB_LOG"
for a; do case $a in --*) shift ;; *) break ;; esac; done
verb=$1
shift
case $verb in
enable) for u; do touch "$STUB_STATE/enabled/$u"; done ;;
disable|mask) for u; do rm -f "$STUB_STATE/enabled/$u"; done ;;
esac
exit 0
EOF
chmod 0755 "$stub/bin/"*

# maint SYSTEMD(yes|no) SCRIPT ARGS...: run a maintainer script with the
# stubs first in PATH; its output goes to $tmp/maint.out.
maint() {
	sd=$1
	shift
	unshare -m sh -c '
		mount -t tmpfs tmpfs /run || exit 97
		if [ "$1" = yes ]; then mkdir -p /run/systemd/system; fi
		shift
		exec sh "$@"' - "$sd" "$@" >"$tmp/maint.out" 2>&1
}
# state UNIT...: reset the stubs' state to these active=/enabled= units.
state() {
	rm -rf "$stub/state" "$stub/log"
	mkdir -p "$stub/state/active" "$stub/state/enabled"
	for a; do touch "$stub/state/${a%%=*}/${a#*=}"; done
	: >"$stub/log"
}
active() { (cd "$stub/state/active" && ls | tr '\n' ' '); }
enabled() { (cd "$stub/state/enabled" && ls | tr '\n' ' '); }
logged() { grep -qE "$1" "$stub/log"; }
export STUB_LOG="$stub/log" STUB_STATE="$stub/state"
unset DPKG_ROOT
PATH_SAVED=$PATH
PATH=$stub/bin:$PATH
export PATH DPKG_MAINTSCRIPT_PACKAGE=epmd-secure \
    DPKG_MAINTSCRIPT_NAME=postinst

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	echo "note: maintainer-script and scratch-root checks need root and" \
	    "unshare -m; not run"
else
	# Fresh install on a systemd host where stock epmd runs.
	state active=epmd.socket active=epmd.service \
	    enabled=epmd.socket enabled=epmd.service
	maint yes "$ctl/postinst" configure
	rc=$?
	check "postinst configure (systemd, stock epmd running) exits 0" test "$rc" -eq 0
	sed 's/^/       | /' "$stub/log"
	check "it stops epmd.socket and epmd.service, starts only epmd_secure.socket (active: $(active))" \
	    test "$(active)" = "epmd_secure.socket "
	check "stock units stopped before epmd_secure.socket is started" sh -c '
	    s=$(grep -nE "stop epmd\.(socket|service)" "$1" | tail -1 | cut -d: -f1)
	    t=$(grep -n "start .*epmd_secure\.socket" "$1" | head -1 | cut -d: -f1)
	    [ -n "$s" ] && [ -n "$t" ] && [ "$s" -lt "$t" ]' - "$stub/log"
	check "it enables epmd_secure.socket" logged 'deb-systemd-helper enable .*epmd_secure\.socket'
	check "stock units neither disabled nor masked (enabled: $(enabled))" sh -c '
	    ! grep -qE "(mask|disable).*epmd\.(socket|service)" "$1" &&
	    [ -e "$2/enabled/epmd.socket" ] && [ -e "$2/enabled/epmd.service" ]' \
	    - "$stub/log" "$stub/state"
	check "it never starts epmd_secure.service directly" \
	    sh -c '! grep -qE "(start|restart).*epmd_secure\.service" "$1"' - "$stub/log"
	check "it tells the admin the stock units are still enabled" \
	    grep -q 'README.Debian' "$tmp/maint.out"

	# Upgrade: a running daemon keeps its registrations.
	state active=epmd_secure.socket active=epmd_secure.service \
	    enabled=epmd_secure.socket
	maint yes "$ctl/prerm" upgrade "$version" &&
	    maint yes "$ctl/postinst" configure 0.0.1
	rc=$?
	check "upgrade (prerm upgrade, postinst configure OLD) exits 0" test "$rc" -eq 0
	check "upgrade neither stops nor restarts epmd_secure (active: $(active))" sh -c '
	    ! grep -qE "(stop|restart) .*epmd_secure" "$1" &&
	    [ -e "$2/active/epmd_secure.service" ]' - "$stub/log" "$stub/state"

	# Removal and purge.
	state active=epmd_secure.socket active=epmd_secure.service \
	    enabled=epmd_secure.socket
	maint yes "$ctl/prerm" remove
	rc=$?
	check "prerm remove exits 0" test "$rc" -eq 0
	check "prerm remove stops epmd_secure.socket and .service (active: $(active))" \
	    test -z "$(active)"
	maint yes "$ctl/postrm" remove
	rc=$?
	check "postrm remove exits 0 and reloads systemd" \
	    sh -c '[ "$1" -eq 0 ] && grep -q "daemon-reload" "$2"' - "$rc" "$stub/log"
	maint yes "$ctl/postrm" purge
	rc=$?
	check "postrm purge exits 0 and purges the enablement" sh -c \
	    '[ "$1" -eq 0 ] && grep -qE "deb-systemd-helper purge .*epmd_secure\.socket" "$2"' \
	    - "$rc" "$stub/log"

	# Without systemd as PID 1: only the enablement is recorded.
	state
	maint no "$ctl/postinst" configure
	rc=$?
	check "postinst configure without systemd exits 0" test "$rc" -eq 0
	check "without systemd it starts and stops nothing, enables epmd_secure.socket" sh -c '
	    ! grep -qE "^(systemctl|deb-systemd-invoke)" "$1" &&
	    grep -qE "deb-systemd-helper enable .*epmd_secure\.socket" "$1"' - "$stub/log"
	for s in "prerm remove" "postrm remove" "postrm purge"; do
		: >"$stub/log"
		# shellcheck disable=SC2086
		maint no "$ctl/${s%% *}" ${s#* }
		rc=$?
		check "$s without systemd exits 0 and calls no systemctl" sh -c \
		    '[ "$1" -eq 0 ] && ! grep -qE "^(systemctl|deb-systemd-invoke)" "$2"' \
		    - "$rc" "$stub/log"
	done
	PATH=$PATH_SAVED
	unset DPKG_MAINTSCRIPT_PACKAGE DPKG_MAINTSCRIPT_NAME STUB_LOG STUB_STATE

	# The real thing, in a scratch root: dpkg runs the maintainer scripts
	# with DPKG_ROOT set, the real deb-systemd-helper records the socket
	# as enabled under it, and purge leaves nothing behind.
	sr=$tmp/scratchroot
	mkdir -p "$sr/var/lib/dpkg/info" "$sr/var/lib/dpkg/updates" \
	    "$sr/var/lib/dpkg/triggers"
	: >"$sr/var/lib/dpkg/status"
	: >"$sr/var/lib/dpkg/available"
	dpkgr() {
		dpkg --root="$sr" --force-script-chrootless --force-depends \
		    --log=/dev/null "$@" >>"$tmp/dpkg.log" 2>&1
	}
	dpkgr -i "$deb"
	rc=$?
	check "dpkg -i into a scratch root exits 0" test "$rc" -eq 0
	check "dpkg -s: installed" sh -c \
	    'dpkg --root="$1" -s epmd-secure 2>/dev/null | grep -qx "Status: install ok installed"' - "$sr"
	check "sockets.target.wants/epmd_secure.socket -> /lib/systemd/system/epmd_secure.socket" \
	    test "$(readlink "$sr/etc/systemd/system/sockets.target.wants/epmd_secure.socket")" = \
	    /lib/systemd/system/epmd_secure.socket
	check "the service itself is not enabled (socket-activated)" \
	    sh -c '! find "$1/etc/systemd/system" -name "epmd_secure.service" | grep -q .' - "$sr"
	dpkgr -r epmd-secure
	rc=$?
	check "dpkg -r exits 0, keeps the conffiles, removes the binary" sh -c '
	    [ "$1" -eq 0 ] && [ -f "$2/etc/epmd_secure/epmd_secure.conf" ] &&
	    [ -f "$2/etc/epmd_secure/acl" ] && [ ! -e "$2/usr/sbin/epmd_secure" ]' - "$rc" "$sr"
	dpkgr -P epmd-secure
	rc=$?
	leftover=$(cd "$sr" && find . -path ./var/lib/dpkg -prune -o ! -type d -print)
	check "dpkg -P exits 0 and leaves nothing behind${leftover:+: $leftover}" \
	    sh -c '[ "$1" -eq 0 ] && [ -z "$2" ]' - "$rc" "$leftover"
fi

echo
echo "$checks checks, $failed failed"
[ "$failed" -eq 0 ]
