"""Through the real service: programs that try every known route out of the sandbox and, if one
worked, would read host files, write files, start processes, open connections or read secrets.

Each program prints "host objects reached: N" after trying; N must be 0, ESCAPED must never
appear, and the host must show no trace of the attempted action."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from chalicelib.constants import PROJECT_ROOT
from tests.security.attacks import with_host_access
from tests.security.conftest import ESCAPED, Listener, run_all
from tests.support.stack import RunningStack

MARKER = f"evaluator-escape-{uuid.uuid4().hex}"
WRITE_TARGETS = [f"/tmp/{MARKER}", f"/dev/shm/{MARKER}", str(PROJECT_ROOT / MARKER), MARKER]


def actions(listener_port: int) -> dict[str, str]:
    """What an escaped program would do with the host's process, by property under test."""
    connect = ("new Promise((ok) => { const s = mod('net').connect(" + str(listener_port) +
               ", '127.0.0.1'); s.on('connect', () => ok('tcp')); s.on('error', () => ok('no')) })")
    return {
        "read /etc/passwd": "mod('fs').readFileSync('/etc/passwd', 'utf8')",
        "read the worker's environ": "mod('fs').readFileSync('/proc/' + process.ppid + '/environ', 'utf8')",
        "read the project's files": f"mod('fs').readFileSync({str(PROJECT_ROOT / 'app.py')!r}, 'utf8')",
        "write files": ", ".join(f"mod('fs').writeFileSync({t!r}, 'x')" for t in WRITE_TARGETS),
        "start a process": "mod('child_process').execSync('id').toString()",
        "start a thread": "new (mod('worker_threads').Worker)('1', { eval: true })",
        "fork bomb": "(() => { for (;;) mod('child_process').spawn('sh', ['-c', ':']); })()",
        "process.binding": "process.binding('spawn_sync')",
        "open a TCP connection": connect,
        "fetch": f"fetch('http://127.0.0.1:{listener_port}/')",
        "send UDP": f"mod('dgram').createSocket('udp4').send('x', {listener_port}, '127.0.0.1')",
        "resolve DNS": "mod('dns').lookup('localhost', () => {})",
        "read the environment": "JSON.stringify(process.env)",
    }


@pytest.fixture(scope="module")
def records(service: RunningStack, listener: Listener) -> dict[str, dict]:
    programs = {name: with_host_access(action) for name, action in actions(listener.port).items()}
    return run_all(service, programs)


@pytest.mark.parametrize("attack", list(actions(0)))
def test_no_route_reaches_the_host(records: dict[str, dict], attack: str) -> None:
    record = records[attack]
    assert record["status"] == "Completed", record
    assert "routes tried; host objects reached: 0" in record["stdout"]
    assert ESCAPED not in record["stdout"] + str(record["result"]) + str(record["error"])


def test_nothing_was_written(records: dict[str, dict]) -> None:
    for target in WRITE_TARGETS:
        assert not Path(target).exists() and not (PROJECT_ROOT / target).exists(), target
    assert not any(MARKER in name for name in os.listdir("/tmp"))


def test_nothing_reached_the_network(records: dict[str, dict], listener: Listener) -> None:
    assert listener.contacts == []


def test_no_host_file_content_came_back(records: dict[str, dict]) -> None:
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]
    app_source = (PROJECT_ROOT / "app.py").read_text().splitlines()[0]
    for record in records.values():
        text = record["stdout"] + str(record["result"])
        assert passwd_line not in text and app_source not in text


@pytest.mark.parametrize("code", [
    # `process` and `require` are the program realm's own (runner/context/process.js): none of
    # the host's powers is on them.
    "typeof process.binding + typeof process.getBuiltinModule + typeof process.dlopen +"
    " typeof process.kill + typeof process.mainModule + typeof require('fs').openSync +"
    " typeof require('fs').readdirSync + typeof module.constructor._load + typeof Buffer +"
    " typeof fetch + typeof process.stdin.constructor.prototype.pipe",
    "typeof globalThis.process.reallyExit + typeof global + typeof WebAssembly.instantiateStreaming",
])
def test_no_host_object_is_in_scope(service: RunningStack, code: str) -> None:
    result = service.run(code)["result"]
    assert result.startswith("undefined") and "function" not in result.replace("undefined", "")


def test_process_and_require_are_the_programs_realms_own(service: RunningStack) -> None:
    record = service.run(
        "[process.constructor.constructor === Function, require.constructor === Function,"
        " Object.getPrototypeOf(Object.getPrototypeOf(process)).constructor.name,"
        " process.constructor.constructor('return typeof process.binding')(),"
        " (() => { try { require('fs').readFileSync('/etc/passwd'); return 'read' }"
        " catch (e) { return e.code } })()].join()")
    assert record["result"] == "true,true,EventEmitter,undefined,ERR_ACCESS_DENIED", record
