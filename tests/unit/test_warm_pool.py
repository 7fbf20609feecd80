"""Processes kept warm: each serves exactly one program, the pool refills itself, a run with other
limits starts its own process, and closing leaves nothing behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from chalicelib.config import Config
from chalicelib.sandbox import Limits, NodeSandbox, StartedProcess


class CountingSandbox(NodeSandbox):
    """The real sandbox, remembering every process it starts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.started: list[StartedProcess] = []

    def start(self, limits: Limits) -> StartedProcess:
        process = super().start(limits)
        self.started.append(process)
        return process


def make(config: Config, work_root: Path) -> CountingSandbox:
    return CountingSandbox(config.node_path, config.harness_path, work_root=work_root,
                           exec_helper=config.exec_helper_path)


def wait_until(condition, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_every_program_gets_a_process_of_its_own(config: Config, limits: Limits,
                                                 tmp_path: Path) -> None:
    sandbox = make(config, tmp_path)
    sandbox.keep_warm(limits, 2)
    try:
        outcomes = [sandbox.run(f"globalThis.seen = (globalThis.seen || 0) + 1; seen + {n}", limits)
                    for n in range(6)]
        assert [o.result for o in outcomes] == [str(1 + n) for n in range(6)]  # no shared state
        wait_until(lambda: len(sandbox.pool._ready) == 2)
        pids = [p.process.pid for p in sandbox.started]
        assert len(pids) == len(set(pids)) >= 6 + 2 - 1  # one cold start, then the pool's
        assert all(p.process.returncode is not None for p in sandbox.started[:6])
    finally:
        sandbox.close()


def test_other_limits_get_a_cold_process(config: Config, limits: Limits, tmp_path: Path) -> None:
    sandbox = make(config, tmp_path)
    sandbox.keep_warm(limits, 1)
    try:
        sandbox.run("1", limits)
        wait_until(lambda: len(sandbox.pool._ready) == 1)
        other = Limits(limits.time_ms, limits.memory_mb, 1000)
        assert sandbox.pool.take(other) is None
        assert sandbox.run("'x'.repeat(5000)", other).result == "x" * 1000  # capped at its limit
    finally:
        sandbox.close()


def test_closing_discards_the_ready_processes_and_their_directories(
        config: Config, limits: Limits, tmp_path: Path) -> None:
    sandbox = make(config, tmp_path)
    sandbox.keep_warm(limits, 2)
    sandbox.run("1", limits)
    wait_until(lambda: len(sandbox.pool._ready) == 2)
    ready = list(sandbox.pool._ready)
    sandbox.close()
    assert all(p.process.returncode is not None for p in ready)
    assert os.listdir(tmp_path) == []


def test_a_process_that_died_while_waiting_is_not_used(config: Config, limits: Limits,
                                                       tmp_path: Path) -> None:
    sandbox = make(config, tmp_path)
    sandbox.keep_warm(limits, 1)
    try:
        sandbox.run("1", limits)
        wait_until(lambda: len(sandbox.pool._ready) == 1)
        victim = sandbox.pool._ready[0]
        os.killpg(victim.process.pid, 9)
        victim.process.wait()
        assert sandbox.run("6 * 7", limits).result == "42"
    finally:
        sandbox.close()
