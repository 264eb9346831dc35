#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""metrics_file through the real consumers: Debian's promtool and
prometheus-node-exporter's textfile collector.

The daemon runs with `metrics_file DIR/epmd_secure.prom` and
`metrics_interval 1`. After a known mix of queries (registrations, found,
not found, ACL denials from 127.0.0.2, NAMES), SIGUSR1 rewrites the file:
- `promtool check metrics` accepts it (if promtool is installed);
- node_exporter, started by the test on 127.0.0.1 with only the textfile
  collector, serves every series; scraped with curl, the values equal the
  queries the test made (req/verdict labels as in the audit records), and
  node_textfile_scrape_error is 0;
- the file is replaced by rename (new inode), no DIR/*.tmp is left behind,
  and the periodic rewrite follows new queries without a signal.

Exit: 0 pass, 77 skip, 1 fail.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import Fail, check, frame, read_to_close, wait_until  # noqa: E402

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMTOOL = "/usr/bin/promtool"
CURL = "/usr/bin/curl"
BOUND = 10.0


def ask(port, body, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(BOUND)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(frame(body))
        return read_to_close(s)
    finally:
        s.close()


def parse_prom(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        if "{" in head:
            name, labels = head[:-1].split("{", 1)
            lab = frozenset(tuple(kv.split("=", 1)) for kv in labels.split(",") if kv)
            lab = frozenset((k, v.strip('"')) for k, v in lab)
        else:
            name, lab = head, frozenset()
        out[(name, lab)] = float(value)
    return out


def q(req, verdict):
    return ("epmd_secure_queries_total", frozenset({("req", req), ("verdict", verdict)}))


def main():
    for path, pkg in ((NODE_EXPORTER, "prometheus-node-exporter"), (CURL, "curl")):
        if not os.access(path, os.X_OK):
            epmdtest.skip("no %s (Debian package %s)" % (path, pkg))
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        epmdtest.skip("%s not built" % epmdtest.EPMD_SECURE)
    tmp = tempfile.mkdtemp(prefix="epmd-metrics-")
    procs = []
    ok = False
    try:
        ok = run(tmp, procs)
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
    finally:
        for p in procs:
            epmdtest.stop_proc(p)
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
        print("PASS", file=sys.stderr)
        return 0
    print("logs kept in %s" % tmp, file=sys.stderr)
    return 1


def run(tmp, procs):
    textdir = os.path.join(tmp, "textfile")
    os.mkdir(textdir)
    prom = os.path.join(textdir, "epmd_secure.prom")
    acl = os.path.join(tmp, "acl")
    conf = os.path.join(tmp, "epmd_secure.conf")
    with open(acl, "w") as f:
        f.write("allow 127.0.0.1\ndeny 127.0.0.2\n")
    with open(conf, "w") as f:
        f.write("metrics_file %s\nmetrics_interval 1\n" % prom +
                epmdtest.SYNTHETIC_PORTS)
    os.chmod(acl, 0o644)
    os.chmod(conf, 0o644)
    d = epmdtest.Daemon(args=["-d", "-config", conf, "-acl", acl], logdir=tmp)
    procs.append(d.proc)
    wait_until(lambda: os.path.exists(prom), BOUND, "the first metrics file")

    regs = []
    for name, port in ((b"alpha", 5001), (b"beta", 5002)):
        s = epmdtest.connect(d.port, "127.0.0.1", BOUND)
        s.sendall(frame(epmdtest.alive2_body(name, port=port)))
        check(epmdtest.recv_upto(s, 6)[:2] == b"v\x00", "registering %r" % name)
        regs.append(s)
    for _ in range(3):
        check(ask(d.port, b"zalpha")[:2] == b"w\x00", "PORT_PLEASE2 alpha")
    for _ in range(2):
        check(ask(d.port, b"znosuch") == b"w\x01", "PORT_PLEASE2 nosuch")
    for _ in range(4):
        check(ask(d.port, b"zalpha", "127.0.0.2") == b"w\x01", "denied from 127.0.0.2")
    check(ask(d.port, b"n")[:4] != b"", "NAMES")

    ino = os.stat(prom).st_ino
    os.kill(d.proc.pid, signal.SIGUSR1)

    def fresh():
        try:
            with open(prom) as f:
                m = parse_prom(f.read())
        except (OSError, ValueError):
            return None
        return m if m.get(q("NAMES", "ok")) == 1 else None
    m = wait_until(fresh, BOUND, "the metrics file after SIGUSR1")
    check(os.stat(prom).st_ino != ino, "the file was rewritten in place, not renamed over")
    check(not [n for n in os.listdir(textdir) if n != "epmd_secure.prom"],
          "files left in the textfile directory: %r" % os.listdir(textdir))

    if os.access(PROMTOOL, os.X_OK):
        with open(prom, "rb") as f:
            r = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        check(r.returncode == 0, "promtool check metrics: %s" % r.stdout.decode())
        print("promtool check metrics: ok", file=sys.stderr)
    else:
        print("promtool not installed (Debian package prometheus): not run", file=sys.stderr)

    port = epmdtest.free_port()
    nelog = open(os.path.join(tmp, "node_exporter.log"), "wb")
    ne = subprocess.Popen([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port,
                           "--collector.disable-defaults", "--collector.textfile",
                           "--collector.textfile.directory=%s" % textdir],
                          stdin=subprocess.DEVNULL, stdout=nelog, stderr=subprocess.STDOUT)
    procs.append(ne)
    epmdtest.wait_listening(port, timeout=BOUND)

    def scrape():
        r = subprocess.run([CURL, "-sf", "http://127.0.0.1:%d/metrics" % port],
                           stdout=subprocess.PIPE, timeout=30)
        check(r.returncode == 0, "curl exited %d" % r.returncode)
        return parse_prom(r.stdout.decode())
    s = scrape()
    check(s.get(("node_textfile_scrape_error", frozenset())) == 0,
          "node_exporter reports a textfile scrape error (see %s)" % nelog.name)
    want = {q("ALIVE2", "ok"): 2, q("PORT_PLEASE2", "ok"): 3,
            q("PORT_PLEASE2", "not_found"): 2, q("PORT_PLEASE2", "denied"): 4,
            q("NAMES", "ok"): 1, q("-", "no_request"): 1,   # the readiness probe
            ("epmd_secure_registrations_total", frozenset()): 2,
            ("epmd_secure_refusals_total", frozenset({("verdict", "denied")})): 4,
            ("epmd_secure_nodes", frozenset()): 2,
            ("epmd_secure_log_dropped_total", frozenset()): 0,
            ("epmd_secure_fd_exhausted_total", frozenset()): 0}
    for k, v in want.items():
        check(s.get(k) == v, "scraped %s = %r, expected %r" % (k, s.get(k), v))
    ours = [k for k in s if k[0] == "epmd_secure_queries_total"]
    check(len(ours) == len(epmdtest.AUDIT_REQS) * len(epmdtest.AUDIT_VERDICTS),
          "%d query series scraped, expected every req x verdict" % len(ours))
    total = sum(v for k, v in s.items() if k[0] == "epmd_secure_queries_total")
    check(total == 13, "%d queries counted in all, expected 13" % total)

    # The timer alone picks up later queries (metrics_interval 1).
    for _ in range(5):
        ask(d.port, b"znosuch")
    wait_until(lambda: scrape().get(q("PORT_PLEASE2", "not_found")) == 7, BOUND,
               "the periodic rewrite with 7 not_found")
    for s_ in regs:
        s_.close()
    check(d.alive(), "epmd_secure died")
    print("node_exporter served %d epmd_secure series, values as queried" % len(ours),
          file=sys.stderr)
    return True


if __name__ == "__main__":
    sys.exit(main())
