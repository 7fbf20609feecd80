"""Processes kept warm: each serves exactly one program, the pool refills itself, a run with other
limits starts its own process, and closing leaves nothing behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from chalicelib.config import Config
from chalicelib.constants import WARM_RETRY_PAUSE_S
from chalicelib.domain import Limits
from chalicelib.sandbox import NodeSandbox, StartedProcess


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


def test_another_memory_limit_gets_a_cold_process(config: Config, limits: Limits,
                                                  tmp_path: Path) -> None:
    sandbox = make(config, tmp_path)
    sandbox.keep_warm(limits, 1)
    try:
        sandbox.run("1", limits)
        wait_until(lambda: len(sandbox.pool._ready) == 1)
        other = Limits(limits.time_ms, 64, limits.output_bytes)
        assert sandbox.pool.take(other) is None
        record = sandbox.run("new Array(2 ** 24).fill(1.5).length", other)
        assert record.reason.value == "memory_limit"  # 128 MiB of doubles: over its own 64
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


class FakeStarted:
    """A stand-in process: whether it is alive, and what discarding it saw of the pool's lock."""

    def __init__(self, pool_ref: list, alive: bool) -> None:
        self.pool_ref, self.alive, self.lock_free_at_discard = pool_ref, alive, None

    def discard(self) -> None:
        lock = self.pool_ref[0]._wanted
        self.lock_free_at_discard = lock.acquire(blocking=False)
        if self.lock_free_at_discard:
            lock.release()


def test_dead_processes_are_discarded_outside_the_pools_lock(limits: Limits) -> None:
    from chalicelib.warm_pool import WarmPool

    pool_ref: list = []
    made: list[FakeStarted] = []

    def start(_limits: Limits) -> FakeStarted:
        made.append(FakeStarted(pool_ref, alive=len(made) >= 2))  # the first two are dead
        return made[-1]

    pool = WarmPool(start, limits, 2)
    pool_ref.append(pool)
    try:
        wait_until(lambda: len(pool._ready) == 2)
        taken = pool.take(limits)
        assert taken is None or taken.alive
        assert [m.lock_free_at_discard for m in made[:2]] == [True, True]
    finally:
        pool.close()


def test_closing_cuts_the_retry_pause_short_and_ends_the_thread(limits: Limits) -> None:
    from chalicelib import warm_pool

    attempts = []

    def failing_start(_limits: Limits):
        attempts.append(time.monotonic())
        raise OSError("no resources")

    pool = warm_pool.WarmPool(failing_start, limits, 1)
    wait_until(lambda: attempts)
    began = time.monotonic()
    pool.close()
    assert time.monotonic() - began < WARM_RETRY_PAUSE_S / 2
    assert not pool._thread.is_alive()
