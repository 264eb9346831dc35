#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Robustness on loopback: what a local peer can do to the registry and
the log must not outlive its connection or break a record.

- ALIVE2 followed at once by a reset (SO_LINGER 0), many times: the name
  never stays registered (NAMES ends up empty, the name registers again),
  and STOP for it in relaxed mode answers NOEXIST without harming the
  daemon (it once freed the connection and kept the name pointing at it).
- A 255-character name of 4-byte characters is logged whole, as UTF-8; a
  255-character lookup of C1 controls (each escaped to 6 bytes) is cut in
  its record, which says so and keeps its verdict.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import Daemon, alive2_body, frame, names, register, request  # noqa: E402

RESETS = 60


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def reset_after_alive2(port, name):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(frame(alive2_body(name)))
    s.close()                   # RST, possibly before the reply is written


def drop_privileges():
    """Started as root with `user nobody`: it serves as nobody, for good,
    and can still read its files on reload."""
    if os.geteuid() != 0:
        print("note: not root, the privilege drop is not checked")
        return
    import pwd
    import tempfile
    nobody = pwd.getpwnam("nobody")
    tmp = tempfile.mkdtemp(prefix="epmd-user-")
    os.chmod(tmp, 0o755)
    conf = os.path.join(tmp, "epmd_secure.conf")
    acl = os.path.join(tmp, "acl")
    with open(conf, "w") as f:
        f.write("user nobody\n")
        f.write(epmdtest.SYNTHETIC_PORTS)
    with open(acl, "w") as f:
        f.write("allow 127.0.0.0/8\nallow ::1\n")
    os.chmod(conf, 0o644)
    os.chmod(acl, 0o644)
    with Daemon(args=["-d", "-config", conf, "-acl", acl]) as d:
        with open("/proc/%d/status" % d.proc.pid) as f:
            st = dict(l.split(":", 1) for l in f if ":" in l)
        uids = st["Uid"].split()
        gids = st["Gid"].split()
        groups = st["Groups"].split()
        if uids != [str(nobody.pw_uid)] * 4 or gids != [str(nobody.pw_gid)] * 4 or \
                groups not in ([], [str(nobody.pw_gid)]):
            fail("not running as nobody: Uid %s Gid %s Groups %s" % (uids, gids, groups))
        s, reply = register(d.port, "dropped")
        if reply[:2] != b"v\x00":
            fail("registration as nobody: %r" % reply)
        os.kill(d.proc.pid, 1)
        deadline = time.monotonic() + 5
        while "event=reload result=ok" not in d.logtext():
            if time.monotonic() > deadline:
                fail("reload as nobody did not succeed: %s" % d.logtext()[-500:])
            time.sleep(0.05)
        if b"dropped" not in names(d.port):
            fail("registration lost over the reload")
        s.close()
    print("ok   user nobody: serves as nobody, reloads its files")


def main():
    with Daemon(args=["-d", "-relaxed_command_check"]) as d:
        for i in range(RESETS):
            reset_after_alive2(d.port, "ghost")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = names(d.port)[4:]
            if b"ghost" not in body:
                break
            time.sleep(0.05)
        else:
            fail("'ghost' still listed after its connections were reset: %r" % body)
        print("ok   %d ALIVE2+reset: no registration left behind" % RESETS)
        r = request(d.port, frame(b"s" + b"ghost"))
        if r != b"NOEXIST":
            fail("STOP ghost: %r" % r)
        s, reply = register(d.port, "ghost")
        if reply[:2] != b"v\x00":
            fail("ghost cannot register again: %r" % reply)
        s.close()
        if not d.alive():
            fail("daemon died (log %s)" % d.logpath)
        print("ok   STOP answers NOEXIST, the name registers again, daemon alive")

        name = "\U00010000" * 255
        s, reply = register(d.port, name)
        if reply[:2] != b"v\x00":
            fail("255 x U+10000 not registered: %r" % reply)
        s.close()
        lookup = "\u0085" * 255
        request(d.port, frame(b"z" + lookup.encode()))
        deadline = time.monotonic() + 5
        whole = cut = []
        while time.monotonic() < deadline and (len(whole) < 2 or not cut):
            lines = [l for l in d.logtext().splitlines() if "event=query" in l]
            whole = [l for l in lines if ' node="%s"' % name in l]
            cut = [l for l in lines if "node_truncated=yes" in l]
            time.sleep(0.05)
        if len(whole) < 2 or any("node_truncated" in l or " verdict=ok " not in l
                                 for l in whole):
            fail("the 255 x U+10000 name is not logged whole: %r" % [l[:200] for l in whole])
        if len(cut) != 1 or " verdict=not_found " not in cut[0] or \
                not cut[0].endswith("\\u0085" * 170 + '"') or len(cut[0]) > 2048:
            fail("the long lookup's record is not cut as documented: %r" % cut)
        print("ok   long names: UTF-8 logged whole, escaped ones cut, verdict kept")
    drop_privileges()
    print("PASS")


if __name__ == "__main__":
    main()
