#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Registration integrity under socket activation with the shipped unit's
sandbox, as far as a test can apply it:

- the unit: RestrictAddressFamilies= allows AF_NETLINK (sock_diag) besides
  AF_UNIX, DynamicUser=yes, StateDirectory=epmd_secure, and neither
  PrivateUsers= nor PrivateNetwork= (either would blind sock_diag); its
  `systemd-analyze security --offline` exposure stays <= 1.5;
- the daemon: the unit's ExecStart arguments under systemd-socket-activate,
  as an unprivileged user with no capabilities and no_new_privs (setpriv,
  standing in for DynamicUser=), its state file in a directory only that
  user may write (standing in for StateDirectory=);
- the flow: user A's `erl -sname rabbit` registers under `register rabbit*
  A` (its port owned, records with uid=), B's impostor is refused
  (not_owner) once A's node is gone, B's own name is claimed sticky and
  written to the state file by the unprivileged daemon.

Exit 0 pass, 77 skip, 1 fail (log dir printed).
"""
import os
import re
import shlex
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
import test_register_owner as tro  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICE = os.path.join(ROOT, "systemd", "epmd_secure.service")
DAEMON_UID = 65534
READY = 90.0


def unit_values(key):
    vals = []
    with open(SERVICE) as f:
        for line in f:
            m = re.match(r"^%s=(.*)$" % re.escape(key), line.strip())
            if m:
                vals.append(m.group(1))
    return vals


def part_unit():
    fams = " ".join(unit_values("RestrictAddressFamilies")).split()
    check("AF_NETLINK" in fams and "AF_UNIX" in fams and
          not any(f.startswith("~") for f in fams),
          "RestrictAddressFamilies=%s: want an allow list with AF_UNIX and AF_NETLINK" % fams)
    check(unit_values("DynamicUser") == ["yes"], "DynamicUser=yes missing")
    check(unit_values("StateDirectory") == ["epmd_secure"], "StateDirectory=epmd_secure missing")
    for key in ("PrivateUsers", "PrivateNetwork"):
        check(unit_values(key) in ([], ["no"]),
              "%s=%s would hide other users' sockets from sock_diag" % (key, unit_values(key)))
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", SERVICE],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                           cwd=os.path.dirname(SERVICE))
        out = r.stdout.decode("utf-8", "replace")
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
        check(m and float(m.group(1)) <= 1.5, "exposure: %s" % out[-1500:])
        print("ok   unit: AF_NETLINK allowed, DynamicUser, StateDirectory; exposure %s"
              % m.group(1))


def main():
    why = owners.have_root_tools()
    if why:
        epmdtest.skip(why)
    for tool in ("systemd-socket-activate", "setpriv", "erl"):
        if shutil.which(tool) is None:
            epmdtest.skip("%s is not installed" % tool)
    logdir = tempfile.mkdtemp(prefix="epmd_secure-register-systemd.")
    os.chmod(logdir, 0o755)
    users = owners.TestUsers(2)
    A, B = users.names
    env = tro.Env(logdir, users)
    act = None
    ok = False
    try:
        part_unit()
        argv = shlex.split(unit_values("ExecStart")[0])
        binary = os.path.abspath(epmdtest.EPMD_SECURE)
        state_dir = os.path.join(logdir, "state")
        os.mkdir(state_dir, 0o755)
        os.chown(state_dir, DAEMON_UID, DAEMON_UID)
        state = os.path.join(state_dir, "owners")
        conf = os.path.join(logdir, "unit.conf")
        acl = os.path.join(logdir, "unit.acl")
        port = epmdtest.free_port()
        tro.write(conf, "port %d\nacl_file %s\nlog_target stderr\nregister_default sticky\n"
                  "state_file %s\n" % (port, acl, state))
        tro.write(acl, "allow 127.0.0.0/8\nallow ::1\nregister rabbit* %s\n" % A)
        args = [binary] + [conf if a == "/etc/epmd_secure/epmd_secure.conf" else a
                           for a in argv[1:]]
        check("-systemd" in args, "ExecStart lacks -systemd: %s" % argv)
        wrap = ["setpriv", "--reuid=%d" % DAEMON_UID, "--regid=%d" % DAEMON_UID,
                "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
                "--"]
        log = open(os.path.join(logdir, "activated.log"), "wb")
        act = subprocess.Popen(["systemd-socket-activate", "-l", "127.0.0.1:%d" % port]
                               + wrap + args, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
        epmdtest.wait_listening(port)

        class D:
            def logtext(self):
                with open(log.name, "rb") as f:
                    return f.read().decode("utf-8", "replace")
        d = D()
        node = env.erl(A, "rabbit", port)
        check(node.wait_for("REGISTERED rabbit@", READY),
              "A's rabbit did not register under activation:\n" + node.text()[-2000:]
              + d.logtext()[-2000:])
        r = tro.wait_record(d, req="ALIVE2", node="rabbit", verdict="ok")
        check(r.get("uid") == str(users.uid(A)), "record without A's uid: %r" % r)
        check("attribution_unavailable" not in d.logtext(), d.logtext())
        pid = int(subprocess.run(["pgrep", "-f", "-n", "%s -systemd" % binary],
                                 stdout=subprocess.PIPE).stdout.split()[0])
        with open("/proc/%d/status" % pid) as f:
            st = dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)
        check(st["Uid"].split()[1] == str(DAEMON_UID) and st["CapEff"].strip() == "0" * 16
              and st["NoNewPrivs"].strip() == "1", "daemon not sandboxed: %r" % st)
        print("ok   activated daemon as uid %d, no capabilities: A's erl rabbit registered, "
              "uid=%s" % (DAEMON_UID, r["uid"]))
        node.stop()
        tro.wait_record(d, req="ALIVE2_END", node="rabbit")
        imp = env.py(B, "register", port, "rabbit", "listen")
        check(tro.py_result(imp).startswith("result=1"), "B took rabbit: " + imp.text())
        tro.wait_record(d, req="ALIVE2", node="rabbit", verdict="not_owner")
        mine = env.py(B, "register", port, "bnode", "listen")
        check(tro.py_result(mine).startswith("result=0"), mine.text())
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline:
            try:
                with open(state) as f:
                    text = f.read()
            except OSError:
                text = ""
            if "%d bnode\n" % users.uid(B) in text:
                break
            time.sleep(0.1)
        check("%d bnode\n" % users.uid(B) in text, "state file: %r" % text)
        check(os.stat(state).st_uid == DAEMON_UID, "state file not the daemon user's")
        print("ok   B's impostor refused (not_owner); B's own name claimed sticky and saved "
              "by the unprivileged daemon")
        env.stop_all()
        os.killpg(act.pid, signal.SIGTERM)
        act.wait(10)
        act = None
        if shutil.which("strace"):
            # Netlink refused (as outside RestrictAddressFamilies=): under
            # activation the daemon's only socket() is AF_NETLINK's. strace
            # runs the activator (whose one socket() is its listener) and
            # fails every later socket() of that process, which execs the
            # daemon in place (so LISTEN_PID still matches).
            port = epmdtest.free_port()
            tro.write(conf, "port %d\nacl_file %s\nlog_target stderr\n" % (port, acl))
            log = open(os.path.join(logdir, "refused.log"), "wb")
            act = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                                    "trace=socket", "-e",
                                    "inject=socket:error=EAFNOSUPPORT:when=2+",
                                    "systemd-socket-activate", "-l", "127.0.0.1:%d" % port]
                                   + wrap + args, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
            epmdtest.wait_listening(port)
            ghost = env.py(B, "register", port, "ghost", epmdtest.free_port())
            check(tro.py_result(ghost).startswith("result=0"),
                  "without sock_diag a registration is not as stock: " + ghost.text()
                  + d.logtext())
            text = d.logtext()
            check(text.count("event=attribution_unavailable") == 1 and
                  "registrations as stock epmd" in text, "start-up notice: " + text[-2000:])
            print("ok   netlink refused: said once at start, registrations as stock")
        else:
            print("note: strace not installed: the netlink-refused start not tried")
        ok = True
    except Fail as e:
        print("FAIL: %s" % e)
    finally:
        env.stop_all()
        if act is not None:
            # The activator (or strace) and the daemon it became: one
            # session of our own.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(act.pid, sig)
                except OSError:
                    break
                try:
                    act.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    pass
        users.cleanup()
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
        print("PASS")
        return 0
    print("logs kept in %s" % logdir)
    return 1


if __name__ == "__main__":
    sys.exit(main())
