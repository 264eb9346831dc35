#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The drop-in command line.

For every CASE three runs are made, each against its own freshly started and
identically prepared daemon:
    ref  stock client  -> stock daemon
    A    our client    -> stock daemon
    B    stock client  -> our daemon
A and B must give the same exit status, stdout and stderr as ref. Normalised
are only the daemon's port number and the fd numbers of -dump lines. Cases
with no daemon compare our client with stock's.

Then our own argument validation (protocol page, item 8): malformed -port,
ERL_EPMD_PORT and addresses are a one-line error on stderr and exit 1; -h
prints usage and exits 0; an unknown flag exits 1 with a message; and our
daemon never writes to stdout (checked for every daemon this test starts).

Exit: 0 pass, 77 skip, 1 fail.
"""
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
from epmdtest import alive2_body, clean_env, connect, frame, recv_upto  # noqa: E402

BOUND = 10.0            # upper bound for a client run or a daemon exit
STOCK = epmdtest.STOCK_EPMD
OURS = epmdtest.EPMD_SECURE
LOGDIR = tempfile.mkdtemp(prefix="epmd-cli-")


class Daemon:
    """A foreground daemon with stdout and stderr kept apart, so that we can
    check that it never writes to stdout."""
    count = 0

    def __init__(self, binary, args=(), env=None, port=None, wait=True):
        Daemon.count += 1
        self.binary = binary
        self.port = port or epmdtest.free_port()
        tag = "%s-%d-%d" % (os.path.basename(binary), self.port, Daemon.count)
        self.outpath = os.path.join(LOGDIR, tag + ".stdout")
        self.errpath = os.path.join(LOGDIR, tag + ".stderr")
        self.out = open(self.outpath, "wb")
        self.err = open(self.errpath, "wb")
        args = list(args)
        # Made-up registration ports: see epmdtest.SYNTHETIC_PORTS.
        if os.path.basename(binary).startswith("epmd_secure") and "-config" not in args:
            args = ["-config", epmdtest.synthetic_ports_conf(LOGDIR)] + args
        self.argv = [binary, "-port", str(self.port)] + args
        self.proc = subprocess.Popen(self.argv, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL, env=clean_env(env))
        self.socks = []
        if wait:
            try:
                epmdtest.wait_listening(self.port)
            except Exception:
                self.stop()
                raise

    def stdout(self):
        with open(self.outpath, "rb") as f:
            return f.read()

    def wait_exit(self):
        try:
            return self.proc.wait(BOUND)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        for s in self.socks:
            s.close()
        rc = epmdtest.stop_proc(self.proc)
        self.out.close()
        self.err.close()
        return rc


def client(binary, args, env=None):
    """Run a client; return (rc, stdout, stderr), rc 'timeout' if it hangs."""
    try:
        r = subprocess.run([binary] + list(args), capture_output=True, env=clean_env(env),
                           stdin=subprocess.DEVNULL, timeout=BOUND)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", e.stderr or b""


def register(d, name, port, **kw):
    s = connect(d.port)
    s.sendall(frame(alive2_body(name, port=port, **kw)))
    s.settimeout(5)
    want = 6 if kw.get("hi", 6) >= 6 else 4
    got = recv_upto(s, want)
    if len(got) != want or got[1] != 0:
        raise RuntimeError("%s: registering %r failed: %r" % (d.binary, name, got))
    d.socks.append(s)
    return s


def names_raw(d):
    return epmdtest.request(d.port, frame(b"n"))


def wait_gone(d, name, port):
    line = ("name %s at port %d\n" % (name, port)).encode()
    deadline = time.monotonic() + BOUND
    while line in names_raw(d):
        if time.monotonic() > deadline:
            raise RuntimeError("%s: %s never unregistered" % (d.binary, name))
        time.sleep(0.05)


# Setups: functions preparing a daemon identically on every side.
def setup_none(d):
    pass


def setup_nodes(d):
    register(d, "a1", 5001)
    register(d, "h1", 5002, ntype=72, extra=b"XYZ")
    register(d, "v5", 5003, hi=5, lo=5)


def setup_dump(d):
    """Active nodes and old/unused names."""
    s = register(d, "gone", 5009)
    register(d, "a1", 5001)
    s2 = register(d, "gone2", 5008)
    d.socks.remove(s)
    s.close()
    wait_gone(d, "gone", 5009)
    d.socks.remove(s2)
    s2.close()
    wait_gone(d, "gone2", 5008)
    register(d, "h1", 5002, ntype=72)


def setup_one(d):
    register(d, "a1", 5001)


def norm(text, d):
    if d is not None:
        text = text.replace(str(d.port).encode(), b"<PORT>")
    return re.sub(rb"fd = \d+", b"fd = <FD>", text)


# after(d): a check on the daemon after the client ran, compared across sides.
def after_exit(d):
    return "exit %s" % d.wait_exit()


def after_alive(d):
    time.sleep(0.2)   # not a speed assertion: just let a wrongly-exiting daemon go
    return "running" if d.proc.poll() is None else "exited %s" % d.proc.returncode


def after_stopped(d):
    """Whether the first registration's connection was closed by the daemon."""
    s = d.socks[0]
    s.settimeout(BOUND)
    try:
        data = s.recv(16)
    except socket.timeout:
        return "registration still open"
    except ConnectionResetError:
        data = b""
    return "registration closed" if data == b"" else "registration got %r" % data


def P(d):
    return ["-port", str(d.port)]


# name, daemon args, daemon env, setup, client args (function of the daemon),
# client env (function of the daemon), after-check.
CASES = [
    ("-names, empty", [], None, setup_none, lambda d: P(d) + ["-names"], None, None),
    ("-names, three nodes (hidden, v5)", [], None, setup_nodes, lambda d: P(d) + ["-names"], None, None),
    ("-names via ERL_EPMD_PORT", [], None, setup_nodes, lambda d: ["-names"],
     lambda d: {"ERL_EPMD_PORT": str(d.port)}, None),
    ("-port beats ERL_EPMD_PORT", [], None, setup_one, lambda d: P(d) + ["-names"],
     lambda d: {"ERL_EPMD_PORT": str(epmdtest.free_port())}, None),
    ("-d before -names", [], None, setup_one, lambda d: ["-d"] + P(d) + ["-names"], None, None),
    ("-dump, empty", [], None, setup_none, lambda d: P(d) + ["-dump"], None, None),
    ("-dump, active and old/unused", [], None, setup_dump, lambda d: P(d) + ["-dump"], None, None),
    ("-started, daemon up", [], None, setup_none, lambda d: P(d) + ["-started"], None, None),
    ("-started via ERL_EPMD_PORT", [], None, setup_one, lambda d: ["-started"],
     lambda d: {"ERL_EPMD_PORT": str(d.port)}, None),
    ("-kill refused: living nodes", [], None, setup_one, lambda d: P(d) + ["-kill"], None, after_alive),
    ("-kill allowed: no nodes", [], None, setup_none, lambda d: P(d) + ["-kill"], None, after_exit),
    ("-kill via ERL_EPMD_PORT", [], None, setup_none, lambda d: ["-kill"],
     lambda d: {"ERL_EPMD_PORT": str(d.port)}, after_exit),
    ("-kill with nodes, -relaxed_command_check", ["-relaxed_command_check"], None, setup_one,
     lambda d: P(d) + ["-kill"], None, after_exit),
    ("-kill with nodes, ERL_EPMD_RELAXED_COMMAND_CHECK", [], {"ERL_EPMD_RELAXED_COMMAND_CHECK": "1"},
     setup_one, lambda d: P(d) + ["-kill"], None, after_exit),
    ("-stop known, relaxed", ["-relaxed_command_check"], None, setup_one,
     lambda d: P(d) + ["-stop", "a1"], None, after_stopped),
    ("-stop unknown, relaxed", ["-relaxed_command_check"], None, setup_one,
     lambda d: P(d) + ["-stop", "zz"], None, None),
    ("-stop known, relaxed via env", [], {"ERL_EPMD_RELAXED_COMMAND_CHECK": "1"}, setup_one,
     lambda d: P(d) + ["-stop", "a1"], None, after_stopped),
    ("-stop, not relaxed", [], None, setup_one, lambda d: P(d) + ["-stop", "a1"], None, None),
]

# Client runs with nothing listening: compared between our client and stock's.
NO_DAEMON = [
    ("-names", lambda p: ["-port", str(p), "-names"], None),
    ("-dump", lambda p: ["-port", str(p), "-dump"], None),
    ("-kill", lambda p: ["-port", str(p), "-kill"], None),
    ("-stop NAME", lambda p: ["-port", str(p), "-stop", "a1"], None),
    ("-started", lambda p: ["-port", str(p), "-started"], None),
    ("-names via ERL_EPMD_PORT", lambda p: ["-names"], lambda p: {"ERL_EPMD_PORT": str(p)}),
    ("-started via ERL_EPMD_PORT", lambda p: ["-started"], lambda p: {"ERL_EPMD_PORT": str(p)}),
]

# Our own validation: (label, argv, env). Each must exit 1 with exactly one
# line on stderr, nothing on stdout, and not start a daemon.
MALFORMED = [
    ("-port abc -names", ["-port", "abc", "-names"], None),
    # Stock's client commands must be the last argument; stock prints its
    # whole usage text, we print one line naming the problem (both exit 1).
    ("-names followed by another argument", ["-port", "PORT", "-names", "-names"], None),
    ("-stop NAME followed by another argument", ["-port", "PORT", "-stop", "a1", "-d"], None),
    ("-port 0 -names", ["-port", "0", "-names"], None),
    ("-port 70000 -names", ["-port", "70000", "-names"], None),
    ("-port -1 -names", ["-port", "-1", "-names"], None),
    ("-port 12x -names", ["-port", "12x", "-names"], None),
    ("-port '' -names", ["-port", "", "-names"], None),
    ("-port abc (daemon)", ["-port", "abc"], None),
    ("-port 0 (daemon)", ["-port", "0"], None),
    ("ERL_EPMD_PORT=abc -names", ["-names"], {"ERL_EPMD_PORT": "abc"}),
    ("ERL_EPMD_PORT=0 -names", ["-names"], {"ERL_EPMD_PORT": "0"}),
    ("ERL_EPMD_PORT=99999 (daemon)", [], {"ERL_EPMD_PORT": "99999"}),
    ("-address bogus! (daemon)", ["-port", "PORT", "-address", "bogus!"], None),
    ("-address 300.1.1.1 (daemon)", ["-port", "PORT", "-address", "300.1.1.1"], None),
    ("ERL_EPMD_ADDRESS=bogus (daemon)", ["-port", "PORT"], {"ERL_EPMD_ADDRESS": "bogus"}),
]

failures = []
compared = 0


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def show(b, width=300):
    r = repr(b)
    return r if len(r) <= width else r[:width] + "...(%d bytes)" % len(b)


def check_daemon_stdout(d, where):
    out = d.stdout()
    if out:
        fail("%s: our daemon wrote to stdout: %s" % (where, show(out)))


def run_case(case):
    global compared
    name, dargs, denv, setup, cargs, cenv, after = case
    results = {}
    for key, dbin, cbin in (("ref", STOCK, STOCK), ("A", STOCK, OURS), ("B", OURS, STOCK)):
        d = Daemon(dbin, dargs, denv)
        try:
            setup(d)
            rc, out, err = client(cbin, cargs(d), cenv(d) if cenv else None)
            extra = after(d) if after else None
            results[key] = (rc, norm(out, d), norm(err, d), extra)
        finally:
            d.stop()
            if dbin == OURS:
                check_daemon_stdout(d, name)
    ref = results["ref"]
    ok = True
    for key, who in (("A", "our client -> stock daemon"), ("B", "stock client -> our daemon")):
        compared += 1
        got = results[key]
        for i, what in enumerate(("exit status", "stdout", "stderr", "daemon afterwards")):
            if got[i] != ref[i]:
                ok = False
                fail("%s: %s: %s differs: stock/stock %s, got %s" %
                     (name, who, what, show(ref[i]), show(got[i])))
    if ok:
        print("ok   %s  (exit %s, stdout %s)" % (name, ref[0], show(ref[1], 70)))


def run_no_daemon(case):
    global compared
    name, args, env = case
    port = epmdtest.free_port()
    ref = client(STOCK, args(port), env(port) if env else None)
    got = client(OURS, args(port), env(port) if env else None)
    compared += 1
    if got != ref:
        fail("no daemon, %s: stock %s, ours %s" % (name, show(ref), show(got)))
    else:
        print("ok   no daemon, %s  (exit %s, stderr %s)" % (name, ref[0], show(ref[2])))


def run_malformed(case):
    label, argv, env = case
    port = epmdtest.free_port()
    argv = [str(port) if a == "PORT" else a for a in argv]
    rc, out, err = client(OURS, argv, env)
    lines = err.decode("utf-8", "replace").splitlines()
    problems = []
    if rc == "timeout":
        problems.append("did not exit within %.0fs (started a daemon?)" % BOUND)
    elif rc != 1:
        problems.append("exit status %s, want 1" % rc)
    if out:
        problems.append("stdout not empty: %s" % show(out))
    if len(lines) != 1 or not lines[0].strip():
        problems.append("stderr is not one line: %s" % show(err))
    elif "Cannot connect" in lines[0]:
        problems.append("a connect error instead of a clear argument error: %r" % lines[0])
    if problems:
        fail("%s: %s" % (label, "; ".join(problems)))
    else:
        print("ok   %s  -> exit 1: %s" % (label, lines[0]))


def run_own_flags():
    rc, out, err = client(OURS, ["-h"])
    text = (out + err).decode("utf-8", "replace")
    if rc != 0 or "-port" not in text or "-names" not in text:
        fail("-h: want exit 0 and usage mentioning -port and -names; got exit %s, %s" %
             (rc, show(out + err)))
    else:
        print("ok   -h  -> exit 0, usage on %s" % ("stdout" if out else "stderr"))
    for flag in ("-bogus", "--frobnicate", "-name"):
        rc, out, err = client(OURS, [flag])
        if rc != 1 or not err.strip() or out:
            fail("unknown flag %s: want exit 1, a message on stderr, empty stdout; got exit %s, "
                 "stdout %s, stderr %s" % (flag, rc, show(out), show(err)))
        else:
            print("ok   unknown flag %s -> exit 1: %s" % (flag, err.decode("utf-8", "replace").strip()))
    for args in (["-port"], ["-stop"]):
        rc, out, err = client(OURS, args)
        if rc != 1 or not err.strip() or out:
            fail("%s without value: want exit 1, message on stderr; got exit %s, stdout %s, stderr %s"
                 % (args[0], rc, show(out), show(err)))
        else:
            print("ok   %s without value -> exit 1" % args[0])


def run_daemon_stdout():
    """Our daemon, with and without debugging, serving traffic and being
    killed through its own client, writes nothing to stdout."""
    for dargs in ([], ["-d"], ["-d", "-d", "-d"], ["-relaxed_command_check", "-d", "-d"]):
        d = Daemon(OURS, dargs)
        try:
            register(d, "a1", 5001)
            s = register(d, "b1", 5002, hi=5)
            names_raw(d)
            epmdtest.request(d.port, frame(b"d"))
            epmdtest.request(d.port, frame(b"za1"))
            epmdtest.request(d.port, frame(b"x\x00"))          # a bad frame
            epmdtest.request(d.port, frame(alive2_body("a1")), timeout=5)   # duplicate
            s.close()
            for t in d.socks:
                t.close()
            d.socks = []
            wait_gone(d, "a1", 5001)
            wait_gone(d, "b1", 5002)
            rc, out, err = client(OURS, P(d) + ["-kill"])
            code = d.wait_exit()
        finally:
            d.stop()
        check_daemon_stdout(d, "daemon %s" % " ".join(dargs))
        if code != 0:
            fail("daemon %s: -kill with no nodes: daemon exit %s, want 0 (client exit %s, %s)" %
                 (" ".join(dargs), code, rc, show(out + err)))
        else:
            print("ok   daemon %s: nothing on stdout, killed, exit 0" % " ".join(dargs))


def run_port_in_use():
    """A second daemon on a port a daemon already serves. Stock exits 0 in
    every case. Ours (difference 11, START-UP in epmd_secure(8)): -daemon
    against an epmd_secure serving the same addresses exits 0 silently (erl
    runs `epmd -daemon` every time); a foreground start against it, or any
    start against another program, exits 1 with a message naming the
    holder. Neither writes to stdout."""
    global compared
    cases = ((STOCK, STOCK, (), 0, None), (STOCK, OURS, (), 1, "(epmd"),
             (OURS, OURS, ("-daemon",), 0, ""),
             (OURS, OURS, (), 1, "already served by epmd_secure"),
             (STOCK, OURS, ("-daemon",), 1, "(epmd"),
             (OURS, STOCK, (), 0, None))
    for first, second, args, want, msg in cases:
        d1 = Daemon(first)
        try:
            d2 = Daemon(second, args=args, port=d1.port, wait=False)
            code = d2.wait_exit()
            d2.stop()
            holder = d1.proc.pid
        finally:
            d1.stop()
        if second == OURS:
            check_daemon_stdout(d2, "second daemon on a used port")
        with open(d2.errpath, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        label = "%s %s on a port %s serves" % (os.path.basename(second), " ".join(args),
                                               os.path.basename(first))
        compared += 1
        if code != want:
            fail("%s: exit %s, want %d (None = still running after %.0fs); stderr %r"
                 % (label, code, want, BOUND, err))
        elif msg == "" and err != "":
            fail("%s: want no output at all, got stderr %r" % (label, err))
        elif msg and (msg not in err or "pid %d" % holder not in err):
            fail("%s: stderr must say %r and name pid %d: %r" % (label, msg, holder, err))
        else:
            print("ok   %s: exit %d%s" % (label, code, (", " + err.strip()) if err else ""))


def main():
    for b in (STOCK, OURS):
        if not os.access(b, os.X_OK):
            epmdtest.skip("%s not found (run make)" % b)
    if os.path.realpath(STOCK) == os.path.realpath(OURS):
        print("note: EPMD_SECURE is stock epmd; our-only checks will fail", file=sys.stderr)
    for case in CASES:
        try:
            run_case(case)
        except Exception as e:
            fail("%s: error: %s: %s" % (case[0], type(e).__name__, e))
    for case in NO_DAEMON:
        run_no_daemon(case)
    run_port_in_use()
    for case in MALFORMED:
        run_malformed(case)
    run_own_flags()
    try:
        run_daemon_stdout()
    except Exception as e:
        fail("daemon stdout check: error: %s: %s" % (type(e).__name__, e))
    print("\n%d client/daemon combinations compared with stock, %d malformed-argument cases, "
          "%d failures" % (compared, len(MALFORMED), len(failures)))
    if failures:
        print("logs kept in " + LOGDIR, file=sys.stderr)
        return 1
    shutil.rmtree(LOGDIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
