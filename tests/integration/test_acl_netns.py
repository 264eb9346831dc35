#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
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
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
import netns  # noqa: E402
from epmdtest import alive2_body, frame, port2_req  # noqa: E402
from netns import Fail, run, wait_until, write_private  # noqa: E402

PORT = 4369                     # a fresh namespace has every port free
SRV4, SRV6 = "192.0.2.1", "fd00:db8::1"
ALLOW4, ALLOW6 = "192.0.2.10", "fd00:db8::10"
DENY4, DENY6 = "192.0.2.20", "fd00:db8::20"
NODE = "acltest%d" % os.getpid()     # unique enough to grep nmap output for
NODE_PORT = 54321
NODE_EXTRA = b"xtra"
# Any ip/nmap/-t command: netns.CMD_TIMEOUT (30 s); links up, no tentative
# IPv6 address: netns.SETUP_TIMEOUT (10 s).
AGENT_TIMEOUT = 20.0            # one agent round trip (its sockets time out at 5 s)
START_TIMEOUT = 10.0            # daemon listening
RELOAD_TIMEOUT = 10.0           # daemon logged the outcome of a SIGHUP

TAG = "epmds-%d" % os.getpid()
PAIR = netns.Pair(TAG)          # veth-srv / veth-cli
NS_SRV, NS_CLI = PAIR.srv, PAIR.cli

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
# made-up registration ports: no listener to own them
check_port_owner no
port %d
packet_timeout 10
acl_file %s
names_refusal close
port_refusal not_found
relaxed_command_check no
max_nodes 64
"""

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


class Agent(netns.Agent):
    """netns.Agent with this test's round-trip bound, and strict requests."""

    def call(self, within=AGENT_TIMEOUT, **cmd):
        return super().call(within, **cmd)

    def request(self, dst, raw, src=None, port=PORT):
        """Everything read until close, or raise (timeout, refused, reset on send...)."""
        try:
            r = self.call(op="request", dst=dst, src=src, port=port, data=raw.hex(),
                          strict=True)
        except netns.AgentError as e:
            raise Fail("request to %s from %s: %s" % (dst, src, e))
        if src and r["local"] != src:
            raise Fail("request from %s went out from %s" % (src, r["local"]))
        return bytes.fromhex(r["reply"])


def names_req():
    return frame(b"n")


def port2_found():
    """PORT2_RESP for NODE as registered: w 0 and the echoed record."""
    return epmdtest.port2_resp(NODE, port=NODE_PORT, extra=NODE_EXTRA)


def names_listing():
    return "name %s at port %d\n" % (NODE, NODE_PORT)


class Daemon(netns.Daemon):
    def __init__(self, logdir, conf, acl):
        super().__init__(NS_SRV, logdir, PORT, "%s,%s" % (SRV4, SRV6), conf, acl)

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
    netns.preflight(PAIR, tools=("ip", "nmap"))
    logdir = tempfile.mkdtemp(prefix="epmd-acl-netns-")
    os.chmod(logdir, 0o700)
    conf = os.path.join(logdir, "epmd_secure.conf")
    acl = os.path.join(logdir, "acl")
    bad_acl = os.path.join(logdir, "acl.broken")
    agent_script = os.path.join(logdir, "agent.py")
    write_private(acl, ACL_GOOD)
    write_private(bad_acl, ACL_BROKEN)
    write_private(conf, CONF % (PORT, acl))
    netns.write_agent(agent_script)

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
        PAIR.teardown(agents, [d for d in procs if isinstance(d, Daemon)])
    left = PAIR.left()
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
    PAIR.setup([SRV4 + "/24", SRV6 + "/64"],
               [ALLOW4 + "/24", DENY4 + "/24", ALLOW6 + "/64", DENY6 + "/64"])

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
            try:
                r = srv.call(op="request", dst=a, port=PORT, data=names_req().hex(),
                             timeout=1.0, strict=True)
            except netns.AgentError:
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
    if len(reply) != 6 or reply[:2] != b"v\x00":
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
