"""Through the real service: with all its layers, the sandbox still runs ordinary JavaScript."""

from __future__ import annotations

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

PROGRAMS = {
    "console formatting": (
        "console.log('s', 1, 1.5, -0, 10n, true, null, undefined, [1, [2, [3, [4]]]],"
        " {a: {b: {c: {d: 1}}}}, new Map([['k', 1]]), new Set([1]), () => 1, class A {}, Symbol('x'))",
        None, "s 1 1.5 -0 10n true null undefined [ 1, [ 2, [ 3, [Array] ] ] ] "
              "{ a: { b: { c: [Object] } } } Map(1) { 'k' => 1 } Set(1) { 1 } "
              "[Function (anonymous)] [class A] Symbol(x)\n"),
    "printf-style": ("console.log('%s has %d items costing %i%%', 'cart', 3, 42.9)", None,
                     "cart has 3 items costing 42%\n"),
    "unicode": ("const s = 'héllo wörld ✓ 🎉 日本'; console.log(s); [...s].length", "18",
                "héllo wörld ✓ 🎉 日本\n"),
    "BigInt": ("2n ** 100n", "1267650600228229401496703205376n", ""),
    "JSON": ("JSON.stringify(JSON.parse('{\"a\":[1,{\"b\":null}]}'))", '{"a":[1,{"b":null}]}', ""),
    "classes": ("class Animal { constructor(n) { this.name = n } speak() { return this.name + ' speaks' } }"
                " class Dog extends Animal { speak() { return super.speak() + ' woof' } }"
                " new Dog('Rex').speak()", "Rex speaks woof", ""),
    "generators": ("function* fib() { let [a, b] = [0, 1]; for (;;) { yield a; [a, b] = [b, a + b] } }"
                   " const out = []; for (const x of fib()) { if (out.length === 10) break; out.push(x) } out.join(',')",
                   "0,1,1,2,3,5,8,13,21,34", ""),
    "async/await": ("const sleep = (ms) => new Promise((r) => setTimeout(r, ms));"
                    " (async () => { await sleep(30); console.log('awaited'); })(); 'sync'", "sync",
                    "awaited\n"),
    "timers": ("let n = 0; const id = setInterval(() => { if (++n === 3) { clearInterval(id);"
               " console.log('interval x3') } }, 10); setTimeout(() => console.log('timeout'), 250);"
               " setImmediate(() => console.log('immediate')); queueMicrotask(() => console.log('micro'))",
               "undefined", "micro\nimmediate\ninterval x3\ntimeout\n"),
    "regexp, dates, Intl": ("[/(\\d+)-(\\d+)/.exec('10-20').slice(1).join('+'), new Date(0).toISOString(),"
                            " new Intl.NumberFormat('en-US').format(1234.5)].join(' ')",
                            "10+20 1970-01-01T00:00:00.000Z 1,234.5", ""),
    "deep recursion": ("function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1) } depth(50000)", "50000", ""),
    "CPU-bound work": ("let x = 0; for (let i = 0; i < 3e7; i++) x = (x + i * i) % 1000003; x", None, ""),
    "WebAssembly memory": ("const m = new WebAssembly.Memory({ initial: 1 }); m.grow(1); m.buffer.byteLength",
                           "131072", ""),
}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, {name: program for name, (program, _, _) in PROGRAMS.items()})


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_runs(records: dict[str, dict], name: str) -> None:
    _, result, stdout = PROGRAMS[name]
    record = records[name]
    assert record["status"] == "Completed", record
    if result is not None:
        assert record["result"] == result
    assert record["stdout"] == stdout


def test_thrown_errors_keep_their_stack(service: RunningStack) -> None:
    record = service.run("function inner() { throw new RangeError('deep') }\n"
                         "function outer() { inner() }\nouter()")
    assert (record["status"], record["reason"]) == ("Failed", "error")
    assert "RangeError: deep" in record["error"]
    assert "at inner (main.js:1:" in record["error"] and "at outer (main.js:2:" in record["error"]


def test_runaway_recursion_is_a_range_error_not_a_crash(service: RunningStack) -> None:
    record = service.run("function f(n) { return f(n + 1) + 1 } f(0)")
    assert (record["status"], record["reason"]) == ("Failed", "error")
    assert "RangeError: Maximum call stack size exceeded" in record["error"]


def test_eval_and_function_generate_code_in_the_programs_own_realm(service: RunningStack) -> None:
    record = service.run("const x = 40; [eval('x + 1'), new Function('a', 'return a + 1')(41),"
                         " (0, eval)('this') === globalThis, eval('typeof process.binding')].join(' ')")
    assert record["result"] == "41 42 true undefined", record
