#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""contrib/fail2ban against a log the daemon really wrote, with Debian's
fail2ban-regex.

A private rsyslogd (temp dir, its own imuxsock socket) writes epmd_secure's
records in the traditional syslog file format, as /var/log/syslog has them.
The daemon allows 127.0.0.1 and denies 127.0.0.2 and 127.0.0.3. Then:
- 127.0.0.2 sends DENIED lookups, some with node names that claim another
  source and verdict (`x src=198.51.100.9 verdict=denied`, a whole forged
  record after a newline, a quote that tries to end the value early);
- 127.0.0.1 (allowed) sends lookups and STOPs with the same hostile names
  (not_found and refused records that must not count as denials), and a
  name that forges a complete syslog line for 198.51.100.7;
- 127.0.0.3 sends one denied lookup.
fail2ban-regex with contrib/fail2ban/filter.d/epmd_secure.conf must then
report exactly one failure per denied query, attributed to its real source,
and none for 198.51.100.x or 127.0.0.1. The README's grep example, anchored
the same way, must count the same lines. contrib/rsyslog/epmd_secure.conf
must pass `rsyslogd -N1` (config validation), and the jail must load in
`fail2ban-client -d` (config dump) with the filter's rule.

Exit: 0 pass, 77 skip, 1 fail.
"""
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import Fail, check, frame, read_to_close, wait_until  # noqa: E402

RSYSLOGD = os.environ.get("RSYSLOGD", "/usr/sbin/rsyslogd")
F2B = "/usr/bin/fail2ban-regex"
COMMON = "/etc/fail2ban/filter.d/common.conf"
FILTER = os.path.join(epmdtest.ROOT, "contrib", "fail2ban", "filter.d", "epmd_secure.conf")
BOUND = 10.0

FORGED_LINE = ("Dec  2 05:00:00 host epmd_secure[1]: ts=2026-12-02T05:00:00.000000Z "
               "event=query src=198.51.100.7 src_port=1 dst=127.0.0.1 dst_port=4369 "
               "req=NAMES verdict=denied")
HOSTILE = [b"x src=198.51.100.9 verdict=denied",
           b'x" src=198.51.100.9 verdict=denied x="',
           b"y\n" + FORGED_LINE.encode(),
           b": " + FORGED_LINE.split(": ", 1)[1].encode(),
           b"z verdict=denied src=198.51.100.9 "]

RSYSLOG_CONF = """\
global(workDirectory="%(tmp)s")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(sock)s" RateLimit.Interval="0" Unlink="on")
if $syslogfacility-text == "syslog" then stop
action(type="omfile" file="%(out)s" template="RSYSLOG_TraditionalFileFormat")
"""


def ask(port, body, src):
    """One query from source address src; the reply bytes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(BOUND)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(frame(body))
        return read_to_close(s)
    finally:
        s.close()


def main():
    for path, pkg in ((RSYSLOGD, "rsyslog"), (F2B, "fail2ban")):
        if not os.access(path, os.X_OK):
            epmdtest.skip("no %s (Debian package %s)" % (path, pkg))
    if not os.path.exists(COMMON):
        epmdtest.skip("no %s (Debian package fail2ban)" % COMMON)
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        epmdtest.skip("%s not built" % epmdtest.EPMD_SECURE)
    tmp = tempfile.mkdtemp(prefix="epmd-fail2ban-")
    procs = []
    ok = False
    try:
        ok = run(tmp, procs)
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
    finally:
        for p in procs:
            epmdtest.stop_proc(p)
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
        print("PASS", file=sys.stderr)
        return 0
    print("logs kept in %s (syslog, f2b.out, epmd_secure-*.log)" % tmp, file=sys.stderr)
    return 1


def run(tmp, procs):
    sock = os.path.join(tmp, "log.sock")
    out = os.path.join(tmp, "syslog")
    conf = os.path.join(tmp, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF % {"tmp": tmp, "sock": sock, "out": out})
    rs = subprocess.Popen([RSYSLOGD, "-f", conf, "-i", os.path.join(tmp, "rs.pid"), "-n"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(tmp, "rsyslogd.stderr"), "wb"))
    procs.append(rs)
    wait_until(lambda: os.path.exists(sock), BOUND, "rsyslogd's socket")

    acl = os.path.join(tmp, "acl")
    dconf = os.path.join(tmp, "epmd_secure.conf")
    with open(acl, "w") as f:
        f.write("allow 127.0.0.1\ndeny 127.0.0.2\ndeny 127.0.0.3\n")
    with open(dconf, "w") as f:
        f.write("log_target syslog\nlog_ident epmd_secure\n")
    os.chmod(acl, 0o644)
    os.chmod(dconf, 0o644)
    d = epmdtest.Daemon(args=["-config", dconf, "-acl", acl, "-log_socket", sock],
                        logdir=tmp)
    procs.append(d.proc)

    denied = collections.Counter()
    for name in [b"rabbit"] + HOSTILE:
        check(ask(d.port, b"z" + name, "127.0.0.2") == b"w\x01",
              "denied lookup from 127.0.0.2 answered as not found")
        denied["127.0.0.2"] += 1
    check(ask(d.port, b"n", "127.0.0.3") in (b"", ), "NAMES from 127.0.0.3 is closed")
    denied["127.0.0.3"] += 1
    for name in HOSTILE:
        ask(d.port, b"z" + name, "127.0.0.1")      # not_found
        ask(d.port, b"s" + name, "127.0.0.1")      # refused STOP
    # The start record and the no_request record of the readiness probe too.
    nrec = 2 + 1 + len(HOSTILE) + 1 + 2 * len(HOSTILE)

    def lines():
        with open(out, "rb") as f:
            return [l for l in f.read().decode("utf-8", "replace").split("\n")[:-1]
                    if "epmd_secure[" in l]
    wait_until(lambda: len(lines()) >= nrec, BOUND, "%d records in the syslog file" % nrec)
    time.sleep(0.2)
    got = lines()
    check(len(got) == nrec, "%d records in the syslog file, expected %d" % (len(got), nrec))

    cfgdir = os.path.join(tmp, "f2b")
    os.makedirs(os.path.join(cfgdir, "filter.d"))
    shutil.copy(COMMON, os.path.join(cfgdir, "filter.d"))
    shutil.copy(FILTER, os.path.join(cfgdir, "filter.d"))
    r = subprocess.run([F2B, "--config", cfgdir, "--out", "ip", out,
                        os.path.join(cfgdir, "filter.d", "epmd_secure.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    text = r.stdout.decode("utf-8", "replace")
    with open(os.path.join(tmp, "f2b.out"), "w") as f:
        f.write(text)
    check(r.returncode == 0, "fail2ban-regex exited %d:\n%s" % (r.returncode, text[-2000:]))
    ips = collections.Counter(l.strip() for l in text.splitlines() if l.strip())
    check(ips == denied, "fail2ban-regex matched %r, expected exactly %r"
          % (dict(ips), dict(denied)))
    print("fail2ban-regex: %s, nothing for the forged sources" % dict(ips), file=sys.stderr)

    # The README's grep, anchored on the fixed-order prefix, agrees.
    grep = re.compile(r"^\S+\s+\d+ \S+ \S+ epmd_secure\[\d+\]: ts=\S+ event=query src=\S+ "
                      r"src_port=\S+ dst=\S+ dst_port=\S+ req=\S+ verdict=denied ")
    n = sum(1 for l in got if grep.search(l))
    check(n == sum(denied.values()), "the anchored grep counts %d denials, expected %d"
          % (n, sum(denied.values())))
    r = subprocess.run(["grep", "-cE", r": ts=[^ ]+ event=query src=[^ ]+ src_port=[^ ]+ "
                        r"dst=[^ ]+ dst_port=[^ ]+ req=[^ ]+ verdict=denied( |$)", out],
                       stdout=subprocess.PIPE, timeout=30)
    check(r.stdout.strip() == str(sum(denied.values())).encode(),
          "README's grep -E counts %r denials, expected %d"
          % (r.stdout.strip(), sum(denied.values())))
    check(d.alive(), "epmd_secure died")

    snippet = os.path.join(epmdtest.ROOT, "contrib", "rsyslog", "epmd_secure.conf")
    r = subprocess.run([RSYSLOGD, "-N1", "-f", snippet], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    check(r.returncode == 0, "rsyslogd -N1 rejects contrib/rsyslog/epmd_secure.conf:\n%s"
          % r.stdout.decode())

    # The jail, in a copy of the system's fail2ban configuration.
    jdir = os.path.join(tmp, "f2b-full")
    shutil.copytree("/etc/fail2ban", jdir)
    for sub in ("filter.d", "jail.d"):
        shutil.copy(os.path.join(epmdtest.ROOT, "contrib", "fail2ban", sub,
                                 "epmd_secure.conf"), os.path.join(jdir, sub))
    r = subprocess.run(["fail2ban-client", "-c", jdir, "-d"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    dump = r.stdout.decode("utf-8", "replace")
    check(r.returncode == 0 and "['add', 'epmd_secure'," in dump and
          "verdict=(?:denied|not_local|rate_limited|conn_limit)" in dump,
          "fail2ban-client -d does not load the epmd_secure jail:\n%s" % dump[-2000:])
    return True


if __name__ == "__main__":
    sys.exit(main())
