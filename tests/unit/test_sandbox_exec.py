"""runner/sandbox_exec.c, the launch helper: it applies exactly the limits and identity it is
given, then becomes the program; anything wrong stops it before the program runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from chalicelib.config import load_config

HELPER = Path(load_config().exec_helper_path or "/nonexistent/sandbox-exec")
pytestmark = pytest.mark.skipif(not HELPER.exists(), reason="no C compiler built sandbox-exec")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(HELPER), *args], capture_output=True, text=True, timeout=10)


def test_it_sets_each_limit_soft_and_hard() -> None:
    out = run("-l", "data=1048576000", "-l", "fsize=0", "-l", "core=0", "-l", "nofile=64",
              "-l", "stack=33554432", "--", "/bin/sh", "-c",
              "ulimit -d; ulimit -f; ulimit -c; ulimit -n; ulimit -s; ulimit -H -n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1024000", "0", "0", "64", "32768", "64"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing user needs root")
def test_it_drops_to_the_given_user_and_group() -> None:
    out = run("-u", "65534", "-g", "65534", "--", "/usr/bin/id")
    assert out.returncode == 0 and out.stdout.strip() == (
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)")


@pytest.mark.parametrize("args", [
    ["-l", "bogus=1", "--", "/bin/true"], ["-l", "data=lots", "--", "/bin/true"],
    ["-l", "data", "--", "/bin/true"], ["-x", "1", "--", "/bin/true"], ["-l", "data=1"],
    ["--", "/no/such/program"],
])
def test_bad_arguments_stop_it_before_the_program(args: list[str]) -> None:
    out = run(*args)
    assert out.returncode == 127 and out.stderr.startswith("sandbox-exec:")
