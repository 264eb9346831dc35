#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Real Erlang nodes against the daemon under test.

Part 1: a daemon on an ephemeral loopback port; two nodes (erl -start_epmd false,
ERL_EPMD_PORT=port) register through it, a pings b and gets pong, net_adm:names()
lists both with the ports the daemon reports, and once b halts the daemon's NAMES
no longer lists b (then a).

Part 2: erl -epmd "<daemon> -daemon" with ERL_EPMD_PORT auto-starts the daemon
under test: the node registers, the daemon detaches (its own session, not a child
of erl, not holding erl's stdout/stderr) and outlives the node, `<daemon> -port N
-kill` stops it, and nothing is left running.

Nodes are driven without stdin: each runs an -eval script that prints result lines
to its log, then waits for a stop file created by this script (bounded, with a
self-destruct timer). Every process started here, directly or by erl, carries a
unique EPMDTEST_TAG in its environment; cleanup kills what still carries it.

Runs against $EPMD_SECURE (default ./epmd_secure); EPMD_SECURE=/usr/bin/epmd runs
it against stock epmd. Exit 0 pass, 77 skip, 1 fail (log dir printed).
"""
import os
import re
import secrets
import shlex
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
from epmdtest import Fail, check  # noqa: E402,F401  (test_systemd.py takes them from here)

NODE_READY_TIMEOUT = 60.0    # erl boot + distribution start, generous for loaded hosts
NODE_EXIT_TIMEOUT = 30.0
NAMES_POLL_TIMEOUT = 15.0
DAEMON_EXIT_TIMEOUT = 15.0
NODE_SELF_DESTRUCT_MS = 180000

TAG = "test_erl-%d-%s" % (os.getpid(), secrets.token_hex(6))
COOKIE = "c" + secrets.token_hex(12)


# ---------------------------------------------------------------- /proc helpers

def proc_state(pid):
    """Single-letter state from /proc/pid/stat, or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()[0]


def proc_alive(pid):
    """Running and not a zombie (a detached daemon's parent may never reap it)."""
    st = proc_state(pid)
    return st is not None and st not in ("Z", "X")


def proc_ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    return int(data[data.rindex(")") + 2:].split()[1])


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return "?"


def proc_exe(pid):
    try:
        return os.path.realpath(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return None


def tagged_pids(tag=TAG):
    """Live (non-zombie) processes whose environment carries our tag."""
    want = ("EPMDTEST_TAG=" + tag).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if want in env and proc_alive(pid):
            out.append(pid)
    return out


def listener_pids(port):
    """Pids holding a listening TCP socket on port, via /proc/net/tcp{,6}; None if unreadable."""
    inodes = set()
    readable = False
    for fn in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(fn) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            parts = line.split()
            if len(parts) < 10:
                continue
            lport = int(parts[1].rsplit(":", 1)[1], 16)
            if lport == port and parts[3] == "0A":
                inodes.add(parts[9])
    if not readable:
        return None
    pids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        fddir = "/proc/%s/fd" % d
        try:
            fds = os.listdir(fddir)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(os.path.join(fddir, fd))
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                pids.add(int(d))
    return sorted(pids)


def fd_targets(pid):
    out = {}
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                pass
    except OSError:
        pass
    return out


def wait_pid_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc_alive(pid):
            return True
        time.sleep(0.05)
    return not proc_alive(pid)


OUR_POPEN_PIDS = set()


def become_subreaper():
    """Adopt orphaned descendants (a -daemon double fork) so their zombies can be
    reaped here instead of piling up under a pid 1 that may never reap. Optional."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


def reap_orphans():
    """Reap zombie children adopted as subreaper, never a Popen child of ours."""
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in OUR_POPEN_PIDS:
            continue
        pid = int(d)
        try:
            if proc_ppid(pid) == me and proc_state(pid) == "Z":
                os.waitpid(pid, os.WNOHANG)
        except OSError:
            pass


def kill_pid(pid):
    """SIGTERM then SIGKILL one process we started (identified by our tag)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_pid_gone(pid, 3.0):
            return


# ---------------------------------------------------------------- EPMD helpers

def check_leftovers(failures):
    """Nothing we started (directly or through erl) may survive: a failure
    appended to failures for what is still running after 10 s (then killed);
    orphans reaped."""
    # Give helpers of halted nodes (erl_child_setup, inet_gethost) a moment to exit.
    deadline = time.monotonic() + 10.0
    left = tagged_pids()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = tagged_pids()
    if left:
        failures.append("processes left running (killed now): %r"
                        % [(p, proc_cmdline(p)) for p in left])
        for _ in range(3):      # a dying wrapper may still spawn something
            for p in tagged_pids():
                kill_pid(p)
    reap_orphans()


def names_raw(port):
    """(header port, {name: port}) from a raw NAMES_REQ."""
    raw = epmdtest.names(port)
    check(len(raw) >= 4, "NAMES_REQ on port %d: reply too short: %r" % (port, raw))
    hdr = struct.unpack(">I", raw[:4])[0]
    out = {}
    for line in raw[4:].decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        m = re.fullmatch(r"name (.+) at port (\d+)", line)
        check(m is not None, "NAMES_REQ on port %d: unexpected line %r in %r" % (port, line, raw))
        out[m.group(1)] = int(m.group(2))
    return hdr, out


def port_please_port(port, name):
    raw = epmdtest.port_please(port, name)
    check(len(raw) >= 2 and raw[0:1] == b"w", "PORT_PLEASE2 %r: bad reply %r" % (name, raw))
    if raw[1] != 0:
        check(raw == b"w\x01", "PORT_PLEASE2 %r: not-found reply %r, want b'w\\x01'" % (name, raw))
        return None
    check(len(raw) >= 4, "PORT_PLEASE2 %r: short reply %r" % (name, raw))
    return struct.unpack(">H", raw[2:4])[0]


def poll_names(port, pred, what, timeout=NAMES_POLL_TIMEOUT):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = names_raw(port)
            if pred(last[1]):
                return last
        except (OSError, Fail) as e:
            last = "error: %s" % e
        if time.monotonic() >= deadline:
            raise Fail("%s: not true within %.0fs; last NAMES on port %d: %r"
                       % (what, timeout, port, last))
        time.sleep(0.1)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- naming

def pick_naming():
    """-sname if the short hostname resolves only to loopback (our daemon listens on
    loopback by default and nodes reach it through their host part), else
    -name x@127.0.0.1. Returns (flag, fullname(short), names_host or None)."""
    forced = os.environ.get("EPMDTEST_ERL_NAMING")   # "sname" or "name", for debugging
    short = socket.gethostname().split(".")[0]
    if forced == "name":
        return "-name", (lambda n: n + "@127.0.0.1"), "127.0.0.1"
    if forced == "sname":
        return "-sname", (lambda n: n), None
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(short, None, socket.AF_INET)}
    except OSError:
        addrs = set()
    if short and addrs and all(a.startswith("127.") for a in addrs):
        return "-sname", (lambda n: n), None
    return "-name", (lambda n: n + "@127.0.0.1"), "127.0.0.1"


NAMING_FLAG, NAMING_ARG, NAMES_HOST = pick_naming()

# Erlang snippets. Parameters come from the environment, so no shell quoting.
ERL_PRELUDE = (
    "spawn(fun() -> timer:sleep(%d), io:format(\"SELF-DESTRUCT~n\"), halt(4) end), "
    "io:format(\"READY ~s~n\", [node()]), " % NODE_SELF_DESTRUCT_MS)
ERL_WAIT_STOP = (
    "StopFile = os:getenv(\"EPMDTEST_STOPFILE\"), "
    "WaitStop = fun Loop(0) -> io:format(\"STOP-TIMEOUT~n\"), halt(3); "
    "Loop(N) -> case filelib:is_file(StopFile) of true -> io:format(\"BYE~n\"), halt(0); "
    "false -> timer:sleep(50), Loop(N - 1) end end, "
    "WaitStop(%d)." % (NODE_SELF_DESTRUCT_MS // 50))
ERL_PING_NAMES = (
    "Peer = list_to_atom(os:getenv(\"EPMDTEST_PEER\")), "
    "io:format(\"PING ~s~n\", [net_adm:ping(Peer)]), "
    "NamesRes = case os:getenv(\"EPMDTEST_NAMES_HOST\") of "
    "  false -> net_adm:names(); H -> net_adm:names(list_to_atom(H)) end, "
    "case NamesRes of "
    "  {ok, NL} -> [io:format(\"NAME ~s ~w~n\", [NN, NP]) || {NN, NP} <- NL], "
    "              io:format(\"NAMES-END~n\"); "
    "  NErr -> io:format(\"NAMES-ERROR ~p~n\", [NErr]) end, ")


def base_env(logdir, extra):
    e = dict(os.environ)
    for k in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_EPMD_RELAXED_COMMAND_CHECK",
              "ERL_FLAGS", "ERL_AFLAGS", "ERL_ZFLAGS", "ERL_LIBS"):
        e.pop(k, None)
    home = os.path.join(logdir, "home")
    os.makedirs(home, exist_ok=True)
    e["HOME"] = home          # no user .erlang / .erlang.cookie / .hosts.erlang
    e["EPMDTEST_TAG"] = TAG
    e.update(extra)
    return e


class Node:
    """One erl node in its own session, output to a log file in logdir."""

    def __init__(self, short, logdir, epmd_port, script, extra_args=(), extra_env=None):
        self.short = short
        self.logpath = os.path.join(logdir, "node-%s.log" % short)
        self.stopfile = os.path.join(logdir, "stop-%s" % short)
        self.log = open(self.logpath, "wb")
        env = {"ERL_EPMD_PORT": str(epmd_port), "EPMDTEST_STOPFILE": self.stopfile}
        env.update(extra_env or {})
        self.argv = (["erl", "-noshell", NAMING_FLAG, NAMING_ARG(short), "-setcookie", COOKIE,
                      "-kernel", "inet_dist_use_interface", "{127,0,0,1}"]
                     + list(extra_args) + ["-eval", script])
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=base_env(logdir, env),
                                     cwd=logdir, start_new_session=True)
        OUR_POPEN_PIDS.add(self.proc.pid)
        self.node = None

    def text(self):
        self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def lines(self):
        return self.text().splitlines()

    def wait_line(self, prefixes, timeout, what):
        """Return the first log line starting with one of prefixes; fail on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines():
                if line.startswith(prefixes):
                    return line
            if self.proc.poll() is not None:
                # Re-read once: the line may have landed just before exit.
                for line in self.lines():
                    if line.startswith(prefixes):
                        return line
                raise Fail("node %s exited (status %s) before %s; its output:\n%s"
                           % (self.short, self.proc.returncode, what, self.text()))
            if time.monotonic() >= deadline:
                raise Fail("node %s: no %s within %.0fs; its output so far:\n%s"
                           % (self.short, what, timeout, self.text()))
            time.sleep(0.05)

    def wait_ready(self, timeout=NODE_READY_TIMEOUT):
        line = self.wait_line(("READY ",), timeout, "READY line (distribution start)")
        self.node = line.split(" ", 1)[1].strip()
        return self.node

    def halt(self, timeout=NODE_EXIT_TIMEOUT):
        with open(self.stopfile, "w"):
            pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Fail("node %s did not halt within %.0fs of its stop file; output:\n%s"
                       % (self.short, timeout, self.text()))
        check(rc == 0, "node %s halted with status %s; output:\n%s" % (self.short, rc, self.text()))

    def kill(self):
        """Kill the node's whole process group (erl, beam, erl_child_setup...)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if not self.log.closed:
            self.log.close()


# ---------------------------------------------------------------- part 1

def part_nodes(logdir, binary):
    daemon = epmdtest.Daemon(binary=binary, args=("-d",), logdir=logdir,
                             env={"EPMDTEST_TAG": TAG}, name="daemon")
    OUR_POPEN_PIDS.add(daemon.proc.pid)
    port = daemon.port
    nodes = []
    try:
        b = Node("b", logdir, port, ERL_PRELUDE + ERL_WAIT_STOP)
        nodes.append(b)
        bname = b.wait_ready()

        extra = {"EPMDTEST_PEER": bname}
        if NAMES_HOST:
            extra["EPMDTEST_NAMES_HOST"] = NAMES_HOST
        a = Node("a", logdir, port, ERL_PRELUDE + ERL_PING_NAMES + ERL_WAIT_STOP, extra_env=extra)
        nodes.append(a)
        a.wait_ready()
        end = a.wait_line(("NAMES-END", "NAMES-ERROR"), NODE_READY_TIMEOUT, "net_adm:names() result")

        ping = [ln for ln in a.lines() if ln.startswith("PING ")]
        check(ping == ["PING pong"],
              "net_adm:ping(%s) from a through daemon on port %d: got %r, want pong; node a output:\n%s"
              % (bname, port, ping, a.text()))
        check(end == "NAMES-END", "net_adm:names() on node a failed: %s" % end)
        erl_names = {}
        for ln in a.lines():
            if ln.startswith("NAME "):
                _, n, p = ln.split(" ")
                erl_names[n] = int(p)

        hdr, raw = names_raw(port)
        check(hdr == port, "NAMES_REQ header port is %d, want the daemon's port %d" % (hdr, port))
        check(set(raw) == {"a", "b"}, "raw NAMES lists %r, want exactly a and b" % raw)
        check(erl_names == raw,
              "net_adm:names() on node a gave %r, raw NAMES gave %r; want the same names and ports"
              % (erl_names, raw))
        for n in ("a", "b"):
            pp = port_please_port(port, n)
            check(pp == raw[n], "PORT_PLEASE2 %s gave port %r, NAMES says %d" % (n, pp, raw[n]))

        b.halt()
        poll_names(port, lambda d: "b" not in d, "b unregistered after node b halted")
        _, raw = names_raw(port)
        check(raw.get("a") == erl_names["a"],
              "after b halted, NAMES should still list a at port %d: %r" % (erl_names["a"], raw))
        check(port_please_port(port, "b") is None, "PORT_PLEASE2 b still finds b after it halted")

        a.halt()
        poll_names(port, lambda d: not d, "no nodes listed after a and b halted")
        check(daemon.alive(), "daemon died during the run (status %s)" % daemon.proc.poll())
    finally:
        for n in nodes:
            n.kill()
        daemon.stop()


# ---------------------------------------------------------------- part 2

def daemon_candidates(port, exe):
    """Our tagged processes running the daemon binary or listening on port."""
    tagged = tagged_pids()
    found = {p for p in tagged if proc_exe(p) == exe}
    found |= set(listener_pids(port) or ()) & set(tagged)
    return sorted(found)


def part_autostart(logdir, binary):
    port = epmdtest.free_port()
    exe = os.path.realpath(binary)
    epmd_cmd = "%s -daemon" % shlex.quote(os.path.abspath(binary))
    c = Node("c", logdir, port, ERL_PRELUDE + ERL_WAIT_STOP, extra_args=("-epmd", epmd_cmd))
    daemon_pid = None
    try:
        try:
            c.wait_ready()
        except Fail as e:
            stuck = daemon_candidates(port, exe)
            hint = ""
            if c.proc.poll() is None and stuck:
                hint = ("\nerl is still blocked in system(%r): the daemon (pid %s) did not return; "
                        "with -daemon the invoking process must exit once the daemon is detached"
                        % (epmd_cmd, stuck))
            elif stuck and port_open(port):
                hint = ("\nthe daemon (pid %s) is listening on %d now, so it was not yet accepting "
                        "when `%s` returned; -daemon should bind before the parent exits"
                        % (stuck, port, epmd_cmd))
            elif not stuck:
                hint = "\nno daemon process from `%s` is running" % epmd_cmd
            raise Fail("erl -epmd %r with ERL_EPMD_PORT=%d: %s%s" % (epmd_cmd, port, e, hint))

        ours = daemon_candidates(port, exe)
        check(len(ours) == 1, "want exactly one daemon process started by `erl -epmd %r`, found %r"
              % (epmd_cmd, [(p, proc_cmdline(p)) for p in ours]))
        daemon_pid = ours[0]
        lp = listener_pids(port)
        if lp is not None:
            check(lp == [daemon_pid], "listener on port %d is %r, want the auto-started daemon %d"
                  % (port, lp, daemon_pid))

        hdr, raw = names_raw(port)
        check(hdr == port, "NAMES_REQ header port is %d, want ERL_EPMD_PORT %d" % (hdr, port))
        check(set(raw) == {"c"}, "auto-started daemon's NAMES lists %r, want exactly c" % raw)
        check(port_please_port(port, "c") == raw["c"], "PORT_PLEASE2 c disagrees with NAMES %r" % raw)

        # Detached: not a descendant of erl, not in erl's session, not holding its output.
        check(os.getsid(daemon_pid) != c.proc.pid,
              "daemon %d is still in erl's session %d (no setsid)" % (daemon_pid, c.proc.pid))
        anc, p = [], daemon_pid
        while p > 1 and len(anc) < 64:
            try:
                p = proc_ppid(p)
            except OSError:
                break
            anc.append(p)
        check(c.proc.pid not in anc, "daemon %d is a descendant of erl %d (ancestors %r)"
              % (daemon_pid, c.proc.pid, anc))
        held = {fd: t for fd, t in fd_targets(daemon_pid).items()
                if os.path.realpath(t) == os.path.realpath(c.logpath)}
        check(not held, "daemon %d keeps erl's stdout/stderr open after -daemon (fds %r); "
              "it should close or redirect 0-2 to /dev/null when detaching" % (daemon_pid, held))

        c.halt()
        check(proc_alive(daemon_pid), "auto-started daemon %d exited when node c halted" % daemon_pid)
        poll_names(port, lambda d: not d, "c unregistered after node c halted")

        env = base_env(logdir, {})
        try:
            r = subprocess.run([binary, "-port", str(port), "-kill"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=15)
        except subprocess.TimeoutExpired:
            raise Fail("`%s -port %d -kill` did not finish within 15s" % (binary, port))
        out = r.stdout.decode("utf-8", "replace")
        check(r.returncode == 0 and out.strip() == "Killed",
              "`%s -port %d -kill`: status %d, stdout %r, stderr %r; want status 0 and 'Killed'"
              % (binary, port, r.returncode, out, r.stderr.decode("utf-8", "replace")))
        check(wait_pid_gone(daemon_pid, DAEMON_EXIT_TIMEOUT),
              "daemon %d still running %.0fs after answering Killed" % (daemon_pid, DAEMON_EXIT_TIMEOUT))
        deadline = time.monotonic() + DAEMON_EXIT_TIMEOUT
        while port_open(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not port_open(port), "port %d still accepts connections after -kill" % port)
    finally:
        c.kill()
        if daemon_pid is not None and proc_alive(daemon_pid):
            kill_pid(daemon_pid)


# ---------------------------------------------------------------- main

def main():
    binary = epmdtest.EPMD_SECURE
    if not epmdtest.have("erl"):
        epmdtest.skip("erl not installed")
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        epmdtest.skip("daemon under test %s not built (run make, or set EPMD_SECURE)" % binary)
    binary = os.path.abspath(binary)

    logdir = tempfile.mkdtemp(prefix="test_erl-")
    become_subreaper()
    failures = []
    for name, fn in (("nodes through the daemon", part_nodes),
                     ("erl -epmd auto-start", part_autostart)):
        try:
            fn(logdir, binary)
        except Fail as e:
            failures.append("%s: %s" % (name, e))
        except Exception as e:  # an unexpected error is a failure too, with context
            failures.append("%s: unexpected %s: %s" % (name, type(e).__name__, e))

    check_leftovers(failures)

    if failures:
        print("FAIL test_erl.py against %s (naming %s)" % (binary, NAMING_FLAG), file=sys.stderr)
        for f in failures:
            print("  - " + f, file=sys.stderr)
        print("logs kept in %s" % logdir, file=sys.stderr)
        return 1
    shutil.rmtree(logdir, ignore_errors=True)
    print("PASS test_erl.py against %s (naming %s)" % (binary, NAMING_FLAG))
    return 0


if __name__ == "__main__":
    sys.exit(main())
