#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Shutdown and reload hygiene, under Valgrind.

One short session of the daemon runs under valgrind --leak-check=full: two
nodes register, lookups and NAMES are served, a malformed frame and a
half-sent frame arrive, the ACL is reloaded twice (SIGHUP), SIGUSR1 writes
the counters, and SIGTERM stops it with connections still open. It must
exit 0 with no Valgrind error or leak (definite, indirect or possible),
and every node still registered at SIGTERM must get its ALIVE2_END record
before the daemon's event=stopped.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import (EPMD_SECURE, Fail, check, clean_env, connect, frame,
                      free_port, names, port_please, register, skip,
                      wait_listening, wait_until)


def main():
    if subprocess.run(["sh", "-c", "command -v valgrind"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        skip("valgrind is not installed")
    d = tempfile.mkdtemp(prefix="epmd-shutdown-")
    acl = os.path.join(d, "acl")
    conf = os.path.join(d, "epmd_secure.conf")
    with open(acl, "w") as f:
        f.write("allow 127.0.0.0/8\nallow ::1\n")
    with open(conf, "w") as f:
        f.write("acl_file %s\n" % acl)
        f.write(epmdtest.SYNTHETIC_PORTS)
    os.chmod(acl, 0o644)
    os.chmod(conf, 0o644)
    port = free_port()
    logpath = os.path.join(d, "daemon.log")
    vglog = os.path.join(d, "valgrind.log")
    argv = ["valgrind", "--leak-check=full", "--show-leak-kinds=all",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=99", "--log-file=" + vglog,
            EPMD_SECURE, "-port", str(port), "-d", "-config", conf]
    log = open(logpath, "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=clean_env())
    socks = []
    try:
        wait_listening(port, timeout=60)
        a, ra = register(port, "alpha")
        b, rb = register(port, "beta")
        socks += [a, b]
        check(ra[:2] == b"v\x00" and rb[:2] == b"v\x00", "registrations: %r %r" % (ra, rb))
        check(port_please(port, "alpha")[:2] == b"w\x00", "alpha is not found")
        check(b"name beta at port 5000" in names(port), "NAMES lacks beta")
        s = connect(port)
        s.sendall(b"\x00\x00")
        socks.append(s)
        half = connect(port)
        half.sendall(b"\x00\x10z")   # a frame that never completes
        socks.append(half)
        with open(acl, "a") as f:
            f.write("allow 10.0.0.0/8\n")
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: open(logpath, "rb").read().count(b"event=reload result=ok") >= 1,
                   60, "the first reload")
        with open(acl, "w") as f:
            f.write("allow 127.0.0.1\n")
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: open(logpath, "rb").read().count(b"event=reload result=ok") >= 2,
                   60, "the second reload")
        proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: b"event=counters" in open(logpath, "rb").read(), 60,
                   "the counters record")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(120)
        text = open(logpath, "rb").read().decode("utf-8", "replace")
        vg = open(vglog).read()
        check(rc == 0, "exit status %d (99: a Valgrind error)\n%s" % (rc, vg[-3000:]))
        check("ERROR SUMMARY: 0 errors" in vg, "Valgrind reports errors:\n" + vg[-3000:])
        for name in ("alpha", "beta"):
            end = "req=ALIVE2_END verdict=ok port=5000 node=%s\n" % name
            check(end in text, "no ALIVE2_END record for %s:\n%s" % (name, text[-2000:]))
            check(text.index(end) < text.index("event=stopped"),
                  "ALIVE2_END for %s after event=stopped" % name)
        print("ok: clean exit under Valgrind, ALIVE2_END for both nodes")
    except Fail as e:
        print("FAIL: %s (logs in %s)" % (e, d), file=sys.stderr)
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for s in socks:
            s.close()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
