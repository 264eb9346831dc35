# SPDX-License-Identifier: Apache-2.0
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
SKIP = 77

# Tests that take epmd over (dpkg-divert of erts-*/bin/epmd) hold this lock
# exclusively; every test using stock epmd holds it shared, for its whole
# run, so that it never runs while stock is diverted.
STOCK_LOCK = "/tmp/epmd-stock.lock"


def _stock_epmd():
    """The path of stock epmd: /usr/bin/epmd resolved, and wherever a
    dpkg-divert put that file (its --truename)."""
    import fcntl
    global _stock_lock_fd
    try:
        _stock_lock_fd = os.open(STOCK_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(_stock_lock_fd, fcntl.LOCK_SH)
    except OSError:
        pass
    path = os.path.realpath("/usr/bin/epmd")
    try:
        true = subprocess.run(["dpkg-divert", "--truename", path], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        if true:
            path = true
    except (OSError, subprocess.SubprocessError):
        pass
    return path


_stock_lock_fd = None
STOCK_EPMD = os.environ.get("STOCK_EPMD") or _stock_epmd()


def skip(reason):
    print("SKIP: " + reason, file=sys.stderr)
    sys.exit(SKIP)


class Fail(Exception):
    pass


def check(cond, msg):
    """Raise Fail(msg) unless cond (tests that stop at their first failure)."""
    if not cond:
        raise Fail(msg)


def wait_until(pred, timeout, what, step=0.05):
    """Poll pred until it returns something true, and return that; Fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Fail("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(step)


def clean_env(extra=None):
    """os.environ without the ERL_EPMD_* variables a daemon or client reads, plus extra."""
    e = dict(os.environ)
    for k in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_EPMD_RELAXED_COMMAND_CHECK"):
        e.pop(k, None)
    if extra:
        e.update(extra)
    return e


def stop_proc(proc, timeout=5):
    """SIGTERM proc if it still runs; SIGKILL if it has not exited after timeout
    seconds. Returns its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


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


class LoggedProcess:
    """A child process (self.proc) whose log is the open file self.log, at self.logpath."""

    def logtext(self):
        self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None


# Tests register made-up ports (5000 ...) that nobody listens on. The
# registration checks would refuse them (port_not_owned: test_register_*.py
# covers that), so test configurations turn the port-owner check off.
SYNTHETIC_PORTS = "check_port_owner no\n"


def synthetic_ports_conf(logdir):
    """A configuration file holding only SYNTHETIC_PORTS, readable by all."""
    path = os.path.join(logdir, "synthetic-ports.conf")
    with open(path, "w") as f:
        f.write(SYNTHETIC_PORTS)
    os.chmod(path, 0o644)
    return path


class Daemon(LoggedProcess):
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
        args = list(args)
        # Ours, without a configuration of the test's own: see SYNTHETIC_PORTS.
        if (os.path.basename(self.binary).startswith("epmd_secure") and "-config" not in args
                and not any(a in ("-names", "-dump", "-kill", "-stop", "-t") for a in args)):
            args = ["-config", synthetic_ports_conf(self.logdir)] + args
        self.argv = [self.binary, "-port", str(self.port)] + args
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=clean_env(env))
        if wait:
            try:
                wait_listening(self.port)
            except Exception:
                self.stop()
                raise

    def stop(self):
        rc = stop_proc(self.proc)
        self.log.close()
        return rc

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


def recv_upto(s, n):
    """Read until n bytes or EOF, whichever comes first."""
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def query_ends(port, raw, addr, timeout):
    """One connection to port on addr: send raw (None: send nothing, shut the
    sending side), read to close. Returns (reply, src, dst), src and dst as
    sock_ends gives them; Fail if neither reply nor close comes within timeout."""
    s = connect(port, addr, timeout)
    try:
        src, dst = sock_ends(s)
        if raw is None:
            s.shutdown(socket.SHUT_WR)
        else:
            s.sendall(raw)
        try:
            reply = read_to_close(s)
        except socket.timeout:
            raise Fail("no answer or close within %.0fs to %r from %s"
                       % (timeout, raw, addr))
    finally:
        s.close()
    return reply, src, dst


def terminate_ok(proc, timeout):
    """SIGTERM our daemon; Fail unless it exits with status 0 within timeout seconds."""
    proc.terminate()
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise Fail("epmd_secure did not exit within %.0fs of SIGTERM" % timeout)
    check(rc == 0, "epmd_secure exited %d after SIGTERM" % rc)


def run_steps(steps, cleanup):
    """Call steps in order, then cleanup() in any case. True if none raised;
    a Fail, or any other exception (with its traceback), is told on stderr."""
    try:
        for step in steps:
            step()
        return True
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
    except Exception as e:      # an unexpected error is a failure too
        import traceback
        traceback.print_exc()
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
    finally:
        cleanup()
    return False


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


def port2_req(name):
    """PORT_PLEASE2_REQ for name, framed."""
    if isinstance(name, str):
        name = name.encode()
    return frame(b"z" + name)


def port2_resp(name, port=5000, ntype=77, proto=0, hi=6, lo=5, extra=b""):
    """PORT2_RESP w 0 echoing a node registered with the same alive2_body() arguments."""
    if isinstance(name, str):
        name = name.encode()
    return (b"w\x00" + struct.pack(">HBBHHH", port, ntype, proto, hi, lo, len(name)) + name +
            struct.pack(">H", len(extra)) + extra)


def register(port, name, addr="127.0.0.1", **kw):
    """Register a node; return (socket, reply). The registration lives while the socket does."""
    s = connect(port, addr)
    s.sendall(frame(alive2_body(name, **kw)))
    hi = kw.get("hi", 6)
    return s, recv_upto(s, 6 if hi >= 6 else 4)


def port_please(port, name, addr="127.0.0.1"):
    if isinstance(name, str):
        name = name.encode()
    return request(port, frame(b"z" + name), addr)


def names(port, addr="127.0.0.1"):
    return request(port, frame(b"n"), addr)


def have(cmd):
    return shutil.which(cmd) is not None


# --- Audit records (test_audit_*.py) -------------------------------------

AUDIT_REQS = ("-", "ALIVE2", "ALIVE2_END", "PORT_PLEASE2", "NAMES", "DUMP", "KILL",
              "STOP", "FORGET")
AUDIT_VERDICTS = ("ok", "not_found", "denied", "rate_limited", "malformed", "not_local",
                  "duplicate", "timeout", "refused", "invalid", "full", "no_request",
                  "conn_limit", "not_owner", "port_not_owned", "dist_exposed", "unverified",
                  "sticky_full")     # enum audit_verdict order (audit.h)
# Requests whose local peer the daemon attributes (uid=, user=) through
# sock_diag once the whole frame is in: the test process's own user. A
# connection that fails before that (silence, framing) is not attributed.
ATTRIBUTED_REQS = ("ALIVE2", "STOP", "KILL", "DUMP", "FORGET")
FRAMING_REASONS = ("zero length", "bytes past the end of the frame", "length over 3057",
                   "end of stream inside the frame", "read error inside the frame")


def _attributed(src, req, verdict, reason):
    """(uid, user) a record of req from src carries, or None."""
    if req not in ATTRIBUTED_REQS or not (src[0].startswith("127.") or src[0] == "::1"):
        return None
    if verdict in ("timeout", "no_request") or reason in FRAMING_REASONS:
        return None
    import pwd
    uid = os.geteuid()
    try:
        return uid, pwd.getpwuid(uid).pw_name
    except KeyError:
        return uid, None
# syslog severities the daemon must use per verdict (log.c contract).
SEV_INFO, SEV_NOTICE, SEV_WARNING = 6, 5, 4
LOG_DAEMON = 3


def audit_severity(verdict):
    if verdict in ("ok", "not_found"):
        return SEV_INFO
    if verdict in ("malformed", "full"):
        return SEV_WARNING
    return SEV_NOTICE


def audit_escape(raw):
    """The daemon's escaping of peer text inside a quoted logfmt value
    (logfmt.c): valid UTF-8 as is, except '"' '\\' as \\" \\\\, \\n \\r \\t,
    other C0/C1 controls, DEL, U+2028/9 as \\u00XX; each byte that is not
    valid UTF-8 as U+FFFD (the exact bytes go to node_hex)."""
    if isinstance(raw, str):
        raw = raw.encode()
    text = raw.decode("utf-8", "replace")
    out = []
    for ch in text:
        c = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20 or 0x7f <= c <= 0x9f or c in (0x2028, 0x2029):
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    return "".join(out)


def _utf8_invalid(raw):
    try:
        raw.decode("utf-8", "strict")
        return False
    except UnicodeDecodeError:
        return True


def _bare(v):
    return v != "" and not any(c <= " " or c in '"=\\' or c >= "\x7f" for c in v)


def sock_ends(s):
    """((src_addr, src_port), (dst_addr, dst_port)) of a connected client socket,
    as the daemon sees them (its peer is our local end)."""
    loc, rem = s.getsockname(), s.getpeername()
    return (loc[0], loc[1]), (rem[0], rem[1])


def audit_node_fields(node):
    """The trailing node fields of a record for the raw name node."""
    if isinstance(node, str):
        node = node.encode()
    n = _node_escape(node)
    parts = ["node=%s" % n if _bare(n) else 'node="%s"' % n]
    if _utf8_invalid(node):
        parts.append("node_hex=%s" % node.hex())
    return parts


def _node_escape(raw):
    # Byte-exact mirror of logfmt.c for names that are not valid UTF-8:
    # one U+FFFD per invalid byte, valid sequences kept.
    out, i = [], 0
    while i < len(raw):
        for ln in (1, 2, 3, 4):
            try:
                ch = raw[i:i + ln].decode("utf-8", "strict")
            except UnicodeDecodeError:
                continue
            out.append(audit_escape(ch.encode()))
            i += ln
            break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def audit_line(src, dst, req, verdict, node=None, port=None, creation=None,
               names=None, rule=None, reason=None):
    """The exact logfmt text of one query record after its ts= field. node
    is the raw name (bytes or str); src/dst are (addr, port) as returned by
    sock_ends. Field order (epmd_secure(8), AUDIT LOG): the daemon's fields
    first, the peer-controlled node fields last."""
    parts = ["event=query", "src=%s" % src[0], "src_port=%d" % src[1],
             "dst=%s" % dst[0], "dst_port=%d" % dst[1], "req=%s" % req,
             "verdict=%s" % verdict]
    for k, v in (("port", port), ("creation", creation), ("names", names),
                 ("rule", rule)):
        if v is not None:
            parts.append("%s=%d" % (k, v))
    if reason is not None:
        parts.append('reason="%s"' % reason)
    who = _attributed(src, req, verdict, reason)
    if who is not None:
        parts.append("uid=%d" % who[0])
        if who[1] is not None:
            parts.append("user=%s" % who[1])
    if node is not None:
        parts.extend(audit_node_fields(node))
    return " ".join(parts)


def audit_fields(src, dst, req, verdict, node=None, port=None, creation=None,
                 names=None, rule=None, reason=None):
    """The EPMD_* journal fields of one query record, as {key: str}."""
    f = {"EPMD_EVENT": "query", "EPMD_SRC_ADDR": src[0], "EPMD_SRC_PORT": str(src[1]),
         "EPMD_DST_ADDR": dst[0], "EPMD_DST_PORT": str(dst[1]), "EPMD_REQUEST": req,
         "EPMD_VERDICT": verdict}
    if node is not None:
        raw = node.encode() if isinstance(node, str) else node
        f["EPMD_NODE"] = _node_escape(raw)
        if _utf8_invalid(raw):
            f["EPMD_NODE_HEX"] = raw.hex()
    for k, v in (("EPMD_PORT", port), ("EPMD_CREATION", creation),
                 ("EPMD_NAMES", names), ("EPMD_RULE", rule)):
        if v is not None:
            f[k] = str(v)
    if reason is not None:
        f["EPMD_REASON"] = reason
    who = _attributed(src, req, verdict, reason)
    if who is not None:
        f["EPMD_UID"] = str(who[0])
        if who[1] is not None:
            f["EPMD_USER"] = who[1]
    return f


def audit_counters(counts, conns=0, nodes=0, dropped=0, per_uid=1024, local_uids=0,
                   uid_refused=0):
    """The exact text of an event=counters record after ts=; counts is
    {(req, verdict): n}. Keys are REQ.VERDICT with the req= and verdict=
    values of the records ("-" for no request). per_uid is
    max_connections_per_uid (1024 by default)."""
    parts = ["event=counters", "conns=%d" % conns, "nodes=%d" % nodes,
             "log_dropped=%d" % dropped, "max_connections_per_uid=%d" % per_uid,
             "local_uids=%d" % local_uids, "uid_cap_refused=%d" % uid_refused]
    for r in AUDIT_REQS:
        for v in AUDIT_VERDICTS:
            if (r, v) in counts:
                parts.append("%s.%s=%d" % (r, v, counts[(r, v)]))
    return " ".join(parts)


_LOGFMT_KEY = r"[A-Za-z0-9_.-]+"
_LOGFMT_VAL = (r'(?:"(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\u[0-9a-f]{4})*"'
               r'|[^\s"=\\\x00-\x1f\x7f]+)')


def parse_logfmt(line):
    """Split one logfmt record strictly into [(key, raw_value)], quotes kept
    off and escapes left as written. Raises ValueError if the line is not
    exactly `key=value` pairs separated by single spaces."""
    import re
    pairs = []
    pos = 0
    pat = re.compile(r"(%s)=(%s)" % (_LOGFMT_KEY, _LOGFMT_VAL))
    while True:
        m = pat.match(line, pos)
        if m is None:
            raise ValueError("not logfmt at column %d: %r" % (pos, line))
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1]
        pairs.append((m.group(1), v))
        pos = m.end()
        if pos == len(line):
            return pairs
        if line[pos] != " ":
            raise ValueError("not logfmt at column %d: %r" % (pos, line))
        pos += 1


def logfmt_unquote(raw):
    """Python's decoding of a value parse_logfmt returned: the escapes are
    JSON's, so json.loads gives the text back (a second, independent
    decoder beside go-logfmt)."""
    import json
    return json.loads('"%s"' % raw)


def split_ts(msg):
    """(seconds since the epoch, rest) of a record "ts=RFC3339 rest".
    Raises ValueError if the record does not start with a valid ts=."""
    import calendar
    import re
    m = re.match(r"ts=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z ", msg)
    if m is None:
        raise ValueError("record without a leading ts=: %r" % msg)
    y, mo, d, h, mi, s, us = (int(x) for x in m.groups())
    t = calendar.timegm((y, mo, d, h, mi, s)) + us / 1e6
    return t, msg[m.end():]


LOGFMT_CHECK_SRC = os.path.join(ROOT, "tests", "logfmt_check")
_logfmt_check_bin = None


def logfmt_checker():
    """Build tests/logfmt_check (go-logfmt, Debian's golang-github-go-logfmt-
    logfmt-dev, offline from /usr/share/gocode) once; its path, or None
    with the reason if Go or the library is missing."""
    global _logfmt_check_bin
    if _logfmt_check_bin is not None:
        return _logfmt_check_bin, None
    lib = "/usr/share/gocode/src/github.com/go-logfmt/logfmt"
    if not have("go") or not os.path.isdir(lib):
        return None, "no go or go-logfmt (Debian: golang-go golang-github-go-logfmt-logfmt-dev)"
    import atexit
    d = tempfile.mkdtemp(prefix="epmd-logfmt-check-")
    atexit.register(shutil.rmtree, d, True)
    out = os.path.join(d, "logfmt_check")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOFLAGS="", GOCACHE=os.path.join(os.path.dirname(out), "cache"))
    r = subprocess.run(["go", "build", "-o", out, "."], cwd=LOGFMT_CHECK_SRC, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if r.returncode != 0:
        raise Fail("building tests/logfmt_check failed:\n%s" % r.stdout.decode())
    _logfmt_check_bin = out
    return out, None


def logfmt_decode_go(lines):
    """Decode each record (bytes or str) with go-logfmt: a list with, per
    line, [(key bytes, value bytes)] or an error string."""
    import json
    binpath, why = logfmt_checker()
    if binpath is None:
        raise Fail(why)
    data = b"".join((l.encode() if isinstance(l, str) else l) + b"\n" for l in lines)
    r = subprocess.run([binpath], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise Fail("logfmt_check: %s" % r.stderr.decode())
    out = []
    for ln in r.stdout.decode().splitlines():
        d = json.loads(ln)
        if "error" in d:
            out.append(d["error"])
        else:
            out.append([(bytes.fromhex(k), bytes.fromhex(v)) for k, v in d["pairs"]])
    if len(out) != len(lines):
        raise Fail("logfmt_check: %d results for %d records" % (len(out), len(lines)))
    return out


def parse_journal_native(data):
    """Parse one datagram of journald's native protocol into [(key, bytes)].
    Both forms: `KEY=value\\n`, and `KEY\\n<le64 length><value>\\n` for values
    that may hold newlines. Raises ValueError on anything else."""
    out = []
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise ValueError("field without a final newline at %d" % pos)
        line = data[pos:nl]
        eq = line.find(b"=")
        if eq >= 0:
            key, val = line[:eq], line[eq + 1:]
            pos = nl + 1
        else:
            key = line
            if nl + 9 > len(data):
                raise ValueError("binary field %r: short length" % key)
            n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            start = nl + 9
            if start + n + 1 > len(data) or data[start + n:start + n + 1] != b"\n":
                raise ValueError("binary field %r: bad length %d" % (key, n))
            val = data[start:start + n]
            pos = start + n + 1
        k = key.decode("ascii", "replace")
        # journald drops fields whose names are not [A-Z0-9_], or start with '_'.
        if not k or k.startswith("_") or any(not (c.isdigit() or "A" <= c <= "Z" or c == "_")
                                             for c in k):
            raise ValueError("invalid journal field name %r" % key)
        out.append((k, val))
    return out


def free_port_dual():
    """Return a TCP port that was free a moment ago on every IPv4 and IPv6
    address (checked by binding the dual-stack wildcard [::]), for tests that
    listen on 127.0.0.1 and ::1, or on [::], with one port."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def have_ipv6_loopback():
    """True if a TCP socket can be bound to ::1 (IPv6 enabled on lo)."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()
