#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Large replies to slow readers, and the test-aid delays, against the
real daemon.

* A 55 KB NAMES reply (200 nodes with 255-character names) to a client
  with a tiny receive buffer that reads it slowly gets every byte.
  (Loopback's autotuned send buffer takes such a reply whole; forcing a
  short write needs a reply over the send buffer, about 1.4 MB.)
* -delay_accept and -delay_write: the request is still served, the
  deadlines start after the delay.

Then, in a private network namespace (unshare -n: its own loopback, so its
namespaced net.ipv4.tcp_wmem/tcp_rmem can be lowered to 8 KB/4 KB without
touching the host), the back-pressure paths of conn.c:

* short write: a 55 KB NAMES reply cannot go out in one write; a reader
  that drains it slowly still gets every byte.
* slow-reader timeout: a reader that never drains it is closed at the
  packet timeout ("reply not read in time"), having had only part of it;
  its NAMES record was written.
* reply-memory budget (64 MiB, SERVER_REPLY_BUDGET): 70 readers that do
  not drain a 1.1 MB reply; once the unwritten rests fill the budget, the
  next replies are dropped ("reply of N bytes dropped: the reply memory
  budget is full") and those readers see a partial reply then EOF, the
  others, drained later, get every byte; then the budget is free again.
"""
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import (Daemon, Fail, check, frame, port_please, register,
                      recv_upto, wait_until)

NODES = 200
BUDGET = 64 * 1024 * 1024       # SERVER_REPLY_BUDGET in server.h
BIG_NODES = 4000                # under max_nodes' default 4096
BIG_READERS = 70                # 70 x 1.1 MB rests > BUDGET
LIMITS = """# Many connections from 127.0.0.1, all of them ours.
max_connections 16384
max_connections_per_source 15000
max_connections_per_uid 15000
"""


def names_line(name, port=5000):
    return b"name " + name.encode() + b" at port %d\n" % port


def long_name(i):
    return ("n%04d" % i) + "x" * 250


def register_many(port, n):
    regs = []
    for i in range(n):
        s, r = register(port, long_name(i))
        check(r[:2] == b"v\x00", "registration %d: %r" % (i, r))
        regs.append(s)
    return regs


def drain(s, timeout=30.0):
    """Read to EOF (or a reset); return the bytes."""
    s.settimeout(timeout)
    got = []
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(got)


def log_text(d):
    with open(d.logpath, "rb") as f:
        return f.read().decode(errors="replace")


def names_records(d, nodes, src_port=r"\d+"):
    """The number of NAMES records that listed nodes nodes."""
    return len(re.findall(r"event=query src=127\.0\.0\.1 src_port=%s "
                          r"dst=127\.0\.0\.1 dst_port=%d req=NAMES "
                          r"verdict=ok names=%d rule=1\n" % (src_port, d.port, nodes),
                          log_text(d)))


def short_write_and_slow_reader(conf):
    """A 55 KB reply over an 8 KB send buffer: a slow, complete reader and
    one that never reads."""
    with Daemon(args=["-d", "-d", "-config", conf, "-packet_timeout", "3"]) as d:
        regs = register_many(d.port, NODES)
        want = 4 + sum(len(names_line(long_name(i))) for i in range(NODES))
        check(want > 50000, "reply of only %d bytes" % want)
        # Never read: the daemon gives up at the packet timeout.
        stuck = small_client(d.port)
        t0 = time.monotonic()
        stuck.sendall(frame(b"n"))
        sport = stuck.getsockname()[1]
        cut = "127.0.0.1:%d: reply not read in time" % sport
        wait_until(lambda: cut in log_text(d), 8, "the slow-reader timeout")
        took = time.monotonic() - t0
        check(2.5 <= took <= 6, "closed %.1f s after the request, not at "
              "the 3 s packet timeout" % took)
        got = drain(stuck)
        stuck.close()
        check(0 < len(got) < want, "the never-reading client got %d of %d "
              "bytes: not a short write" % (len(got), want))
        # Meanwhile (and after) a slow reader gets it all, in many writes.
        slow = small_client(d.port)
        slow.sendall(frame(b"n"))
        got = b""
        while True:
            time.sleep(0.002)
            chunk = slow.recv(1024)
            if not chunk:
                break
            got += chunk
        slow.close()
        check(len(got) == want, "slow reader got %d of %d bytes" % (len(got), want))
        check(got[:4] == struct.pack(">I", d.port), "NAMES header %r" % got[:4])
        check(sorted(got[4:].splitlines(keepends=True)) ==
              sorted(names_line(long_name(i)) for i in range(NODES)),
              "the slow reader's reply is not the %d nodes' lines" % NODES)
        check(names_records(d, NODES, sport) == 1, "no NAMES record for the "
              "reader that was cut")
        check(names_records(d, NODES) == 2, "%d NAMES records, not 2"
              % names_records(d, NODES))
        check(log_text(d).count("reply not read in time") == 1,
              "the complete reader was cut too")
        for s in regs:
            s.close()
    print("ok: short write (%d bytes over an 8 KB send buffer), slow-reader "
          "timeout after %.1f s" % (want, took))


def reply_budget(conf):
    """Unread 1.1 MB replies until the 64 MiB budget is full."""
    with Daemon(args=["-d", "-config", conf, "-packet_timeout", "60"]) as d:
        t0 = time.monotonic()
        regs = register_many(d.port, BIG_NODES)
        want = 4 + sum(len(names_line(long_name(i))) for i in range(BIG_NODES))
        check(want * BIG_READERS > BUDGET + BIG_READERS * 65536,
              "%d readers of %d bytes cannot fill the budget" % (BIG_READERS, want))
        readers = []
        for i in range(BIG_READERS):
            s = small_client(d.port)
            s.sendall(frame(b"n"))
            readers.append(s)
        wait_until(lambda: names_records(d, BIG_NODES) == BIG_READERS, 30,
                   "%d NAMES records" % BIG_READERS)
        full = partial = 0
        for s in readers:
            got = drain(s)
            s.close()
            if len(got) == want:
                full += 1
            else:
                check(0 <= len(got) < want, "got %d bytes" % len(got))
                check(got == b"" or got[:4] == struct.pack(">I", d.port),
                      "a dropped reply does not start as one: %r" % got[:8])
                partial += 1
        check(partial >= 1, "no reply was dropped: the budget never filled")
        dropped_lines = re.findall(r"reply of (\d+) bytes dropped: the reply "
                                   r"memory budget is full", log_text(d))
        check(len(dropped_lines) == partial,
              "%d budget log lines for %d cut replies" % (len(dropped_lines), partial))
        check(all(int(n) == want for n in dropped_lines),
              "a dropped reply of the wrong size: %r" % dropped_lines[:3])
        # Each kept reply holds at most its whole size, at least its size
        # less what the kernel took at once (under 64 KB with these buffers).
        check(full * want > BUDGET - want and full * (want - 65536) <= BUDGET,
              "%d replies of %d bytes kept before the %d-byte budget was full"
              % (full, want, BUDGET))
        # The rests were given back: a new reader gets everything.
        s = small_client(d.port)
        s.sendall(frame(b"n"))
        check(len(drain(s)) == want, "after the drain the budget is still taken")
        s.close()
        check(log_text(d).count("budget is full") == partial,
              "the budget was still full after the drain")
        for s in regs:
            s.close()
    print("ok: reply budget: %d replies of %d bytes kept, %d dropped (%.1f s)"
          % (full, want, partial, time.monotonic() - t0))


def in_netns():
    """The back-pressure part, run inside a fresh network namespace."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    for key, val in (("tcp_wmem", "4096 8192 8192"), ("tcp_rmem", "4096 4096 4096")):
        with open("/proc/sys/net/ipv4/" + key, "w") as f:
            f.write(val)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want_fds = BIG_NODES + BIG_READERS + 200
    if soft < want_fds:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    tmp = tempfile.mkdtemp(prefix="epmd-bp-")
    conf = os.path.join(tmp, "epmd_secure.conf")
    with open(conf, "w") as f:
        f.write(LIMITS + epmdtest.SYNTHETIC_PORTS)
    os.chmod(conf, 0o600)
    try:
        short_write_and_slow_reader(conf)
        reply_budget(conf)
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    return 0


def netns_part():
    """Run in_netns() under unshare -n; 77 if no namespace can be made."""
    if os.geteuid() != 0:
        print("SKIP back-pressure in a network namespace: not root")
        return 77
    probe = subprocess.run(["unshare", "-n", "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=10)
    if probe.returncode != 0:
        print("SKIP back-pressure in a network namespace: unshare -n: %s"
              % probe.stderr.decode(errors="replace").strip())
        return 77
    p = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__),
                        "--in-netns"], timeout=300)
    return p.returncode


def small_client(port):
    """A connection with a tiny receive buffer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def main():
    try:
        with Daemon(args=["-d", "-packet_timeout", "3"]) as d:
            regs = []
            for i in range(NODES):
                name = ("n%03d" % i) + "x" * 251
                s, r = register(d.port, name)
                check(r[:2] == b"v\x00", "registration %d: %r" % (i, r))
                regs.append(s)
            line = b"name " + b"n000" + b"x" * 251 + b" at port 5000\n"
            want = 4 + NODES * len(line)
            # A slow but complete reader.
            slow = small_client(d.port)
            slow.sendall(frame(b"n"))
            got = b""
            while True:
                time.sleep(0.002)
                chunk = slow.recv(1024)
                if not chunk:
                    break
                got += chunk
            slow.close()
            check(len(got) == want, "slow reader got %d of %d bytes" % (len(got), want))
            # Meanwhile the daemon kept serving.
            check(port_please(d.port, "n000" + "x" * 251)[:2] == b"w\x00",
                  "n000 is not found after the big NAMES")
            for s in regs:
                s.close()
        with Daemon(args=["-d", "-delay_accept", "1"]) as d:
            t0 = time.monotonic()
            check(port_please(d.port, "nobody") == b"w\x01", "-delay_accept: no reply")
            check(time.monotonic() - t0 >= 0.9, "-delay_accept: no delay")
        with Daemon(args=["-d", "-delay_write", "1"]) as d:
            t0 = time.monotonic()
            s, r = register(d.port, "late")
            check(r[:2] == b"v\x00", "-delay_write: registration %r" % r)
            check(time.monotonic() - t0 >= 0.9, "-delay_write: no delay")
            s.close()
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    print("ok: a slow reader of a large reply, -delay_accept, -delay_write")
    return netns_part()


if __name__ == "__main__":
    if sys.argv[1:] == ["--in-netns"]:
        sys.exit(in_netns())
    sys.exit(main())
