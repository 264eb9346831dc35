#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The daemon under systemd: socket activation, sd_notify, and the shipped units.

systemd is not PID 1 here, so the service manager's part is played by
systemd-socket-activate (binds the listen addresses, waits for the first
connection, then execs the daemon in place with LISTEN_FDS/LISTEN_PID) and by
a NOTIFY_SOCKET this script binds itself. Every temporary -config/-acl file is
mode 600 unless a part says why not.

Parts:
  * units: `systemd-analyze verify` on the shipped service, socket and the
    cluster drop-in example (ExecStart rewritten to the built binary, which
    verify requires to exist; MANPATH set to the repository's man pages, so
    Documentation= is checked). Clean means exit 0 and no output at all,
    because verify exits 0 on an unknown directive and only warns: copies
    with an unknown key or section, a missing man page, or a missing
    ExecStart binary must fail the same check. `systemd-analyze security
    --offline=true` on the service: overall exposure <= 1.5, also through
    --threshold (tenths), with a bare unit as the negative control. The
    daemon accepts the unit's ExecStart arguments (-t); the sockets are on
    loopback and all on one port, drop-in example included.
  * -systemd without usable sockets: exit 1 and a message on stderr, with -d
    and with the default log target (syslog, its socket absent); LISTEN_PID
    of another process; a UDP, a non-listening TCP and an AF_UNIX socket.
  * activation on 127.0.0.1 and [::1]: a real erl node registers through the
    inherited sockets and is listed by raw NAMES / PORT_PLEASE2 over ::1 (the
    NAMES header is the sockets' port, not the config's 4369); with
    an ACL allowing only ::1, NAMES from 127.0.0.1 is closed with no bytes and
    PORT_PLEASE2 gets w 1; after SIGHUP with 127.0.0.0/8 allowed, 127.0.0.1
    gets answers too.
  * activation on the dual-stack [::] (`-l PORT`): 127.0.0.1 peers arrive as
    ::ffff:127.0.0.1 and are local (raw ALIVE2 succeeds) and IPv4 for the ACL
    ("allow 127.0.0.0/8" then "deny ::/0": they get answers, ::1 does not);
    two erl nodes register, ping each other and list names through it.
  * sd_notify, with plain -port and with activation: READY=1 with STATUS=
    first and only once listening, from the main pid; WATCHDOG=1 pings with
    WATCHDOG_USEC=200000; SIGHUP gives RELOADING=1 then READY=1, also when the
    new ACL is broken (old policy kept); SIGTERM gives STOPPING=1 and exit 0.
  * sandbox approximation (root only): the unit's ExecStart arguments under
    activation, in a private network namespace (PrivateNetwork=), as nobody
    with no capabilities and no_new_privs (DynamicUser=, CapabilityBoundingSet=,
    NoNewPrivileges=), logging to a syslog socket: it serves, notifies and
    logs. Under strace (when installed) every system call it makes after exec
    must pass the unit's SystemCallFilter= (computed from the unit and
    `systemd-analyze syscall-filter`), every socket() must be of a family in
    RestrictAddressFamilies=, and it must write no file (ProtectSystem=strict),
    open nothing in /proc beyond its own (ProcSubset=pid) or /dev beyond the
    PrivateDevices= set, and map nothing writable and executable.

Erl nodes are run as tests/integration/test_erl.py runs them (its Node class).
Every process started here carries EPMDTEST_TAG (passed through the activator
with -E) and nothing tagged may survive. Exit 0 pass, 77 skip (reason on
stderr), 1 fail (log directory printed, kept).
"""
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
import test_erl as erl  # noqa: E402  (Node, tagged processes, Fail/check)
from test_erl import Fail, check  # noqa: E402

ROOT = epmdtest.ROOT
UNIT_DIR = os.path.join(ROOT, "systemd")
SERVICE = os.path.join(UNIT_DIR, "epmd_secure.service")
SOCKET = os.path.join(UNIT_DIR, "epmd_secure.socket")
DROPIN = os.path.join(UNIT_DIR, "epmd_secure.socket.d", "cluster.conf.example")
SHIPPED_CONF = os.path.join(ROOT, "config", "epmd_secure.conf")
SHIPPED_ACL = os.path.join(ROOT, "config", "acl")
UNIT_BINARY = "/usr/sbin/epmd_secure"
MAX_EXPOSURE = 1.5

ACTIVATE = "systemd-socket-activate"
ANALYZE = "systemd-analyze"

CMD_TIMEOUT = 60.0          # one systemd-analyze or short daemon run
START_TIMEOUT = 15.0        # activator listening, daemon exec'd and logging
NOTIFY_TIMEOUT = 15.0       # one expected notify message
EXIT_TIMEOUT = 15.0         # daemon exit after SIGTERM
POLL_TIMEOUT = 15.0         # NAMES reaching an expected state
WATCHDOG_USEC = 200000
BIND_ATTEMPTS = 5           # a free port can be taken before we bind it

TAG_ENV = "EPMDTEST_TAG=" + erl.TAG


# ---------------------------------------------------------------- small helpers

def write_file(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def write_conf(path, port, acl_path, extra="", mode=0o600):
    write_file(path, "port %d\nacl_file %s\nnames_refusal close\n"
               "port_refusal not_found\npacket_timeout 10\ncheck_port_owner no\n%s"
               % (port, acl_path, extra), mode)


def run(argv, timeout=CMD_TIMEOUT, **kw):
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise Fail("`%s` did not finish within %.0fs" % (" ".join(argv), timeout))
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))


def clean_env(extra=None):
    e = dict(os.environ)
    for k in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_EPMD_RELAXED_COMMAND_CHECK",
              "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
              "WATCHDOG_USEC", "WATCHDOG_PID"):
        e.pop(k, None)
    e["EPMDTEST_TAG"] = erl.TAG
    e.update(extra or {})
    return e


def poll(pred, timeout, what, detail=lambda: ""):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Fail("%s: not true within %.0fs%s" % (what, timeout, detail()))
        time.sleep(0.05)


def names_at(port, addr):
    """(header port, {name: port}) from a raw NAMES_REQ sent from addr's family."""
    raw = epmdtest.names(port, addr)
    check(len(raw) >= 4, "NAMES_REQ over %s: reply too short: %r" % (addr, raw))
    out = {}
    for line in raw[4:].decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        m = re.fullmatch(r"name (.+) at port (\d+)", line)
        check(m is not None, "NAMES_REQ over %s: unexpected line %r in %r" % (addr, line, raw))
        out[m.group(1)] = int(m.group(2))
    return struct.unpack(">I", raw[:4])[0], out


def poll_names(port, addr, pred, what):
    last = [None]

    def probe():
        try:
            last[0] = names_at(port, addr)
            return pred(last[0][1])
        except (OSError, Fail) as e:
            last[0] = "error: %s" % e
            return False
    poll(probe, POLL_TIMEOUT, what, lambda: "; last NAMES over %s: %r" % (addr, last[0]))
    return last[0]


def port_please_record(port, name, addr):
    """The node's port from PORT_PLEASE2 over addr, or None for w 1."""
    raw = epmdtest.port_please(port, name, addr)
    check(raw[:1] == b"w" and len(raw) >= 2,
          "PORT_PLEASE2 %s over %s: reply %r" % (name, addr, raw))
    if raw[1] != 0:
        check(raw == b"w\x01", "PORT_PLEASE2 %s over %s: not-found reply %r" % (name, addr, raw))
        return None
    check(len(raw) >= 12, "PORT_PLEASE2 %s over %s: short reply %r" % (name, addr, raw))
    nlen = struct.unpack(">H", raw[10:12])[0]
    check(raw[12:12 + nlen] == name.encode(),
          "PORT_PLEASE2 %s over %s: reply names %r" % (name, addr, raw[12:12 + nlen]))
    return struct.unpack(">H", raw[2:4])[0]


def register_node(epmd_port, name, addr, node_port):
    """ALIVE2 over addr; returns (socket holding the registration, reply)."""
    s = epmdtest.connect(epmd_port, addr)
    s.sendall(epmdtest.frame(epmdtest.alive2_body(name, port=node_port)))
    reply = b""
    while len(reply) < 6:
        chunk = s.recv(6 - len(reply))
        if not chunk:
            break
        reply += chunk
    return s, reply


def tcp_open(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=2.0):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- notify socket

class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notify socket.

    A thread drains it all the time (libsystemd's sd_notify blocks once the
    receive queue is full) and records (sender pid, text) pairs; the sender
    pid comes from SCM_CREDENTIALS, as systemd checks it for NotifyAccess=main.
    """

    def __init__(self, path, mode=None):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        if mode is not None:
            os.chmod(path, mode)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.msgs = []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.done:
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if not r:
                continue
            try:
                data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(12))
            except OSError:
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            with self.lock:
                self.msgs.append((pid, data.decode("utf-8", "replace")))

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def wait(self, pred, start, what, timeout=NOTIFY_TIMEOUT):
        """Index of the first message at or after start whose text satisfies pred."""
        def find():
            for i, (_, text) in enumerate(self.snapshot()[start:], start):
                if pred(text):
                    return i + 1    # poll() wants truthy; undone below
            return None
        return poll(find, timeout, "notify: %s" % what,
                    lambda: "; messages so far: %r" % self.snapshot()) - 1

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def has_field(text, field):
    return field in text.split("\n")


# ---------------------------------------------------------------- activated daemon

class Activated:
    """The daemon run by systemd-socket-activate.

    The activator binds every -l address, waits for the first connection and
    then execs `wrap + argv` in place: the daemon keeps the activator's pid
    (the Popen pid, or the Popen child's when strace wraps everything).
    """

    def __init__(self, logdir, name, listen, argv, env_pass=(), wrap=(), strace=None):
        self.logpath = os.path.join(logdir, "%s.log" % name)
        self.log = open(self.logpath, "wb")
        self.binary = os.path.realpath(argv[0])
        cmd = [ACTIVATE]
        for a in listen:
            cmd += ["-l", a]
        for e in list(env_pass) + [TAG_ENV]:
            cmd += ["-E", e]
        cmd += list(wrap) + list(argv)
        if strace:
            cmd = ["strace", "-f", "-qq", "-o", strace] + cmd
        self.argv = cmd
        self.nlisten = len(listen)
        self.traced = bool(strace)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=clean_env())
        erl.OUR_POPEN_PIDS.add(self.proc.pid)
        self.pid = None

    def text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_listening(self):
        """True once the activator listens on everything; False if it exited
        because an address was in use (pick another port); Fail otherwise."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            t = self.text()
            if len(re.findall(r"^Listening on ", t, re.M)) >= self.nlisten:
                return True
            if self.proc.poll() is not None:
                if "Address already in use" in t:
                    return False
                raise Fail("`%s` exited with %s before listening:\n%s"
                           % (" ".join(self.argv), self.proc.returncode, t))
            time.sleep(0.05)
        raise Fail("`%s` not listening within %.0fs:\n%s"
                   % (" ".join(self.argv), START_TIMEOUT, self.text()))

    def trigger(self, addr, port):
        """Make the first connection (the activator execs on it); the daemon
        then accepts it and sees EOF. Returns the daemon's pid once exec'd."""
        try:
            with socket.create_connection((addr, port), timeout=2.0):
                pass
        except OSError as e:
            raise Fail("first connection to %s port %d: %s" % (addr, port, e))

        def execd():
            if self.traced and self.pid is None:
                try:
                    with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                        kids = f.read().split()
                except OSError:
                    kids = []
                if kids:
                    self.pid = int(kids[0])
            elif not self.traced:
                self.pid = self.proc.pid
            return self.pid is not None and erl.proc_exe(self.pid) == self.binary
        poll(execd, START_TIMEOUT, "daemon exec'd by %s" % ACTIVATE,
             lambda: "; activator output:\n%s" % self.text())
        return self.pid

    def alive(self):
        return self.pid is not None and erl.proc_alive(self.pid)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self):
        """SIGTERM the daemon (or the activator), wait; SIGKILL if need be.
        Returns the exit status of the Popen process."""
        target = self.pid if self.pid is not None else self.proc.pid
        if self.proc.poll() is None:
            try:
                os.kill(target, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                for p in {target, self.proc.pid}:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.wait(5)
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


def start_activated(logdir, name, listen_fmt, make_files, argv, **kw):
    """Start an Activated daemon on a fresh port, retrying when the port was
    taken in between. listen_fmt: addresses with %d for the port; make_files(port)
    writes the port into the config. Returns (Activated, port)."""
    for attempt in range(BIND_ATTEMPTS):
        port = epmdtest.free_port_dual()
        make_files(port)
        a = Activated(logdir, "%s-%d" % (name, attempt), [f % port for f in listen_fmt],
                      argv, **kw)
        if a.wait_listening():
            return a, port
        a.stop()
    raise Fail("%s: could not find a free port in %d attempts" % (name, BIND_ATTEMPTS))


def daemon_log(act, pred, what):
    return poll(lambda: pred(act.text()), START_TIMEOUT, what,
                lambda: "; daemon output:\n%s" % act.text())


# ---------------------------------------------------------------- units

def read_unit(path):
    """{section: [(key, value), ...]} of a unit file (no continuation lines used)."""
    out, sec = {}, None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("[") and s.endswith("]"):
                sec = s[1:-1]
                out.setdefault(sec, [])
                continue
            k, _, v = s.partition("=")
            out.setdefault(sec, []).append((k.strip(), v.strip()))
    return out


def unit_values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def unit_copy(dst, exec_path, mangle=None):
    """Copy the service (ExecStart pointed at exec_path), the socket and the
    drop-in example as an active drop-in (its optional lines uncommented, so
    they are verified too) into dst. mangle(name, text) may alter a file."""
    os.makedirs(os.path.join(dst, "epmd_secure.socket.d"))
    with open(SERVICE) as f:
        svc = f.read()
    new = re.sub(r"^ExecStart=%s " % re.escape(UNIT_BINARY), "ExecStart=%s " % exec_path,
                 svc, flags=re.M)
    check(exec_path == UNIT_BINARY or new != svc,
          "%s: no ExecStart=%s line to rewrite" % (SERVICE, UNIT_BINARY))
    with open(DROPIN) as f:
        drop = re.sub(r"^#(IPAddress\w+=)", r"\1", f.read(), flags=re.M)
    with open(SOCKET) as f:
        sock = f.read()
    files = {"epmd_secure.service": new, "epmd_secure.socket": sock,
             "epmd_secure.socket.d/cluster.conf": drop}
    for name, text in files.items():
        if mangle:
            text = mangle(name, text)
        write_file(os.path.join(dst, name), text, 0o644)
    return [os.path.join(dst, "epmd_secure.service"), os.path.join(dst, "epmd_secure.socket")]


def man_tree(dst):
    """A MANPATH holding the repository's pages (man/NAME.SECTION), so that
    verify checks the units' Documentation=man:... against them; None if
    man(1) is not installed (verify then runs with --man=no)."""
    if not epmdtest.have("man"):
        return None
    for page in os.listdir(os.path.join(ROOT, "man")):
        m = re.fullmatch(r".+\.([1-9])", page)
        if m:
            d = os.path.join(dst, "man" + m.group(1))
            os.makedirs(d, exist_ok=True)
            os.symlink(os.path.join(ROOT, "man", page), os.path.join(d, page))
    return dst


def verify(paths, manpath):
    """(clean, status, output): clean is exit 0 and nothing printed at all."""
    argv = [ANALYZE, "verify"] + (["--man=no"] if manpath is None else []) + paths
    rc, out, err = run(argv, cwd="/", env=clean_env({"MANPATH": manpath or ""}))
    text = (out + err).strip()
    return rc == 0 and text == "", rc, text


def part_units_verify(logdir, binary):
    base = os.path.join(logdir, "units")
    manpath = man_tree(os.path.join(logdir, "man"))
    clean, rc, text = verify(unit_copy(os.path.join(base, "ok"), binary), manpath)
    check(clean, "systemd-analyze verify on the shipped units (ExecStart -> %s, MANPATH=%s): "
          "exit %d, output:\n%s" % (binary, manpath, rc, text))

    def add(file_name, section, line):
        def mangle(name, text):
            if name != file_name:
                return text
            t2 = text.replace("[%s]\n" % section, "[%s]\n%s\n" % (section, line), 1)
            assert t2 != text
            return t2
        return mangle

    broken = [
        ("an unknown directive in the service", add("epmd_secure.service", "Service",
                                                  "ProtectSytem=strict")),
        ("an unknown directive in the socket", add("epmd_secure.socket", "Socket",
                                                 "ListenStrem=127.0.0.1:4369")),
        ("an unknown directive in the drop-in", add("epmd_secure.socket.d/cluster.conf", "Socket",
                                                  "FreeBnd=yes")),
        ("an unknown section in the service",
         lambda n, t: t.replace("[Install]", "[Instal]") if n == "epmd_secure.service" else t),
    ]
    if manpath is not None:
        broken.append(("a Documentation= page that does not exist",
                       add("epmd_secure.socket", "Unit", "Documentation=man:epmd_secure(7)")))
    for i, (what, mangle) in enumerate(broken):
        clean, rc, text = verify(unit_copy(os.path.join(base, "bad%d" % i), binary, mangle),
                                 manpath)
        check(not clean, "verify check is not meaningful: a copy with %s passed it" % what)
    if not os.path.exists(UNIT_BINARY):
        clean, rc, text = verify(unit_copy(os.path.join(base, "noexec"), UNIT_BINARY), manpath)
        check(not clean, "verify passed a service whose ExecStart binary %s does not exist"
              % UNIT_BINARY)
    if manpath is None:
        return "man(1) not installed: Documentation= not checked"


def exposure(path, threshold=None):
    argv = [ANALYZE, "security", "--offline=true"]
    if threshold is not None:
        argv.append("--threshold=%d" % threshold)
    rc, out, err = run(argv + [path], cwd=os.path.dirname(path))
    m = re.search(r"Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)", out + err)
    return rc, (float(m.group(1)) if m else None), out + err


def part_units_security(logdir, binary):
    rc, level, text = exposure(SERVICE)
    check(level is not None, "no overall exposure level in `systemd-analyze security "
          "--offline=true %s` (exit %d):\n%s" % (SERVICE, rc, text))
    check(level <= MAX_EXPOSURE, "overall exposure of %s is %.1f, want <= %.1f; the "
          "findings:\n%s" % (SERVICE, level, MAX_EXPOSURE,
                             "\n".join(ln for ln in text.splitlines() if "\u2717" in ln)))
    rc, _, text = exposure(SERVICE, int(MAX_EXPOSURE * 10))
    check(rc == 0, "systemd-analyze security --threshold=%d failed (exit %d) for exposure "
          "%.1f:\n%s" % (MAX_EXPOSURE * 10, rc, level, text))
    # Negative control: the parse and the threshold do see a bad unit.
    bare = os.path.join(logdir, "bare.service")
    write_file(bare, "[Service]\nExecStart=%s -systemd\n" % binary, 0o644)
    rc, blevel, text = exposure(bare, int(MAX_EXPOSURE * 10))
    check(blevel is not None and blevel > MAX_EXPOSURE and rc != 0,
          "negative control: a bare service scored %r (exit %d), want > %.1f and failure"
          % (blevel, rc, MAX_EXPOSURE))
    return level


def part_units_args(logdir, binary):
    svc, sock = read_unit(SERVICE), read_unit(SOCKET)
    starts = unit_values(svc, "Service", "ExecStart")
    check(len(starts) == 1, "%s: want one ExecStart=, have %r" % (SERVICE, starts))
    argv = shlex.split(starts[0])
    check(argv[0] == UNIT_BINARY and "-systemd" in argv,
          "%s: ExecStart=%s, want %s ... -systemd" % (SERVICE, starts[0], UNIT_BINARY))
    check(unit_values(svc, "Service", "Type") == ["notify"], "%s: want Type=notify" % SERVICE)
    # The unit's arguments, with the shipped config (and ACL) copied readable:
    # the daemon must accept them.
    conf = os.path.join(logdir, "shipped.conf")
    acl = os.path.join(logdir, "shipped.acl")
    shutil.copyfile(SHIPPED_CONF, conf)
    shutil.copyfile(SHIPPED_ACL, acl)
    os.chmod(conf, 0o644)
    os.chmod(acl, 0o644)
    args = [binary] + [conf if a == "/etc/epmd_secure/epmd_secure.conf" else a for a in argv[1:]]
    rc, out, err = run(args + ["-acl", acl, "-t"], env=clean_env())
    check(rc == 0 and "configuration OK" in out,
          "`%s -acl %s -t` (the unit's ExecStart): exit %d, stdout %r, stderr %r"
          % (" ".join(args), acl, rc, out, err))
    # Loopback only by default; one port everywhere, drop-in included, as
    # NAMES reports one port (the first socket's) and Erlang checks it.
    listens = unit_values(sock, "Socket", "ListenStream")
    check(listens, "%s: no ListenStream=" % SOCKET)
    ports = set()
    for ls in listens:
        m = re.fullmatch(r"(127\.0\.0\.1|\[::1\]):(\d+)", ls)
        check(m is not None, "%s: ListenStream=%s is not a loopback address:port" % (SOCKET, ls))
        ports.add(int(m.group(2)))
    for ls in unit_values(read_unit(DROPIN), "Socket", "ListenStream"):
        m = re.fullmatch(r".*:(\d+)", ls)
        check(m is not None, "%s: ListenStream=%s has no port" % (DROPIN, ls))
        ports.add(int(m.group(1)))
    check(ports == {4369}, "the socket unit and its drop-in example listen on ports %r, "
          "want 4369 only" % sorted(ports))


# ---------------------------------------------------------------- -systemd without sockets

FD_WRAPPER = ("import os, sys\n"
              "fd = int(sys.argv[1])\n"
              "if fd != 3:\n"
              "    os.dup2(fd, 3)\n"
              "    os.close(fd)\n"
              "os.set_inheritable(3, True)\n"
              "os.environ['LISTEN_PID'] = str(os.getpid())\n"
              "os.environ['LISTEN_FDS'] = '1'\n"
              "os.execv(sys.argv[2], sys.argv[2:])\n")


def part_no_sockets(logdir, binary):
    conf, acl = os.path.join(logdir, "nosock.conf"), os.path.join(logdir, "nosock.acl")
    write_file(acl, "allow 127.0.0.0/8\nallow ::1\n")
    write_conf(conf, 4369, acl)
    base = [binary, "-systemd", "-config", conf, "-acl", acl]
    nolog = os.path.join(logdir, "no-such-syslog-socket")
    problems = []

    def expect(what, argv, env, want, pass_fds=()):
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, timeout=CMD_TIMEOUT,
                               pass_fds=pass_fds)
        except subprocess.TimeoutExpired:
            problems.append("%s: still running after %.0fs (it should refuse to start)"
                            % (what, CMD_TIMEOUT))
            return
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != 1 or not re.search(want, err) or r.stdout:
            problems.append("%s: exit %d, stdout %r, stderr %r; want exit 1 and stderr "
                            "matching /%s/" % (what, r.returncode, r.stdout, err, want))

    env = clean_env()
    expect("-systemd -d without LISTEN_FDS", base + ["-d"], env, r"-systemd.*no sockets")
    expect("-systemd without LISTEN_FDS, default log target (syslog, socket absent)",
           base + ["-log_socket", nolog], env, r"-systemd.*no sockets")
    expect("-systemd -d with LISTEN_PID of another process", base + ["-d"],
           clean_env({"LISTEN_FDS": "1", "LISTEN_PID": "1"}), r"-systemd.*no sockets")

    kinds = []
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    kinds.append(("a UDP socket", u))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    kinds.append(("a TCP socket that is not listening", t))
    x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    x.bind(os.path.join(logdir, "unix-listener"))
    x.listen(1)
    kinds.append(("a listening AF_UNIX socket", x))
    try:
        for what, s in kinds:
            expect("-systemd -d given %s as fd 3" % what,
                   [sys.executable, "-c", FD_WRAPPER, str(s.fileno())] + base + ["-d"],
                   env, r"-systemd: fd 3 is not a listening TCP socket", (s.fileno(),))
    finally:
        for _, s in kinds:
            s.close()
    check(not problems, "\n    ".join(problems))


# ---------------------------------------------------------------- activation

def part_activation_loopback(logdir, binary):
    conf, acl = os.path.join(logdir, "lo.conf"), os.path.join(logdir, "lo.acl")
    write_file(acl, "allow ::1\ndeny 0.0.0.0/0\n")
    # The config's port differs from the sockets': NAMES must report the
    # sockets' port (epmd_secure(8), -systemd).
    act, port = start_activated(
        logdir, "activated-lo", ["127.0.0.1:%d", "[::1]:%d"],
        lambda p: write_conf(conf, 4369 if p != 4369 else 4370, acl),
        [binary, "-systemd", "-config", conf, "-acl", acl, "-d"])
    node = None
    try:
        act.trigger("127.0.0.1", port)
        start = daemon_log(act, lambda t: re.search(r"event=start .*", t), "event=start logged")
        line = start.group(0)
        check("systemd_fds=2" in line and "127.0.0.1:%d" % port in line and
              "[::1]:%d" % port in line,
              "start record should show the two inherited sockets: %r" % line)

        node = erl.Node("lo_b", logdir, port, erl.ERL_PRELUDE + erl.ERL_WAIT_STOP)
        node.wait_ready()
        hdr, listed = poll_names(port, "::1", lambda d: "lo_b" in d,
                                 "erl node lo_b listed by NAMES over ::1")
        check(hdr == port, "NAMES header port %d, want the inherited sockets' port %d "
              "(the config says another)" % (hdr, port))
        check(set(listed) == {"lo_b"}, "NAMES over ::1 lists %r, want only lo_b" % listed)
        dist = listed["lo_b"]
        check(port_please_record(port, "lo_b", "::1") == dist,
              "PORT_PLEASE2 lo_b over ::1 disagrees with NAMES (%d)" % dist)
        check(tcp_open("127.0.0.1", dist), "node lo_b's registered port %d is not listening" % dist)

        raw = epmdtest.names(port, "127.0.0.1")
        check(raw == b"", "ACL allows only ::1, yet NAMES from 127.0.0.1 got %r "
              "(want the connection closed with no bytes)" % raw)
        raw = epmdtest.port_please(port, "lo_b", "127.0.0.1")
        check(raw == b"w\x01", "ACL allows only ::1, yet PORT_PLEASE2 from 127.0.0.1 got %r, "
              "want b'w\\x01'" % raw)
        daemon_log(act, lambda t: re.search(r"src=127\.0\.0\.1 .*req=NAMES verdict=denied", t),
                   "denied NAMES from 127.0.0.1 logged")

        # The ACL is re-read on SIGHUP and applies to the same inherited sockets.
        write_file(acl, "allow 127.0.0.0/8\nallow ::1\n")
        act.signal(signal.SIGHUP)
        poll_names(port, "127.0.0.1", lambda d: "lo_b" in d,
                   "lo_b listed over 127.0.0.1 after SIGHUP allowed 127.0.0.0/8")
        check(port_please_record(port, "lo_b", "127.0.0.1") == dist,
              "PORT_PLEASE2 lo_b over 127.0.0.1 after reload disagrees with NAMES")

        node.halt()
        poll_names(port, "::1", lambda d: not d, "lo_b unregistered after the node halted")
        check(act.alive(), "daemon died during the run:\n%s" % act.text())
        rc = act.stop()
        check(rc == 0, "daemon exit status %s after SIGTERM, want 0:\n%s" % (rc, act.text()))
    finally:
        if node is not None:
            node.kill()
        act.stop()


def part_activation_dualstack(logdir, binary):
    conf, acl = os.path.join(logdir, "ds.conf"), os.path.join(logdir, "ds.acl")
    # If a mapped peer were judged as IPv6 it would hit "deny ::/0".
    write_file(acl, "allow 127.0.0.0/8\ndeny ::/0\n")
    act, port = start_activated(
        logdir, "activated-ds", ["%d"],
        lambda p: write_conf(conf, 4369 if p != 4369 else 4370, acl),
        [binary, "-systemd", "-config", conf, "-acl", acl, "-d"])
    nodes, reg = [], None
    try:
        check(re.search(r"Listening on \[::\]:%d" % port, act.text()),
              "%s -l %d should bind the dual-stack [::]:%d:\n%s"
              % (ACTIVATE, port, port, act.text()))
        act.trigger("127.0.0.1", port)
        daemon_log(act, lambda t: "event=start" in t and "systemd_fds=1" in t,
                   "event=start with one inherited socket")

        reg, reply = register_node(port, "ds_raw", "127.0.0.1", 5099)
        check(len(reply) == 6 and reply[:2] == b"v\x00",
              "ALIVE2 from 127.0.0.1 over the dual-stack socket (peer ::ffff:127.0.0.1, local) "
              "got %r, want v 0 + creation" % reply)
        hdr, listed = names_at(port, "127.0.0.1")
        check(hdr == port,
              "NAMES header port %d, want the inherited socket's port %d" % (hdr, port))
        check(listed == {"ds_raw": 5099},
              "NAMES from 127.0.0.1 (mapped; allow 127.0.0.0/8) lists %r, want ds_raw" % listed)
        check(port_please_record(port, "ds_raw", "127.0.0.1") == 5099,
              "PORT_PLEASE2 ds_raw from 127.0.0.1 (mapped) did not find port 5099")
        daemon_log(act, lambda t: re.search(r"src=(::ffff:)?127\.0\.0\.1 .*req=PORT_PLEASE2 "
                                            r"verdict=ok .*rule=1 node=ds_raw$", t, re.M),
                   "PORT_PLEASE2 from the mapped peer decided by rule 1 (allow 127.0.0.0/8)")
        raw = epmdtest.names(port, "::1")
        check(raw == b"", "NAMES from ::1 (deny ::/0) got %r, want no bytes" % raw)
        raw = epmdtest.port_please(port, "ds_raw", "::1")
        check(raw == b"w\x01", "PORT_PLEASE2 from ::1 (deny ::/0) got %r, want w 1" % raw)

        b = erl.Node("ds_b", logdir, port, erl.ERL_PRELUDE + erl.ERL_WAIT_STOP)
        nodes.append(b)
        bname = b.wait_ready()
        extra = {"EPMDTEST_PEER": bname}
        if erl.NAMES_HOST:
            extra["EPMDTEST_NAMES_HOST"] = erl.NAMES_HOST
        a = erl.Node("ds_a", logdir, port,
                     erl.ERL_PRELUDE + erl.ERL_PING_NAMES + erl.ERL_WAIT_STOP, extra_env=extra)
        nodes.append(a)
        a.wait_ready()
        end = a.wait_line(("NAMES-END", "NAMES-ERROR"), erl.NODE_READY_TIMEOUT,
                          "net_adm:names() result")
        ping = [ln for ln in a.lines() if ln.startswith("PING ")]
        check(ping == ["PING pong"], "net_adm:ping(%s) through the dual-stack daemon: %r; "
              "node output:\n%s" % (bname, ping, a.text()))
        check(end == "NAMES-END", "net_adm:names() on ds_a: %s" % end)
        got = {ln.split(" ")[1] for ln in a.lines() if ln.startswith("NAME ")}
        check({"ds_a", "ds_b", "ds_raw"} <= got, "net_adm:names() on ds_a: %r" % got)
        for n in nodes:
            n.halt()
        reg.close()
        reg = None
        poll_names(port, "127.0.0.1", lambda d: not d, "no nodes left after halting them")
        rc = act.stop()
        check(rc == 0, "daemon exit status %s after SIGTERM, want 0:\n%s" % (rc, act.text()))
    finally:
        if reg is not None:
            reg.close()
        for n in nodes:
            n.kill()
        act.stop()


# ---------------------------------------------------------------- sd_notify

def notify_lifecycle(label, pid, notify, port, acl, logtext, wait_exit):
    """Drive one daemon through READY, watchdog, reloads and SIGTERM."""
    ready = notify.wait(lambda t: has_field(t, "READY=1"), 0, "%s: READY=1" % label)
    msgs = notify.snapshot()
    check(ready == 0, "%s: READY=1 should be the first message, got %r" % (label, msgs))
    check(any(f.startswith("STATUS=") for f in msgs[ready][1].split("\n")),
          "%s: READY=1 came without STATUS=: %r" % (label, msgs[ready][1]))
    check(tcp_open("127.0.0.1", port) and tcp_open("::1", port),
          "%s: READY=1 sent but port %d not accepting on 127.0.0.1 and ::1" % (label, port))

    w = notify.wait(lambda t: has_field(t, "WATCHDOG=1"), ready + 1, "%s: a WATCHDOG=1" % label)
    notify.wait(lambda t: has_field(t, "WATCHDOG=1"), w + 1, "%s: a second WATCHDOG=1" % label)

    n = len(notify.snapshot())
    os.kill(pid, signal.SIGHUP)
    r = notify.wait(lambda t: has_field(t, "RELOADING=1"), n, "%s: RELOADING=1 on SIGHUP" % label)
    notify.wait(lambda t: has_field(t, "READY=1"), r + 1, "%s: READY=1 after the reload" % label)
    poll(lambda: re.search(r"event=reload result=ok", logtext()), START_TIMEOUT,
         "%s: reload logged" % label, lambda: "; log:\n%s" % logtext())

    # A broken ACL: the reload fails, the old policy stays, READY=1 still follows.
    write_file(acl, "allow no-such-address/99\n")
    n = len(notify.snapshot())
    os.kill(pid, signal.SIGHUP)
    r = notify.wait(lambda t: has_field(t, "RELOADING=1"), n,
                    "%s: RELOADING=1 on SIGHUP with a broken ACL" % label)
    notify.wait(lambda t: has_field(t, "READY=1"), r + 1,
                "%s: READY=1 after a failed reload" % label)
    poll(lambda: re.search(r"event=reload result=error", logtext()), START_TIMEOUT,
         "%s: failed reload logged" % label, lambda: "; log:\n%s" % logtext())
    hdr, _ = names_at(port, "::1")
    check(hdr == port, "%s: NAMES after a failed reload: header %d" % (label, hdr))

    n = len(notify.snapshot())
    os.kill(pid, signal.SIGTERM)
    notify.wait(lambda t: has_field(t, "STOPPING=1"), n, "%s: STOPPING=1 on SIGTERM" % label)
    rc = wait_exit()
    check(rc == 0, "%s: exit status %s after SIGTERM, want 0; log:\n%s" % (label, rc, logtext()))
    senders = {p for p, _ in notify.snapshot()}
    check(senders == {pid}, "%s: notify messages came from pids %r, want only the main pid %d "
          "(NotifyAccess=main)" % (label, senders, pid))


def part_notify_plain(logdir, binary):
    conf, acl = os.path.join(logdir, "np.conf"), os.path.join(logdir, "np.acl")
    write_file(acl, "allow 127.0.0.0/8\nallow ::1\n")
    path = os.path.join(logdir, "notify-plain.sock")
    notify = NotifySocket(path)
    for attempt in range(BIND_ATTEMPTS):
        port = epmdtest.free_port_dual()
        write_conf(conf, port, acl)
        d = epmdtest.Daemon(binary=binary, port=port, logdir=logdir, name="notify-plain",
                            wait=False, args=("-config", conf, "-acl", acl, "-d"),
                            env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(WATCHDOG_USEC),
                                 "EPMDTEST_TAG": erl.TAG})
        erl.OUR_POPEN_PIDS.add(d.proc.pid)
        # The port taken in between: the daemon leaves quietly, as stock does.
        poll(lambda: notify.snapshot() or d.proc.poll() is not None, START_TIMEOUT,
             "plain -port: READY=1 or exit", lambda: "; log:\n%s" % d.logtext())
        if notify.snapshot() or "event=port_in_use" not in d.logtext():
            break
        d.stop()

    def wait_exit():
        try:
            return d.proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "still running after %.0fs" % EXIT_TIMEOUT
    try:
        notify_lifecycle("plain -port", d.proc.pid, notify, port, acl, d.logtext, wait_exit)
    finally:
        d.stop()
        notify.close()


def part_notify_activated(logdir, binary):
    conf, acl = os.path.join(logdir, "na.conf"), os.path.join(logdir, "na.acl")
    write_file(acl, "allow 127.0.0.0/8\nallow ::1\n")
    path = os.path.join(logdir, "notify-act.sock")
    notify = NotifySocket(path)
    act, port = start_activated(
        logdir, "notify-act", ["127.0.0.1:%d", "[::1]:%d"],
        lambda p: write_conf(conf, p, acl),
        [binary, "-systemd", "-config", conf, "-acl", acl, "-d"],
        env_pass=("NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=%d" % WATCHDOG_USEC))

    def wait_exit():
        try:
            return act.proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "still running after %.0fs" % EXIT_TIMEOUT
    try:
        check(notify.snapshot() == [], "notify messages before activation: %r" % notify.snapshot())
        pid = act.trigger("127.0.0.1", port)
        notify_lifecycle("socket activation", pid, notify, port, acl, act.text, wait_exit)
    finally:
        act.stop()
        notify.close()


# ---------------------------------------------------------------- sandbox approximation

def syscall_groups():
    rc, out, err = run([ANALYZE, "syscall-filter"])
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line.strip()
            groups[cur] = []
        elif cur and line.startswith(" ") and line.strip() and not line.strip().startswith("#"):
            groups[cur].append(line.strip())
    check(groups.get("@system-service"), "no @system-service in `%s syscall-filter`" % ANALYZE)
    return groups


def expand(groups, names, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        n = n.split(":", 1)[0]
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            check(n in groups, "unit names an unknown syscall group %s" % n)
            out |= expand(groups, groups[n], seen)
        else:
            out.add(n)
    return out


# systemd.exec(5): always allowed, whatever SystemCallFilter= says.
IMPLICIT_SYSCALLS = {"execve", "exit", "exit_group", "getrlimit", "rt_sigreturn", "sigreturn"}
PRIVATE_DEVICES = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                   "/dev/tty", "/dev/log"}
WRITE_CALLS = {"mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
               "rmdir", "link", "linkat", "symlink", "symlinkat", "truncate", "chmod",
               "fchmodat", "chown", "fchownat", "lchown", "mknod", "mknodat", "creat",
               "utimensat", "setxattr", "lsetxattr"}


def allowed_syscalls(groups, unit):
    """The set SystemCallFilter= lets through: the first list decides allow or
    deny mode, later ones add (allow) or remove (~) entries."""
    vals = unit_values(unit, "Service", "SystemCallFilter")
    check(vals and not vals[0].startswith("~"), "the service has no SystemCallFilter= allow list")
    allowed = set()
    for v in vals:
        if v.startswith("~"):
            allowed -= expand(groups, v[1:].split())
        else:
            allowed |= expand(groups, v.split())
    return allowed | IMPLICIT_SYSCALLS


def check_trace(trace, binary, pid, unit, groups):
    """Problems in the daemon's part of an strace -f log, against the unit."""
    allowed = allowed_syscalls(groups, unit)
    families = set()
    for v in unit_values(unit, "Service", "RestrictAddressFamilies"):
        families |= set(v.split())
    check(families and not any(f.startswith("~") for f in families),
          "the service has no RestrictAddressFamilies= allow list")
    with open(trace, errors="replace") as f:
        lines = f.read().splitlines()
    start = None
    exec_re = re.compile(r"^%d\s+execve\(\"%s\",.*\) = 0" % (pid, re.escape(binary)))
    for i, ln in enumerate(lines):
        if exec_re.match(ln):
            start = i + 1
    check(start is not None, "no successful execve of %s by pid %d in %s" % (binary, pid, trace))
    call_re = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")
    used, problems = {}, []
    for ln in lines[start:]:
        m = call_re.match(ln)
        if not m:
            continue
        name = m.group(2) or m.group(3)
        used.setdefault(name, ln)
        if name == "socket":
            fam = re.search(r"socket\((AF_\w+)", ln)
            if fam and fam.group(1) not in families:
                problems.append("socket() of family %s outside RestrictAddressFamilies=%s: %s"
                                % (fam.group(1), " ".join(sorted(families)), ln))
        if name in ("open", "openat", "openat2"):
            pm = re.search(r'"([^"]*)"', ln)
            path = pm.group(1) if pm else ""
            ok = not re.search(r"= -1 ", ln)
            if ok and re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", ln) and path != "/dev/null":
                problems.append("opened for writing (ProtectSystem=strict): %s" % ln)
            if path.startswith("/proc/") and not re.match(r"/proc/(self|thread-self|%d)(/|$)"
                                                          % pid, path):
                problems.append("/proc beyond its own (ProcSubset=pid, ProtectProc=): %s" % ln)
            if path.startswith("/dev/") and path not in PRIVATE_DEVICES:
                problems.append("a device outside PrivateDevices=: %s" % ln)
            if path.startswith(("/home/", "/root/", "/run/user/")):
                problems.append("a path hidden by ProtectHome=: %s" % ln)
        if name in WRITE_CALLS and not re.search(r"= -1 ", ln):
            problems.append("file system change (ProtectSystem=strict): %s" % ln)
        if name in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in ln and \
                "PROT_EXEC" in ln:
            problems.append("writable+executable mapping (MemoryDenyWriteExecute=): %s" % ln)
    for name in sorted(set(used) - allowed):
        problems.append("system call %s is not allowed by the unit's SystemCallFilter=: %s"
                        % (name, used[name]))
    check(len(used) > 10, "trace of pid %d after exec has only %r" % (pid, sorted(used)))
    return problems, sorted(used)


def part_sandbox(logdir, binary):
    if os.geteuid() != 0:
        return "not run: needs root for unshare --net and setpriv"
    for tool in ("unshare", "setpriv"):
        if not epmdtest.have(tool):
            return "not run: %s not installed" % tool
    wrap = ["unshare", "--net", "--", "setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    rc, _, err = run(wrap + ["true"])
    if rc != 0:
        return "not run: `%s true` fails here: %s" % (" ".join(wrap), err.strip())
    use_strace = epmdtest.have("strace") and run(["strace", "-f", "-qq", "-o", os.devnull,
                                                  "true"])[0] == 0
    unit = read_unit(SERVICE)
    argv = shlex.split(unit_values(unit, "Service", "ExecStart")[0])

    # The dynamic user owns nothing: everything it reads is world-readable
    # (as the unit's comment asks of /etc/epmd_secure), the sockets it
    # writes to are world-writable, like journald's and systemd's.
    work = os.path.join(logdir, "sandbox")
    os.mkdir(work)
    os.chmod(work, 0o755)
    conf, acl = os.path.join(work, "epmd_secure.conf"), os.path.join(work, "acl")
    write_file(acl, "allow 127.0.0.0/8\nallow ::1\n", 0o644)
    notify = NotifySocket(os.path.join(work, "notify"), 0o666)
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog_path = os.path.join(work, "log")
    syslog.bind(syslog_path)
    os.chmod(syslog_path, 0o666)
    trace = os.path.join(logdir, "sandbox.strace") if use_strace else None
    args = [binary] + [conf if a == "/etc/epmd_secure/epmd_secure.conf" else a for a in argv[1:]]
    act, port = start_activated(
        logdir, "sandbox", ["127.0.0.1:%d", "[::1]:%d"],
        lambda p: write_conf(conf, p, acl, "log_target syslog\n", 0o644),
        args + ["-log_socket", syslog_path],
        env_pass=("NOTIFY_SOCKET=" + notify.path, "WATCHDOG_USEC=%d" % WATCHDOG_USEC),
        wrap=wrap, strace=trace)
    reg = None
    try:
        pid = act.trigger("127.0.0.1", port)
        notify.wait(lambda t: has_field(t, "READY=1"), 0, "sandbox: READY=1")
        with open("/proc/%d/status" % pid) as f:
            st = dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)
        check(st["Uid"].split()[1] == "65534" and st["CapBnd"].strip() == "0" * 16 and
              st["CapEff"].strip() == "0" * 16 and st["NoNewPrivs"].strip() == "1",
              "sandbox: daemon not running as set up: Uid %s CapBnd %s CapEff %s NoNewPrivs %s"
              % (st["Uid"], st["CapBnd"], st["CapEff"], st["NoNewPrivs"]))
        check(os.readlink("/proc/%d/ns/net" % pid) != os.readlink("/proc/self/ns/net"),
              "sandbox: daemon is not in a private network namespace")

        reg, reply = register_node(port, "sb_node", "127.0.0.1", 5111)
        check(reply[:2] == b"v\x00", "sandbox: ALIVE2 got %r" % reply)
        hdr, listed = names_at(port, "::1")
        check(hdr == port and listed == {"sb_node": 5111}, "sandbox: NAMES %r %r" % (hdr, listed))
        check(port_please_record(port, "sb_node", "127.0.0.1") == 5111,
              "sandbox: PORT_PLEASE2 did not find sb_node")
        check(epmdtest.request(port, b"\x00\x01\xff") == b"", "sandbox: bad opcode answered")
        w = notify.wait(lambda t: has_field(t, "WATCHDOG=1"), 0, "sandbox: WATCHDOG=1")
        notify.wait(lambda t: has_field(t, "WATCHDOG=1"), w + 1, "sandbox: second WATCHDOG=1")
        n = len(notify.snapshot())
        act.signal(signal.SIGHUP)
        r = notify.wait(lambda t: has_field(t, "RELOADING=1"), n, "sandbox: RELOADING=1")
        notify.wait(lambda t: has_field(t, "READY=1"), r + 1, "sandbox: READY=1 after reload")
        act.signal(signal.SIGUSR1)
        reg.close()
        reg = None
        poll_names(port, "::1", lambda d: not d, "sandbox: sb_node unregistered")
        n = len(notify.snapshot())
        rc = act.stop()
        check(rc == 0, "sandbox: exit status %s, want 0:\n%s" % (rc, act.text()))
        notify.wait(lambda t: has_field(t, "STOPPING=1"), n, "sandbox: STOPPING=1")

        records = []
        syslog.setblocking(False)
        while True:
            try:
                records.append(syslog.recv(65536).decode("utf-8", "replace"))
            except BlockingIOError:
                break
        check(any("event=start" in r for r in records) and
              any("event=reload result=ok" in r for r in records),
              "sandbox: syslog records from inside the private namespace: %r" % records)

        if not use_strace:
            return "ran without strace (missing or not permitted): system calls not checked"
        problems, used = check_trace(trace, os.path.realpath(binary), pid, unit,
                                     syscall_groups())
        check(not problems, "sandbox: the daemon does what the unit forbids (trace %s):\n    %s"
              % (trace, "\n    ".join(problems)))
        return "%d distinct system calls, all allowed by the unit" % len(used)
    finally:
        if reg is not None:
            reg.close()
        act.stop()
        notify.close()
        syslog.close()


# ---------------------------------------------------------------- main

def main():
    binary = epmdtest.EPMD_SECURE
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        epmdtest.skip("daemon under test %s not built (run make, or set EPMD_SECURE)" % binary)
    binary = os.path.abspath(binary)
    for tool, pkg in ((ACTIVATE, "systemd"), (ANALYZE, "systemd"), ("erl", "erlang-base")):
        if not epmdtest.have(tool):
            epmdtest.skip("%s not installed (Debian package %s)" % (tool, pkg))
    if not epmdtest.have_ipv6_loopback():
        epmdtest.skip("no IPv6 on loopback: the units and tests need ::1")
    for f in (SERVICE, SOCKET, DROPIN):
        if not os.path.isfile(f):
            print("FAIL test_systemd.py: %s missing" % f, file=sys.stderr)
            return 1

    logdir = tempfile.mkdtemp(prefix="test_systemd-")
    os.chmod(logdir, 0o755)
    erl.become_subreaper()
    failures, notes = [], []
    parts = (("units: systemd-analyze verify", part_units_verify),
             ("units: systemd-analyze security", part_units_security),
             ("units: ExecStart arguments and port", part_units_args),
             ("-systemd without usable sockets", part_no_sockets),
             ("activation on 127.0.0.1 and ::1", part_activation_loopback),
             ("activation on dual-stack [::]", part_activation_dualstack),
             ("notify with plain -port", part_notify_plain),
             ("notify with socket activation", part_notify_activated),
             ("sandbox approximation", part_sandbox))
    for name, fn in parts:
        try:
            note = fn(logdir, binary)
            if isinstance(note, float):
                note = "overall exposure %.1f (limit %.1f)" % (note, MAX_EXPOSURE)
            print("ok   %s%s" % (name, ": " + note if note else ""))
            if note:
                notes.append("%s: %s" % (name, note))
        except Fail as e:
            print("FAIL %s" % name)
            failures.append("%s: %s" % (name, e))
        except Exception as e:  # an unexpected error is a failure too, with context
            print("FAIL %s" % name)
            failures.append("%s: unexpected %s: %s\n%s" % (name, type(e).__name__, e,
                                                             traceback.format_exc()))

    erl.check_leftovers(failures)

    if failures:
        print("FAIL test_systemd.py against %s" % binary, file=sys.stderr)
        for f in failures:
            print("  - " + f, file=sys.stderr)
        print("logs kept in %s" % logdir, file=sys.stderr)
        return 1
    shutil.rmtree(logdir, ignore_errors=True)
    print("PASS test_systemd.py against %s" % binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
