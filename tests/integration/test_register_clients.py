#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every real kind of client registers through the daemon as its own Unix
user: erl, elixir, iex, a C node built with Debian's erl_interface
(ei_publish), and a plain Python client. Each runs as a different user the
test creates (and removes). Then a node of another user connects to the C
node and to the erl node through the ports the daemon handed out.

This is the compatibility proof for the registration checks: whatever
checks are on by default (check_port_owner yes) must let every one of these
register, and each record names its user (uid=, user=). When
rabbitmq-server is installed, a RabbitMQ node started as a seventh user
(its own data and log directories, ports picked here) must register too.

Runs against $EPMD_SECURE (default ./epmd_secure). Exit 0 pass, 77 skip,
1 fail (log dir printed).
"""
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import Fail, check  # noqa: E402
import owners  # noqa: E402

READY = 60.0


def rmq_records(d):
    """The daemon's ALIVE2 records for the RabbitMQ node (node is last)."""
    return [ln for ln in d.logtext().splitlines()
            if "req=ALIVE2 " in ln and ln.endswith(" node=rmqt")]


def main():
    why = owners.have_root_tools()
    if why:
        epmdtest.skip(why)
    for cmd in ("erl", "elixir", "iex"):
        if shutil.which(cmd) is None:
            epmdtest.skip("%s is not installed" % cmd)
    logdir = tempfile.mkdtemp(prefix="epmd_secure-register-clients.")
    os.chmod(logdir, 0o755)
    host = socket.gethostname().split(".")[0]
    cookie = "c" + os.urandom(8).hex()
    procs = []
    ok = False
    users = owners.TestUsers(7)
    try:
        ei = owners.build_ei_node(logdir)
        check(ei is not None, "cannot build the erl_interface C node (erlang-dev)")
        port = epmdtest.free_port()
        conf = os.path.join(logdir, "epmd_secure.conf")
        with open(conf, "w") as f:
            f.write("log_target stderr\n")
        os.chmod(conf, 0o644)
        with epmdtest.Daemon(args=["-config", conf, "-acl", "config/acl"], port=port,
                             logdir=logdir) as d:
            u = users.names
            clients = [
                ("erl", owners.erl_node(users, u[0], "e1", port, cookie,
                                        os.path.join(logdir, "erl.log"))),
                ("elixir", owners.elixir_node(users, u[1], "x1", port, cookie,
                                              os.path.join(logdir, "elixir.log"))),
                ("iex", owners.iex_node(users, u[2], "i1", port, cookie,
                                        os.path.join(logdir, "iex.log"))),
                ("ei", owners.ei_node(users, u[3], ei, "c1", port, cookie,
                                      os.path.join(logdir, "ei.log"))),
                ("python", owners.impostor(users, u[4], os.path.join(logdir, "py.log"),
                                           "register", port, "p1", "listen")),
            ]
            procs = [p for _, p in clients]
            want = {"erl": "REGISTERED e1@", "elixir": "REGISTERED x1@",
                    "iex": "REGISTERED i1@", "ei": "PUBLISHED port=",
                    "python": "RESULT result=0"}
            for kind, p in clients:
                check(p.wait_for(want[kind], READY),
                      "%s as its own user did not register:\n%s" % (kind, p.text()[-2000:]))
                print("ok   %s registered" % kind)
            listed = epmdtest.names(port)
            for n in ("e1", "x1", "i1", "c1", "p1"):
                check(("name %s at port" % n).encode() in listed,
                      "NAMES lacks %s: %r" % (n, listed))
            # A node of a sixth user reaches the C node and the erl node
            # through the ports the daemon gave out.
            probe = owners.erl_node(
                users, u[5], "probe", port, cookie, os.path.join(logdir, "probe.log"),
                extra=["-eval", 'io:format("CONNECT ~p ~p~n", '
                       '[net_kernel:connect_node(\'c1@%s\'), net_adm:ping(\'e1@%s\')])'
                       % (host, host)])
            procs.append(probe)
            check(probe.wait_for("CONNECT true pong", READY),
                  "probe could not reach c1 and e1:\n%s" % probe.text()[-2000:])
            print("ok   another user's node reached the C node and the erl node")
            for kind, n, user in (("erl", "e1", u[0]), ("elixir", "x1", u[1]),
                                  ("iex", "i1", u[2]), ("ei", "c1", u[3]),
                                  ("python", "p1", u[4])):
                rec = [ln for ln in d.logtext().splitlines()
                       if "req=ALIVE2 verdict=ok" in ln and ln.endswith(" node=%s" % n)]
                check(rec and (" uid=%d user=%s" % (users.uid(user), user)) in rec[0],
                      "%s: no ok record with its uid/user: %r" % (kind, rec))
            print("ok   every record names its user")
            rmq = "/usr/lib/rabbitmq/bin/rabbitmq-server"
            if os.path.exists(rmq):
                base = users.home(u[6])
                env = {"ERL_EPMD_PORT": str(port), "RABBITMQ_NODENAME": "rmqt@" + host,
                       "RABBITMQ_NODE_PORT": str(epmdtest.free_port()),
                       "RABBITMQ_DIST_PORT": str(epmdtest.free_port()),
                       "RABBITMQ_MNESIA_BASE": base + "/mnesia",
                       "RABBITMQ_LOG_BASE": base + "/log",
                       "RABBITMQ_CONFIG_FILE": base + "/none",
                       "RABBITMQ_ENABLED_PLUGINS_FILE": base + "/plugins",
                       "RABBITMQ_CONF_ENV_FILE": "/dev/null"}
                p = owners.UserProcess(users, u[6], [rmq], env,
                                       os.path.join(logdir, "rabbitmq.log"))
                procs.append(p)
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and p.proc.poll() is None and \
                        not rmq_records(d):
                    time.sleep(0.2)
                rec = rmq_records(d)
                check(rec and "verdict=ok" in rec[0] and " uid=%d" % users.uid(u[6]) in rec[0],
                      "RabbitMQ did not register: %r\n%s" % (rec, p.text()[-2000:]))
                print("ok   RabbitMQ registered as its own user")
            else:
                print("note: rabbitmq-server not installed: RabbitMQ not tried")
            check(d.alive(), "daemon died")
        ok = True
    except Fail as e:
        print("FAIL: %s" % e)
    finally:
        for p in procs:
            p.stop()
        users.cleanup()
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
        print("PASS")
        return 0
    print("logs kept in %s" % logdir)
    return 1


if __name__ == "__main__":
    sys.exit(main())
