#!/usr/bin/env python3
"""The ACL seen from another host, in two private network namespaces.

Layout (nothing leaves the two namespaces; no address of the real host is used):

    epmds-<pid>-srv  veth-srv 192.0.2.1/24   fd00:db8::1/64
          |  veth pair
    epmds-<pid>-cli  veth-cli 192.0.2.10/24  fd00:db8::10/64   (allowed by the ACL)
                              192.0.2.20/24  fd00:db8::20/64   (denied)

The daemon runs in the server namespace with -address 192.0.2.1,fd00:db8::1 and
temporary -config/-acl files (mode 600). A helper ("agent") runs in each
namespace and opens the sockets there: the server-side agent registers a node
from loopback and holds that connection; the client-side agent binds the source
address explicitly before every connect.

Checked:
  * allowed sources (v4, v6): NAMES lists the node, PORT_PLEASE2 echoes the
    full record; denied sources: NAMES closes with no bytes, PORT_PLEASE2 is
    w 1;
  * ALIVE2, DUMP, KILL and STOP from the allowed (non-local) source close with
    no reply; the daemon lives on, the node stays registered, nothing new is;
  * nmap's epmd-info from the denied source shows no node name; from the
    allowed source it does (so the nmap check can fail);
  * SIGHUP with an ACL revoking 192.0.2.10: it gets nothing / w 1, fd00:db8::10
    still gets answers, loopback still finds the node;
  * SIGHUP with a broken ACL: the error is logged as file:line, the previous
    policy stays in force (behaviour checked both ways), the daemon and the
    registration survive;
  * -t: broken ACL -> "file:line:" and exit 1; good ACL -> "configuration OK",
    exit 0.

Needs root, iproute2 (`ip netns`) and nmap. Exit 0 pass, 77 skip (reason on
stderr), 1 fail (log directory printed, kept).
"""
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import alive2_body, frame  # noqa: E402

PORT = 4369                     # a fresh namespace has every port free
SRV4, SRV6 = "192.0.2.1", "fd00:db8::1"
ALLOW4, ALLOW6 = "192.0.2.10", "fd00:db8::10"
DENY4, DENY6 = "192.0.2.20", "fd00:db8::20"
SRV_IF, CLI_IF = "veth-srv", "veth-cli"
NODE = "acltest%d" % os.getpid()     # unique enough to grep nmap output for
NODE_PORT = 54321
NODE_EXTRA = b"xtra"
CMD_TIMEOUT = 30.0              # any ip/nmap/-t command
AGENT_TIMEOUT = 20.0            # one agent round trip (its sockets time out at 5 s)
START_TIMEOUT = 10.0            # daemon listening
RELOAD_TIMEOUT = 10.0           # daemon logged the outcome of a SIGHUP
SETUP_TIMEOUT = 10.0            # links up, no tentative IPv6 address

TAG = "epmds-%d" % os.getpid()
NS_SRV, NS_CLI = TAG + "-srv", TAG + "-cli"

ACL_GOOD = """\
# test ACL: loopback, and one client address per family
allow 127.0.0.0/8
allow ::1
allow 192.0.2.10 names,port
allow fd00:db8::10 names,port
deny 0.0.0.0/0
deny ::/0
"""

ACL_REVOKED = """\
# test ACL: 192.0.2.10 revoked
allow 127.0.0.0/8
allow ::1
allow fd00:db8::10 names,port
deny 0.0.0.0/0
deny ::/0
"""

# Line 6 is broken (host bits set). Were the file applied without that line,
# 192.0.2.10 would be allowed again and fd00:db8::10 denied: both are checked.
ACL_BROKEN = """\
# test ACL: broken
allow 127.0.0.0/8
allow ::1
allow 192.0.2.10 names,port
deny fd00:db8::10
allow 10.0.0.1/8
deny 0.0.0.0/0
deny ::/0
"""
ACL_BROKEN_LINE = 6

CONF = """\
# test configuration
port %d
packet_timeout 10
acl_file %s
names_refusal close
port_refusal not_found
relaxed_command_check no
max_nodes 64
"""

# Runs inside a namespace; one JSON command per line on stdin, one JSON answer
# per line on stdout. Exits on EOF or "quit".
AGENT = r'''
import json, socket, sys

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
        if not chunk:
            break
        out += chunk
    return out, end

def handle(c):
    op = c["op"]
    if op == "request":
        s = sock_for(c["dst"], c.get("src"), c.get("timeout", 5.0))
        try:
            s.connect((c["dst"], c["port"]))
            local = s.getsockname()[0]
            s.sendall(bytes.fromhex(c["data"]))
            out, end = read_to_close(s)
        finally:
            s.close()
        return {"reply": out.hex(), "end": end, "local": local}
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
        held[c["key"]] = s
        return {"reply": out.hex()}
    if op == "held":
        s = held.get(c["key"])
        if s is None:
            return {"state": "none"}
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
        s = held.pop(c["key"], None)
        if s is not None:
            s.close()
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


class Fail(Exception):
    pass


failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


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


class Agent:
    """A helper process inside a namespace that opens sockets there."""

    def __init__(self, ns, script, logdir, name):
        self.ns = ns
        self.errpath = os.path.join(logdir, "agent-%s.stderr" % name)
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-u", script],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.buf = b""

    def call(self, **cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + AGENT_TIMEOUT
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("agent in %s: no answer to %r within %.0fs" %
                           (self.ns, cmd, AGENT_TIMEOUT))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise Fail("agent in %s died (see %s)" % (self.ns, self.errpath))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, dst, raw, src=None, port=PORT):
        """Everything read until close, or raise (timeout, refused...)."""
        r = self.call(op="request", dst=dst, src=src, port=port, data=raw.hex())
        if "error" in r:
            raise Fail("request to %s from %s: %s" % (dst, src, r["error"]))
        if src and r["local"] != src:
            raise Fail("request from %s went out from %s" % (src, r["local"]))
        return bytes.fromhex(r["reply"])

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


def names_req():
    return frame(b"n")


def port2_req(name):
    return frame(b"z" + name.encode())


def port2_found():
    """PORT2_RESP for NODE as registered: w 0 and the echoed record."""
    n = NODE.encode()
    return (b"w\x00" + struct.pack(">HBBHHH", NODE_PORT, 77, 0, 6, 5, len(n)) + n +
            struct.pack(">H", len(NODE_EXTRA)) + NODE_EXTRA)


def names_listing():
    return "name %s at port %d\n" % (NODE, NODE_PORT)


def write_private(path, text):
    """Replace path atomically with text, mode 600."""
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Fail("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(0.05)


def setup_namespaces():
    ip("netns", "add", NS_SRV)
    ip("netns", "add", NS_CLI)
    ip("link", "set", "lo", "up", ns=NS_SRV)
    ip("link", "set", "lo", "up", ns=NS_CLI)
    # Created directly inside the namespaces: never an interface on the host.
    ip("link", "add", SRV_IF, "type", "veth", "peer", "name", CLI_IF,
       "netns", NS_CLI, ns=NS_SRV)
    for ns, ifname, addrs in ((NS_SRV, SRV_IF, [SRV4 + "/24", SRV6 + "/64"]),
                              (NS_CLI, CLI_IF, [ALLOW4 + "/24", DENY4 + "/24",
                                                ALLOW6 + "/64", DENY6 + "/64"])):
        for a in addrs:
            extra = ["nodad"] if ":" in a else []
            ip("addr", "add", a, "dev", ifname, *extra, ns=ns)
        ip("link", "set", ifname, "up", ns=ns)

    def ready():
        for ns, ifname in ((NS_SRV, SRV_IF), (NS_CLI, CLI_IF)):
            link = ip("-o", "link", "show", ifname, ns=ns).stdout.decode()
            if "LOWER_UP" not in link:
                return False
            if ip("-6", "-o", "addr", "show", "tentative", ns=ns).stdout.strip():
                return False
        return True

    wait_until(ready, SETUP_TIMEOUT, "veth link up and IPv6 DAD done")


def cleanup_namespaces(procs):
    for p in procs:
        try:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        except Exception:
            pass
    for ns in (NS_SRV, NS_CLI):
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


def preflight():
    if os.geteuid() != 0:
        epmdtest.skip("needs root (network namespaces)")
    if not epmdtest.have("ip"):
        epmdtest.skip("iproute2 `ip` not installed")
    if not epmdtest.have("nmap"):
        epmdtest.skip("nmap not installed")
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        print("FAIL: %s is not built (run make)" % epmdtest.EPMD_SECURE, file=sys.stderr)
        sys.exit(1)
    # Can we make a namespace at all (containers often cannot)?
    probe = TAG + "-probe"
    p = subprocess.run(["ip", "netns", "add", probe], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=CMD_TIMEOUT)
    if p.returncode != 0:
        epmdtest.skip("`ip netns add` does not work here: %s" %
                      p.stderr.decode(errors="replace").strip())
    subprocess.run(["ip", "netns", "del", probe], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=CMD_TIMEOUT)
    for ns in (NS_SRV, NS_CLI):
        if os.path.exists(os.path.join("/run/netns", ns)):
            print("FAIL: namespace %s already exists" % ns, file=sys.stderr)
            sys.exit(1)


class Daemon:
    def __init__(self, logdir, conf, acl):
        self.logpath = os.path.join(logdir, "epmd_secure.log")
        self.outpath = os.path.join(logdir, "epmd_secure.stdout")
        self.log = open(self.logpath, "wb")
        self.out = open(self.outpath, "wb")
        env = dict(os.environ)
        for k in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_EPMD_RELAXED_COMMAND_CHECK"):
            env.pop(k, None)
        # ip netns exec execs the daemon: this pid is the daemon's.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_SRV, epmdtest.EPMD_SECURE, "-port", str(PORT),
             "-address", "%s,%s" % (SRV4, SRV6), "-config", conf, "-acl", acl, "-d"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.log, env=env)

    def logtext(self):
        self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def reload(self):
        """SIGHUP; wait until the outcome is logged; return the new log lines."""
        # Two log formats are accepted: "reload: X replaces Y" / "reload
        # failed; ..." and "event=reload result=ok|error ...".
        outcome = re.compile(r"reload: .* replaces |reload failed|event=reload result=")
        before = self.logtext()
        nbefore = len(outcome.findall(before))
        self.proc.send_signal(signal.SIGHUP)

        def done():
            if not self.alive():
                raise Fail("daemon exited (status %s) on SIGHUP" % self.proc.returncode)
            t = self.logtext()
            return t[len(before):] if len(outcome.findall(t)) > nbefore else None

        return wait_until(done, RELOAD_TIMEOUT, "the daemon to log its reload")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        self.out.close()


def reload_failed(new):
    return re.search(r"reload failed|event=reload result=error", new) is not None


def names_log(text, src):
    """The daemon's log lines about a NAMES request from src."""
    pat = re.compile(r"(?<![\w.:])%s(?![\w.])" % re.escape(src))
    return [x for x in text.splitlines() if "NAMES" in x and pat.search(x)]


def nmap(cli, src):
    """nmap epmd-info against the daemon from src, inside the client namespace."""
    argv = ["ip", "netns", "exec", NS_CLI, "nmap", "-n", "-Pn", "-sT", "-p", str(PORT),
            "--script", "epmd-info", "-S", src, "--max-retries", "1",
            "--host-timeout", "20s", "--script-timeout", "15s", SRV4]
    p = run(argv, check_rc=False)
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    return p.returncode, out, err


def main():
    preflight()
    logdir = tempfile.mkdtemp(prefix="epmd-acl-netns-")
    os.chmod(logdir, 0o700)
    conf = os.path.join(logdir, "epmd_secure.conf")
    acl = os.path.join(logdir, "acl")
    bad_acl = os.path.join(logdir, "acl.broken")
    agent_script = os.path.join(logdir, "agent.py")
    write_private(acl, ACL_GOOD)
    write_private(bad_acl, ACL_BROKEN)
    write_private(conf, CONF % (PORT, acl))
    with open(agent_script, "w") as f:
        f.write(AGENT)

    procs, agents, daemon = [], [], None
    ok = False

    def on_term(signum, frame_):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_term)

    try:
        try:
            _test(logdir, conf, acl, bad_acl, agent_script, procs, agents)
        except Fail as e:
            failures.append(str(e))
            print("FAIL " + str(e))
        ok = not failures
    except (Exception, KeyboardInterrupt):
        traceback.print_exc()
        failures.append("exception")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # let the cleanup finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for a in agents:
            try:
                a.stop()
            except Exception:
                pass
        for d in procs:
            if isinstance(d, Daemon):
                try:
                    d.stop()
                except Exception:
                    pass
        cleanup_namespaces([x.proc for x in agents] +
                           [d.proc for d in procs if isinstance(d, Daemon)])
    left = [ns for ns in (NS_SRV, NS_CLI) if os.path.exists(os.path.join("/run/netns", ns))]
    if left:
        print("FAIL namespaces left behind: %s" % " ".join(left))
        ok = False
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
        print("PASS")
        return 0
    print("FAILED (%d): %s" % (len(failures), "; ".join(failures)))
    print("logs kept in %s (daemon log: %s)" % (logdir, os.path.join(logdir, "epmd_secure.log")),
          file=sys.stderr)
    return 1


def _test(logdir, conf, acl, bad_acl, agent_script, procs, agents):
    setup_namespaces()

    # -t first: it reads files only, no sockets.
    p = run([epmdtest.EPMD_SECURE, "-config", conf, "-acl", bad_acl, "-t"], check_rc=False)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 1 and "%s:%d:" % (bad_acl, ACL_BROKEN_LINE) in err,
          "-t on the broken ACL: exit 1 with %s:%d: (got exit %d, stderr %r)"
          % (os.path.basename(bad_acl), ACL_BROKEN_LINE, p.returncode, err))
    p = run([epmdtest.EPMD_SECURE, "-config", conf, "-acl", acl, "-t"], check_rc=False)
    check(p.returncode == 0 and "configuration OK" in p.stdout.decode(errors="replace"),
          "-t on the good ACL: configuration OK, exit 0 (got exit %d, stdout %r, stderr %r)"
          % (p.returncode, p.stdout, p.stderr))

    d = Daemon(logdir, conf, acl)
    procs.append(d)
    srv = Agent(NS_SRV, agent_script, logdir, "srv")
    agents.append(srv)
    cli = Agent(NS_CLI, agent_script, logdir, "cli")
    agents.append(cli)

    def listening():
        if not d.alive():
            raise Fail("daemon exited with %s at start (log %s)" % (d.proc.returncode, d.logpath))
        # Loopback is allowed by the ACL: NAMES answers. The veth addresses
        # are not (a peer dialling the host's own address is a "local peer"
        # for ALIVE2 and the like, but the ACL goes by address): accepting the
        # connection is enough there.
        for a in ("127.0.0.1", "::1", SRV4, SRV6):
            r = srv.call(op="request", dst=a, port=PORT, data=names_req().hex(), timeout=1.0)
            if "error" in r:
                return False
            if a in ("127.0.0.1", "::1") and \
                    not bytes.fromhex(r["reply"]).startswith(struct.pack(">I", PORT)):
                return False
        return True
    wait_until(listening, START_TIMEOUT, "the daemon to answer NAMES on all addresses")

    # Register from loopback in the server namespace; the agent holds the connection.
    r = srv.call(op="register", key="node", dst="127.0.0.1", port=PORT, want=6,
                 data=frame(alive2_body(NODE, port=NODE_PORT, extra=NODE_EXTRA)).hex())
    reply = bytes.fromhex(r.get("reply", ""))
    if "error" in r or len(reply) != 6 or reply[:2] != b"v\x00":
        raise Fail("ALIVE2 from loopback: %r" % r)
    print("ok   registered %s from loopback (creation %d)" % (NODE, struct.unpack(">I", reply[2:])[0]))

    def registered(when):
        held = srv.call(op="held", key="node").get("state")
        check(held == "open", "%s: registration connection still open (%s)" % (when, held))
        got = srv.request("127.0.0.1", port2_req(NODE))
        check(got == port2_found(), "%s: PORT_PLEASE2 from loopback finds the node (%r)"
              % (when, got))
        check(d.alive(), "%s: daemon alive" % when)

    def allowed(src, when):
        got = cli.request(SRV6 if ":" in src else SRV4, names_req(), src=src)
        check(got.startswith(struct.pack(">I", PORT)) and names_listing().encode() in got,
              "%s: NAMES from %s lists %s (%r)" % (when, src, NODE, got))
        got = cli.request(SRV6 if ":" in src else SRV4, port2_req(NODE), src=src)
        check(got == port2_found(), "%s: PORT_PLEASE2 from %s gets the full record (%r)"
              % (when, src, got))

    def denied(src, when):
        got = cli.request(SRV6 if ":" in src else SRV4, names_req(), src=src)
        check(got == b"", "%s: NAMES from %s closed with no bytes (%r)" % (when, src, got))
        got = cli.request(SRV6 if ":" in src else SRV4, port2_req(NODE), src=src)
        check(got == b"w\x01", "%s: PORT_PLEASE2 from %s is w 1 (%r)" % (when, src, got))

    when = "initial ACL"
    allowed(ALLOW4, when)
    allowed(ALLOW6, when)
    denied(DENY4, when)
    denied(DENY6, when)

    # Requests reserved to local peers, from an allowed but remote source.
    intruder = "intruder%d" % os.getpid()
    for src, dst in ((ALLOW4, SRV4), (ALLOW6, SRV6)):
        for what, raw in (("ALIVE2", frame(alive2_body(intruder, port=4242))),
                          ("DUMP", frame(b"d")),
                          ("KILL", frame(b"k")),
                          ("STOP " + NODE, frame(b"s" + NODE.encode()))):
            got = cli.request(dst, raw, src=src)
            check(got == b"", "remote %s from %s closed with no reply (%r)" % (what, src, got))
    registered("after remote ALIVE2/DUMP/KILL/STOP")
    got = srv.request("127.0.0.1", port2_req(intruder))
    check(got == b"w\x01", "remote ALIVE2 registered nothing (%r)" % got)
    got = srv.request("127.0.0.1", names_req())
    check(intruder.encode() not in got and names_listing().encode() in got,
          "loopback NAMES lists %s and not the intruder (%r)" % (NODE, got))

    # nmap epmd-info: denied source sees no node; allowed source does.
    mark = len(d.logtext())
    rc, out, err = nmap(cli, DENY4)
    print("---- nmap from %s (exit %d)\n%s%s----" % (DENY4, rc, out, err))
    check(rc == 0 and re.search(r"%d/tcp\s+open" % PORT, out) is not None,
          "nmap from %s ran and found the port open" % DENY4)
    check(NODE not in out and NODE not in err, "nmap epmd-info from %s shows no node name" % DENY4)
    # The check above means something only if nmap's NAMES really came from
    # the denied address (-S on a connect scan and on the script's socket).
    seen = d.logtext()[mark:]
    check(any("denied" in x for x in names_log(seen, DENY4)) and not names_log(seen, ALLOW4),
          "daemon log: nmap's NAMES came from %s (not %s) and was denied" % (DENY4, ALLOW4))
    mark = len(d.logtext())
    rc, out, err = nmap(cli, ALLOW4)
    print("---- nmap from %s (exit %d)\n%s%s----" % (ALLOW4, rc, out, err))
    check(rc == 0 and re.search(r"\b%s: %d\b" % (re.escape(NODE), NODE_PORT), out) is not None,
          "nmap epmd-info from %s lists %s: %d (the nmap check can fail)"
          % (ALLOW4, NODE, NODE_PORT))
    check(any("denied" not in x for x in names_log(d.logtext()[mark:], ALLOW4)),
          "daemon log: that NAMES came from %s and was answered" % ALLOW4)

    # Reload with 192.0.2.10 revoked.
    write_private(acl, ACL_REVOKED)
    new = d.reload()
    check(not reload_failed(new), "SIGHUP with the revoking ACL reloaded (%r)" % new)
    when = "after revoking reload"
    denied(ALLOW4, when)
    allowed(ALLOW6, when)
    denied(DENY4, when)
    denied(DENY6, when)
    registered(when)

    # Reload with a broken ACL: logged with file:line, previous policy kept.
    write_private(acl, ACL_BROKEN)
    new = d.reload()
    check(reload_failed(new), "SIGHUP with a broken ACL: reload failed (%r)" % new)
    check("%s:%d:" % (acl, ACL_BROKEN_LINE) in new,
          "broken ACL: the log names %s:%d: (%r)" % (acl, ACL_BROKEN_LINE, new))
    when = "after broken reload"
    denied(ALLOW4, when)     # the broken file would allow it again
    allowed(ALLOW6, when)    # the broken file would deny it
    denied(DENY4, when)
    denied(DENY6, when)
    registered(when)

    check(os.path.getsize(d.outpath) == 0, "daemon wrote nothing to stdout")
    check(d.alive(), "daemon alive at the end")


if __name__ == "__main__":
    sys.exit(main())
