"""Defence in depth: assume the program has escaped the V8 context and holds the host's `require`
and `process` (tests/security/escaped_harness.js). The driver's other layers must still stop it:
Node's permission model, the empty environment, the unprivileged user, the OS limits.

Each test runs through the real driver with the real flags; only the harness is swapped."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from chalicelib.domain import Limits, Reason
from chalicelib.sandbox import NodeSandbox

HERE = Path(__file__).parent
LIMITS = Limits(time_ms=3000, memory_mb=256, output_bytes=1 << 20)
DENIED = "Access to this API has been restricted"


def run(escaped_sandbox: NodeSandbox, code: str):
    return escaped_sandbox.run(code, LIMITS)


@pytest.mark.parametrize("path", ["/etc/passwd", "/proc/self/environ", "/proc/1/environ",
                                  __file__, os.path.abspath("chalicelib/config.py")])
def test_no_file_can_be_read(escaped_sandbox: NodeSandbox, path: str) -> None:
    outcome = run(escaped_sandbox, f"require('fs').readFileSync({path!r}, 'utf8')")
    assert outcome.reason is Reason.ERROR and DENIED in outcome.error


def test_the_parents_environment_cannot_be_read(escaped_sandbox: NodeSandbox) -> None:
    outcome = run(escaped_sandbox,
                  "require('fs').readFileSync('/proc/' + process.ppid + '/environ', 'utf8')")
    assert outcome.reason is Reason.ERROR and DENIED in outcome.error


def test_the_environment_is_empty(escaped_sandbox: NodeSandbox) -> None:
    outcome = run(escaped_sandbox, "JSON.stringify(process.env)")
    assert outcome.result == "{}"


@pytest.mark.parametrize("target", ["/tmp/{marker}", "{marker}", "/dev/shm/{marker}"])
def test_no_file_can_be_written(escaped_sandbox: NodeSandbox, target: str) -> None:
    marker = f"evaluator-escape-{uuid.uuid4().hex}"
    outcome = run(escaped_sandbox,
                  f"require('fs').writeFileSync({target.format(marker=marker)!r}, 'x'); 'wrote'")
    assert outcome.reason is Reason.ERROR and DENIED in outcome.error
    assert not os.path.exists(f"/tmp/{marker}") and not os.path.exists(f"/dev/shm/{marker}")


@pytest.mark.parametrize("code", [
    "require('child_process').execSync('id') + ''",
    "require('child_process').spawn('sleep', ['5']); 'spawned'",
    "new (require('worker_threads').Worker)('1', {eval: true}); 'worker'",
    "process.binding('spawn_sync'); 'bound'",
    "process.dlopen({exports: {}}, '/lib/x86_64-linux-gnu/libc.so.6'); 'loaded'",
    "new (require('wasi').WASI)({version: 'preview1'}); 'wasi'",
    "require('inspector').open(0); 'inspector'",
    "require('trace_events').createTracing({categories: ['node']}).enable(); 'tracing'",
    "process.chdir('/'); process.cwd()",
])
def test_no_process_thread_addon_or_debugger(escaped_sandbox: NodeSandbox, code: str) -> None:
    outcome = run(escaped_sandbox, code)
    assert outcome.reason is Reason.ERROR
    assert DENIED in outcome.error or "ERR_ACCESS_DENIED" in outcome.error \
        or "Cannot load native addon" in outcome.error


def test_a_fork_bomb_spawns_nothing(escaped_sandbox: NodeSandbox) -> None:
    outcome = run(escaped_sandbox, """
        let started = 0, error = '';
        try { for (;;) { require('child_process').spawn(process.execPath, ['-e', '1']); started++ } }
        catch (e) { error = e.code }
        started + ' ' + error""")
    assert outcome.result == "0 ERR_ACCESS_DENIED"


@pytest.mark.parametrize("code", [
    "new Promise((ok, no) => { const s = require('net').connect({port}, '127.0.0.1');"
    " s.on('connect', () => ok('connected')); s.on('error', no) })",
    "fetch('http://127.0.0.1:{port}/').then(() => 'fetched')",
    "new Promise((ok, no) => require('dgram').createSocket('udp4')"
    ".send('x', {port}, '127.0.0.1', (e) => e ? no(e) : ok('sent')))",
    "require('dns').promises.lookup('localhost').then((r) => JSON.stringify(r))",
    "new Promise((ok, no) => { const s = require('http').get('http://127.0.0.1:{port}/',"
    " () => ok('got')); s.on('error', no) })",
])
def test_no_network_connection_even_to_loopback(escaped_sandbox: NodeSandbox, listener,
                                                code: str) -> None:
    outcome = run(escaped_sandbox, code.replace("{port}", str(listener.port)))
    assert outcome.reason is Reason.ERROR, outcome
    assert "ERR_ACCESS_DENIED" in outcome.error or "fetch failed" in outcome.error
    assert listener.contacts == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the driver drops privileges only when it has them")
def test_a_root_worker_runs_programs_as_nobody(escaped_sandbox: NodeSandbox) -> None:
    outcome = run(escaped_sandbox, "[process.getuid(), process.getgid(), process.getgroups()]")
    assert outcome.result == "[65534,65534,[65534]]"  # nobody, nogroup, and not root's groups


def test_the_working_directory_is_fresh_and_removed(escaped_sandbox: NodeSandbox) -> None:
    outcome = run(escaped_sandbox, "process.cwd()")
    assert "evaluator-run-" in outcome.result and not os.path.exists(outcome.result)


def test_memory_outside_the_js_heap_is_capped_by_the_os(escaped_sandbox: NodeSandbox) -> None:
    big = run(escaped_sandbox, "const a = []; for (;;) a.push(Buffer.alloc(64 << 20, 1)); 'no limit'")
    assert big.reason is Reason.MEMORY_LIMIT


INTERNAL = "require('internal/test/binding').internalBinding"


@pytest.mark.parametrize("code", [
    f"{INTERNAL}('fs').readFileUtf8('/etc/passwd', 0)",
    f"{INTERNAL}('fs').open('/tmp/evaluator-internal-write', 0o101, 0o666); 'opened'",
    f"{INTERNAL}('spawn_sync').spawn({{file: '/bin/sh', args: ['sh', '-c', 'id'], envPairs: [],"
    " stdio: [{type: 'pipe', readable: true}, {type: 'pipe', writable: true}]}); 'spawned'",
    f"const {{ TCP, TCPConnectWrap, constants }} = {INTERNAL}('tcp_wrap');"
    " const e = new TCP(constants.SOCKET).connect(new TCPConnectWrap(), '127.0.0.1', 9); throw e",
    f"const {{ GetAddrInfoReqWrap, getaddrinfo }} = {INTERNAL}('cares_wrap');"
    " throw getaddrinfo(new GetAddrInfoReqWrap(), 'localhost', 4, 0, 0)",
])
def test_nodes_internal_bindings_are_held_by_the_permission_model_too(
        escaped_sandbox: NodeSandbox, code: str) -> None:
    """The harness runs with --expose-internals (to point V8's hooks into the program's realm);
    an escaped program could reach the raw C++ bindings with it, and they check permissions
    themselves."""
    outcome = run(escaped_sandbox, code)
    assert outcome.reason is Reason.ERROR, outcome
    assert DENIED in outcome.error or "ERR_ACCESS_DENIED" in outcome.error


@pytest.mark.parametrize("code", [
    "eval('1 + 1')",
    "Function('return process')()",
    "new Function('return 1')()",
    "Reflect.construct(Function, ['return 1'])()",
    "Object.getPrototypeOf(async function () {}).constructor('return 1')",
    "Object.getPrototypeOf(function* () {}).constructor('yield 1')",
    "Object.getPrototypeOf(async function* () {}).constructor('yield 1')",
    "require('vm').runInThisContext('eval(\"1\")')",
])
def test_the_host_realm_generates_no_code_from_strings(escaped_sandbox: NodeSandbox,
                                                        code: str) -> None:
    outcome = run(escaped_sandbox, code)
    assert outcome.reason is Reason.ERROR, outcome
    assert "Code generation from strings disallowed for this context" in outcome.error


DOOR = r"""
const found = [];
let max = 0, calls = 0;
function dive(d) {
  if (d > max) max = d;
  try { dive(d + 1); } catch (e) { found.push(e); }
  if (max - d < 3000) { calls++; try { hostEcho(d); } catch (e) { found.push(e); } }
}
dive(0);
const own = (v) => { let p = v, last = v; while ((p = Object.getPrototypeOf(p)) !== null) last = p; return last === Object.prototype; };
const doors = found.filter((e) => e !== null && typeof e === 'object' && !own(e));
const attempts = [];
for (const e of doors.slice(0, 5)) {
  const HostFunction = e.constructor.constructor;
  for (const make of [
    () => HostFunction('return process')(),
    () => new HostFunction('return 1')(),
    () => Reflect.construct(HostFunction, ['return 1'])(),
    () => HostFunction.prototype.constructor('return 1')(),
    () => HostFunction.call(null, 'return 1')(),
    () => HostFunction.bind(null, 'return 1')()(),
    () => e.constructor('x').constructor.constructor('return 1')(),
  ]) {
    try { make(); attempts.push('GENERATED'); } catch (x) { attempts.push(x.name + ': ' + x.message); }
  }
}
done(JSON.stringify({ calls, doors: doors.length, attempts, own: new Function('return 2 + 2')() }));
"""


def test_a_host_function_obtained_at_the_stack_limit_cannot_generate_code(
        config, tmp_path) -> None:
    """With the protection around a host call removed (door_harness.js), the stack-limit sweep
    does hand the program host-realm errors; their Function, called or constructed every way,
    refuses to compile anything, while the program's own Function works."""
    door = NodeSandbox(config.node_path, HERE / "door_harness.js", work_root=tmp_path,
                       exec_helper=config.exec_helper_path)
    outcome = door.run(DOOR, Limits(time_ms=10_000, memory_mb=256, output_bytes=1 << 20))
    assert outcome.reason is Reason.COMPLETED, outcome
    seen = json.loads(outcome.result)
    assert seen["calls"] > 0 and seen["doors"] > 0, seen  # the door is real without the fix
    assert seen["own"] == 4
    assert seen["attempts"] and all(
        a == "EvalError: Code generation from strings disallowed for this context"
        for a in seen["attempts"]), seen
