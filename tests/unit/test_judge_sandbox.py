"""The judge's side of the sandbox, on the real Node: standard input in each of Node's idioms,
arguments, stdout and stderr apart, exit codes, the two time limits, resource figures from the
kernel, and the modules a judge program may require (and those it may not)."""

from __future__ import annotations

import pytest

from chalicelib.domain import Limits, ProgramInput, Reason, Status
from chalicelib.sandbox import NodeSandbox

LIMITS = Limits(time_ms=3000, memory_mb=256, output_bytes=1 << 20)
NUMBERS = "3\n1 2 3\n"
SUM = "6\n"

# Each idiom reads NUMBERS and prints the sum of its second line through `total(text)`.
TOTAL = "const total = (t) => t.split('\\n')[1].split(' ').reduce((a, b) => a + +b, 0);"
READLINE = "const rl = require('readline').createInterface({input: process.stdin});"
STDIN_IDIOMS = {name: TOTAL + code for name, code in {
    "fs.readFileSync(0)": "console.log(total(require('fs').readFileSync(0, 'utf8')))",
    "fs.readFileSync('/dev/stdin')":
        "console.log(total(require('node:fs').readFileSync('/dev/stdin').toString()))",
    "readline 'line' events": READLINE + " const lines = []; rl.on('line', (l) => lines.push(l));"
                                         " rl.on('close', () => console.log(total(lines.join('\\n'))))",
    "for await of readline": "(async () => { " + READLINE + " const lines = [];"
                             " for await (const l of rl) lines.push(l);"
                             " console.log(total(lines.join('\\n'))) })()",
    "process.stdin 'data' and 'end'": "let s = ''; process.stdin.setEncoding('utf8');"
                                      " process.stdin.on('data', (c) => s += c);"
                                      " process.stdin.on('end', () => console.log(total(s)))",
    "async iteration of process.stdin": "(async () => { let s = '';"
                                        " for await (const c of process.stdin) s += c;"
                                        " console.log(total(s)) })()",
    "'readable' and read()": "let s = ''; process.stdin.on('readable', () => { let c;"
                             " while ((c = process.stdin.read()) !== null) s += c; });"
                             " process.stdin.on('end', () => console.log(total(s)))",
}.items()}


def run(sandbox: NodeSandbox, code: str, stdin: str = "", args: tuple[str, ...] = (),
        limits: Limits = LIMITS):
    return sandbox.run(code, limits, ProgramInput(stdin=stdin, args=args))


@pytest.mark.parametrize("idiom", list(STDIN_IDIOMS))
def test_stdin_reads_in_each_of_nodes_idioms(sandbox: NodeSandbox, idiom: str) -> None:
    outcome = run(sandbox, STDIN_IDIOMS[idiom], NUMBERS)
    assert (outcome.reason, outcome.stdout, outcome.stderr) == (Reason.COMPLETED, SUM, ""), outcome


def test_a_program_that_never_reads_stdin_ends_and_empty_stdin_ends_the_readers(
        sandbox: NodeSandbox) -> None:
    assert run(sandbox, "1 + 1", "unread\n").result == "2"
    outcome = run(sandbox, READLINE + " let n = 0; rl.on('line', () => n++);"
                                      " rl.on('close', () => console.log('lines', n))")
    assert outcome.stdout == "lines 0\n"
    assert run(sandbox, "JSON.stringify(require('fs').readFileSync(0, 'utf8'))").result == '""'


def test_stdin_is_read_once_as_from_a_pipe(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "const fs = require('fs');"
                           " [fs.readFileSync(0, 'utf8'), fs.readFileSync(0, 'utf8')]", "abc")
    assert outcome.result == "[ 'abc', '' ]"


def test_arguments_are_process_argv_from_two(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "process.argv.slice(2)", args=("a", "b c", "", "é"))
    assert outcome.result == "[ 'a', 'b c', '', 'é' ]"
    assert run(sandbox, "process.argv.length").result == "2"


def test_stdout_and_stderr_are_apart_and_in_order(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "console.log('1'); console.error('e1'); process.stdout.write('2');"
                           " process.stderr.write('e2\\n'); console.info('3'); console.warn('e3');"
                           " console.debug('4'); console.trace('t')")
    assert outcome.stdout == "1\n23\n4\n"
    assert outcome.stderr.startswith("e1\ne2\ne3\nTrace: t\n    at main.js:1:")


@pytest.mark.parametrize(("code", "exit_code", "reason"), [
    ("1", 0, Reason.COMPLETED),
    ("process.exit()", 0, Reason.COMPLETED),
    ("process.exit(0)", 0, Reason.COMPLETED),
    ("process.exit(3)", 3, Reason.NONZERO_EXIT),
    ("process.exit(256 + 7)", 7, Reason.NONZERO_EXIT),
    ("process.exitCode = 4", 4, Reason.NONZERO_EXIT),
    ("process.exitCode = 4; setTimeout(() => process.exit(), 10)", 4, Reason.NONZERO_EXIT),
    ("setTimeout(() => process.exit(5), 10); console.log('before')", 5, Reason.NONZERO_EXIT),
    ("null.x", 1, Reason.ERROR),
    ("Promise.reject(new Error('no'))", 1, Reason.ERROR),
])
def test_exit_codes(sandbox: NodeSandbox, code: str, exit_code: int, reason: Reason) -> None:
    outcome = run(sandbox, code)
    assert (outcome.exit_code, outcome.reason) == (exit_code, reason), outcome
    assert outcome.status is (Status.COMPLETED if exit_code == 0 else Status.FAILED)


def test_process_exit_stops_the_program_there_and_runs_exit_listeners(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "process.on('exit', (c) => console.log('exit', c)); console.log('a');"
                           " process.exit(2); console.log('never')")
    assert (outcome.stdout, outcome.exit_code) == ("a\nexit 2\n", 2)
    outcome = run(sandbox, "process.on('exit', (c) => console.log('bye', c)); 1")
    assert (outcome.stdout, outcome.exit_code, outcome.result) == ("bye 0\n", 0, "1")


def test_a_busy_loop_meets_the_cpu_limit_and_a_sleeper_the_wall_limit(sandbox: NodeSandbox) -> None:
    both = Limits(time_ms=1500, memory_mb=256, output_bytes=1 << 20, cpu_time_ms=300)
    busy = run(sandbox, "for (;;) {}", limits=both)
    assert (busy.status, busy.reason) == (Status.TIMEOUT, Reason.CPU_TIME_LIMIT), busy
    assert busy.cpu_time_ms >= 300 and busy.duration_ms < 1500
    assert "CPU time limit exceeded" in busy.error and "300 ms" in busy.error
    sleeper = run(sandbox, "setTimeout(() => {}, 5000)", limits=both)
    assert (sleeper.status, sleeper.reason) == (Status.TIMEOUT, Reason.TIME_LIMIT), sleeper
    assert sleeper.duration_ms >= 1500 and sleeper.cpu_time_ms < 300


def test_resource_figures_come_from_the_kernel(sandbox: NodeSandbox) -> None:
    small = run(sandbox, "1")
    big = run(sandbox, "const a = new Float64Array(100 * 1024 * 1024 / 8).fill(1); a.length",
              limits=Limits(3000, 256, 1 << 20))
    assert small.reason is big.reason is Reason.COMPLETED
    assert big.memory_kb >= 100_000 and big.memory_kb - small.memory_kb >= 90_000  # 100 MiB touched
    busy = run(sandbox, "let x = 0; for (let i = 0; i < 3e8; i++) x += i; x > 0")
    assert busy.cpu_time_ms >= 100 and small.cpu_time_ms < busy.cpu_time_ms
    assert busy.cpu_time_ms <= busy.duration_ms + 50  # one thread busy: CPU about equals wall
    assert small.cpu_time_ms < 50  # the harness's own start is not counted


def test_stderr_has_its_own_output_limit(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "for (;;) console.error('x'.repeat(99))", limits=Limits(3000, 256, 10_000))
    assert (outcome.reason, outcome.stderr_truncated, outcome.stdout_truncated) == (
        Reason.OUTPUT_LIMIT, True, False)
    assert len(outcome.stderr.encode()) == 10_000 and "stderr" in outcome.error


@pytest.mark.parametrize("name", ["fs", "node:fs", "readline", "events", "util", "assert", "node:assert"])
def test_the_offered_modules_load(sandbox: NodeSandbox, name: str) -> None:
    assert run(sandbox, f"typeof require({name!r})").result in ("object", "function")


def test_the_offered_modules_work(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "const EventEmitter = require('events'); const e = new EventEmitter();"
                           " e.once('x', (v) => console.log('got', v)); e.emit('x', 1); e.emit('x', 2);"
                           " const util = require('util');"
                           " console.log(util.format('%d-%s', 4, 'b'), util.inspect({a: [1]}));"
                           " const assert = require('assert'); assert.strictEqual(1, 1);"
                           " assert.deepStrictEqual({a: [1]}, {a: [1]});"
                           " try { assert.strictEqual(1, 2) } catch (e) { console.log(e.name, e.code) }")
    assert outcome.stdout == "got 1\n4-b { a: [ 1 ] }\nAssertionError ERR_ASSERTION\n", outcome


@pytest.mark.parametrize("name", ["child_process", "net", "http", "os", "path", "worker_threads",
                                  "vm", "internal/test/binding", "./x", "/etc/passwd"])
def test_any_other_module_is_refused_with_what_is_offered(sandbox: NodeSandbox, name: str) -> None:
    outcome = run(sandbox, f"require({name!r})")
    assert outcome.reason is Reason.ERROR and f"Cannot find module '{name}'" in outcome.error
    assert "may require only: fs (standard input only), readline, events, util, assert" in outcome.error


@pytest.mark.parametrize("call", ["readFileSync('/etc/passwd')", "readFileSync('main.js')",
                                  "readFileSync(3)", "writeFileSync('/tmp/x', 'y')",
                                  "readFileSync('/proc/self/environ')"])
def test_no_file_but_stdin_is_readable_and_nothing_is_writable(sandbox: NodeSandbox, call: str) -> None:
    outcome = run(sandbox, f"try {{ require('fs').{call}; 'read' }} catch (e) {{ e.code }}")
    assert outcome.result == "ERR_ACCESS_DENIED", outcome


def test_process_is_this_realms_and_holds_nothing_of_the_host(sandbox: NodeSandbox) -> None:
    outcome = run(sandbox, "[typeof process.binding, typeof process.mainModule, typeof process.dlopen,"
                           " Object.keys(process.env).length, process.constructor.constructor === Function,"
                           " Object.getPrototypeOf(process.stdin.on) === Function.prototype].join()")
    assert outcome.result == "undefined,undefined,undefined,0,true,true"
