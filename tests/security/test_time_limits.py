"""Through the real service: nothing outlives the time limit (2 s): busy loops, ReDoS, blocking
waits, microtask floods, work scheduled for later, getters that loop while an error is formatted.
Every one ends Timeout, within the limit plus a small grace, and prints nothing after it."""

from __future__ import annotations

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

LIMIT_MS = 2000
GRACE_MS = 500

PROGRAMS = {
    "busy loop": "while (true) {}",
    "ReDoS": "/^(a+)+$/.test('a'.repeat(48) + 'b')",
    "Atomics.wait": "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000)",
    "microtask flood": "(function again() { Promise.resolve().then(again); })()",
    "queueMicrotask flood": "(function again() { queueMicrotask(again); })()",
    "timer scheduled later": "setTimeout(() => console.log('LATE'), 5000); 'returned early'",
    "interval forever": "setInterval(() => {}, 10)",
    "promise continuation later": "new Promise((ok) => setTimeout(ok, 5000)).then(() => console.log('LATE'))",
    "async loop": "(async () => { for (;;) await null; })()",
    "getter loops while the error is formatted": """
const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); throw e""",
    "custom inspect hook loops while the result is formatted":
        "({ [Symbol.for('nodejs.util.inspect.custom')]() { for (;;) {} } })",
    "name's toString loops while the stack is formatted": """
const e = new Error('x'); e.name = { toString() { for (;;) {} } }; throw e""",
    "loop inside a catch": "try { throw 1 } catch (e) { for (;;) {} }",
    "recursion with finally": "function f() { try { f() } finally { f() } } f()",
}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, PROGRAMS)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_ends_as_timeout_within_the_limit(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Timeout", "time_limit"), record
    assert LIMIT_MS <= record["duration_ms"] <= LIMIT_MS + GRACE_MS
    assert "LATE" not in record["stdout"]
    assert "Time limit exceeded" in record["error"]


def test_the_worker_keeps_working_after_them(service: RunningStack,
                                             records: dict[str, dict]) -> None:
    assert service.run("'still here'")["result"] == "still here"
