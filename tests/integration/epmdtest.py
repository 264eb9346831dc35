"""Shared helpers for the integration tests: start daemons on ephemeral loopback
ports, send raw EPMD frames, and collect replies.

Every test script is executable on its own and exits 0 (pass), 77 (skipped, with
the reason on stderr) or anything else (fail). Logs of a failed run are kept in
the directory printed on stderr.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPMD_SECURE = os.environ.get("EPMD_SECURE", os.path.join(ROOT, "epmd_secure"))
STOCK_EPMD = os.environ.get("STOCK_EPMD", "/usr/bin/epmd")
SKIP = 77


def skip(reason):
    print("SKIP: " + reason, file=sys.stderr)
    sys.exit(SKIP)


def free_port(family=socket.AF_INET, addr="127.0.0.1"):
    """Return a TCP port that was free on addr a moment ago."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, addr="127.0.0.1", timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listening on %s:%d after %.1fs" % (addr, port, timeout))


class Daemon:
    """A daemon (ours or stock) running in the foreground on an ephemeral port.

    Our daemon is started with -d so its log goes to stderr, kept in a file.
    """

    def __init__(self, binary=None, args=(), env=None, port=None, logdir=None,
                 wait=True, name=None):
        self.binary = binary or EPMD_SECURE
        self.port = port or free_port()
        self.name = name or os.path.basename(self.binary)
        self.logdir = logdir or tempfile.mkdtemp(prefix="epmdtest-")
        self.logpath = os.path.join(self.logdir, "%s-%d.log" % (self.name, self.port))
        self.log = open(self.logpath, "wb")
        e = dict(os.environ)
        for k in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_EPMD_RELAXED_COMMAND_CHECK"):
            e.pop(k, None)
        if env:
            e.update(env)
        self.argv = [self.binary, "-port", str(self.port)] + list(args)
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=e)
        if wait:
            try:
                wait_listening(self.port)
            except Exception:
                self.stop()
                raise

    def logtext(self):
        self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def connect(port, addr="127.0.0.1", timeout=5.0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def frame(body):
    return struct.pack(">H", len(body)) + body


def read_to_close(s, limit=1 << 20):
    out = b""
    while len(out) < limit:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def request(port, raw, addr="127.0.0.1", timeout=5.0):
    """Send raw bytes on a new connection and return everything read until close."""
    with connect(port, addr, timeout) as s:
        s.sendall(raw)
        return read_to_close(s)


def alive2_body(name, port=5000, ntype=77, proto=0, hi=6, lo=5, extra=b""):
    if isinstance(name, str):
        name = name.encode()
    return (b"x" + struct.pack(">HBBHHH", port, ntype, proto, hi, lo, len(name)) + name +
            struct.pack(">H", len(extra)) + extra)


def register(port, name, addr="127.0.0.1", **kw):
    """Register a node; return (socket, reply). The registration lives while the socket does."""
    s = connect(port, addr)
    s.sendall(frame(alive2_body(name, **kw)))
    hi = kw.get("hi", 6)
    want = 6 if hi >= 6 else 4
    reply = b""
    while len(reply) < want:
        chunk = s.recv(want - len(reply))
        if not chunk:
            break
        reply += chunk
    return s, reply


def port_please(port, name, addr="127.0.0.1"):
    if isinstance(name, str):
        name = name.encode()
    return request(port, frame(b"z" + name), addr)


def names(port, addr="127.0.0.1"):
    return request(port, frame(b"n"), addr)


def have(cmd):
    return shutil.which(cmd) is not None
