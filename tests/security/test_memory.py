"""Through the real service: memory bombs of every kind (JS heap, small objects, strings,
ArrayBuffers, typed arrays, WebAssembly memory) end Failed / memory_limit every time, and the worker
goes on serving. The verdict comes from what the process did (V8's out-of-memory exit, the memory
the harness can still get, V8's collector still busy at the deadline), never from error text: a
language limit that allocates nothing (a string longer than V8 allows) is the program's error."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

PROGRAMS = {
    "heap arrays": "const a = []; for (;;) a.push(new Array(1e5).fill(1))",
    "ArrayBuffers": "const a = []; for (;;) a.push(new ArrayBuffer(1e8))",
    "typed arrays": "const a = []; for (;;) a.push(new Float64Array(1e7))",
    "WebAssembly.Memory.grow": "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(100)",
    "SharedArrayBuffer": "const a = []; for (;;) a.push(new SharedArrayBuffer(1e8))",
    # Millions of small objects make V8 collect garbage harder and harder before it gives up;
    # on a busy machine that outlasts the time limit, and must still be memory_limit.
    "small objects": "const a = []; for (;;) a.push({ a: 1, b: [1, 2, 3] })",
    "Map entries": "const m = new Map(); for (let i = 0; ; i++) m.set(i, [i])",
    "many large strings": "const a = []; for (;;) a.push('y'.repeat(2 ** 27))",
    "caught and retried": "const a = []; let fails = 0; for (;;) { try { a.push(new ArrayBuffer(5e7)) }"
                          " catch (e) { if (++fails > 1000) throw e } }",
}
LANGUAGE_LIMITS = {
    "one huge string": "'x'.repeat(2 ** 29)",
    "doubling string": "let s = 'x'; for (;;) s += s",
    "one impossible buffer": "new ArrayBuffer(2 ** 40)",
}
REPEATS = 20


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, {**PROGRAMS, **LANGUAGE_LIMITS})


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_fails_on_the_memory_limit(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Failed", "memory_limit"), record
    assert record["error"].startswith("Memory limit exceeded")


@pytest.mark.parametrize("name", list(LANGUAGE_LIMITS))
def test_a_language_limit_that_allocates_nothing_is_the_programs_error(
        records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Failed", "error"), record
    assert "RangeError" in record["error"]


def test_a_heap_bomb_near_the_limit_is_memory_limit_every_time(service: RunningStack) -> None:
    """Twenty at once, so that they compete for the machine as a busy worker would."""
    bombs = {f"small objects #{i}": PROGRAMS["small objects"] for i in range(REPEATS)}
    outcomes = Counter((r["status"], r["reason"]) for r in run_all(service, bombs, 180).values())
    assert outcomes == {("Failed", "memory_limit"): REPEATS}


def test_a_large_program_that_only_loops_is_a_time_limit(service: RunningStack) -> None:
    """The other side of the rule: holding much of the limit and running out of time, without the
    collector working, is a time limit."""
    record = service.run("const a = []; for (let i = 0; i < 150; i++) a.push(new Array(131072).fill(i));"
                         " for (;;) {}")
    assert (record["status"], record["reason"]) == ("Timeout", "time_limit"), record


def test_the_worker_survives_them(service: RunningStack, records: dict[str, dict]) -> None:
    assert service.run("new Array(1e6).fill(7).reduce((a, b) => a + b)")["result"] == "7000000"


def test_ordinary_allocation_well_below_the_limit_is_fine(service: RunningStack) -> None:
    record = service.run("const a = new Float64Array(8e6); a.fill(1); a.length")  # 64 MB
    assert (record["status"], record["result"]) == ("Completed", "8000000")
