"""The Lambda-like harness (tests/lambda_like) imposes what AWS Lambda imposes, and the service
works under it: the launcher, the worker and every program they start run as an unprivileged
user, under a seccomp filter that refuses prctl with EPERM, with the code and the Node layer
read-only and /tmp the only writable place, in a PID namespace that ends with the launcher (as
Lambda ends every process of an environment it recycles). The end-to-end tests and the whole
security suite also run inside it (the "lambda-like" backend and service)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chalicelib.constants import PROJECT_ROOT
from tests.conftest import LambdaLikeBackends, create_database

PROBE = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
seen = {"uid": os.getuid(), "euid": os.geteuid(), "pid": os.getpid()}
seen["prctl"] = (libc.prctl(15, b"probe", 0, 0, 0), errno.errorcode.get(ctypes.get_errno()))  # PR_SET_NAME
def writable(path):
    try:
        with open(os.path.join(path, f"lambda-like-probe-{os.getpid()}"), "w") as f:
            f.write("x")
        os.remove(f.name)
        return True
    except OSError as exc:
        return errno.errorcode.get(exc.errno)
code = os.environ["CODE"]
for place in ("/tmp", code, code + "/.cache/node", "/opt", "/dev/shm", "/var/tmp", "/"):
    seen[place] = writable(place)
seen["layer node"] = os.access("/opt/bin/node", os.X_OK) and os.access("/opt/runner/harness.js", os.R_OK)
seen["setuid"] = None
try:
    os.setuid(0)
    seen["setuid"] = "allowed"
except OSError as exc:
    seen["setuid"] = errno.errorcode.get(exc.errno)
print(json.dumps(seen))
"""


def run_inside(lambda_like: LambdaLikeBackends, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **lambda_like.jail.environment()}
    return subprocess.run([*lambda_like.jail.command(), *command], env=env, capture_output=True,
                          text=True, timeout=60, cwd=PROJECT_ROOT, check=False)


def test_the_harness_imposes_lambdas_restrictions(lambda_like: LambdaLikeBackends) -> None:
    done = run_inside(lambda_like, sys.executable, "-c", PROBE)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["uid"] == seen["euid"] == lambda_like.jail.uid != 0
    assert seen["prctl"] == [-1, "EPERM"]
    assert seen["/tmp"] is True
    for place in (str(PROJECT_ROOT), str(PROJECT_ROOT / ".cache" / "node"), "/opt", "/dev/shm", "/var/tmp"):
        assert seen[place] == "EROFS", (place, seen)
    assert seen["/"] == "EACCES"
    assert seen["layer node"] is True
    assert seen["setuid"] == "EPERM"
    assert seen["pid"] == 1  # first of its PID namespace: when it ends, everything in it ends


def test_the_launch_helper_runs_programs_where_prctl_is_refused(lambda_like: LambdaLikeBackends) -> None:
    """sandbox-exec used to exit 127 when prctl(PR_SET_PDEATHSIG) failed: every run in Lambda
    would have failed. It now goes on without the parent-death signal."""
    done = run_inside(lambda_like, "/opt/bin/sandbox-exec", "-l", "nofile=64", "--",
                      "/opt/bin/node", "-e", "console.log(21 * 2)")
    assert (done.returncode, done.stdout.strip()) == (0, "42"), done.stderr


def node_processes_of(pid: int) -> list[int]:
    """The node processes below ``pid`` (each run is in a session of its own)."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = []
        for thread in Path(f"/proc/{parent}/task").glob("*"):  # children are listed by the thread
            try:                                                # that started them
                kids += [int(k) for k in (thread / "children").read_text().split()]
            except OSError:
                continue
        frontier += kids
        for kid in kids:
            try:
                if Path(f"/proc/{kid}/exe").resolve().name == "node":
                    found.append(kid)
            except OSError:
                pass
    return found


def test_a_killed_worker_leaves_no_program_running(lambda_like: LambdaLikeBackends,
                                                   postgres_server_url: str) -> None:
    """Where the parent-death signal is refused, what ends the programs of a worker that dies is
    the end of its environment: here its PID namespace, in Lambda the environment's recycling."""
    stack = lambda_like.stack(create_database(postgres_server_url), TIME_LIMIT_MS="20000",
                              WORKER_TIMEOUT_S="60").start()
    try:
        submission = stack.submit("while (true) {}")
        deadline = time.monotonic() + 30
        while stack.get(submission).json() != "Running":
            assert time.monotonic() < deadline, "the program never started"
            time.sleep(0.05)
        launcher = stack._launcher_pid()
        programs = node_processes_of(launcher)
        assert programs, "no Node process found under the launcher"
        os.kill(launcher, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(Path(f"/proc/{pid}").exists() for pid in programs):
            assert time.monotonic() < deadline, "a program outlived its worker"
            time.sleep(0.05)
    finally:
        stack.kill()

