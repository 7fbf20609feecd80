"""The fast tier: the service's logic on the in-memory store, a recording queue, a scripted
sandbox and a clock the test moves. No server, no Node: `make test-fast` runs it in seconds."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.config import Config, load_config
from chalicelib.memory_store import MemoryStore
from chalicelib.service import Evaluator
from tests.fast.doubles import FakeClock, FakeQueue, ScriptedSandbox

SETTINGS = {"RETRY_DELAY_S": "10", "MAX_RECEIVE_COUNT": "5", "MAX_ATTEMPTS": "3",
            "GIVE_UP_AFTER_S": "3600", "REQUEUE_AFTER_S": "60", "WORKER_TIMEOUT_S": "60"}


@dataclass
class World:
    """A whole service in memory."""

    config: Config
    clock: FakeClock
    store: MemoryStore
    queue: FakeQueue
    dead_letters: FakeQueue
    sandbox: ScriptedSandbox
    evaluator: Evaluator
    callbacks: FakeQueue


def make_world(**settings: str) -> World:
    config = load_config({**SETTINGS, **settings})
    clock = FakeClock()
    store = MemoryStore(clock)
    queue, dead_letters, sandbox = FakeQueue(clock), FakeQueue(clock), ScriptedSandbox()
    callbacks = FakeQueue(clock)
    evaluator = Evaluator(config, store, queue, sandbox, dead_letters=dead_letters,
                          callbacks=callbacks, clock=clock)
    return World(config, clock, store, queue, dead_letters, sandbox, evaluator, callbacks)


@pytest.fixture
def world() -> World:
    return make_world()
