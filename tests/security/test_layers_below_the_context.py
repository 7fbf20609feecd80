"""Defence in depth: assume the program has escaped the V8 context and holds the host's `require`
and `process` (tests/security/escaped_harness.js). The driver's other layers must still stop it:
Node's permission model, the empty environment, the unprivileged user, the OS limits.

Each test runs through the real driver with the real flags; only the harness is swapped."""

from __future__ import annotations

import os
import uuid

import pytest

from chalicelib.sandbox import Limits, NodeSandbox
from chalicelib.states import Reason

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
