"""The sandbox driver runs programs in the real pinned Node and reports their outcome faithfully."""

from __future__ import annotations

import os

import pytest

from chalicelib.domain import Limits, Reason, Status
from chalicelib.sandbox import NodeSandbox


@pytest.mark.parametrize(("code", "expected"), [
    ("2 + 2", "4"),
    ('"a" + 1', "a1"),
    ("let x = 1;", "undefined"),
    ("const xs = [1, 'two', {three: 3}]; xs", "[ 1, 'two', { three: 3 } ]"),
    ("10n ** 20n", "100000000000000000000n"),
    ("null", "null"),
    ("-0", "-0"),
    ("new Map([['k', [1, 2]]])", "Map(1) { 'k' => [ 1, 2 ] }"),
    ("class Point { constructor() { this.x = 1 } }; new Point()", "Point { x: 1 }"),
    ("'héllo ✓ 🎉'", "héllo ✓ 🎉"),
    ("function* g() { yield 1; yield 2 }; [...g()]", "[ 1, 2 ]"),
    ("JSON.stringify({a: [1, {b: 2}]})", '{"a":[1,{"b":2}]}'),
])
def test_completion_value_is_shown_as_a_repl_would(sandbox: NodeSandbox, limits: Limits,
                                                  code: str, expected: str) -> None:
    outcome = sandbox.run(code, limits)
    assert (outcome.reason, outcome.result, outcome.error) == (Reason.COMPLETED, expected, None)
    assert outcome.status is Status.COMPLETED


@pytest.mark.parametrize(("code", "expected"), [
    # What Node's REPL shows for values that cannot be walked like ordinary objects.
    ("const r = Proxy.revocable({}, {}); r.revoke(); ({a: r.proxy, b: 1})", "{ a: <Revoked Proxy>, b: 1 }"),
    ("new Proxy({x: 1}, {get() { return 5 }, ownKeys() { throw new Error('trap') }})",
     "Proxy [\n  { x: 1 },\n  { get: [Function: get], ownKeys: [Function: ownKeys] }\n]"),
    ("const o = {a: 1}; o.self = o; o", "<ref *1> { a: 1, self: [Circular *1] }"),
    ("({ get g() { throw new Error('getter') } })", "{ g: [Getter] }"),
    ("Array.from({length: 30}, (_, i) => i * 1000)",
     "[\n      0,  1000,  2000,  3000,  4000,\n   5000,  6000,  7000,  8000,  9000,\n"
     "  10000, 11000, 12000, 13000, 14000,\n  15000, 16000, 17000, 18000, 19000,\n"
     "  20000, 21000, 22000, 23000, 24000,\n  25000, 26000, 27000, 28000, 29000\n]"),
])
def test_completion_values_that_resist_formatting_are_shown_as_nodes_repl_does(
        sandbox: NodeSandbox, limits: Limits, code: str, expected: str) -> None:
    outcome = sandbox.run(code, limits)
    assert (outcome.reason, outcome.result) == (Reason.COMPLETED, expected)


def test_console_output_is_captured_in_order(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run(
        "console.log('one', 1, {a: [undefined]}); console.error('two'); console.info('three')",
        limits)
    assert outcome.stdout == "one 1 { a: [ undefined ] }\nthree\n"
    assert outcome.stderr == "two\n"  # console.error writes to stderr, as Node's does
    assert outcome.result == "undefined"


def test_async_work_and_timers_finish_before_the_run_ends(sandbox: NodeSandbox,
                                                         limits: Limits) -> None:
    code = """
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    (async () => { await sleep(20); console.log('after timer'); })();
    let ticks = 0;
    const id = setInterval(() => {
      if (++ticks === 3) { clearInterval(id); console.log('ticks', ticks); }
    }, 5);
    'sync part done'
    """
    outcome = sandbox.run(code, limits)
    assert outcome.reason is Reason.COMPLETED
    assert outcome.result == "sync part done"
    assert sorted(outcome.stdout.splitlines()) == ["after timer", "ticks 3"]


def test_uncaught_error_fails_with_message_and_stack(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run("console.log('before');\nfunction f() { throw new TypeError('bad') }\nf()",
                          limits)
    assert outcome.status is Status.FAILED and outcome.reason is Reason.ERROR
    assert outcome.stdout == "before\n"
    assert "TypeError: bad" in outcome.error
    assert "at f (main.js:2:" in outcome.error
    assert "harness.js" not in outcome.error and "node:" not in outcome.error


def test_rejected_promise_fails_the_run(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run("(async () => { await null; throw new RangeError('later') })()", limits)
    assert outcome.reason is Reason.ERROR
    assert "RangeError: later" in outcome.error


def test_thrown_non_error_is_described(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run("throw {code: 42}", limits)
    assert outcome.reason is Reason.ERROR and outcome.error == "Uncaught { code: 42 }"


def test_syntax_error_is_a_failure_not_a_crash(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run("let = ;", limits)
    assert outcome.reason is Reason.ERROR
    assert "SyntaxError" in outcome.error


def test_infinite_loop_times_out_within_the_limit(sandbox: NodeSandbox) -> None:
    outcome = sandbox.run("console.log('start'); while (true) {}", Limits(500, 256, 1 << 20))
    assert outcome.status is Status.TIMEOUT and outcome.reason is Reason.TIME_LIMIT
    assert outcome.stdout == "start\n"
    assert 500 <= outcome.duration_ms < 1500
    assert "500 ms" in outcome.error


def test_heap_exhaustion_is_a_memory_failure(sandbox: NodeSandbox) -> None:
    outcome = sandbox.run("const a = []; while (true) a.push(new Array(1e5).fill(1))",
                          Limits(5000, 128, 1 << 20))
    assert outcome.status is Status.FAILED and outcome.reason is Reason.MEMORY_LIMIT
    assert "128 MiB" in outcome.error


def test_output_is_capped_and_marked_truncated(sandbox: NodeSandbox) -> None:
    outcome = sandbox.run("while (true) console.log('x'.repeat(99))", Limits(5000, 256, 10_000))
    assert outcome.reason is Reason.OUTPUT_LIMIT and outcome.stdout_truncated
    assert len(outcome.stdout.encode()) == 10_000


def test_ordinary_output_below_the_cap_arrives_whole(sandbox: NodeSandbox, limits: Limits) -> None:
    outcome = sandbox.run("for (let i = 0; i < 2000; i++) console.log(String(i).padStart(99, '.'))",
                          limits)
    assert outcome.reason is Reason.COMPLETED and not outcome.stdout_truncated
    lines = outcome.stdout.splitlines()
    assert len(lines) == 2000 and lines[-1].endswith("1999")


def test_nul_in_output_is_replaced_so_postgres_can_store_it(sandbox: NodeSandbox,
                                                           limits: Limits) -> None:
    outcome = sandbox.run("console.log('a\\0b'); 'c\\0d'", limits)
    assert outcome.stdout == "a\ufffdb\n" and outcome.result == "c\ufffdd"


def test_each_run_gets_a_fresh_empty_directory_that_is_removed(sandbox: NodeSandbox,
                                                               limits: Limits, work_root) -> None:
    before = set(os.listdir(work_root))
    sandbox.run("1", limits)
    assert set(os.listdir(work_root)) == before


def test_a_missing_launch_helper_is_an_error_not_a_fallback(config, tmp_path) -> None:
    """Where the helper is expected, the driver never forks the worker to set limits instead."""
    from chalicelib.errors import SandboxUnavailable

    sandbox = NodeSandbox(config.node_path, config.harness_path, exec_helper=tmp_path / "gone")
    with pytest.raises(SandboxUnavailable, match="launch helper is missing"):
        sandbox.run("1", Limits(1000, 128, 1000))


def test_missing_runtime_is_reported_not_replaced(tmp_path) -> None:
    from chalicelib.errors import SandboxUnavailable

    missing = NodeSandbox(tmp_path / "no-node", tmp_path / "harness.js")
    with pytest.raises(SandboxUnavailable, match="missing"):
        missing.run("1", Limits(1000, 128, 1000))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a root worker dropping to nobody")
def test_a_launch_failure_is_ours_not_the_programs(config, tmp_path) -> None:
    """A Node the unprivileged user cannot execute: an infrastructure error (retried), never a
    'crashed' verdict on the program."""
    import shutil

    from chalicelib.errors import SandboxUnavailable

    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    shutil.copy(config.node_path, hidden / "node")
    for helper in (config.exec_helper_path, None):
        sandbox = NodeSandbox(hidden / "node", config.harness_path, exec_helper=helper)
        with pytest.raises(SandboxUnavailable, match="Permission denied"):
            sandbox.run("1", Limits(2000, 256, 1 << 20))
