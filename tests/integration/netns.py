# SPDX-License-Identifier: Apache-2.0
"""Helpers for tests that run the daemon in private network namespaces.

Two namespaces joined by a veth pair, created directly inside them (never an
interface on the host); a helper process ("agent") in each namespace opens the
sockets there on request; cleanup kills whatever is left in the namespaces
and deletes them. Nothing here touches the host's own network.

    pair = Pair("epmds-%d" % os.getpid())
    preflight(pair)                     # exit 77 (skip) or 1 as appropriate
    try:
        pair.setup({"192.0.2.1/24", ...}, {"192.0.2.10/24", ...})
        agent = Agent(pair.cli, script_path, logdir, "cli")
        daemon = Daemon(pair.srv, logdir, port, "192.0.2.1", conf, acl)
        ...
    finally:
        pair.teardown([agent], [daemon])  # stop them, then cleanup()
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

import epmdtest
from epmdtest import Fail, wait_until  # noqa: F401  (re-exported for the tests)

CMD_TIMEOUT = 30.0              # any ip command
AGENT_TIMEOUT = 30.0            # one agent round trip, by default
SETUP_TIMEOUT = 10.0            # links up, no tentative IPv6 address


class AgentError(Fail):
    """The agent answered with an error (its socket operation failed)."""


def run(argv, timeout=CMD_TIMEOUT, check_rc=True):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise Fail("%s: exit %d: %s" % (" ".join(argv), p.returncode,
                                         p.stderr.decode(errors="replace").strip()))
    return p


def ip(*args, ns=None, check_rc=True):
    argv = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return run(argv, check_rc=check_rc)


def write_private(path, text):
    """Replace path atomically with text, mode 600."""
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Pair:
    """A server and a client namespace joined by one veth pair."""

    def __init__(self, tag, srv_if="veth-srv", cli_if="veth-cli"):
        self.srv, self.cli = tag + "-srv", tag + "-cli"
        self.probe = tag + "-probe"
        self.srv_if, self.cli_if = srv_if, cli_if

    def names(self):
        return (self.srv, self.cli)

    def setup(self, srv_addrs, cli_addrs):
        """Addresses as "a.b.c.d/len" or "x::y/len"; IPv6 ones get nodad."""
        ip("netns", "add", self.srv)
        ip("netns", "add", self.cli)
        ip("link", "set", "lo", "up", ns=self.srv)
        ip("link", "set", "lo", "up", ns=self.cli)
        ip("link", "add", self.srv_if, "type", "veth", "peer", "name", self.cli_if,
           "netns", self.cli, ns=self.srv)
        for ns, ifname, addrs in ((self.srv, self.srv_if, srv_addrs),
                                  (self.cli, self.cli_if, cli_addrs)):
            for a in addrs:
                extra = ["nodad"] if ":" in a else []
                ip("addr", "add", a, "dev", ifname, *extra, ns=ns)
            ip("link", "set", ifname, "up", ns=ns)

        def ready():
            for ns, ifname in ((self.srv, self.srv_if), (self.cli, self.cli_if)):
                link = ip("-o", "link", "show", ifname, ns=ns).stdout.decode()
                if "LOWER_UP" not in link:
                    return False
                if ip("-6", "-o", "addr", "show", "tentative", ns=ns).stdout.strip():
                    return False
            return True

        wait_until(ready, SETUP_TIMEOUT, "veth link up and IPv6 DAD done")

    def cleanup(self, procs=()):
        """Kill procs, then anything left in our namespaces; delete them."""
        for p in procs:
            try:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)
            except Exception:
                pass
        for ns in (self.srv, self.cli, self.probe):
            if not os.path.exists(os.path.join("/run/netns", ns)):
                continue
            # Anything still in our private namespaces was started by this test.
            out = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, timeout=CMD_TIMEOUT).stdout
            for pid in out.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=CMD_TIMEOUT)

    def teardown(self, agents, daemons):
        """Stop agents and daemons (errors ignored), then cleanup()."""
        for x in list(agents) + list(daemons):
            try:
                x.stop()
            except Exception:
                pass
        self.cleanup([x.proc for x in list(agents) + list(daemons)])

    def left(self):
        return [ns for ns in (self.srv, self.cli)
                if os.path.exists(os.path.join("/run/netns", ns))]


def preflight(pair, tools=("ip",)):
    """Skip (77) without root or a working `ip netns`; fail without the binary."""
    if os.geteuid() != 0:
        epmdtest.skip("needs root (network namespaces)")
    for t in tools:
        if not epmdtest.have(t):
            epmdtest.skip("`%s` not installed" % t)
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        print("FAIL: %s is not built (run make)" % epmdtest.EPMD_SECURE, file=sys.stderr)
        sys.exit(1)
    p = subprocess.run(["ip", "netns", "add", pair.probe], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=CMD_TIMEOUT)
    if p.returncode != 0:
        epmdtest.skip("`ip netns add` does not work here: %s" %
                      p.stderr.decode(errors="replace").strip())
    subprocess.run(["ip", "netns", "del", pair.probe], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=CMD_TIMEOUT)
    for ns in pair.names():
        if os.path.exists(os.path.join("/run/netns", ns)):
            print("FAIL: namespace %s already exists" % ns, file=sys.stderr)
            sys.exit(1)


# Runs inside a namespace: one JSON command per line on stdin, one JSON answer
# per line on stdout. Exits on EOF or "quit". Every loop in it is bounded by a
# count and by a time limit given in the command. Byte strings travel as hex.
AGENT = r'''
import errno, json, resource, select, socket, sys, time

# Enough descriptors for the connections a test holds open.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))

held = {}

def sock_for(dst, src, timeout):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    return s

def read_to_close(s):
    out, end = b"", "eof"
    while len(out) < (1 << 20):
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            end = "reset"
            break
        except socket.timeout:
            end = "timeout"
            break
        if not chunk:
            break
        out += chunk
    return out, end

def one_request(dst, src, port, data, timeout, strict=False):
    # strict: a failed send or a read timeout is an error, not an "end".
    s = sock_for(dst, src, timeout)
    try:
        s.connect((dst, port))
        local = s.getsockname()[0]
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            if strict:
                raise
            return b"", "reset", local
        out, end = read_to_close(s)
    finally:
        s.close()
    if strict and end == "timeout":
        raise socket.timeout("timed out")
    return out, end, local

def handle(c):
    op = c["op"]
    if op == "request":
        out, end, local = one_request(c["dst"], c.get("src"), c["port"],
                                      bytes.fromhex(c["data"]), c.get("timeout", 5.0),
                                      c.get("strict", False))
        return {"reply": out.hex(), "end": end, "local": local}
    if op == "flood":
        # count requests, each on a new connection, round-robin over srcs,
        # as fast as possible; stop early after max_seconds.
        data = bytes.fromhex(c["data"])
        want = bytes.fromhex(c["expect"])
        srcs = c["srcs"]
        n = answered = empty = other = errors = 0
        samples = []
        t0 = time.monotonic()
        while n < c["count"] and time.monotonic() - t0 < c["max_seconds"]:
            try:
                out, end, _ = one_request(c["dst"], srcs[n % len(srcs)], c["port"],
                                          data, c.get("timeout", 5.0))
            except OSError as e:
                errors += 1
                if len(samples) < 5:
                    samples.append("%s: %s" % (type(e).__name__, e))
                n += 1
                continue
            if out == want:
                answered += 1
            elif out == b"":
                empty += 1
            else:
                other += 1
                if len(samples) < 5:
                    samples.append(out.hex())
            n += 1
        return {"sent": n, "answered": answered, "empty": empty, "other": other,
                "errors": errors, "samples": samples,
                "seconds": time.monotonic() - t0}
    if op == "paced":
        # count requests, one every interval seconds; every reply returned.
        data = bytes.fromhex(c["data"])
        replies = []
        t0 = time.monotonic()
        for i in range(c["count"]):
            delay = t0 + i * c["interval"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                out, end, _ = one_request(c["dst"], c.get("src"), c["port"], data,
                                          c.get("timeout", 5.0))
                replies.append(out.hex())
            except OSError as e:
                replies.append("error %s: %s" % (type(e).__name__, e))
        return {"replies": replies, "seconds": time.monotonic() - t0}
    if op == "hold":
        # Open n connections per source in srcs and keep them; send data
        # (possibly empty) on each right after connecting.
        socks = held.setdefault(c["key"], [])
        data = bytes.fromhex(c.get("data", ""))
        made = errors = 0
        samples = []
        for src in c["srcs"]:
            for i in range(c["n"]):
                s = sock_for(c["dst"], src, c.get("timeout", 5.0))
                try:
                    s.connect((c["dst"], c["port"]))
                    t = time.monotonic()
                    if data:
                        s.send(data)
                except OSError as e:
                    errors += 1
                    if len(samples) < 5:
                        samples.append("%s: %s" % (type(e).__name__, e))
                    s.close()
                    continue
                socks.append({"s": s, "t": t, "state": "open", "src": src})
                made += 1
        return {"made": made, "errors": errors, "samples": samples}
    if op == "watch":
        # Wait up to wait seconds; report which held sockets closed (EOF or
        # reset) and how long after their connect. Stops early once
        # `until_closed` of them are closed.
        socks = held.get(c["key"], [])
        deadline = time.monotonic() + c["wait"]
        until = c.get("until_closed")
        while True:
            live = [x for x in socks if x["state"] == "open"]
            nclosed = len(socks) - len(live)
            left = deadline - time.monotonic()
            if left <= 0 or not live or (until is not None and nclosed >= until):
                break
            p = select.poll()
            for x in live:
                p.register(x["s"], select.POLLIN)
            ready = {fd for fd, _ in p.poll(min(left, 0.2) * 1000)}
            now = time.monotonic()
            for x in live:
                if x["s"].fileno() not in ready:
                    continue
                try:
                    x["s"].setblocking(False)
                    d = x["s"].recv(65536)
                    x["state"] = "data" if d else "closed"
                    if d:
                        x["data"] = d.hex()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    x["state"] = "closed"
                x["after"] = now - x["t"]
        return {"states": [x["state"] for x in socks],
                "after": [x.get("after") for x in socks],
                "srcs": [x["src"] for x in socks],
                "data": [x.get("data") for x in socks]}
    if op == "finish":
        # Send data on held socket index, read to close, return the reply.
        x = held[c["key"]][c["index"]]
        x["s"].setblocking(True)
        x["s"].settimeout(c.get("timeout", 5.0))
        x["s"].sendall(bytes.fromhex(c["data"]))
        out, end = read_to_close(x["s"])
        x["state"] = "done"
        return {"reply": out.hex(), "end": end}
    if op == "dribble":
        # Send data one byte every interval seconds until the peer closes
        # or max_seconds pass; report when and after how many bytes.
        data = bytes.fromhex(c["data"])
        s = sock_for(c["dst"], c.get("src"), 5.0)
        s.connect((c["dst"], c["port"]))
        t0 = time.monotonic()
        sent = 0
        got = b""
        closed = None
        while time.monotonic() - t0 < c["max_seconds"]:
            if sent < len(data) and time.monotonic() >= t0 + sent * c["interval"]:
                try:
                    s.send(data[sent:sent + 1])
                    sent += 1
                except OSError:
                    closed = time.monotonic() - t0
                    break
            r, _, _ = select.select([s], [], [], 0.05)
            if r:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    closed = time.monotonic() - t0
                    break
                got += d
        s.close()
        return {"closed_after": closed, "sent": sent, "got": got.hex()}
    if op == "register":
        s = sock_for(c["dst"], c.get("src"), 5.0)
        s.connect((c["dst"], c["port"]))
        s.sendall(bytes.fromhex(c["data"]))
        out = b""
        while len(out) < c["want"]:
            chunk = s.recv(c["want"] - len(out))
            if not chunk:
                break
            out += chunk
        held[c["key"]] = [{"s": s, "t": time.monotonic(), "state": "open", "src": None}]
        return {"reply": out.hex()}
    if op == "held":
        # State of the connection held under key (by "register"), peeked at:
        # open, data, closed, or none if nothing is held.
        xs = held.get(c["key"])
        if not xs:
            return {"state": "none"}
        s = xs[0]["s"]
        s.setblocking(False)
        try:
            d = s.recv(1, socket.MSG_PEEK)
            state = "data" if d else "closed"
        except BlockingIOError:
            state = "open"
        except OSError:
            state = "closed"
        s.settimeout(5.0)
        return {"state": state}
    if op == "release":
        for x in held.pop(c["key"], []):
            x["s"].close()
        return {}
    raise ValueError("unknown op %r" % op)

for line in sys.stdin:
    c = json.loads(line)
    if c["op"] == "quit":
        break
    try:
        r = handle(c)
    except Exception as e:
        r = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(r) + "\n")
    sys.stdout.flush()
'''


def write_agent(path):
    with open(path, "w") as f:
        f.write(AGENT)


class Agent:
    """A helper process inside a namespace that opens sockets there.

    call() is send() then result(); send several agents their commands
    before collecting results to run them at the same time."""

    def __init__(self, ns, script, logdir, name):
        self.ns = ns
        self.name = name
        self.errpath = os.path.join(logdir, "agent-%s.stderr" % name)
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-u", script],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.buf = b""
        self.pending = None

    def send(self, **cmd):
        self.pending = cmd
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def result(self, timeout=AGENT_TIMEOUT):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("agent %s: no answer to %r within %.0fs" %
                           (self.name, self.pending, timeout))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise Fail("agent %s died (see %s)" % (self.name, self.errpath))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        r = json.loads(line)
        if "error" in r:
            raise AgentError("agent %s: %r: %s" % (self.name, self.pending.get("op"),
                                                    r["error"]))
        return r

    def call(self, within=AGENT_TIMEOUT, **cmd):
        """Send cmd and wait up to `within` seconds for the answer (a
        "timeout" key in cmd is the agent's socket timeout)."""
        self.send(**cmd)
        return self.result(within)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"op": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self.err.close()


class Daemon(epmdtest.LoggedProcess):
    """epmd_secure -d inside namespace ns: its log (stderr) and its stdout
    in separate files in logdir."""

    def __init__(self, ns, logdir, port, address, conf, acl):
        self.logpath = os.path.join(logdir, "epmd_secure.log")
        self.outpath = os.path.join(logdir, "epmd_secure.stdout")
        self.log = open(self.logpath, "wb")
        self.out = open(self.outpath, "wb")
        # ip netns exec execs the daemon: this pid is the daemon's.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, epmdtest.EPMD_SECURE, "-port", str(port),
             "-address", address, "-config", conf, "-acl", acl, "-d"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.log,
            env=epmdtest.clean_env())
        self.pid = self.proc.pid

    def stop(self):
        epmdtest.stop_proc(self.proc)
        self.log.close()
        self.out.close()
