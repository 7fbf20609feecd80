"""Through the real service: every string the trusted code builds from program data is bounded
before it is built. Forged stacks with huge positions, huge names, messages and stacks, deep
traces, huge thrown values and completion values: each run ends at once with its own text, cut to
the output cap, and the worker's memory stays flat."""

from __future__ import annotations

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

CAP = 1 << 20  # OUTPUT_LIMIT_BYTES, the default
PROGRAMS = {
    "forged stack, huge column": (
        "const e = new Error('own text'); e.stack = 'Error: own text\\n    at main.js:1:536870000';"
        " throw e", "own text"),
    "forged stack, huge line": (
        "const e = new Error('own text'); e.stack = 'Error: own text\\n    at main.js:99999999:1'; throw e",
        "own text"),
    "forged stack, negative position": (
        "const e = new Error('own text'); e.stack = 'Error: own text\\n    at main.js:-5:-7'; throw e",
        "own text"),
    "huge name": ("const e = new Error('own text'); e.name = 'N'.repeat(5e7); throw e", "NNNN"),
    "huge message": ("throw new Error('M'.repeat(5e7))", "MMMM"),
    "huge stack string": ("const e = new Error('x'); e.stack = 'S'.repeat(1e8); throw e", "SSSS"),
    "huge message built by doubling": (
        "let m = 'x'; for (let i = 0; i < 28; i++) m += m; throw new Error(m)", "characters, too long"),
    "every frame of a deep trace": (
        "Error.stackTraceLimit = Infinity; function f(n) { if (n === 0) throw new Error('deep');"
        " f(n - 1) } f(100000)", "Error: deep"),
    "huge thrown object": (
        "throw { tag: 'own text', a: 'x'.repeat(1e7), b: Array(1e5).fill('y'.repeat(100)) }", "own text"),
    "huge thrown string": ("throw 'T'.repeat(5e7)", "TTTT"),
    "symbol name and huge message": (
        "const e = new Error('Q'.repeat(3e7)); e.name = Symbol('own'); throw e", "Symbol(own)"),
}
RESULTS = {
    "huge completion value": ("Array.from({ length: 100 }, () => 'z'.repeat(1e6))", "'zzzz"),
    "huge completion string": ("'R'.repeat(5e7)", "RRRR"),
    "wide and deep completion value": (
        "Array.from({ length: 100 }, (_, i) => Array.from({ length: 100 }, () => ({ k: 'v'.repeat(1e4), i })))",
        "k: 'vvvv"),
}


def launcher_rss_kb(service: RunningStack) -> int:
    with open(f"/proc/{service.process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    programs = {name: code for name, (code, _) in {**PROGRAMS, **RESULTS}.items()}
    run_all(service, {"warm up": "1"})
    before = launcher_rss_kb(service)
    seen = run_all(service, programs, 120)
    seen["worker RSS growth (KB)"] = {"value": launcher_rss_kb(service) - before}
    return seen


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_run_ends_with_its_own_error_text_bounded(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Failed", "error"), record
    assert PROGRAMS[name][1] in record["error"]
    assert len(record["error"].encode()) <= CAP
    assert record["duration_ms"] < 1500, record


@pytest.mark.parametrize("name", list(RESULTS))
def test_the_completion_value_is_shown_bounded(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Completed", "completed"), record
    assert RESULTS[name][1] in record["result"]
    assert len(record["result"].encode()) <= CAP
    assert record["duration_ms"] < 1500, record


def test_the_forged_position_draws_no_caret(records: dict[str, dict]) -> None:
    """The throw mark comes from the engine's frame, not from the text of a forged stack; this
    stack was replaced before V8 formatted it, so there is no frame to mark."""
    assert records["forged stack, huge column"]["error"] == "Error: own text\n    at main.js:1:536870000"


def test_the_worker_memory_stays_flat(records: dict[str, dict]) -> None:
    assert records["worker RSS growth (KB)"]["value"] < 64 * 1024
