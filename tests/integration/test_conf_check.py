#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`epmd_secure -t` and reloads against the mistakes admins make (issue 10).

- -t on a configuration and ACL full of mistakes: exit 1; every finding is
  one `file:line: error|warning: message` line on stderr (a fragment's own
  file and line for an included file); the files read are listed on stdout;
  the user, duplicate keys, a cross-check (on the later key's line), a
  `[v6]:port` listen, a mistyped scope, `node@host`, an unknown register
  user are each reported.
- -t on a file with warnings only: exit 0, "configuration OK (N warnings)".
- An empty ACL is an error; `listen [fd00::6]` is accepted.
- A daemon built with `make SYSCONFDIR=DIR` reads DIR/epmd_secure/ by
  default (-t and -h say so).
- Reload: an ACL whose typo would have opened NAMES to 127.0.0.1 (the old
  grammar read `nmaes` as a node glob) is rejected and the previous policy
  stays; an ACL with warnings only loads, and each warning is logged as an
  event=reload_warning record with its file:line.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmdtest  # noqa: E402
from epmdtest import Daemon, names, register, wait_until  # noqa: E402

CMD_TIMEOUT = 30
BUILD_TIMEOUT = 300
FINDING = re.compile(r"^[^:\s][^:]*(:\d+)?: (error|warning): \S.*$")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def run_t(binary, args, env=None):
    r = subprocess.run([binary] + args + ["-t"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=epmdtest.clean_env(env), timeout=CMD_TIMEOUT)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def findings_well_formed(err):
    """Every stderr line is a finding, but the final verdict line."""
    bad = [ln for ln in err.splitlines()
           if not FINDING.match(ln) and not ln.startswith("epmd_secure: configuration invalid")]
    return bad


def part_mistakes(d):
    conf, acl, frag_dir = (os.path.join(d, "bad.conf"), os.path.join(d, "bad.acl"),
                           os.path.join(d, "acl.d"))
    os.mkdir(frag_dir)
    write(conf, "port 4369\n"                       # 1
                "user no_such_user_t10\n"           # 2
                "listen [fd00::6]:4369\n"           # 3
                "max_connections 100\n"             # 4
                "\n"                                # 5
                "loopback_reserved 100\n"           # 6
                "port 4370\n")                      # 7
    write(acl, "allow 127.0.0.0/8\n"                # 1
               "allow ::1\n"                        # 2
               "deny 10.231.0.3 nmaes\n"            # 3
               "allow 10.0.0.0/24 port rabbit@host1\n"  # 4
               "register rabbit* no_such_user_t10\n"    # 5
               "include acl.d/*.acl\n")             # 6
    write(os.path.join(frag_dir, "10-ok.acl"), "allow 192.0.2.1 port node couch*\n")
    write(os.path.join(frag_dir, "20-bad.acl"), "# fragment\nalow 192.0.2.2\n")
    rc, out, err = run_t(epmdtest.EPMD_SECURE, ["-config", conf, "-acl", acl])
    print("---- -t stdout\n%s---- -t stderr\n%s----" % (out, err))
    check(rc == 1, "-t on the broken files exits 1 (got %d)" % rc)
    want = [
        "%s:2: error: user: no such user \"no_such_user_t10\"" % conf,
        "%s:3: error: listen: \"[fd00::6]:4369\": no port here, the port key sets it: "
        "write \"listen fd00::6\"" % conf,
        "%s:6: error: loopback_reserved (100) must be below max_connections (100)" % conf,
        "%s:7: error: port given twice (first on line 1)" % conf,
        "%s:3: error: unknown scope \"nmaes\" (names, port or names,port); node names "
        "follow the word node: \"deny 10.231.0.3 node nmaes\"" % acl,
        "%s:4: error: \"rabbit@host1\": EPMD names have no host part: use `rabbit`, "
        "not `rabbit@host1`" % acl,
        "%s:5: error: register: no such user \"no_such_user_t10\"" % acl,
        "%s/20-bad.acl:2: error: unknown keyword \"alow\" (allow, deny, register or "
        "include expected)" % frag_dir,
    ]
    lines = err.splitlines()
    for w in want:
        check(w in lines, "-t reports: %s" % w)
    bad = findings_well_formed(err)
    check(not bad, "every stderr line is one `file:line: error|warning: message` (odd: %r)" % bad)
    check(len([ln for ln in lines if ": error: " in ln]) == len(want),
          "-t reports exactly the %d errors made" % len(want))
    read = out.splitlines()
    check(read[:2] == ["%s: configuration read" % conf, "%s: ACL read" % acl],
          "-t lists the configuration and the ACL it read first (%r)" % read[:2])
    check("%s/10-ok.acl: ACL fragment read" % frag_dir in read and
          "%s/20-bad.acl: ACL fragment read" % frag_dir in read,
          "-t lists the fragments it read")
    check("configuration OK" not in out, "-t does not say OK")


def part_warnings(d):
    conf, acl = os.path.join(d, "ok.conf"), os.path.join(d, "warn.acl")
    write(conf, "listen [fd00::6] 10.0.0.1\n")
    write(acl, "allow 10.0.0.0/8\n"                 # 1: loopback shut out
               "deny 10.1.0.0/16\n"                 # 2: never applies
               "allow 192.0.2.10 names rabbit*\n")  # 3: old syntax
    rc, out, err = run_t(epmdtest.EPMD_SECURE, ["-config", conf, "-acl", acl])
    print("---- -t stdout\n%s---- -t stderr\n%s----" % (out, err))
    check(rc == 0, "-t with warnings only exits 0 (got %d)" % rc)
    check(out.splitlines()[-1:] == ["configuration OK (3 warnings)"],
          "-t says configuration OK (3 warnings)")
    for w in ["%s: warning: no rule allows loopback (127.0.0.1, ::1): local nodes cannot "
              "find each other (add \"allow 127.0.0.0/8\" and \"allow ::1\")" % acl,
              "%s:2: warning: this deny never applies: line 1 allows everything it covers "
              "first" % acl,
              "%s:3: warning: old syntax: node names now follow the word node: write "
              "\"allow 192.0.2.10 names node rabbit*\"" % acl]:
        check(w in err.splitlines(), "-t warns: %s" % w)
    check(not findings_well_formed(err), "warnings are well-formed findings")

    empty = os.path.join(d, "empty.acl")
    write(empty, "# everything commented out\n#allow 127.0.0.0/8\n")
    rc, out, err = run_t(epmdtest.EPMD_SECURE, ["-config", conf, "-acl", empty])
    check(rc == 1 and "%s: error: no allow or deny rules" % empty in err,
          "-t on an empty ACL: exit 1 and an error (exit %d, %r)" % (rc, err))


def part_sysconfdir(d):
    if not (shutil.which("make") and shutil.which("cc")):
        print("skip SYSCONFDIR part: make or cc missing")
        return
    build, etc = os.path.join(d, "build"), os.path.join(d, "etc")
    r = subprocess.run(["make", "-s", "-C", epmdtest.ROOT, "BUILD=" + build,
                        "SYSCONFDIR=" + etc, "CFLAGS=-O0", build + "/epmd_secure"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
    if not check(r.returncode == 0, "make SYSCONFDIR=%s builds (%s)" % (etc, r.stdout[-500:])):
        return
    binary = build + "/epmd_secure"
    h = subprocess.run([binary, "-h"], stdout=subprocess.PIPE, timeout=CMD_TIMEOUT)
    check(("%s/epmd_secure/epmd_secure.conf" % etc).encode() in h.stdout,
          "-h names the compiled-in default configuration")
    rc, out, err = run_t(binary, [])
    check(rc == 0 and "%s/epmd_secure/epmd_secure.conf: does not exist" % etc in out,
          "bare -t looks in SYSCONFDIR, not /etc (exit %d, %r %r)" % (rc, out, err))
    os.makedirs(os.path.join(etc, "epmd_secure"))
    write(os.path.join(etc, "epmd_secure", "epmd_secure.conf"), "port 4369\n")
    write(os.path.join(etc, "epmd_secure", "acl"), "allow 127.0.0.1 nmaes\n")
    rc, out, err = run_t(binary, [])
    check(rc == 1 and "%s/epmd_secure/acl:1: error: unknown scope" % etc in err,
          "bare -t reads SYSCONFDIR's ACL by default and finds its typo (exit %d, %r)"
          % (rc, err))


def part_reload(d):
    conf, acl = os.path.join(d, "reload.conf"), os.path.join(d, "reload.acl")
    write(conf, "packet_timeout 10\n")
    # 127.0.0.1 may look up ports but not list names.
    write(acl, "allow 127.0.0.0/8 port\nallow ::1\n")
    with Daemon(args=["-d", "-config", conf, "-acl", acl], logdir=d) as dm:
        sock, reply = register(dm.port, "rabbit")
        try:
            check(reply[:2] == b"v\x00", "rabbit registered (%r)" % reply)
            check(names(dm.port) == b"", "NAMES from 127.0.0.1 refused at first")

            def reload(what):
                mark = len(open(dm.logpath, "rb").read())
                dm.proc.send_signal(signal.SIGHUP)

                def done():
                    new = open(dm.logpath, "rb").read()[mark:].decode("utf-8", "replace")
                    return new if "event=reload result=" in new else None
                return wait_until(done, 10, "the daemon to log the %s reload" % what)

            # The typo the old grammar read as a node glob: the allow after
            # it would have opened NAMES to 127.0.0.1.
            write(acl, "deny 127.0.0.1 nmaes\nallow 127.0.0.0/8\nallow ::1\n")
            new = reload("typo")
            check("event=reload result=error" in new and "%s:1: error: unknown scope" % acl in new,
                  "typo ACL: reload fails and the log names %s:1 (%r)" % (acl, new))
            check(names(dm.port) == b"", "after the typo reload NAMES is still refused")

            write(acl, "allow 127.0.0.0/8\nallow ::1\ndeny 127.0.0.5\n")
            new = reload("warning")
            check("event=reload result=ok" in new, "warning-only ACL reloads (%r)" % new)
            check(re.search(r"event=reload_warning warning=\"%s:3: warning: this deny never "
                            r"applies: line 1 allows everything it covers first\""
                            % re.escape(acl), new) is not None,
                  "the warning is logged as event=reload_warning with its file:line")
            check(b"rabbit at port" in names(dm.port), "NAMES from 127.0.0.1 answered now")
        finally:
            sock.close()


def main():
    if not os.access(epmdtest.EPMD_SECURE, os.X_OK):
        epmdtest.skip("%s not built" % epmdtest.EPMD_SECURE)
    d = tempfile.mkdtemp(prefix="epmd_secure-conf-check.")
    try:
        for part in (part_mistakes, part_warnings, part_sysconfdir, part_reload):
            t0 = time.monotonic()
            print("== %s" % part.__name__)
            part(d)
            print("   (%.1fs)" % (time.monotonic() - t0))
    except epmdtest.Fail as e:
        failures.append(str(e))
        print("FAIL " + str(e))
    if failures:
        print("FAILED (%d); files kept in %s" % (len(failures), d))
        return 1
    shutil.rmtree(d, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
