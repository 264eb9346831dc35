#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Registration integrity with real clients run as Unix users the test
creates (and removes):

1. register rules: the ACL gives rabbit* to user A. A's `erl -sname rabbit`
   registers and a node of user B pings it; once A's node is gone, B's
   `erl -sname rabbit` is refused with Erlang's "seems to be in use" error
   and the record says verdict=not_owner uid=<B>.
2. sticky: with register_default sticky, a name first registered by A
   cannot be taken by B, also after the daemon restarts on the same state
   file; A still can. A corrupt state file, and an unsafe one, are
   reported and treated as empty: the daemon starts, and B may then take
   the name.
3. port ownership: a Python impostor run as B announcing A's listening
   port, and one announcing a port nobody listens on, are refused with
   port_not_owned; with check_port_owner no both succeed, as on stock.
4. distribution exposure: erl with inet_dist_use_interface {127,0,0,1}
   registers with no dist_exposed record; a default erl (every interface)
   gets event=dist_exposed; with dist_exposure refuse it cannot register,
   and the record says verdict=dist_exposed.
5. per-uid cap: user A holding every connection its cap allows cannot stop
   B's erl from registering; the counters report the cap and refusals.

Runs against $EPMD_SECURE (default ./epmd_secure). Exit 0 pass, 77 skip,
1 fail (log dir printed).
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
from epmdtest import Fail, check  # noqa: E402
import owners  # noqa: E402

READY = 90.0
HOST = socket.gethostname().split(".")[0]
COOKIE = "c" + os.urandom(8).hex()


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def records(d, **want):
    """logfmt records of the daemon's log matching every key=value in want."""
    out = []
    for line in d.logtext().splitlines():
        i = line.find("event=")
        if i < 0:
            continue
        try:
            f = dict(epmdtest.parse_logfmt(line[i:]))
        except Exception:
            continue
        if all(f.get(k) == str(v) for k, v in want.items()):
            out.append(f)
    return out


def wait_record(d, timeout=10.0, **want):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = records(d, **want)
        if r:
            return r[0]
        time.sleep(0.1)
    raise Fail("no record %r in the daemon's log:\n%s" % (want, d.logtext()[-3000:]))


class Env:
    def __init__(self, logdir, users):
        self.logdir = logdir
        self.users = users
        self.procs = []
        self.n = 0

    def log(self, what):
        self.n += 1
        return os.path.join(self.logdir, "%02d-%s.log" % (self.n, what))

    def daemon(self, conf_text, acl_text="allow 127.0.0.0/8\nallow ::1\n", port=None,
               name="conf"):
        conf = os.path.join(self.logdir, name + ".conf")
        acl = os.path.join(self.logdir, name + ".acl")
        write(conf, "log_target stderr\n" + conf_text)
        write(acl, acl_text)
        return epmdtest.Daemon(args=["-config", conf, "-acl", acl], port=port,
                               logdir=self.logdir, name="epmd_secure-" + name)

    def start(self, p):
        self.procs.append(p)
        return p

    def erl(self, user, sname, port, extra=()):
        return self.start(owners.erl_node(self.users, user, sname, port, COOKIE,
                                          self.log("erl-" + sname), extra=extra))

    def py(self, user, *args):
        return self.start(owners.impostor(self.users, user, self.log("py"), *args))

    def stop_all(self):
        for p in self.procs:
            p.stop()
        self.procs = []


def part_rules(env, A, B, C):
    users = env.users
    with env.daemon("register_default any\n",
                    "allow 127.0.0.0/8\nallow ::1\nregister rabbit* %s\n" % A,
                    name="rules") as d:
        owner = env.erl(A, "rabbit", d.port)
        check(owner.wait_for("REGISTERED rabbit@", READY),
              "A's rabbit did not register:\n" + owner.text()[-2000:])
        r = wait_record(d, req="ALIVE2", node="rabbit", verdict="ok")
        check(r.get("uid") == str(users.uid(A)) and r.get("user") == A,
              "the ok record lacks A's uid/user: %r" % r)
        pinger = env.erl(B, "pinger", d.port, extra=[
            "-eval", "io:format(\"PING ~p~n\", [net_adm:ping('rabbit@%s')])" % HOST])
        check(pinger.wait_for("PING pong", READY), "B could not ping A's rabbit:\n"
              + pinger.text()[-2000:])
        print("ok   rules: A's rabbit registered (uid=%d user=%s) and B pinged it"
              % (users.uid(A), A))
        owner.stop()
        wait_record(d, req="ALIVE2_END", node="rabbit")
        squat = env.erl(B, "rabbit", d.port)
        squat.proc.wait(READY)
        check("seems to be in use by another Erlang node" in squat.text(),
              "B's erl -sname rabbit was not refused as a name in use:\n"
              + squat.text()[-2000:])
        r = wait_record(d, req="ALIVE2", node="rabbit", verdict="not_owner")
        check(r.get("uid") == str(users.uid(B)), "not_owner record without B's uid: %r" % r)
        print("ok   rules: B's erl -sname rabbit refused (\"name in use\"), "
              "verdict=not_owner uid=%s" % r["uid"])
        # Names outside the rule follow register_default any: C may.
        other = env.py(C, "register", d.port, "hare", "listen")
        check(other.wait_for("RESULT result=0", 20), other.text())
        env.stop_all()


def py_result(p, timeout=20):
    check(p.wait_for("RESULT", timeout), "no result:\n" + p.text())
    return p.text().split("RESULT", 1)[1].split("\n", 1)[0].strip()


def part_sticky(env, A, B):
    state = os.path.join(env.logdir, "owners")
    conf = "register_default sticky\nstate_file %s\n" % state
    port = epmdtest.free_port()
    with env.daemon(conf, port=port, name="sticky1") as d:
        a = env.py(A, "register", port, "s1", "listen", "127.0.0.1", 5)
        check(py_result(a).startswith("result=0"), "A could not claim s1: " + a.text())
        a.stop()
        wait_record(d, req="ALIVE2_END", node="s1")
        b = env.py(B, "register", port, "s1", "listen")
        check(py_result(b).startswith("result=1"), "B took A's sticky s1: " + b.text())
        r = wait_record(d, req="ALIVE2", node="s1", verdict="not_owner")
        check(r.get("uid") == str(env.users.uid(B)), "record: %r" % r)
        env.stop_all()
    with open(state) as f:
        text = f.read()
    check("%d s1\n" % env.users.uid(A) in text, "state file lacks A's s1: %r" % text)
    print("ok   sticky: B refused s1 (A's), state file names A")
    with env.daemon(conf, port=port, name="sticky2") as d:
        b = env.py(B, "register", port, "s1", "listen")
        check(py_result(b).startswith("result=1"), "after restart B took s1: " + b.text())
        wait_record(d, req="ALIVE2", node="s1", verdict="not_owner")
        a = env.py(A, "register", port, "s1", "listen", "127.0.0.1", 3)
        check(py_result(a).startswith("result=0"), "after restart A lost s1: " + a.text())
        env.stop_all()
        wait_record(d, req="ALIVE2_END", node="s1")
        print("ok   sticky: after a restart B is still refused and A still registers s1")
        # -forget: B may not; root may, and then B owns s1.
        binary = os.path.abspath(epmdtest.EPMD_SECURE)
        # B runs a copy: the checkout may be out of a test user's reach.
        byb = env.start(owners.UserProcess(
            env.users, B, [owners.readable_copy(env.users, binary, 0o755), "-port", str(port),
                           "-forget", "s1"], {}, env.log("forget")))
        byb.proc.wait(20)
        check(byb.proc.returncode != 0 and "FORGOTTEN" not in byb.text(),
              "B could forget A's s1: " + byb.text())
        wait_record(d, req="FORGET", node="s1", verdict="refused")
        r = subprocess.run([binary, "-port", str(port), "-forget", "s1"], timeout=20,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(r.returncode == 0 and r.stdout.decode().strip() == "FORGOTTEN",
              "root's -forget s1: exit %d %r" % (r.returncode, r.stdout))
        b = env.py(B, "register", port, "s1", "listen")
        check(py_result(b).startswith("result=0"), "after -forget B cannot take s1: " + b.text())
        env.stop_all()
    with open(state) as f:
        text = f.read()
    check("%d s1\n" % env.users.uid(B) in text, "state file after -forget: %r" % text)
    print("ok   sticky: -forget s1 refused for B, done for root; then B owns s1")
    write(state, "# epmd_secure sticky owners v1\n%d s1\n" % env.users.uid(A), 0o644)
    for what, setup in (
            ("corrupt", lambda: write(state, "# epmd_secure sticky owners v1\n%d s1\ngarbage"
                                      % env.users.uid(A), 0o644)),
            ("unsafe", lambda: write(state, "# epmd_secure sticky owners v1\n%d s1\n"
                                     % env.users.uid(A), 0o666))):
        setup()
        with env.daemon(conf, port=port, name="sticky-" + what) as d:
            r = wait_record(d, event="state_file_ignored")
            check(state in r.get("error", ""), "state_file_ignored without the path: %r" % r)
            b = env.py(B, "register", port, "s1", "listen")
            check(py_result(b).startswith("result=0"),
                  "%s state file not treated as empty: %s" % (what, b.text()))
            env.stop_all()
        print("ok   sticky: a %s state file is reported, treated as empty, the daemon "
              "starts" % what)
        os.unlink(state)


def part_ports(env, A, B):
    for check_on in (True, False):
        with env.daemon("check_port_owner %s\n" % ("yes" if check_on else "no"),
                        name="ports-" + ("on" if check_on else "off")) as d:
            a = env.py(A, "register", d.port, "victim", "listen")
            check(a.wait_for("LISTEN port=", 20) and py_result(a).startswith("result=0"),
                  a.text())
            victim_port = int(a.text().split("LISTEN port=")[1].split()[0])
            imp = env.py(B, "register", d.port, "impostor", victim_port)
            ghost_port = epmdtest.free_port()
            ghost = env.py(B, "register", d.port, "ghost", ghost_port)
            want = "result=1" if check_on else "result=0"
            check(py_result(imp).startswith(want), "impostor on A's port: " + imp.text())
            check(py_result(ghost).startswith(want), "port nobody listens on: "
                  + ghost.text())
            if check_on:
                for node, port in (("impostor", victim_port), ("ghost", ghost_port)):
                    r = wait_record(d, req="ALIVE2", node=node, verdict="port_not_owned")
                    check(r.get("port") == str(port) and
                          r.get("uid") == str(env.users.uid(B)), "record: %r" % r)
                print("ok   ports: B announcing A's port and an unused port: "
                      "port_not_owned")
            else:
                print("ok   ports: with check_port_owner no both register, as on stock")
            env.stop_all()


def part_exposure(env, A):
    with env.daemon("dist_exposure warn\n", name="expo-warn") as d:
        lo = env.erl(A, "lonode", d.port,
                     extra=["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        check(lo.wait_for("REGISTERED lonode@", READY), lo.text()[-2000:])
        wait_record(d, req="ALIVE2", node="lonode", verdict="ok")
        any_ = env.erl(A, "anynode", d.port)
        check(any_.wait_for("REGISTERED anynode@", READY), any_.text()[-2000:])
        r = wait_record(d, event="dist_exposed", node="anynode")
        check(r.get("bind") in ("0.0.0.0", "::"), "bind: %r" % r)
        check(not records(d, event="dist_exposed", node="lonode"),
              "lonode (loopback only) reported as exposed")
        print("ok   exposure: loopback-only erl has no record; default erl: "
              "event=dist_exposed bind=%s" % r["bind"])
        env.stop_all()
    with env.daemon("dist_exposure refuse\n", name="expo-refuse") as d:
        refused = env.erl(A, "anynode", d.port)
        refused.proc.wait(READY)
        check("REGISTERED" not in refused.text() and
              "seems to be in use" in refused.text(),
              "erl registered although it listens everywhere:\n" + refused.text()[-2000:])
        r = wait_record(d, req="ALIVE2", node="anynode", verdict="dist_exposed")
        print("ok   exposure: refuse mode: erl cannot register, verdict=dist_exposed "
              "reason=%r" % r.get("reason"))
        lo = env.erl(A, "lonode", d.port,
                     extra=["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        check(lo.wait_for("REGISTERED lonode@", READY), lo.text()[-2000:])
        env.stop_all()


def part_cap(env, A, B):
    cap = 8
    with env.daemon("max_connections 64\nloopback_reserved 8\nmax_connections_per_uid %d\n"
                    "packet_timeout 60\nfirst_byte_timeout 60\n" % cap, name="cap") as d:
        hog = env.py(A, "hog", d.port, 40, 120)
        check(hog.wait_for("HOLDING", 30), hog.text())
        held = int(hog.text().split("HOLDING n=")[1].split()[0])
        check(held == cap, "A holds %d connections, cap %d" % (held, cap))
        wait_record(d, verdict="conn_limit", reason="max_connections_per_uid")
        node = env.erl(B, "capped", d.port)
        check(node.wait_for("REGISTERED capped@", READY),
              "B's erl could not register while A holds its cap:\n" + node.text()[-2000:])
        os.kill(d.proc.pid, signal.SIGUSR1)
        r = wait_record(d, event="counters")
        check(r.get("max_connections_per_uid") == str(cap) and
              int(r.get("uid_cap_refused", "0")) >= 40 - cap, "counters: %r" % r)
        print("ok   cap: A holds %d (its cap), B's erl registers; counters "
              "uid_cap_refused=%s" % (held, r["uid_cap_refused"]))
        env.stop_all()


def main():
    why = owners.have_root_tools()
    if why:
        epmdtest.skip(why)
    if shutil.which("erl") is None:
        epmdtest.skip("erl is not installed")
    only = sys.argv[1:]
    logdir = tempfile.mkdtemp(prefix="epmd_secure-register-owner.")
    os.chmod(logdir, 0o755)
    users = owners.TestUsers(3)
    env = Env(logdir, users)
    A, B, C = users.names
    ok = False
    try:
        # The daemon must have sock_diag here, or nothing below means much.
        with env.daemon("", name="probe") as d:
            time.sleep(0.3)
            if "attribution_unavailable" in d.logtext():
                epmdtest.skip("sock_diag unavailable: " + d.logtext())
        for name, part in (("rules", lambda: part_rules(env, A, B, C)),
                           ("sticky", lambda: part_sticky(env, A, B)),
                           ("ports", lambda: part_ports(env, A, B)),
                           ("exposure", lambda: part_exposure(env, A)),
                           ("cap", lambda: part_cap(env, A, B))):
            if only and name not in only:
                continue
            part()
        ok = True
    except Fail as e:
        print("FAIL: %s" % e)
    finally:
        env.stop_all()
        users.cleanup()
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
        print("PASS")
        return 0
    print("logs kept in %s" % logdir)
    return 1


if __name__ == "__main__":
    sys.exit(main())
