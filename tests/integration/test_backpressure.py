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
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from epmdtest import (Daemon, Fail, check, frame, port_please, register,
                      recv_upto)

NODES = 200


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
