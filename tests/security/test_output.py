"""Through the real service: output floods are cut at the cap (1 MiB) and marked, ordinary output
arrives whole, binary garbage is stored safely, and the worker's memory stays flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

CAP = 1 << 20

FLOODS = {
    "console.log loop": "for (;;) console.log('flood flood flood flood')",
    "one 100 MB string": "console.log('x'.repeat(1e8))",
    "console.error loop": "for (let i = 0; ; i++) console.error(i, { i })",
    "multibyte flood": "for (;;) console.log('é✓🎉'.repeat(1000))",
}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def floods(service: RunningStack) -> tuple[dict[str, dict], int, int]:
    service.run("1")  # warm the worker before measuring
    before = rss_kib(service.process.pid)
    records = run_all(service, FLOODS)
    records.update(run_all(service, {f"again {n}": FLOODS["one 100 MB string"] for n in range(4)}))
    return records, before, rss_kib(service.process.pid)


@pytest.mark.parametrize("name", list(FLOODS))
def test_a_flood_is_cut_at_the_cap_and_marked(floods, name: str) -> None:
    record = floods[0][name]
    stream = "stderr" if "error" in name else "stdout"  # console.error writes to stderr
    assert (record["status"], record["reason"]) == ("Failed", "output_limit"), record
    assert record[f"{stream}_truncated"] is True
    assert CAP - 4 <= len(record[stream].encode()) <= CAP
    assert "Output limit exceeded" in record["error"] and stream in record["error"]


def test_the_workers_memory_stays_flat(floods) -> None:
    _, before, after = floods
    # Eight floods of up to 100 MB each went through; what the worker kept is a few caps at most.
    assert after - before < 64 * 1024, (before, after)


def test_200_kb_of_ordinary_output_arrives_complete(service: RunningStack) -> None:
    record = service.run("for (let i = 0; i < 2000; i++) console.log(String(i).padStart(99, '-'))")
    assert record["status"] == "Completed" and record["stdout_truncated"] is False
    lines = record["stdout"].splitlines()
    assert len(lines) == 2000 and lines[0].endswith("-0") and lines[-1].endswith("1999")


def test_binary_garbage_is_stored_and_returned_as_valid_text(service: RunningStack) -> None:
    record = service.run(
        "let s = ''; for (let i = 0; i < 65536; i++) s += String.fromCharCode(i);"
        "console.error(s); console.log('\\u0000\\udfff\\ud800\\x1b[2J'); 'end\\u0000'")
    assert record["status"] == "Completed"
    assert "\x00" not in record["stdout"] and "\x00" not in record["result"]
    assert record["result"] == "end\ufffd"
    assert record["stdout"].endswith("\ufffd\ufffd\ufffd\x1b[2J\n")
