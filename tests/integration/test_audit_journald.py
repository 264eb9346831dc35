#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The audit trail in journald's native protocol.

We play journald: an AF_UNIX datagram socket bound in a temp dir, given to a
daemon configured with `log_target journald` and `-log_socket`. Every
datagram is parsed as the native protocol (`KEY=value\\n` fields, and the
binary `KEY\\n<le64 length><value>\\n` form; a memfd passed with SCM_RIGHTS
is read too) and must be exactly one record:
- MESSAGE is byte-for-byte the logfmt line of the query (addresses and ports
  from the client socket itself);
- PRIORITY is 6 for ok/not_found, 4 for malformed, 5 otherwise;
  SYSLOG_FACILITY 3 (daemon), SYSLOG_IDENTIFIER epmd_secure, SYSLOG_PID the
  daemon's pid;
- the EPMD_* fields are exactly those of the record (so a journal match such
  as `journalctl EPMD_VERDICT=denied` selects exactly the denied queries);
- no field name is one journald would drop, no field appears twice, no value
  holds a raw newline that a peer put in a node name.
Lifecycle records (start, reload ok, reload_error and reload result=error for
a broken ACL on SIGHUP, counters on SIGUSR1, stop, stopped) carry EPMD_EVENT;
a failed reload keeps the policy. The daemon writes nothing to stdout or stderr.

Exit: 0 pass, 77 skip, 1 fail. Logs are kept on failure (path on stderr).
"""
import array
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import (Fail, alive2_body, audit_fields, audit_line,  # noqa: E402
                      audit_severity, check, frame, parse_journal_native, parse_logfmt,
                      recv_upto, sock_ends, split_ts)

BOUND = 10.0
IDENT = "epmd_secure"
ACL = [
    "# test_audit_journald.py",
    "allow 127.0.0.1",          # 2
    "deny ::1 names",           # 3
    "deny ::1 port node secret*",    # 4
    "allow ::1 port",           # 5
]
RULE_V4, RULE_V6_NAMES, RULE_V6_SECRET = 2, 3, 4
SYSLOG_KEYS = {"MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID"}
FORGED = "event=query src=6.6.6.6 src_port=1 dst=6.6.6.6 dst_port=4369 req=NAMES verdict=ok"


class Journal:
    """A fake journald socket that keeps every datagram it reads."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "journal.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(self.path)
        self.dump = open(os.path.join(tmp, "journal.datagrams"), "wb")
        self.n = 0

    def recv(self, timeout=BOUND):
        """One datagram's fields as [(key, bytes)]; None on timeout."""
        self.sock.settimeout(timeout)
        try:
            data, anc, flags, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
        except socket.timeout:
            return None
        check(not flags & socket.MSG_TRUNC, "datagram truncated at 64 KiB")
        fds = array.array("i")
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
        for fd in fds:          # a large entry sent as a sealed memfd
            check(data == b"", "a datagram with both data and an fd")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while True:
                b = os.read(fd, 65536)
                if not b:
                    break
                chunks.append(b)
            os.close(fd)
            data = b"".join(chunks)
        self.n += 1
        self.dump.write(b"--- datagram %d (%d bytes)\n" % (self.n, len(data)) + data + b"\n")
        self.dump.flush()
        try:
            return parse_journal_native(data)
        except ValueError as e:
            raise Fail("datagram %d is not journal native protocol: %s: %r"
                       % (self.n, e, data))

    def close(self):
        self.sock.close()
        self.dump.close()


class Run:
    def __init__(self, tmp):
        self.tmp = tmp
        self.journal = None
        self.daemon = None
        self.regs = []
        self.records = []       # every datagram's fields as a dict
        self.counts = {}

    def entry(self, what):
        fields = self.journal.recv()
        check(fields is not None, "no datagram within %.0fs for %s" % (BOUND, what))
        keys = [k for k, _ in fields]
        dups = sorted({k for k in keys if keys.count(k) > 1})
        check(not dups, "%s: fields repeated in one datagram: %s (several records "
              "in one datagram?)" % (what, dups))
        d = {}
        for k, v in fields:
            try:
                d[k] = v.decode("utf-8")
            except UnicodeDecodeError:
                raise Fail("%s: %s is not UTF-8: %r" % (what, k, v))
            check("\n" not in d[k], "%s: %s holds a raw newline: %r" % (what, k, v))
        self.records.append(d)
        pid = str(self.daemon.proc.pid)
        for k, want in (("SYSLOG_FACILITY", "3"), ("SYSLOG_IDENTIFIER", IDENT),
                        ("SYSLOG_PID", pid)):
            check(d.get(k) == want, "%s: %s=%r, expected %r" % (what, k, d.get(k), want))
        check("MESSAGE" in d, "%s: no MESSAGE" % what)
        try:
            parse_logfmt(d["MESSAGE"])
            ts, rest = split_ts(d["MESSAGE"])
        except ValueError as e:
            raise Fail("%s: MESSAGE is not one logfmt record: %s" % (what, e))
        # EPMD_TS repeats the record's own ts= for journalctl's field filters.
        check(d.pop("EPMD_TS", None) == d["MESSAGE"][3:3 + 27],
              "%s: EPMD_TS does not repeat the ts= of %r" % (what, d["MESSAGE"]))
        d["MESSAGE"] = rest
        return d

    def expect_query(self, what, src, dst, req, verdict, **kw):
        d = self.entry(what)
        text = audit_line(src, dst, req, verdict, **kw)
        check(d["MESSAGE"] == text, "%s: MESSAGE\n  expected %s\n  seen     %s"
              % (what, text, d["MESSAGE"]))
        sev = audit_severity(verdict)
        check(d.get("PRIORITY") == str(sev), "%s: PRIORITY=%r, expected %d"
              % (what, d.get("PRIORITY"), sev))
        want = audit_fields(src, dst, req, verdict, **kw)
        got = {k: v for k, v in d.items() if k not in SYSLOG_KEYS}
        for k in sorted(set(want) | set(got)):
            check(want.get(k) == got.get(k), "%s: %s=%r, expected %r (record %s)"
                  % (what, k, got.get(k), want.get(k), text))
        self.counts[(req, verdict)] = self.counts.get((req, verdict), 0) + 1
        return d

    def expect_event(self, what, event, priority, message=None):
        d = self.entry(what)
        if message is None:
            check(d["MESSAGE"].startswith("event=%s " % event), "%s: MESSAGE %r"
                  % (what, d["MESSAGE"]))
        else:
            check(d["MESSAGE"] == message, "%s: MESSAGE\n  expected %s\n  seen     %s"
                  % (what, message, d["MESSAGE"]))
        check(d.get("PRIORITY") == str(priority), "%s: PRIORITY=%r, expected %d"
              % (what, d.get("PRIORITY"), priority))
        extra = {k: v for k, v in d.items() if k not in SYSLOG_KEYS}
        check(extra == {"EPMD_EVENT": event}, "%s: fields %r, expected only EPMD_EVENT=%s"
              % (what, extra, event))
        return d

    def query(self, raw, addr="127.0.0.1"):
        return epmdtest.query_ends(self.daemon.port, raw, addr, BOUND)

    def run(self):
        acl = os.path.join(self.tmp, "acl")
        conf = os.path.join(self.tmp, "epmd_secure.conf")
        with open(acl, "w") as f:
            f.write("\n".join(ACL) + "\n")
        with open(conf, "w") as f:
            f.write("log_target journald\nlog_ident %s\n" % IDENT)
            f.write(epmdtest.SYNTHETIC_PORTS)
        os.chmod(acl, 0o644)
        os.chmod(conf, 0o644)
        self.journal = Journal(self.tmp)
        self.daemon = epmdtest.Daemon(args=["-config", conf, "-acl", acl,
                                            "-log_socket", self.journal.path],
                                      logdir=self.tmp, wait=False)
        self.expect_event("the start record", "start", epmdtest.SEV_INFO)

        s = epmdtest.connect(self.daemon.port, "127.0.0.1", BOUND)
        self.regs.append(s)
        asrc, adst = sock_ends(s)
        s.sendall(frame(alive2_body("alpha", port=5001)))
        reply = recv_upto(s, 6)
        check(reply[:2] == b"v\x00" and len(reply) == 6, "ALIVE2 alpha: reply %r" % reply)
        creation = struct.unpack(">I", reply[2:])[0]
        self.expect_query("ALIVE2 alpha", asrc, adst, "ALIVE2", "ok", node="alpha",
                          port=5001, creation=creation)

        r, src, dst = self.query(frame(b"zalpha"))
        check(r[:2] == b"w\x00", "PORT_PLEASE2 alpha: reply %r" % r)
        self.expect_query("PORT_PLEASE2 alpha", src, dst, "PORT_PLEASE2", "ok",
                          node="alpha", port=5001, rule=RULE_V4)

        r, src, dst = self.query(frame(b"znosuch"))
        check(r == b"w\x01", "PORT_PLEASE2 nosuch: reply %r" % r)
        self.expect_query("PORT_PLEASE2 nosuch", src, dst, "PORT_PLEASE2", "not_found",
                          node="nosuch", rule=RULE_V4)

        r, src, dst = self.query(frame(b"n"), "::1")
        check(r == b"", "NAMES from ::1: reply %r" % r)
        self.expect_query("NAMES from ::1", src, dst, "NAMES", "denied",
                          rule=RULE_V6_NAMES)

        r, src, dst = self.query(frame(b"zsecretnode"), "::1")
        check(r == b"w\x01", "PORT_PLEASE2 secretnode from ::1: reply %r" % r)
        self.expect_query("PORT_PLEASE2 secretnode from ::1", src, dst, "PORT_PLEASE2",
                          "denied", node="secretnode", rule=RULE_V6_SECRET)

        r, src, dst = self.query(frame(b"\x01"))
        check(r == b"", "unknown opcode: reply %r" % r)
        self.expect_query("unknown opcode", src, dst, "-", "malformed",
                          reason="unknown request")

        r, src, dst = self.query(frame(b"k"))
        check(r == b"NO", "KILL: reply %r" % r)
        self.expect_query("KILL", src, dst, "KILL", "refused",
                          reason="nodes are registered")

        # Newlines in names must not split a field or forge one.
        name = ("evil\nEPMD_VERDICT=ok\nMESSAGE=" + FORGED).encode()
        r, src, dst = self.query(frame(alive2_body(name, port=5003)))
        check(r == b"v\x01\x00\x00\x00\x63", "ALIVE2 with a newline: reply %r" % r)
        self.expect_query("ALIVE2 with a newline", src, dst, "ALIVE2", "invalid",
                          node=name, port=5003, creation=99,
                          reason="node name contains a control character")
        r, src, dst = self.query(frame(b"z" + name))
        check(r == b"w\x01", "PORT_PLEASE2 with a newline: reply %r" % r)
        self.expect_query("PORT_PLEASE2 with a newline", src, dst, "PORT_PLEASE2",
                          "not_found", node=name, rule=RULE_V4)

        self.regs.remove(s)
        s.close()
        self.expect_query("alpha's end", asrc, adst, "ALIVE2_END", "ok", node="alpha",
                          port=5001)

        # What `journalctl EPMD_VERDICT=denied` would select.
        denied = [d["MESSAGE"] for d in self.records if d.get("EPMD_VERDICT") == "denied"]
        check(len(denied) == 2 and all(" verdict=denied " in m for m in denied),
              "EPMD_VERDICT=denied matches %r, expected the two denied queries" % denied)
        check(not any(d.get("EPMD_VERDICT") == "ok" and "6.6.6.6" in d["MESSAGE"]
                      for d in self.records), "a forged record matched EPMD_VERDICT=ok")

        # Reload: ok, then a broken ACL (a '"' in it) is refused and kept.
        os.kill(self.daemon.proc.pid, signal.SIGHUP)
        self.expect_event("the reload record", "reload", epmdtest.SEV_INFO,
                          'event=reload result=ok rules_before=4 rules_after=4 acl="%s"'
                          % epmdtest.audit_escape(acl))
        with open(acl, "a") as f:
            f.write('bogus"word 10.0.0.0/8\n')
        os.kill(self.daemon.proc.pid, signal.SIGHUP)
        d = self.expect_event("the reload_error record", "reload_error",
                              epmdtest.SEV_WARNING)
        pairs = parse_logfmt(d["MESSAGE"])
        check([k for k, _ in pairs] == ["event", "error"] and
              d["MESSAGE"].startswith('event=reload_error error="') and
              "%s:%d:" % (epmdtest.audit_escape(acl), len(ACL) + 1) in pairs[1][1] and
              'bogus\\"word' in pairs[1][1] and
              dict(epmdtest.logfmt_decode_go([d["MESSAGE"]])[0]).get(b"error", b"")
              .find(b'unknown keyword "bogus"word"') > 0,
              "reload_error: MESSAGE %r should quote the error, with the file:line "
              "and the '\"' escaped" % d["MESSAGE"])
        self.expect_event("the failed reload record", "reload", epmdtest.SEV_WARNING,
                          "event=reload result=error errors=1 rules=4 kept=yes")
        r, src, dst = self.query(frame(b"zsecretnode"), "::1")
        check(r == b"w\x01", "after a failed reload: PORT_PLEASE2 secretnode from ::1: "
              "reply %r" % r)
        self.expect_query("PORT_PLEASE2 secretnode from ::1 after a failed reload", src,
                          dst, "PORT_PLEASE2", "denied", node="secretnode",
                          rule=RULE_V6_SECRET)

        os.kill(self.daemon.proc.pid, signal.SIGUSR1)
        self.expect_event("the counters record", "counters", epmdtest.SEV_INFO,
                          epmdtest.audit_counters(self.counts))

        epmdtest.terminate_ok(self.daemon.proc, BOUND)
        self.expect_event("the stop record", "stop", epmdtest.SEV_INFO,
                          "event=stop signal=TERM")
        self.expect_event("the stopped record", "stopped", epmdtest.SEV_INFO,
                          "event=stopped status=0")
        extra = self.journal.recv(0.3)
        check(extra is None, "an unexpected datagram after the end: %r" % extra)
        out = self.daemon.logtext()
        check(out == "", "epmd_secure wrote to stdout/stderr: %r" % out[:500])
        print("%d journal datagrams, all as expected" % len(self.records), file=sys.stderr)

    def cleanup(self):
        for s in self.regs:
            s.close()
        if self.daemon is not None:
            self.daemon.stop()
        if self.journal is not None:
            self.journal.close()


def main():
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        epmdtest.skip("%s not built" % epmdtest.EPMD_SECURE)
    if not epmdtest.have_ipv6_loopback():
        epmdtest.skip("no IPv6 loopback (::1): the ACL denial cases need it")
    tmp = tempfile.mkdtemp(prefix="epmd-audit-journald-")
    run = Run(tmp)
    if epmdtest.run_steps([run.run], run.cleanup):
        shutil.rmtree(tmp, ignore_errors=True)
        print("PASS", file=sys.stderr)
        return 0
    print("logs kept in %s (journal.datagrams, epmd_secure-*.log)" % tmp, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
