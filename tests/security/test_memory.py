"""Through the real service: memory bombs of every kind (JS heap, strings, ArrayBuffers, typed
arrays, WebAssembly memory) end Failed with a reason that names the memory limit, quickly, and the
worker goes on serving."""

from __future__ import annotations

import pytest

from infra.stack_process import RunningStack
from tests.security.conftest import run_all

PROGRAMS = {
    "heap arrays": "const a = []; for (;;) a.push(new Array(1e5).fill(1))",
    "one huge string": "'x'.repeat(2 ** 29)",
    "doubling string": "let s = 'x'; for (;;) s += s",
    "ArrayBuffers": "const a = []; for (;;) a.push(new ArrayBuffer(1e8))",
    "typed arrays": "const a = []; for (;;) a.push(new Float64Array(1e7))",
    "WebAssembly.Memory.grow": "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(100)",
    "SharedArrayBuffer": "const a = []; for (;;) a.push(new SharedArrayBuffer(1e8))",
}
# Millions of small objects make V8 collect garbage harder and harder before it gives up: on a busy
# machine the time limit may come first. Either way the run ends and the worker is unharmed.
GC_HEAVY = {
    "small objects": "const a = []; for (;;) a.push({ a: 1, b: [1, 2, 3] })",
    "Map entries": "const m = new Map(); for (let i = 0; ; i++) m.set(i, [i])",
    "many large strings": "const a = []; for (;;) a.push('y'.repeat(2 ** 27))",
}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, {**PROGRAMS, **GC_HEAVY})


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_fails_on_the_memory_limit(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Failed", "memory_limit"), record
    assert record["error"].startswith("Memory limit exceeded")


@pytest.mark.parametrize("name", list(GC_HEAVY))
def test_gc_heavy_bombs_end_on_a_limit(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) in {("Failed", "memory_limit"), ("Timeout", "time_limit")}


def test_the_worker_survives_them(service: RunningStack, records: dict[str, dict]) -> None:
    assert service.run("new Array(1e6).fill(7).reduce((a, b) => a + b)")["result"] == "7000000"


def test_ordinary_allocation_well_below_the_limit_is_fine(service: RunningStack) -> None:
    record = service.run("const a = new Float64Array(8e6); a.fill(1); a.length")  # 64 MB
    assert (record["status"], record["result"]) == ("Completed", "8000000")
