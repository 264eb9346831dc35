#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A hostile local client of the port mapper, run as a test user.

  impostor.py register EPMD_PORT NAME ANNOUNCE [BIND] [SECONDS]
      Register NAME with ALIVE2, announcing port ANNOUNCE: a number (any
      port: another user's, or one nobody listens on), or "listen" to
      listen first on BIND (default 127.0.0.1) on an ephemeral port of its
      own and announce that. Prints "LISTEN port=N" (if it listened) and
      "RESULT result=R creation=C" (or "RESULT closed"), then holds the
      registration until SECONDS pass (default 30) or stdin closes.

  impostor.py hog EPMD_PORT COUNT [SECONDS]
      Open up to COUNT connections to the port mapper and hold them idle
      (a local user trying to take every connection). Prints "HOLDING n=N"
      once it has as many as the daemon let it open (a refused or closed
      one ends the count), then holds them as above.

Everything is bounded in time; the process exits when the test closes its
stdin or kills it.
"""
import select
import socket
import struct
import sys
import time


def alive2(name, port, ntype=77, hi=6, lo=5):
    n = name.encode()
    body = struct.pack(">BHBBHHH", 120, port, ntype, 0, hi, lo, len(n)) + n + struct.pack(">H", 0)
    return struct.pack(">H", len(body)) + body


def hold(seconds, socks):
    """Wait until stdin closes, a held socket closes, or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([sys.stdin] + socks, [], [], left)
        if sys.stdin in r and not sys.stdin.buffer.read1(1):
            return
        for s in socks:
            if s in r:
                try:
                    if not s.recv(1):
                        return
                except OSError:
                    return


def register(epmd_port, name, announce, bind="127.0.0.1", seconds=30.0):
    lsock = None
    if announce == "listen":
        fam = socket.AF_INET6 if ":" in bind else socket.AF_INET
        lsock = socket.socket(fam, socket.SOCK_STREAM)
        lsock.bind((bind, 0))
        lsock.listen(5)
        port = lsock.getsockname()[1]
        print("LISTEN port=%d" % port, flush=True)
    else:
        port = int(announce)
    s = socket.create_connection(("127.0.0.1", epmd_port), timeout=10)
    s.sendall(alive2(name, port))
    data = b""
    while len(data) < 6:
        chunk = s.recv(6 - len(data))
        if not chunk:
            break
        data += chunk
    if len(data) >= 6 and data[0] == 118:
        result, creation = struct.unpack(">BI", data[1:6])
        print("RESULT result=%d creation=%d" % (result, creation), flush=True)
    elif len(data) >= 4 and data[0] == 121:
        result, creation = struct.unpack(">BH", data[1:4])
        print("RESULT result=%d creation=%d" % (result, creation), flush=True)
    else:
        print("RESULT closed", flush=True)
        return
    s.settimeout(None)
    hold(seconds, [s])


def hog(epmd_port, count, seconds=30.0):
    socks = []
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", epmd_port), timeout=2)
        except OSError:
            break
        socks.append(s)
    # A connection the daemon refused at once is closed: count only those
    # still open a moment later.
    time.sleep(0.3)
    open_socks = []
    for s in socks:
        s.setblocking(False)
        try:
            closed = s.recv(1) == b""
        except BlockingIOError:
            closed = False
        except OSError:
            closed = True
        if closed:
            s.close()
        else:
            open_socks.append(s)
    print("HOLDING n=%d" % len(open_socks), flush=True)
    hold(seconds, [])


def main(argv):
    if len(argv) >= 4 and argv[1] == "register":
        register(int(argv[2]), argv[3], argv[4] if len(argv) > 4 else "listen",
                 argv[5] if len(argv) > 5 else "127.0.0.1",
                 float(argv[6]) if len(argv) > 6 else 30.0)
        return 0
    if len(argv) >= 4 and argv[1] == "hog":
        hog(int(argv[2]), int(argv[3]), float(argv[4]) if len(argv) > 4 else 30.0)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
