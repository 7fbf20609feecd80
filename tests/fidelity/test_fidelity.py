"""The language as Node has it: a differential suite.

A few hundred small programs (tests/fidelity/programs.py) run twice, through the service over
HTTP and through the same pinned Node binary directly (tests/fidelity/plain_node.js: a classic
script named main.js, as the service runs it, with the same stack size). What they print must be
the same, line for line, except for the differences listed below, each with its reason; a listed
difference that no longer shows up fails too, so the list stays true."""

from __future__ import annotations

import difflib
import json
import re
import resource
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib.constants import STACK_BYTES
from tests.fidelity.programs import LIST_METHODS, all_programs
from tests.support.stack import RunningStack

HERE = Path(__file__).parent

# (program name, pattern of the line as plain Node prints it) -> why the service differs.
KNOWN_DIFFERENCES = {
    ("surface WebAssembly", r"compileStreaming|instantiateStreaming|^global value="):
        "WebAssembly.compileStreaming and instantiateStreaming are removed: Node answers them "
        "from host code (its fetch-based streaming compiler)",
    ("semantics typed arrays and memory", r"^WebAssembly(\.Module| namespace) -> "):
        "WebAssembly compilation is off in the program's realm (a sandbox layer); Memory, "
        "validate and the namespace are there",
    ("surface globalThis", r"^globalThis\.WebAssembly :: "):
        "WebAssembly.compileStreaming and instantiateStreaming are removed (see above)",
    ("surface globalThis", r"^non-standard globals: "):
        "Node's own globals (Buffer, fetch, URL, TextEncoder, structuredClone, ...) are not "
        "offered; the service has console, the timers, queueMicrotask, global, and its own "
        "process and require (runner/context/process.js)",
    ("semantics eval: generated code runs in the program's realm", r"^require is -> "):
        "require, module, exports, __filename and __dirname are globals here (what a CommonJS "
        "script sees); a plain script run by vm.runInThisContext has no module wrapper",
    ("semantics global object: declarations and this", r"^Node's module names here -> "):
        "require, module, exports, __filename and __dirname are globals here (see above)",
}


def plain_node(node: str, code: str) -> str:
    """What the program prints in plain Node, with the sandbox's stack (and no environment)."""
    def stack() -> None:
        resource.setrlimit(resource.RLIMIT_STACK, (STACK_BYTES, STACK_BYTES))

    done = subprocess.run([node, f"--stack-size={STACK_BYTES // 2 // 1024}", "--no-warnings",
                           str(HERE / "plain_node.js")], input=code, capture_output=True,
                          text=True, env={}, timeout=60, preexec_fn=stack, check=False)
    return done.stdout


def service_output(record: dict) -> str:
    """What the program printed through the service, its failure written as plain_node.js
    writes it: UNCAUGHT and the error's first line (after the throw mark)."""
    out = record["stdout"]
    if record["status"] == "Completed":
        return out
    error = record["error"] or ""
    lines = error.split("\n")
    if re.match(r"^main\.js:\d+$", lines[0]) and len(lines) > 4:
        lines = lines[4:]
    return out + f"UNCAUGHT {lines[0]}\n"


def differences(plain: str, ours: str) -> list[tuple[str, str]]:
    """The lines that differ, aligned (a line only one side has is paired with "")."""
    plain_lines, our_lines = plain.splitlines(), ours.splitlines()
    pairs = []
    matcher = difflib.SequenceMatcher(a=plain_lines, b=our_lines, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            left, right = plain_lines[a1:a2], our_lines[b1:b2]
            width = max(len(left), len(right))
            pairs += [(left[i] if i < len(left) else "", right[i] if i < len(right) else "")
                      for i in range(width)]
    return pairs


def known(name: str, pair: tuple[str, str]) -> tuple[str, str] | None:
    for key in KNOWN_DIFFERENCES:
        program, pattern = key
        if program == name and any(re.search(pattern, line) for line in pair if line):
            return key
    return None


@pytest.fixture(scope="module")
def programs(config) -> dict[str, str]:
    listed = subprocess.run([str(config.node_path), "-e", LIST_METHODS], capture_output=True,
                            text=True, check=True, timeout=60)
    return all_programs(json.loads(listed.stdout))


@pytest.fixture(scope="module")
def outputs(programs: dict[str, str], service: RunningStack, config) -> dict[str, tuple[str, str]]:
    records = service.run_many(programs, 300)
    with ThreadPoolExecutor(2) as pool:
        plain = dict(zip(programs, pool.map(lambda code: plain_node(str(config.node_path), code),
                                            programs.values()), strict=True))
    return {name: (plain[name], service_output(records[name])) for name in programs}


def test_the_suite_is_a_few_hundred_programs_that_print(outputs: dict[str, tuple[str, str]]) -> None:
    assert len(outputs) >= 300
    printed = sum(len(plain.splitlines()) for plain, _ in outputs.values())
    assert printed > 8_000, printed
    assert all(plain for plain, _ in outputs.values()), [n for n, (p, _) in outputs.items() if not p]


def test_the_programs_realm_behaves_as_plain_node(outputs: dict[str, tuple[str, str]]) -> None:
    unexpected = []
    for name, (plain, ours) in outputs.items():
        for plain_line, our_line in differences(plain, ours):
            if known(name, (plain_line, our_line)) is None:
                unexpected.append(f"{name}\n    node:    {plain_line[:300]}\n    service: {our_line[:300]}")
    assert not unexpected, f"{len(unexpected)} unexpected differences:\n" + "\n".join(unexpected[:40])


def test_every_listed_difference_still_shows(outputs: dict[str, tuple[str, str]]) -> None:
    seen = {known(name, pair) for name, (plain, ours) in outputs.items()
            for pair in differences(plain, ours)}
    assert set(KNOWN_DIFFERENCES) <= seen, set(KNOWN_DIFFERENCES) - seen
