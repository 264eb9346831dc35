#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The audit trail through a real rsyslogd.

A private rsyslogd (its own config, work directory and imuxsock socket in a
temp dir; the system's /dev/log is never touched) writes every record it gets
to out.log as `PRI<TAB>facility<TAB>severity<TAB>app-name<TAB>procid<TAB>msg`,
with control-character escaping on reception turned off, so a raw newline the
daemon let through would show as a broken line. epmd_secure runs with
`log_target syslog` and `-log_socket` pointing at that socket.

1. A scripted sequence of queries (register, found, not found, ACL denials
   from ::1, malformed frames, duplicate, DUMP, refused KILL and STOP, no
   request, timeout, end of a registration, log-injection names): out.log must
   hold exactly one record per query, each byte-for-byte the expected logfmt
   line (addresses and ports taken from the client socket itself), with
   facility daemon, the right severity, ident epmd_secure and the daemon's pid.
   SIGUSR1 then gives an event=counters record whose counts match.
2. rsyslogd is SIGKILLed. More than LOG_QUEUE_RECORDS (4096) queries follow,
   each answered correctly within a bound. A new rsyslogd on the same path
   must then receive the 4096 queued records (the oldest, in order), then
   `event=log_dropped dropped=N` with N the excess exactly, then the records
   of later queries; the next counters record shows log_dropped=N.
3. Throughout, every line of out.log parses as one record, and no record
   has a field a peer forged through a node name. Every record starts with
   ts=, within 50 ms of the query it records (the window from sending the
   query to reading its reply), also for the records that waited in the
   queue while rsyslogd was down.
4. Every record is decoded by go-logfmt (tests/logfmt_check, Debian's
   golang-github-go-logfmt-logfmt-dev) and by Python's JSON-string decoding:
   the decoded node is the exact bytes sent, for names with '"', '\\', '=',
   spaces, UTF-8, every control class (C0, DEL, C1, U+2028/9) and bytes
   that are not UTF-8 (node_hex).

Exit: 0 pass, 77 skip, 1 fail. Logs are kept on failure (path on stderr).
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import (Fail, alive2_body, audit_line, audit_severity, check,  # noqa: E402
                      frame, logfmt_decode_go, logfmt_unquote, parse_logfmt, recv_upto,
                      sock_ends, split_ts, wait_until)

RSYSLOGD = os.environ.get("RSYSLOGD", "/usr/sbin/rsyslogd")
BOUND = 10.0            # upper bound for one query, one start, one wait
QUEUE = 4096            # LOG_QUEUE_RECORDS in log.h
EXTRA = 300             # queries past a full queue while rsyslogd is down
IDENT = "epmd_secure"
FORGED = ("event=query src=6.6.6.6 src_port=1 dst=6.6.6.6 dst_port=4369 "
          "req=ALIVE2 node=forged verdict=ok port=1 creation=1")

ACL = [
    "# test_audit_rsyslog.py",
    "allow 127.0.0.1",          # 2: IPv4 loopback may do everything
    "deny ::1 names",           # 3: ::1 may not list names
    "deny ::1 port node secret*",    # 4: nor look up secret* nodes
    "allow ::1 port",           # 5: but other lookups are fine
]
RULE_V4, RULE_V6_NAMES, RULE_V6_SECRET, RULE_V6_PORT = 2, 3, 4, 5
POLL = 0.02             # polling step of every wait
TS_SLACK = 0.05         # a record's ts= may be this far outside its query's window
# Lookup names that stress the escaping: every control class, quotes,
# backslashes, '=', spaces, UTF-8, and bytes that are not UTF-8.
HOSTILE = [b'q"uo\\te', b"back\\slash\\", b"a=b c=d", b"sp ace",
           "n\u00f6de-\u20ac-\U0001f407".encode(),
           bytes(range(0x01, 0x20)) + b"\x7f",
           "c1\u0080\u0085\u009f".encode(), "ls\u2028ps\u2029".encode(),
           b"latin1-\xf6\xe9", b"\xc3", b"\xed\xa0\x80surrogate", b"\xff\xfe",
           b'x" src=198.51.100.9 verdict=denied', b"x src=198.51.100.9 verdict=denied"]


def dgram_listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Rsyslog:
    """A private rsyslogd in the foreground, its input socket at tmp/log.sock."""

    def __init__(self, tmp, n):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "log.sock")
        self.out = os.path.join(tmp, "out.log")
        conf = os.path.join(tmp, "rsyslog.conf")
        if not os.path.exists(conf):
            with open(conf, "w") as f:
                f.write(RSYSLOG_CONF % {"tmp": tmp, "sock": self.sock, "out": self.out})
        self.logpath = os.path.join(tmp, "rsyslogd-%d.stderr" % n)
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-f", conf, "-i", os.path.join(tmp, "rsyslogd-%d.pid" % n), "-n"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise Fail("rsyslogd exited with %d, see %s" % (self.proc.returncode,
                                                               self.logpath))
            return dgram_listening(self.sock)
        wait_until(ready, BOUND, "rsyslogd to bind %s" % self.sock, step=POLL)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(BOUND)
        self.log.close()


RSYSLOG_CONF = """\
global(workDirectory="%(tmp)s"
       parser.escapeControlCharactersOnReceive="off")
main_queue(queue.workerThreads="1")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(sock)s" RateLimit.Interval="0"
      UsePIDFromSystem="off" Unlink="on")
template(name="audit" type="string"
         string="%%pri%%\\t%%syslogfacility-text%%\\t%%syslogseverity-text%%\\t%%app-name%%\\t%%procid%%\\t%%msg%%\\n")
if $syslogfacility-text == "syslog" then {
    action(type="omfile" file="%(tmp)s/rsyslogd-internal.log")
    stop
}
action(type="omfile" file="%(out)s" template="audit")
"""

SEVERITY = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5,
            "info": 6, "debug": 7}


def read_out(path):
    """Every complete line of out.log, parsed: [(lineno, pri, fac, sev, app, pid, msg)].
    A line that is not six tab-separated fields raises Fail (a broken record)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")[:-1]           # the last one may be incomplete
    out = []
    for i, line in enumerate(lines, 1):
        f = line.split("\t", 5)
        if len(f) != 6 or not f[0].isdigit():
            raise Fail("out.log line %d is not a whole record (raw newline in a "
                       "record?): %r" % (i, line))
        msg = f[5][1:] if f[5].startswith(" ") else f[5]
        out.append((i, int(f[0]), f[1], f[2], f[3], f[4], msg))
    return out


class Run:
    def __init__(self, tmp):
        self.tmp = tmp
        self.rs = None
        self.daemon = None
        self.exp = []           # expected records: dict(req, verdict, sev, text)
        self.regs = []
        self.uncounted = []     # (req, verdict) of queries whose record was dropped
        self.window = None      # (wall time before, after) the last query
        self.checked = 0        # records already decoded by go-logfmt

    # -- expectations ----------------------------------------------------

    def expect(self, src, dst, req, verdict, window=None, **kw):
        node = kw.get("node")
        if isinstance(node, str):
            node = node.encode()
        self.exp.append({"req": req, "verdict": verdict, "sev": audit_severity(verdict),
                         "text": audit_line(src, dst, req, verdict, **kw),
                         "window": window or self.window, "node": node})

    def expect_event(self, sev, text):
        self.exp.append({"req": None, "verdict": None, "sev": sev, "text": text,
                         "window": None, "node": None})

    def counters_text(self, conns, nodes, dropped):
        counts = {}
        keys = [(e["req"], e["verdict"]) for e in self.exp if e["req"] is not None]
        for k in keys + self.uncounted:
            counts[k] = counts.get(k, 0) + 1
        return epmdtest.audit_counters(counts, conns, nodes, dropped)

    def records(self):
        return read_out(self.rs.out)

    def wait_records(self, n, what, timeout=BOUND):
        """Wait until out.log holds n records (start record included)."""
        def enough():
            r = self.records()
            return r if len(r) >= n else None
        try:
            return wait_until(enough, timeout, what, step=POLL)
        except Fail:
            have = self.records()
            raise Fail("%s: out.log has %d records, expected %d; last expected: %s"
                       % (what, len(have), n, self.exp[len(have) - 1]["text"]
                          if 0 < len(have) <= len(self.exp) else "-"))

    def verify(self, what):
        """Compare out.log, record by record, with the expectations so far:
        no query may be in flight."""
        want = self.exp
        got = self.wait_records(len(want) + 1, what)
        pid = str(self.daemon.proc.pid)
        for i, pri, fac, sev, app, procid, msg in got:
            where = "out.log line %d (%r)" % (i, msg)
            try:
                parse_logfmt(msg)
            except ValueError as e:
                raise Fail("%s: %s" % (where, e))
            check(fac == "daemon", "%s: facility %s, expected daemon" % (where, fac))
            check(app == IDENT, "%s: ident %r, expected %r" % (where, app, IDENT))
            check(procid == pid, "%s: pid %s, expected %s" % (where, procid, pid))
            check(pri == epmdtest.LOG_DAEMON * 8 + SEVERITY.get(sev, -99),
                  "%s: PRI %d does not match daemon.%s" % (where, pri, sev))
            check(dict(parse_logfmt(msg)).get("src") != "6.6.6.6",
                  "%s: a forged record got through" % where)
        i, pri, fac, sev, app, procid, msg = got[0]
        check(split_ts(msg)[1].startswith("event=start ") and
              SEVERITY[sev] == epmdtest.SEV_INFO,
              "first record should be event=start at info, got %s %r" % (sev, msg))
        for e, (i, pri, fac, sev, app, procid, msg) in zip(want, got[1:]):
            try:
                ts, rest = split_ts(msg)
            except ValueError as err:
                raise Fail("out.log line %d: %s" % (i, err))
            check(rest == e["text"], "out.log line %d:\n  expected %s\n  seen     %s"
                  % (i, e["text"], rest))
            check(SEVERITY[sev] == e["sev"], "out.log line %d: severity %s, expected %d "
                  "for %s" % (i, sev, e["sev"], msg))
            if e["window"] is not None:
                t0, t1 = e["window"]
                check(t0 - TS_SLACK <= ts <= t1 + TS_SLACK,
                      "out.log line %d: ts %.6f is outside [%.6f, %.6f] +- %.0f ms of "
                      "its query: %s" % (i, ts, t0, t1, TS_SLACK * 1000, msg))
        self.decode_all(want, got)
        time.sleep(0.2)         # anything unexpected trailing?
        got = self.records()
        check(len(got) == len(want) + 1,
              "%s: out.log has %d records, expected exactly %d; extra: %r"
              % (what, len(got), len(want) + 1, [g[6] for g in got[len(want) + 1:]][:5]))

    def decode_all(self, want, got):
        """Decode the records not yet decoded with go-logfmt and with
        Python; each must decode, and each node must be the bytes sent."""
        new = list(zip(want, got[1:]))[self.checked:]
        if not new:
            return
        with open(self.rs.out, "rb") as f:
            raw = [l.split(b"\t", 5)[5] for l in f.read().split(b"\n")[:-1]]
        raw = [m[1:] if m.startswith(b" ") else m for m in raw]
        lines = [raw[i - 1] for _, (i, *_rest) in new]
        decoded = logfmt_decode_go(lines)
        for (e, (i, *_rest)), d in zip(new, decoded):
            where = "out.log line %d (%r)" % (i, raw[i - 1])
            check(not isinstance(d, str), "%s: go-logfmt rejects it: %s" % (where, d))
            keys = [k for k, _ in d]
            check(keys[0] == b"ts" and keys[1] == b"event",
                  "%s: go-logfmt sees keys %r, not ts, event first" % (where, keys))
            check(len(set(keys)) == len(keys), "%s: a key twice: %r" % (where, keys))
            f = dict(d)
            py = {k.encode(): logfmt_unquote(v).encode()
                  for k, v in parse_logfmt(raw[i - 1].decode("utf-8"))}
            check(py == f, "%s: Python decodes %r, go-logfmt %r" % (where, py, f))
            if e["node"] is None:
                check(b"node" not in f, "%s: a node field nobody sent" % where)
                continue
            sent = e["node"]
            try:
                sent.decode("utf-8")
                check(f.get(b"node") == sent and b"node_hex" not in f,
                      "%s: decoded node %r, sent %r" % (where, f.get(b"node"), sent))
            except UnicodeDecodeError:
                check(f.get(b"node_hex") == sent.hex().encode(),
                      "%s: node_hex %r, sent %r" % (where, f.get(b"node_hex"), sent))
                shown = logfmt_unquote(epmdtest._node_escape(sent)).encode()
                check(f.get(b"node") == shown,
                      "%s: node %r is not the U+FFFD form %r of %r"
                      % (where, f.get(b"node"), shown, sent))
            check(keys[-1] in (b"node", b"node_hex") and
                  keys.index(b"node") >= len(keys) - 2,
                  "%s: node is not the last field: %r" % (where, keys))
        self.checked += len(new)

    # -- clients ---------------------------------------------------------

    def query(self, raw, addr="127.0.0.1"):
        """One connection: send raw (None: send nothing), read to close."""
        t0 = time.time()
        r = epmdtest.query_ends(self.daemon.port, raw, addr, BOUND)
        self.window = (t0, time.time())
        return r

    def register(self, name, port):
        s = epmdtest.connect(self.daemon.port, "127.0.0.1", BOUND)
        src, dst = sock_ends(s)
        t0 = time.time()
        s.sendall(frame(alive2_body(name, port=port)))
        try:
            reply = recv_upto(s, 6)
        except socket.timeout:
            raise Fail("no ALIVE2 reply for %r within %.0fs" % (name, BOUND))
        self.window = (t0, time.time())
        check(len(reply) == 6 and reply[:2] == b"v\x00",
              "registering %r: reply %r, expected v 0 creation" % (name, reply))
        creation = struct.unpack(">I", reply[2:])[0]
        self.expect(src, dst, "ALIVE2", "ok", node=name, port=port, creation=creation)
        self.regs.append(s)
        return s, src, dst

    def port2(self, name, addr="127.0.0.1"):
        if isinstance(name, str):
            name = name.encode()
        return self.query(frame(b"z" + name), addr)

    # -- the test ----------------------------------------------------------

    def start(self):
        acl = os.path.join(self.tmp, "acl")
        conf = os.path.join(self.tmp, "epmd_secure.conf")
        with open(acl, "w") as f:
            f.write("\n".join(ACL) + "\n")
        with open(conf, "w") as f:
            f.write("log_target syslog\nlog_facility daemon\nlog_ident %s\n"
                    "packet_timeout 2\n" % IDENT)
            f.write(epmdtest.SYNTHETIC_PORTS)
        os.chmod(acl, 0o644)
        os.chmod(conf, 0o644)
        self.rs = Rsyslog(self.tmp, 1)
        # Not -d: that would log to stderr. wait=False: the usual probe
        # connection would be a no_request record; the start record says
        # the daemon listens.
        self.daemon = epmdtest.Daemon(args=["-config", conf, "-acl", acl,
                                            "-log_socket", self.rs.sock],
                                      logdir=self.tmp, wait=False)
        self.wait_records(1, "the event=start record")
        check(self.daemon.alive(), "epmd_secure exited: %s" % self.daemon.logtext())

    def phase1(self):
        alpha, asrc, adst = self.register("alpha", 5001)
        self.register("beta", 5002)

        r, src, dst = self.port2("alpha")
        check(r[:2] == b"w\x00" and struct.unpack(">H", r[2:4])[0] == 5001,
              "PORT_PLEASE2 alpha: reply %r" % r)
        self.expect(src, dst, "PORT_PLEASE2", "ok", node="alpha", port=5001, rule=RULE_V4)

        r, src, dst = self.port2("nosuch")
        check(r == b"w\x01", "PORT_PLEASE2 nosuch: reply %r" % r)
        self.expect(src, dst, "PORT_PLEASE2", "not_found", node="nosuch", rule=RULE_V4)

        r, src, dst = self.query(frame(b"n"))
        check(r[:4] == struct.pack(">I", self.daemon.port) and r.count(b"\n") == 2,
              "NAMES: reply %r" % r)
        self.expect(src, dst, "NAMES", "ok", names=2, rule=RULE_V4)

        r, src, dst = self.query(frame(b"n"), "::1")
        check(r == b"", "NAMES from ::1 (denied, names_refusal close): reply %r" % r)
        self.expect(src, dst, "NAMES", "denied", rule=RULE_V6_NAMES)

        r, src, dst = self.port2("secretnode", "::1")
        check(r == b"w\x01", "PORT_PLEASE2 secretnode from ::1: reply %r" % r)
        self.expect(src, dst, "PORT_PLEASE2", "denied", node="secretnode",
                    rule=RULE_V6_SECRET)

        r, src, dst = self.port2("alpha", "::1")
        check(r[:2] == b"w\x00", "PORT_PLEASE2 alpha from ::1: reply %r" % r)
        self.expect(src, dst, "PORT_PLEASE2", "ok", node="alpha", port=5001,
                    rule=RULE_V6_PORT)

        for raw, req, reason in ((b"\x00\x00", "-", "zero length"),
                                 (frame(b"\x01"), "-", "unknown request"),
                                 (frame(b"x\x00\x01\x02\x03\x04"), "ALIVE2",
                                  "ALIVE2_REQ too short")):
            r, src, dst = self.query(raw)
            check(r == b"", "malformed %r: reply %r" % (raw, r))
            self.expect(src, dst, req, "malformed", reason=reason)

        r, src, dst = self.query(frame(alive2_body("alpha", port=5009)))
        check(r == b"v\x01\x00\x00\x00\x63", "duplicate ALIVE2: reply %r" % r)
        self.expect(src, dst, "ALIVE2", "duplicate", node="alpha", port=5009, creation=99)

        r, src, dst = self.query(frame(b"d"))
        check(r[:4] == struct.pack(">I", self.daemon.port) and b"<alpha>" in r
              and b"<beta>" in r, "DUMP: reply %r" % r)
        self.expect(src, dst, "DUMP", "ok", names=2)

        r, src, dst = self.query(frame(b"k"))
        check(r == b"NO", "KILL with live nodes: reply %r" % r)
        self.expect(src, dst, "KILL", "refused", reason="nodes are registered")

        r, src, dst = self.query(frame(b"s" + b"alpha"))
        check(r == b"", "STOP on a strict daemon: reply %r" % r)
        self.expect(src, dst, "STOP", "refused", node="alpha",
                    reason="no -relaxed_command_check")

        r, src, dst = self.query(None)
        check(r == b"", "no request: reply %r" % r)
        self.expect(src, dst, "-", "no_request")

        r, src, dst = self.query(b"\x00\x14x")     # 1 of 20 bytes; packet_timeout 2
        check(r == b"", "incomplete frame: reply %r" % r)
        self.expect(src, dst, "ALIVE2", "timeout", reason="incomplete frame")

        self.verify("records before alpha's end")
        t0 = time.time()
        alpha.close()
        self.regs.remove(alpha)
        self.expect(asrc, adst, "ALIVE2_END", "ok", node="alpha", port=5001,
                    window=(t0, t0 + BOUND))
        self.verify("the ALIVE2_END record")

        # Log injection: control characters in names never start a line.
        for name in (b"evil\n" + FORGED.encode(),
                     b"cr\r\n" + FORGED.encode() + b"\x7f",
                     "nel\u0085".encode() + FORGED.encode()):
            r, src, dst = self.query(frame(alive2_body(name, port=5003)))
            check(r == b"v\x01\x00\x00\x00\x63",
                  "ALIVE2 with a control character in the name: reply %r" % r)
            self.expect(src, dst, "ALIVE2", "invalid", node=name, port=5003,
                        creation=99, reason="node name contains a control character")
        for name in (b"ghost\n" + FORGED.encode(),
                     'q"uo\\te \u00fc =x'.encode()):
            r, src, dst = self.port2(name)
            check(r in (b"w\x01", b""), "PORT_PLEASE2 %r: reply %r" % (name, r))
            self.expect(src, dst, "PORT_PLEASE2", "not_found", node=name, rule=RULE_V4)
        # STOP takes any bytes up to a NUL as the name (PORT_PLEASE2 and
        # ALIVE2 refuse invalid UTF-8 before the name is logged).
        for name in HOSTILE:
            r, src, dst = self.query(frame(b"s" + name))
            check(r == b"", "STOP %r on a strict daemon: reply %r" % (name, r))
            self.expect(src, dst, "STOP", "refused", node=name,
                        reason="no -relaxed_command_check")
        self.verify("the log-injection records")

        os.kill(self.daemon.proc.pid, signal.SIGUSR1)
        self.expect_event(epmdtest.SEV_INFO, self.counters_text(1, 1, 0))
        self.verify("the first counters record")

    def phase2(self):
        self.rs.kill()
        check(not dgram_listening(self.rs.sock),
              "the socket of a killed rsyslogd still accepts datagrams")
        t0 = time.monotonic()
        worst = 0.0
        down = []
        for i in range(QUEUE + EXTRA):
            q0 = time.monotonic()
            if i % 2 == 0:
                r, src, dst = self.port2("beta")
                check(r[:2] == b"w\x00" and struct.unpack(">H", r[2:4])[0] == 5002,
                      "query %d with rsyslogd down: PORT_PLEASE2 beta: %r" % (i, r))
                down.append((src, dst, "PORT_PLEASE2", "ok",
                             dict(node="beta", port=5002, rule=RULE_V4,
                                  window=self.window)))
            else:
                r, src, dst = self.query(frame(b"n"))
                check(r == struct.pack(">I", self.daemon.port) +
                      b"name beta at port 5002\n",
                      "query %d with rsyslogd down: NAMES: %r" % (i, r))
                down.append((src, dst, "NAMES", "ok", dict(names=1, rule=RULE_V4,
                                                          window=self.window)))
            worst = max(worst, time.monotonic() - q0)
        print("%d queries with rsyslogd down in %.1fs, slowest %.3fs"
              % (QUEUE + EXTRA, time.monotonic() - t0, worst), file=sys.stderr)
        check(self.daemon.alive(), "epmd_secure died while rsyslogd was down")

        # The queue keeps the oldest QUEUE records; the rest are counted.
        for src, dst, req, verdict, kw in down[:QUEUE]:
            self.expect(src, dst, req, verdict, **kw)
        self.rs = Rsyslog(self.tmp, 2)
        self.expect_event(epmdtest.SEV_WARNING, "event=log_dropped dropped=%d" % EXTRA)
        # The dropped ones have no record but still count as queries.
        self.uncounted.extend((req, verdict) for _, _, req, verdict, _ in down[QUEUE:])
        self.verify("the queued records and the log_dropped record")

        for i in range(10):
            r, src, dst = self.port2("beta")
            check(r[:2] == b"w\x00", "query %d after the restart: reply %r" % (i, r))
            self.expect(src, dst, "PORT_PLEASE2", "ok", node="beta", port=5002,
                        rule=RULE_V4)
        self.verify("the records after rsyslogd's restart")

        os.kill(self.daemon.proc.pid, signal.SIGUSR1)
        self.expect_event(epmdtest.SEV_INFO, self.counters_text(1, 1, EXTRA))
        self.verify("the second counters record")

        beta = self.regs.pop()
        src, dst = sock_ends(beta)
        t0 = time.time()
        beta.close()
        self.expect(src, dst, "ALIVE2_END", "ok", node="beta", port=5002,
                    window=(t0, t0 + BOUND))
        self.verify("beta's ALIVE2_END record")
        epmdtest.terminate_ok(self.daemon.proc, BOUND)
        self.expect_event(epmdtest.SEV_INFO, "event=stop signal=TERM")
        self.expect_event(epmdtest.SEV_INFO, "event=stopped status=0")
        self.verify("the whole of out.log")
        print("out.log: %d records, all as expected; %d decoded by go-logfmt and "
              "Python, nodes byte-exact" % (len(self.exp) + 1, self.checked),
              file=sys.stderr)

    def cleanup(self):
        for s in self.regs:
            s.close()
        if self.daemon is not None:
            self.daemon.stop()
        if self.rs is not None:
            self.rs.kill()


def main():
    if not os.access(RSYSLOGD, os.X_OK):
        epmdtest.skip("no rsyslogd at %s (Debian package rsyslog)" % RSYSLOGD)
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        epmdtest.skip("%s not built" % epmdtest.EPMD_SECURE)
    if not epmdtest.have_ipv6_loopback():
        epmdtest.skip("no IPv6 loopback (::1): the ACL denial cases need it")
    tmp = tempfile.mkdtemp(prefix="epmd-audit-rsyslog-")
    run = Run(tmp)
    if epmdtest.run_steps([run.start, run.phase1, run.phase2], run.cleanup):
        shutil.rmtree(tmp, ignore_errors=True)
        print("PASS", file=sys.stderr)
        return 0
    print("logs kept in %s (out.log, rsyslogd-*.stderr, epmd_secure-*.log)" % tmp,
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
