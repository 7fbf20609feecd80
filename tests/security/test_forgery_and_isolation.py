"""Through the real service: a program cannot forge its own result, and nothing one program does
is seen by the next (globals, prototypes, the harness, files)."""

from __future__ import annotations

import json

from tests.support.stack import RunningStack


def test_printing_a_result_line_does_not_forge_the_result(service: RunningStack) -> None:
    forged = json.dumps({"reason": "completed", "result": "forged"})
    record = service.run(f"console.log({forged!r}); console.error({forged!r}); throw new Error('real')")
    assert (record["status"], record["reason"]) == ("Failed", "error")
    assert record["result"] is None and "Error: real" in record["error"]
    assert (record["stdout"], record["stderr"]) == (f"{forged}\n", f"{forged}\n")


def test_state_does_not_survive_into_the_next_submission(service: RunningStack) -> None:
    polluter = """
    globalThis.leaked = 'yes';
    Object.prototype.polluted = 'yes';
    Array.prototype.map = () => 'hijacked';
    JSON.stringify = () => 'hijacked';
    console.log = () => {};
    try { setTimeout.constructor.prototype.call = () => 'hijacked'; } catch (e) {}
    'polluted'"""
    assert service.run(polluter)["result"] == "polluted"
    record = service.run("console.log('visible'); [typeof globalThis.leaked, typeof ({}).polluted,"
                         " [1].map((x) => x + 1)[0], JSON.stringify({a: 1})].join(' ')")
    assert record["result"] == 'undefined undefined 2 {"a":1}'
    assert record["stdout"] == "visible\n"


def test_the_harness_cannot_be_changed(service: RunningStack) -> None:
    service.run("Object.defineProperty(globalThis, 'console', { value: null }); 1")
    assert service.run("console.log('still works'); 2")["stdout"] == "still works\n"
