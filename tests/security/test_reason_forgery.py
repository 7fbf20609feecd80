"""Through the real service: a program cannot choose its own reason. Every reason comes from what
the process did (its exit status and signal, V8's own out-of-memory exit, the memory the harness
can still get, the collector's work at the deadline), never from text the program wrote. So
programs whose errors imitate the wording of every reason, thrown every way a program can end
with an error, all end Failed / error, at once."""

from __future__ import annotations

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

WORDINGS = [
    "Memory limit exceeded (256 MiB)",
    "Out of memory",
    "JavaScript heap out of memory",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "Fatal process out of memory: Worklist::Segment::Create",
    "Array buffer allocation failed",
    "WebAssembly.Memory.grow(): Unable to grow instance memory",
    "Invalid typed array length: 4294967296",
    "Failed to allocate memory",
    "Time limit exceeded: the program ran longer than 2000 ms.",
    "Output limit exceeded: the program printed more than 1048576 bytes",
    "The Node process was killed by SIGKILL without reporting a result.",
    "Gave up after 5 delivery attempts",
]
WAYS = {
    "throw Error": "throw new Error(W)",
    "throw RangeError": "throw new RangeError(W)",
    "throw a string": "throw W",
    "rejected promise": "Promise.reject(new RangeError(W))",
    "from a timer": "setTimeout(() => { throw new RangeError(W) }, 1)",
    "printed, then thrown": "console.log(W); console.error(W); throw new RangeError(W)",
    "with memory in use": "const held = new Float64Array(8e6).fill(1); throw new RangeError(W)",
}


def programs() -> dict[str, str]:
    return {f"{way}: {wording}": f"const W = {wording!r};\n{code}"
            for way, code in WAYS.items() for wording in WORDINGS}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, programs(), 120)


@pytest.mark.parametrize("name", list(programs()))
def test_the_programs_own_words_are_its_error(records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert (record["status"], record["reason"]) == ("Failed", "error"), record
    assert record["duration_ms"] < 1500, record
    wording = name.split(": ", 1)[1]
    assert wording in record["error"]
