#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Abuse resistance seen from another host, in two private network namespaces.

Layout (nothing leaves the two namespaces; no address of the real host is used):

    <tag>-srv  veth-srv 192.0.2.1/24    fd00:db8::1/64     daemon, loopback agent
          |  veth pair
    <tag>-cli  veth-cli 192.0.2.x/24    fd00:db8::1xx/64   client agents

The daemon runs in the server namespace with -address 192.0.2.1,fd00:db8::1, a
temporary config with small limits (below) and an ACL allowing loopback and the
client subnets; a node is registered from loopback and held for the whole run.
Client agents bind a distinct source address per scenario, so that scenarios
do not share buckets or connection counts.

  a. lookup flood: 2,000 PORT_PLEASE2 from 192.0.2.10 as fast as possible are
     cut off (most closed without a reply, answers within burst + rate x time),
     one rate_limited record then refusal_summary records account for every
     refusal; meanwhile 192.0.2.11 at 10/s for 3 s gets every answer right.
     Rotating IPv6 addresses inside one /64 share one bucket.
  b. per-source cap: 60 idle connections from 192.0.2.12, the 10 beyond 50 are
     closed at once; loopback still registers and resolves; after the idle
     ones close the source is served again.
  c. total cap with loopback reserve: 7 sources try 322 idle connections, 300
     (max_connections - loopback_reserved) are held, the rest and any new
     remote connection are closed at once; loopback still registers, resolves
     and holds connections of its own.
  d. slow clients: silence is cut at first_byte_timeout, a byte per second at
     the packet timeout counted from accept (before the frame is complete).
  e. descriptor exhaustion: RLIMIT_NOFILE lowered to 64 at run time (prlimit),
     200 connections: the daemon logs event=fd_exhausted, does not spin, still
     answers on a connection it had accepted, and serves again afterwards.

Needs root, iproute2 (`ip netns`) and util-linux `prlimit`. Exit 0 pass, 77 skip
(reason on stderr), 1 fail (log directory printed, kept). Bounded: every loop
has a count and a time limit, and the whole run an alarm.
"""
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
import netns  # noqa: E402
from epmdtest import alive2_body, frame, port2_req  # noqa: E402
from netns import Fail, wait_until  # noqa: E402

PORT = 4369                     # a fresh namespace has every port free
SRV4, SRV6 = "192.0.2.1", "fd00:db8::1"
FLOOD4, POLITE4, CAP4 = "192.0.2.10", "192.0.2.11", "192.0.2.12"
TOTAL4 = ["192.0.2.%d" % i for i in range(20, 27)]
LATE4 = "192.0.2.27"
SILENT4, DRIBBLE4 = "192.0.2.30", "192.0.2.31"
FDX4 = ["192.0.2.%d" % i for i in range(40, 45)]
WITNESS4, AFTER4 = "192.0.2.45", "192.0.2.46"
NOISE4 = "192.0.2.47"
ROT6 = ["fd00:db8::1%02x" % i for i in range(8)]    # one /64

# The limits under test (the config below).
RATE, BURST = 20, 20
PER_SOURCE, MAX_CONNS, RESERVED = 50, 400, 100
FIRST_BYTE, PACKET_TIMEOUT, SUMMARY = 2, 10, 2
NOFILE = 64

NODE = "abusetest%d" % os.getpid()
NODE_PORT = 54321
NODE_EXTRA = b"xtra"
TOTAL_TIMEOUT = 420             # the whole run, seconds
START_TIMEOUT = 10.0
SUMMARY_TIMEOUT = 6 * SUMMARY + 5   # all refusals accounted for in summaries

TAG = "epmdab-%d" % os.getpid()

ACL = """\
# test ACL: loopback and the client subnets
allow 127.0.0.0/8
allow ::1
allow 192.0.2.0/24 names,port
allow fd00:db8::/64 names,port
deny 0.0.0.0/0
deny ::/0
"""

CONF = """\
# test configuration: small limits
# made-up registration ports: no listener to own them
check_port_owner no
port %d
packet_timeout %d
acl_file %s
log_target stderr
max_nodes 64
ratelimit_rate %d
ratelimit_burst %d
ratelimit_ipv4_prefix 32
ratelimit_ipv6_prefix 64
ratelimit_loopback no
max_connections %d
max_connections_per_source %d
loopback_reserved %d
first_byte_timeout %d
summary_interval %d
""" % (PORT, PACKET_TIMEOUT, "%s", RATE, BURST, MAX_CONNS, PER_SOURCE, RESERVED,
       FIRST_BYTE, SUMMARY)

failures = []           # (scenario, what)
scenario = ["setup"]
notes = []              # observations worth reporting that are not failures


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append((scenario[0], what))
    return cond


def port2_found(name=NODE, port=NODE_PORT, extra=NODE_EXTRA):
    return epmdtest.port2_resp(name, port=port, extra=extra)


_KV = re.compile(r'([A-Za-z0-9_.]+)=("(?:[^"\\]|\\.)*"|\S+)')


def records(text, event):
    """Parsed logfmt records of one event kind, in log order."""
    out = []
    for line in text.splitlines():
        i = line.find("event=%s " % event)
        if i < 0:
            continue
        out.append({k: v.strip('"') for k, v in _KV.findall(line[i:])})
    return out


class Daemon(netns.Daemon):
    def __init__(self, logdir, conf, acl):
        super().__init__(NS_SRV, logdir, PORT, "%s,%s" % (SRV4, SRV6), conf, acl)

    def counters(self):
        """SIGUSR1; the counters record it writes, parsed."""
        n = len(records(self.logtext(), "counters"))
        self.proc.send_signal(signal.SIGUSR1)

        def got():
            if not self.alive():
                raise Fail("daemon exited (status %s)" % self.proc.returncode)
            r = records(self.logtext(), "counters")
            return r[n] if len(r) > n else None
        return wait_until(got, 5.0, "the counters record after SIGUSR1")

    def wait_conns(self, n, timeout=15.0):
        """Wait until the daemon counts exactly n open connections."""
        last = [None]

        def done():
            last[0] = int(self.counters()["conns"])
            return last[0] == n
        try:
            wait_until(done, timeout, "conns=%d" % n, step=0.2)
        except Fail:
            raise Fail("daemon counts %s open connections, expected %d" % (last[0], n))

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])    # utime + stime


PAIR = netns.Pair(TAG)
NS_SRV, NS_CLI = PAIR.srv, PAIR.cli


def query_records(text, src, verdict):
    return [r for r in records(text, "query") if r.get("src") == src and
            r.get("verdict") == verdict]


def summaries(text, source):
    return [r for r in records(text, "refusal_summary") if r.get("src") == source]


def accounted(d, mark, srcs, sources, kind, verdict, expected):
    """Wait until full records (verdict, from srcs) plus the refusal_summary
    counts (kind, for sources) since mark add up to expected. Returns
    (full records, summaries)."""
    state = {}

    def done():
        t = d.logtext()[mark:]
        full = [r for s in srcs for r in query_records(t, s, verdict)]
        sums = [r for s in sources for r in summaries(t, s)]
        state["full"], state["sums"] = full, sums
        kinds = kind if isinstance(kind, tuple) else (kind,)
        state["n"] = len(full) + sum(int(r[k]) for r in sums for k in kinds)
        return state["n"] >= expected
    try:
        wait_until(done, SUMMARY_TIMEOUT, "summaries", step=0.25)
    except Fail:
        pass
    check(state["n"] == expected,
          "%s: %d full %s records + %s=%s in refusal_summary for %s = %d refusals"
          % (scenario[0], len(state["full"]), verdict, kind,
             "+".join(str(r) for r in state["sums"]) or "0",
             ",".join(sources), expected) +
          ("" if state["n"] == expected else " (got %d)" % state["n"]))
    return state["full"], state["sums"]


def loopback_register(srv, name, port):
    """Register name from 127.0.0.1, resolve it from 127.0.0.1 and ::1."""
    r = srv.call(op="register", key="reg-" + name, dst="127.0.0.1", port=PORT, want=6,
                 data=frame(alive2_body(name, port=port, extra=NODE_EXTRA)).hex())
    reply = bytes.fromhex(r["reply"])
    check(len(reply) == 6 and reply[:2] == b"v\x00",
          "%s: loopback registers %s (%r)" % (scenario[0], name, reply))
    for a in ("127.0.0.1", "::1"):
        r = srv.call(op="request", dst=a, port=PORT, data=port2_req(name).hex())
        check(bytes.fromhex(r["reply"]) == port2_found(name, port),
              "%s: PORT_PLEASE2 %s from %s finds it (%s)" % (scenario[0], name, a, r["reply"]))


def closed_at_once(cli, src, dst=SRV4):
    """A lookup from src: closed without a reply, quickly."""
    t = time.monotonic()
    r = cli.call(op="request", dst=dst, src=src, port=PORT, data=port2_req(NODE).hex())
    took = time.monotonic() - t
    check(r["reply"] == "" and r["end"] in ("eof", "reset") and took < 1.5,
          "%s: a new connection from %s is closed at once with no reply "
          "(reply %r, %s, %.2fs)" % (scenario[0], src, r["reply"], r["end"], took))


def served(cli, src, dst=SRV4, timeout=10.0):
    """Wait until a lookup from src is answered with the node's record."""
    last = {}

    def ok():
        try:
            r = cli.call(op="request", dst=dst, src=src, port=PORT,
                         data=port2_req(NODE).hex())
        except Fail as e:
            last["error"] = str(e)
            return False
        last.update(r)
        return bytes.fromhex(r["reply"]) == port2_found()
    try:
        wait_until(ok, timeout, "an answer", step=0.2)
        check(True, "%s: a lookup from %s is answered again" % (scenario[0], src))
    except Fail:
        check(False, "%s: a lookup from %s is answered again (last %r)" %
              (scenario[0], src, last))


# --- scenarios ------------------------------------------------------------

def scenario_a(d, srv, cli1, cli2, cli3):
    """Lookup flood from one address; a polite neighbour is unaffected."""
    d.wait_conns(1)
    mark = len(d.logtext())
    before = d.counters()
    cli2.send(op="paced", dst=SRV4, src=POLITE4, port=PORT, data=port2_req(NODE).hex(),
              count=30, interval=0.1)
    cli1.send(op="flood", dst=SRV4, srcs=[FLOOD4], port=PORT, data=port2_req(NODE).hex(),
              expect=port2_found().hex(), count=2000, max_seconds=60)
    flood = cli1.result(timeout=90)
    polite = cli2.result(timeout=30)
    print("     flood: %r" % flood)
    secs = flood["seconds"]
    check(flood["sent"] == 2000 and flood["errors"] == 0 and flood["other"] == 0,
          "a: 2000 lookups sent, each answered exactly or closed with no bytes "
          "(errors %d, other %d %r)" % (flood["errors"], flood["other"], flood["samples"]))
    limit = BURST + RATE * secs + 2
    check(BURST <= flood["answered"] <= limit,
          "a: flood answered %d, within burst %d .. burst + rate x %.2fs = %.0f"
          % (flood["answered"], BURST, secs, limit))
    refused = flood["empty"]
    check(refused > 1000, "a: most of the flood closed without reply (%d of 2000)" % refused)
    bad = [x for x in polite["replies"] if x.startswith("error") or
           bytes.fromhex(x) != port2_found()]
    check(len(polite["replies"]) == 30 and not bad,
          "a: %s at 10/s for %.1fs: all 30 lookups answered correctly (bad: %r)"
          % (POLITE4, polite["seconds"], bad[:3]))

    # Rotating addresses inside one /64 share one bucket.
    cli1.send(op="flood", dst=SRV6, srcs=ROT6, port=PORT, data=port2_req(NODE).hex(),
              expect=port2_found().hex(), count=60, max_seconds=20)
    rot = cli1.result(timeout=40)
    print("     rotating /64: %r" % rot)
    limit6 = BURST + RATE * rot["seconds"] + 2
    check(rot["errors"] == 0 and rot["other"] == 0 and rot["answered"] <= limit6 and
          rot["empty"] > 0,
          "a: 60 lookups rotating over %d addresses of one /64: answered %d <= %.0f "
          "(one bucket, not %d), %d closed" % (len(ROT6), rot["answered"], limit6,
                                               len(ROT6), rot["empty"]))

    full, sums = accounted(d, mark, [FLOOD4], [FLOOD4 + "/32"], "rate_limited",
                           "rate_limited", refused)
    t = d.logtext()[mark:]
    check(len(full) >= 1 and full[0].get("req") == "PORT_PLEASE2" and
          full[0].get("node") == NODE,
          "a: a full rate_limited record for %s req=PORT_PLEASE2 node=%s" % (FLOOD4, NODE))
    lines = t.splitlines()
    first_full = next((i for i, x in enumerate(lines) if "src=%s " % FLOOD4 in x and
                       "verdict=rate_limited" in x), None)
    first_sum = next((i for i, x in enumerate(lines) if
                      "event=refusal_summary src=%s/32 " % FLOOD4 in x), None)
    check(len(sums) >= 1 and int(sums[0].get("rate_limited", 0)) > 0 and
          first_full is not None and first_sum is not None and first_sum > first_full,
          "a: then refusal_summary src=%s/32 rate_limited=N>0 (%r)" % (FLOOD4, sums[:2]))
    check(all(r.get("conn_limit") == "0" for r in sums),
          "a: the flood's summaries count no conn_limit")
    check(not query_records(t, POLITE4, "rate_limited") and
          not summaries(t, POLITE4 + "/32"),
          "a: nothing rate-limited for %s" % POLITE4)
    accounted(d, mark, ROT6, ["fd00:db8::/64"], "rate_limited", "rate_limited",
              rot["empty"])
    after = d.counters()
    delta = int(after.get("PORT_PLEASE2.rate_limited", 0)) - \
        int(before.get("PORT_PLEASE2.rate_limited", 0))
    check(delta == refused + rot["empty"],
          "a: counters PORT_PLEASE2.rate_limited grew by %d = %d + %d"
          % (delta, refused, rot["empty"]))


def scenario_b(d, srv, cli1, cli2, cli3):
    """Per-source connection cap."""
    d.wait_conns(1)
    mark = len(d.logtext())
    n = PER_SOURCE + 10
    # One byte each: from then on the packet timeout (10 s), not the
    # first-byte deadline, bounds them.
    r = cli1.call(op="hold", key="b", dst=SRV4, srcs=[CAP4], n=n, port=PORT, data="00")
    check(r["made"] == n, "b: %d connections from %s made (%r)" % (n, CAP4, r))
    w = cli1.call(op="watch", key="b", wait=1.5)
    closed = [a for s, a in zip(w["states"], w["after"]) if s == "closed"]
    check(len(closed) == 10 and w["states"].count("open") == PER_SOURCE,
          "b: %d closed, %d held (want 10 and %d)" % (len(closed), w["states"].count("open"),
                                                     PER_SOURCE))
    check(all(a is not None and a < 1.0 for a in closed),
          "b: the excess saw EOF within 1 s of connect (%s)" %
          " ".join("%.2f" % a for a in closed if a is not None))
    check(int(d.counters()["conns"]) == 1 + PER_SOURCE,
          "b: the daemon counts 1 + %d open connections" % PER_SOURCE)
    closed_at_once(cli2, CAP4)
    loopback_register(srv, NODE + "b", NODE_PORT + 1)
    srv.call(op="release", key="reg-" + NODE + "b")
    t = d.logtext()[mark:]
    full = query_records(t, CAP4, "conn_limit")
    check(full and all(r.get("reason") == "max_connections_per_source" for r in full),
          "b: conn_limit records for %s say max_connections_per_source (%r)"
          % (CAP4, [r.get("reason") for r in full][:3]))
    cli1.call(op="release", key="b")
    d.wait_conns(1)
    served(cli2, CAP4)
    accounted(d, mark, [CAP4], [CAP4 + "/32"], "conn_limit", "conn_limit", 11)


def scenario_c(d, srv, cli1, cli2, cli3):
    """Total cap for remote peers, with the loopback reserve."""
    d.wait_conns(1)
    mark = len(d.logtext())
    share = MAX_CONNS - RESERVED
    per = 46                            # under the per-source cap
    want = per * len(TOTAL4)
    r = cli1.call(op="hold", key="c", dst=SRV4, srcs=TOTAL4, n=per, port=PORT, data="00",
                  timeout=5.0)
    check(r["made"] == want, "c: %d connections from %d sources made (%r)"
          % (want, len(TOTAL4), {k: r[k] for k in ("made", "errors", "samples")}))
    w = cli1.call(op="watch", key="c", wait=1.5)
    nclosed = w["states"].count("closed")
    check(w["states"].count("open") == share and nclosed == want - share,
          "c: %d held (the remote share %d), %d closed" % (w["states"].count("open"),
                                                           share, nclosed))
    slow = [a for s, a in zip(w["states"], w["after"]) if s == "closed" and
            (a is None or a >= 1.0)]
    check(not slow, "c: the excess saw EOF within 1 s of connect (%r)" % slow[:5])
    check(int(d.counters()["conns"]) == 1 + share,
          "c: the daemon counts 1 + %d open connections" % share)
    closed_at_once(cli2, LATE4)
    closed_at_once(cli2, TOTAL4[0])
    loopback_register(srv, NODE + "c", NODE_PORT + 2)
    # Loopback may hold connections of its own, in the reserve.
    r = srv.call(op="hold", key="lo", dst="127.0.0.1", srcs=[None], n=20, port=PORT,
                 data="00")
    wl = srv.call(op="watch", key="lo", wait=0.5)
    check(r["made"] == 20 and wl["states"].count("open") == 20,
          "c: loopback holds 20 more connections while the remote share is full")
    check(int(d.counters()["conns"]) == 1 + share + 1 + 20,
          "c: the daemon counts %d open connections" % (1 + share + 1 + 20))
    r = srv.call(op="request", dst="127.0.0.1", port=PORT, data=frame(b"n").hex())
    names = bytes.fromhex(r["reply"])
    check(names.startswith(struct.pack(">I", PORT)) and
          ("name %s at port %d\n" % (NODE + "c", NODE_PORT + 2)).encode() in names,
          "c: loopback NAMES lists %s" % (NODE + "c"))
    srv.call(op="release", key="lo")
    srv.call(op="release", key="reg-" + NODE + "c")
    t = d.logtext()[mark:]
    full = [x for s in TOTAL4 + [LATE4] for x in query_records(t, s, "conn_limit")]
    check(full and all(x.get("reason") == "remote share full" for x in full),
          "c: conn_limit records say remote share full (%r)"
          % sorted(set(x.get("reason") for x in full)))
    cli1.call(op="release", key="c")
    d.wait_conns(1)
    served(cli2, LATE4)
    accounted(d, mark, TOTAL4 + [LATE4], [s + "/32" for s in TOTAL4 + [LATE4]],
              "conn_limit", "conn_limit", want - share + 2)


def scenario_d(d, srv, cli1, cli2, cli3):
    """Slow clients: silent, and dribbling one byte a second."""
    d.wait_conns(1)
    mark = len(d.logtext())
    req = port2_req(NODE)
    assert len(req) > PACKET_TIMEOUT + 3, "the dribbled frame must outlast the timeout"
    cli2.send(op="dribble", dst=SRV4, src=DRIBBLE4, port=PORT, data=req.hex(),
              interval=1.0, max_seconds=2 * PACKET_TIMEOUT + 2)
    cli1.call(op="hold", key="d", dst=SRV4, srcs=[SILENT4], n=1, port=PORT, data="")
    w = cli1.call(op="watch", key="d", wait=2 * FIRST_BYTE + 1)
    after = w["after"][0]
    check(w["states"][0] == "closed" and after is not None and after <= 2 * FIRST_BYTE,
          "d: a silent connection is closed within 2 x first_byte_timeout (%s after %s s)"
          % (w["states"][0], after))
    cli1.call(op="release", key="d")
    r = cli2.result(timeout=3 * PACKET_TIMEOUT)
    print("     dribble: %r" % r)
    ca = r["closed_after"]
    check(ca is not None and ca <= 2 * PACKET_TIMEOUT and r["sent"] < len(req) and
          r["got"] == "",
          "d: a byte-a-second client is closed within 2 x packet_timeout, before its "
          "frame is complete, without a reply (after %s s, %d of %d bytes)"
          % (ca, r["sent"], len(req)))
    check(ca is not None and ca > FIRST_BYTE + 1,
          "d: ...and not by the first-byte deadline (it had sent bytes)")
    t = d.logtext()[mark:]
    s = query_records(t, SILENT4, "timeout")
    check(len(s) == 1 and s[0].get("reason") == "no bytes",
          "d: one timeout record for %s, reason \"no bytes\" (%r)" % (SILENT4, s))
    s = query_records(t, DRIBBLE4, "timeout")
    check(len(s) == 1 and s[0].get("reason") == "incomplete frame",
          "d: one timeout record for %s, reason \"incomplete frame\" (%r)" % (DRIBBLE4, s))


NOISE_COUNT = 40


def scenario_f(d, srv, cli1, cli2, cli3):
    """Log noise: garbage and local-only requests from one remote source."""
    mark = len(d.logtext())
    frames = [b"\x00\x00", frame(b"?"), frame(b"d"), frame(b"k"),
              frame(alive2_body("intruder"))]
    for i in range(NOISE_COUNT):
        r = cli1.call(op="request", dst=SRV4, src=NOISE4, port=PORT,
                      data=frames[i % len(frames)].hex())
        check(r["reply"] == "", "f: noise request %d got no reply (%r)" % (i, r))
    # Every one is accounted for, but only the first is a record of its own.
    t = d.logtext()[mark:]
    full = [r for r in records(t, "query") if r.get("src") == NOISE4]
    check(len(full) == 1, "f: one full record for the first noisy request from %s (%d)"
          % (NOISE4, len(full)))
    # One count per verdict in the summaries: garbage is malformed, DUMP,
    # KILL and ALIVE2 from a remote peer are not_local.
    accounted(d, mark, [], [NOISE4 + "/32"], ("malformed", "not_local"), "-",
              NOISE_COUNT - 1)
    sums = summaries(d.logtext()[mark:], NOISE4 + "/32")
    check(sum(int(r["malformed"]) for r in sums) > 0 and
          sum(int(r["not_local"]) for r in sums) > 0 and
          not any("other" in r for r in sums),
          "f: the summaries count malformed and not_local apart (%r)" % sums[:2])
    check(d.alive(), "f: the daemon is still running")
    served(cli2, POLITE4)


def scenario_e(d, srv, cli1, cli2, cli3):
    """Descriptor exhaustion after start."""
    d.wait_conns(1)
    netns.run(["prlimit", "--pid", str(d.pid), "--nofile=%d:%d" % (NOFILE, NOFILE)])
    with open("/proc/%d/limits" % d.pid) as f:
        lim = [x for x in f if x.startswith("Max open files")]
    check(lim and lim[0].split()[3:5] == [str(NOFILE)] * 2,
          "e: daemon's RLIMIT_NOFILE is now %d (%s)" % (NOFILE, lim[0].strip() if lim else "?"))
    base = d.nfds()
    check(base < NOFILE - 20, "e: the daemon has %d descriptors open before" % base)

    # A connection accepted before exhaustion, its request half sent.
    req = port2_req(NODE)
    cli3.call(op="hold", key="w", dst=SRV4, srcs=[WITNESS4], n=1, port=PORT,
              data=req[:3].hex())
    wait_until(lambda: d.nfds() == base + 1, 5.0, "the daemon to accept the witness")

    mark = len(d.logtext())
    r = cli1.call(op="hold", key="e", dst=SRV4, srcs=FDX4, n=40, port=PORT, data="00")
    check(r["made"] == 200, "e: 200 connections made (%r)" %
          {k: r[k] for k in ("made", "errors", "samples")})
    wait_until(lambda: "event=fd_exhausted" in d.logtext()[mark:] or not d.alive(), 5.0,
               "event=fd_exhausted")
    check(d.alive(), "e: daemon alive")
    t = d.logtext()[mark:]
    ex = records(t, "fd_exhausted")
    check(ex and "Too many open files" in ex[0].get("error", ""),
          "e: event=fd_exhausted logged (%r)" % (ex[0] if ex else None))

    n0 = len(records(d.logtext(), "fd_exhausted"))
    c0, w0 = d.cpu_ticks(), time.monotonic()
    time.sleep(2.0)
    c1, w1 = d.cpu_ticks(), time.monotonic()
    n1 = len(records(d.logtext(), "fd_exhausted"))
    cpu = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (w1 - w0)
    check(cpu < 0.5, "e: no spinning while exhausted: %.1f%% of one core over %.1fs"
          % (100 * cpu, w1 - w0))
    print("     %d fd_exhausted records in those %.1f s" % (n1 - n0, w1 - w0))
    if n1 - n0 > 2:
        notes.append("e: %d event=fd_exhausted records in %.1f s of one continuous "
                     "exhaustion (one per %d ms back-off)" % (n1 - n0, w1 - w0,
                                                             int(1000 * (w1 - w0) /
                                                                 max(1, n1 - n0))))
    nf = d.nfds()
    check(nf >= NOFILE - 1, "e: still exhausted after the sample (%d descriptors)" % nf)

    r = cli3.call(op="finish", key="w", index=0, data=req[3:].hex())
    check(bytes.fromhex(r["reply"]) == port2_found(),
          "e: the already-open connection gets its answer while exhausted (%r)" % r["reply"])
    cli3.call(op="release", key="w")
    check(d.alive(), "e: daemon alive")

    cli1.call(op="release", key="e")
    served(cli2, AFTER4, timeout=20.0)
    d.wait_conns(1, timeout=20.0)
    r = srv.call(op="request", dst="127.0.0.1", port=PORT, data=port2_req(NODE).hex())
    check(bytes.fromhex(r["reply"]) == port2_found(), "e: loopback lookup answered after")
    check(d.nfds() <= base + 2, "e: descriptors back to %d (was %d before)" % (d.nfds(), base))


SCENARIOS = [("a", scenario_a), ("b", scenario_b), ("c", scenario_c), ("d", scenario_d),
             ("f", scenario_f), ("e", scenario_e)]


def main():
    netns.preflight(PAIR, tools=("ip", "prlimit"))
    logdir = tempfile.mkdtemp(prefix="epmd-abuse-netns-")
    os.chmod(logdir, 0o700)
    conf = os.path.join(logdir, "epmd_secure.conf")
    acl = os.path.join(logdir, "acl")
    agent_script = os.path.join(logdir, "agent.py")
    netns.write_private(acl, ACL)
    netns.write_private(conf, CONF % acl)
    netns.write_agent(agent_script)

    agents, daemons = [], []
    results = {}

    def on_signal(signum, frame_):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(TOTAL_TIMEOUT)

    try:
        PAIR.setup([SRV4 + "/24", SRV6 + "/64"],
                   [a + "/24" for a in [FLOOD4, POLITE4, CAP4] + TOTAL4 +
                    [LATE4, SILENT4, DRIBBLE4] + FDX4 + [WITNESS4, AFTER4, NOISE4]] +
                   [a + "/64" for a in ROT6])
        d = Daemon(logdir, conf, acl)
        daemons.append(d)
        srv = netns.Agent(NS_SRV, agent_script, logdir, "srv")
        agents.append(srv)
        clis = []
        for i in range(3):
            clis.append(netns.Agent(NS_CLI, agent_script, logdir, "cli%d" % (i + 1)))
            agents.append(clis[-1])

        def listening():
            if not d.alive():
                raise Fail("daemon exited with %s at start (log %s)"
                           % (d.proc.returncode, d.logpath))
            for a in ("127.0.0.1", "::1", SRV4, SRV6):
                try:
                    r = srv.call(op="request", dst=a, port=PORT, data=frame(b"n").hex(),
                                 timeout=1.0)
                except Fail:        # not listening yet: refused
                    return False
                if not bytes.fromhex(r["reply"]).startswith(struct.pack(">I", PORT)):
                    return False
            return True
        wait_until(listening, START_TIMEOUT, "the daemon to answer NAMES", step=0.2)
        r = srv.call(op="register", key="node", dst="127.0.0.1", port=PORT, want=6,
                     data=frame(alive2_body(NODE, port=NODE_PORT, extra=NODE_EXTRA)).hex())
        reply = bytes.fromhex(r["reply"])
        if len(reply) != 6 or reply[:2] != b"v\x00":
            raise Fail("ALIVE2 from loopback: %r" % r)
        print("ok   registered %s from loopback" % NODE)

        for name, fn in SCENARIOS:
            scenario[0] = name
            print("== %s: %s" % (name, fn.__doc__))
            nfail = len(failures)
            t0 = time.monotonic()
            try:
                fn(d, srv, *clis)
            except Fail as e:
                failures.append((name, str(e)))
                print("FAIL " + str(e))
            results[name] = "pass" if len(failures) == nfail else "FAIL"
            print("== %s: %s (%.1fs)" % (name, results[name], time.monotonic() - t0))
            if not d.alive():
                failures.append((name, "daemon died (status %s)" % d.proc.returncode))
                break
            # Nothing a scenario held may leak into the next one.
            for a in clis:
                for k in ("b", "c", "d", "e", "w"):
                    a.call(op="release", key=k)
        scenario[0] = "end"
        check(os.path.getsize(d.outpath) == 0, "daemon wrote nothing to stdout")
        check(d.alive(), "daemon alive at the end")
    except Fail as e:
        failures.append((scenario[0], str(e)))
        print("FAIL " + str(e))
    except (Exception, KeyboardInterrupt):
        traceback.print_exc()
        failures.append((scenario[0], "exception"))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # let the cleanup finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        PAIR.teardown(agents, daemons)
    left = PAIR.left()
    if left:
        print("FAIL namespaces left behind: %s" % " ".join(left))
        failures.append(("end", "namespaces left"))
    print("scenarios: " + " ".join("%s=%s" % (k, results.get(k, "not run"))
                                   for k, _ in SCENARIOS))
    for n in notes:
        print("note: " + n)
    if not failures:
        shutil.rmtree(logdir, ignore_errors=True)
        print("PASS")
        return 0
    print("FAILED (%d): %s" % (len(failures), "; ".join(
        w if w.startswith(sc + ":") else "%s: %s" % (sc, w) for sc, w in failures)))
    print("logs kept in %s (daemon log: %s)" % (logdir, os.path.join(logdir, "epmd_secure.log")),
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
