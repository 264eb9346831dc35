# SPDX-License-Identifier: Apache-2.0
"""Helpers for the registration-integrity tests: throw-away Unix users, and
real clients run as them (erl, elixir, a C node built with erl_interface,
the Python impostor).

Users are created with useradd as "epmdt<pid>_<i>" (system users, no login
shell, a home in a temporary directory) and removed by TestUsers.cleanup(),
which runs from `with`, from atexit and on SIGTERM/SIGINT. Each user's GECOS
field names the creating pid, so that sweep_stale_users() removes the users
of a test run that died without cleaning up (kill -9).
"""
import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GECOS = "epmd_secure test pid %d"
ERL_COOKIE_ENV = "EPMDTEST_COOKIE"


def have_root_tools():
    """None if users can be created here, else why not (for a SKIP line)."""
    if os.geteuid() != 0:
        return "creating test users needs root"
    for tool in ("useradd", "userdel"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    return None


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_users():
    """Remove test users whose creating process is gone."""
    for pw in pwd.getpwall():
        if not pw.pw_name.startswith("epmdt") or not pw.pw_gecos.startswith("epmd_secure test pid "):
            continue
        try:
            pid = int(pw.pw_gecos.rsplit(" ", 1)[1])
        except ValueError:
            continue
        if not _pid_alive(pid):
            _kill_user_procs(pw.pw_uid)
            subprocess.run(["userdel", pw.pw_name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)


def _kill_user_procs(uid):
    """SIGKILL every process running as uid (only test users get here)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat("/proc/" + d).st_uid == uid:
                os.kill(int(d), signal.SIGKILL)
        except OSError:
            pass


class TestUsers:
    """n fresh users; .names, .uid(name), .home(name), cleanup()."""

    def __init__(self, n):
        sweep_stale_users()
        self.names = []
        self.uids = {}
        self.homes = {}
        self._root = tempfile.mkdtemp(prefix="epmdt-homes.")
        os.chmod(self._root, 0o755)
        self._done = False
        atexit.register(self.cleanup)
        self._old = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old[sig] = signal.signal(sig, self._on_signal)
        try:
            for i in range(n):
                name = "epmdt%d_%d" % (os.getpid() % 1000000, i)
                home = os.path.join(self._root, name)
                subprocess.run(["useradd", "--system", "--no-create-home", "--no-user-group",
                                "--gid", "nogroup", "--shell", "/usr/sbin/nologin",
                                "--home-dir", home, "--comment", GECOS % os.getpid(), name],
                               check=True, timeout=30, stdout=subprocess.DEVNULL)
                self.names.append(name)
                pw = pwd.getpwnam(name)
                os.mkdir(home, 0o700)
                os.chown(home, pw.pw_uid, pw.pw_gid)
                self.uids[name] = pw.pw_uid
                self.homes[name] = home
        except BaseException:
            self.cleanup()
            raise

    def _on_signal(self, signum, frame):
        self.cleanup()
        old = self._old.get(signum)
        signal.signal(signum, old if callable(old) or old in (signal.SIG_DFL, signal.SIG_IGN)
                      else signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def uid(self, name):
        return self.uids[name]

    def home(self, name):
        return self.homes[name]

    def cleanup(self):
        if self._done:
            return
        self._done = True
        for name in self.names:
            _kill_user_procs(self.uids.get(name, -1))
        time.sleep(0.1)
        for name in self.names:
            subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
        shutil.rmtree(self._root, ignore_errors=True)
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)
            except (TypeError, ValueError):
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class UserProcess:
    """A process run as a test user, output to a log file; killed on stop()."""

    def __init__(self, users, user, argv, env, logpath, stdin_pipe=True):
        self.logpath = logpath
        self.log = open(logpath, "wb")
        pw = pwd.getpwnam(user)
        full_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": users.home(user),
                    "LANG": "C.UTF-8", "USER": user, "LOGNAME": user}
        full_env.update(env)
        self.proc = subprocess.Popen(
            argv, env=full_env, cwd=users.home(user), user=pw.pw_uid, group=pw.pw_gid,
            extra_groups=[], stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_for(self, needle, timeout):
        """Wait until needle appears in the output (True) or the process ends
        or time runs out (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                return needle in self.text()
            time.sleep(0.05)
        return False

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout)
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.log.close()


# An -eval that says whether distribution started, then waits (bounded).
ERL_EVAL = ('io:format("REGISTERED ~s~n", [node()]), '
            'receive stop -> ok after %d -> ok end, halt().')


def erl_node(users, user, sname, epmd_port, cookie, logpath, extra=(), hold_ms=120000):
    """erl -sname as user, epmd at epmd_port (never started by erl). Prints
    REGISTERED name@host once registered; if the name is refused, erl exits
    with "the name ... seems to be in use by another Erlang node"."""
    argv = ["erl", "-noinput", "-start_epmd", "false", "-sname", sname,
            "-setcookie", cookie] + list(extra) + ["-eval", ERL_EVAL % hold_ms]
    return UserProcess(users, user, argv, {"ERL_EPMD_PORT": str(epmd_port),
                                           "ERL_CRASH_DUMP_SECONDS": "0"}, logpath)


def elixir_node(users, user, sname, epmd_port, cookie, logpath, hold_ms=120000):
    """elixir --sname as user: Elixir's own start-up path to distribution."""
    argv = ["elixir", "--sname", sname, "--cookie", cookie, "--erl", "-start_epmd false",
            "-e", 'IO.puts("REGISTERED #{Node.self()}"); Process.sleep(%d)' % hold_ms]
    return UserProcess(users, user, argv, {"ERL_EPMD_PORT": str(epmd_port),
                                           "ERL_CRASH_DUMP_SECONDS": "0"}, logpath)


def iex_node(users, user, sname, epmd_port, cookie, logpath):
    """iex --sname as user, fed from a pipe held open by the test."""
    argv = ["iex", "--sname", sname, "--cookie", cookie, "--erl", "-start_epmd false"]
    p = UserProcess(users, user, argv, {"ERL_EPMD_PORT": str(epmd_port),
                                        "ERL_CRASH_DUMP_SECONDS": "0", "TERM": "dumb"}, logpath)
    try:
        p.proc.stdin.write(b'IO.puts("REGISTERED #{Node.self()}")\n')
        p.proc.stdin.flush()
    except OSError:
        pass
    return p


def build_ei_node(outdir):
    """Compile cnode/ei_node.c against Debian's erl_interface; path or None."""
    if shutil.which("cc") is None or not os.path.exists("/usr/include/ei.h"):
        return None
    out = os.path.join(outdir, "ei_node")
    r = subprocess.run(["cc", "-pthread", "-o", out, os.path.join(HERE, "cnode", "ei_node.c"),
                        "-lei"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if r.returncode != 0:
        sys.stderr.write(r.stdout.decode("utf-8", "replace"))
        return None
    os.chmod(out, 0o755)
    os.chmod(outdir, 0o755)
    return out


def ei_node(users, user, binary, name, epmd_port, cookie, logpath, bind="127.0.0.1", seconds=120):
    """The C node as user: PUBLISHED port=N or PUBLISH_FAILED."""
    return UserProcess(users, user, [binary, name, cookie, bind, str(seconds)],
                       {"ERL_EPMD_PORT": str(epmd_port)}, logpath)


def impostor(users, user, logpath, *args):
    """impostor.py as user (see its docstring for args)."""
    # The system's python3: the test's own interpreter may live where a
    # test user cannot read it (e.g. under /root).
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    script = readable_copy(users, os.path.join(HERE, "impostor.py"))
    return UserProcess(users, user, [py, script] + [str(a) for a in args], {}, logpath)


def readable_copy(users, path, mode=0o644):
    """A copy of path that every test user can read (and run, with mode
    0o755), in the users' home root: the checkout itself may not be
    reachable for them (a clone under mktemp -d is 0700)."""
    copy = os.path.join(users._root, os.path.basename(path))
    if not os.path.exists(copy):
        shutil.copyfile(path, copy)
        os.chmod(copy, mode)
    return copy
