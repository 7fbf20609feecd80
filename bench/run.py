"""`make bench`: end-to-end speed of the local stack, against the physical floor measured in the
same run (this machine is shared: absolute times drift, ratios much less).

    floor        median wall time of one sandboxed spawn of the bundled node on an empty program,
                 from Python, with the sandbox's flags, limits and user; and the throughput of two
                 parallel lanes of such spawns (the machine has two cores); measured before and
                 after the stack's runs, and averaged
    latency      one client: POST `2 + 2`, poll every POLL_INTERVAL_MS until terminal; p50/p95/p99,
                 and the split by stage from the timestamps the service records
    throughput   a burst of N submissions from several clients; completed per second (checked in
                 rounds every THROUGHPUT_ROUND_MS, oldest first)
    mix          CPU-bound (~50 ms), console-heavy and time-limit programs together: the latency of
                 each kind, to see one slow submission's effect on the others
    tests        one submission of TESTS quick tests, POST to completed, against TESTS separate
                 submissions sent at once (target: within 1.2 x the burst)
    wait         POST then one GET ?wait=, against polling every POLL_INTERVAL_MS (p50 of each)

BENCH_N scales the run (default 300 latency samples and a 2 x N burst). Writes bench/results.json.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from chalicelib.config import load_config
from chalicelib.constants import PROJECT_ROOT
from chalicelib.domain import Limits
from chalicelib.sandbox import NodeSandbox
from infra.local.embedded import stop_postgres
from tests.support.stack import TERMINAL, RunningStack, service_environment

POLL_INTERVAL_MS = 5
THROUGHPUT_ROUND_MS = 50
RESULTS = PROJECT_ROOT / "bench" / "results.json"
EMPTY_PROGRAM = PROJECT_ROOT / "bench" / "empty.js"
BENCH_ENV: dict[str, str] = {}  # the stack as `make run` starts it
MIX = {
    "quick": "2 + 2",
    "cpu ~50 ms": "let x = 0; for (let i = 0; i < 3e6; i++) x = (x + i * i) % 1000003; x",
    "console-heavy": "for (let i = 0; i < 3000; i++) console.log('line', i, { i }); 'done'",
    "time limit": "while (true) {}",
}
MIX_COUNTS = {"quick": 30, "cpu ~50 ms": 15, "console-heavy": 15, "time limit": 2}
TESTS = 50
QUICK_TEST = "console.log(+require('fs').readFileSync(0, 'utf8') * 2)"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# ---- floor ------------------------------------------------------------------------------------
def floor_sandbox() -> NodeSandbox:
    """The real driver (flags, rlimits, user, fresh directory, group kill) on an empty program
    file instead of the harness: the cost of a sandboxed Node process and nothing else."""
    config = load_config()
    return NodeSandbox(config.node_path, EMPTY_PROGRAM, exec_helper=config.exec_helper_path)


def spawn_ms(sandbox: NodeSandbox, limits: Limits) -> float:
    started = time.perf_counter()
    sandbox.run("", limits)
    return (time.perf_counter() - started) * 1000


def measure_floor(samples: int) -> tuple[float, float]:
    """(median spawn ms, spawns per second over two parallel lanes)."""
    sandbox = floor_sandbox()
    config = load_config()
    limits = Limits(config.time_limit_ms, config.memory_limit_mb, config.output_limit_bytes)
    for _ in range(3):
        spawn_ms(sandbox, limits)  # warm the page cache
    median = statistics.median(spawn_ms(sandbox, limits) for _ in range(samples))
    per_lane = max(samples // 2, 10)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: [spawn_ms(sandbox, limits) for _ in range(per_lane)], range(2)))
    return median, 2 * per_lane / (time.perf_counter() - started)


# ---- against the stack ------------------------------------------------------------------------
class Client:
    """A keep-alive HTTP/1.1 client on the standard library: the load generator shares the two
    cores with the service, so it should cost as little as it can (requests costs more)."""

    def __init__(self, url: str) -> None:
        parsed = urlsplit(url)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)


def submit(client: Client, code: str, **fields: Any) -> str:
    return client.call("POST", "/submission", {"code": code, **fields})["submission_id"]


def status(client: Client, sid: str) -> Any:
    return client.call("GET", f"/submission/{sid}")


def wait_terminal(client: Client, sid: str) -> dict[str, Any]:
    while True:
        body = status(client, sid)
        if isinstance(body, dict) and body["status"] in TERMINAL:
            return body
        time.sleep(POLL_INTERVAL_MS / 1000)


def timed_run(client: Client, code: str) -> tuple[str, float]:
    """(submission id, ms from POST to the first GET that shows it terminal)."""
    started = time.perf_counter()
    sid = submit(client, code)
    wait_terminal(client, sid)
    return sid, (time.perf_counter() - started) * 1000


def stage_split(database_url: str, ids: list[str]) -> dict[str, float]:
    """Median ms per stage, from the service's own timestamps."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM queued_at - created_at) * 1000,"
            " extract(epoch FROM started_at - created_at) * 1000,"
            " duration_ms,"
            " extract(epoch FROM finished_at - started_at) * 1000 - duration_ms"
            " FROM submissions WHERE submission_id = ANY(%s::uuid[])", (ids,)).fetchall()
    # The API records the send after SQS answers, by which time a worker may have claimed it:
    # hence "insert to claim" rather than a queue wait of its own.
    names = ("API: insert to message sent and recorded", "insert to claim by a worker",
             "run: program handed over to exit", "worker: claim to result written, minus run")
    return {name: round(statistics.median(float(r[i]) for r in rows), 1)
            for i, name in enumerate(names)}


def measure_latency(stack: RunningStack, samples: int) -> tuple[list[float], dict[str, float]]:
    client = Client(stack.url)
    for _ in range(5):
        timed_run(client, "2 + 2")  # warm connections and pools
    results = [timed_run(client, "2 + 2") for _ in range(samples)]
    split = stage_split(stack.info["database_url"], [sid for sid, _ in results])
    return [ms for _, ms in results], split


def per_thread_client(url: str) -> Callable[[], Client]:
    local = threading.local()

    def client() -> Client:
        if not hasattr(local, "client"):
            local.client = Client(url)
        return local.client

    return client


def measure_throughput(stack: RunningStack, count: int, clients: int = 8) -> float:
    """Submissions completed per second, from the first POST until every one is terminal.

    The clients only submit; one checker then goes over the unfinished ids in rounds every
    THROUGHPUT_ROUND_MS, so that checking does not eat the CPU the service needs."""
    client = per_thread_client(stack.url)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        pending = list(pool.map(lambda _: submit(client(), "2 + 2"), range(count)))
    checker = Client(stack.url)
    while pending:
        time.sleep(THROUGHPUT_ROUND_MS / 1000)
        while pending:  # they finish roughly in order: stop at the first unfinished one
            body = status(checker, pending[0])
            if not (isinstance(body, dict) and body["status"] in TERMINAL):
                break
            pending.pop(0)
    return count / (time.perf_counter() - started)


def measure_mix(stack: RunningStack) -> dict[str, dict[str, float]]:
    programs = [(kind, MIX[kind]) for kind, n in MIX_COUNTS.items() for _ in range(n)]
    programs = programs[::2] + programs[1::2]  # interleave the kinds
    client = per_thread_client(stack.url)
    with ThreadPoolExecutor(4) as pool:
        timings = list(pool.map(lambda item: (item[0], timed_run(client(), item[1])[1]), programs))
    return {kind: {"n": sum(1 for k, _ in timings if k == kind),
                   "p50_ms": round(percentile([ms for k, ms in timings if k == kind], 50), 1),
                   "max_ms": round(max(ms for k, ms in timings if k == kind), 1)}
            for kind in MIX}


def measure_tests_against_a_burst(stack: RunningStack, count: int = TESTS) -> tuple[float, float]:
    """(ms for one submission of ``count`` tests, ms for ``count`` submissions sent at once),
    each from the first POST until everything is finished; the burst first, then the tests."""
    client = per_thread_client(stack.url)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: submit(client(), QUICK_TEST, stdin=str(n)), range(count)))
    checker = Client(stack.url)
    for sid in ids:
        wait_terminal(checker, sid)
    burst_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    sid = submit(checker, QUICK_TEST, tests=[{"stdin": str(n), "expected_output": str(2 * n)}
                                             for n in range(count)])
    record = wait_terminal(checker, sid)
    tests_ms = (time.perf_counter() - started) * 1000
    assert record["verdict"] == "accepted", record
    return tests_ms, burst_ms


def measure_wait(stack: RunningStack, samples: int) -> list[float]:
    """ms from POST to the answer of one GET ?wait=5, per sample."""
    client = Client(stack.url)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        sid = submit(client, "2 + 2")
        body = client.call("GET", f"/submission/{sid}?wait=5")
        assert isinstance(body, dict) and body["status"] in TERMINAL, body
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run(samples: int) -> dict[str, Any]:
    floor_samples = max(samples // 3, 30)
    floor_ms, spawn_before = measure_floor(floor_samples)
    data_dir = Path(tempfile.mkdtemp(prefix="evaluator-bench-"))
    stack = RunningStack(data_dir, service_environment(**BENCH_ENV))
    try:
        stack.start()
        latencies, split = measure_latency(stack, samples)
        throughput = measure_throughput(stack, 2 * samples)
        mix = measure_mix(stack)
        tests_ms, burst_ms = measure_tests_against_a_burst(stack)
        waits = measure_wait(stack, max(samples // 3, 30))
    finally:
        stack.stop()
        stop_postgres(data_dir / "pg")
    # The machine is shared: take the spawn baseline on both sides of the stack's runs.
    floor_after, spawn_after = measure_floor(floor_samples)
    floor_ms = statistics.median([floor_ms, floor_after])
    spawn_per_s = (spawn_before + spawn_after) / 2
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    return {
        "machine": f"{os.cpu_count()} cores, {os.uname().machine}, Python {sys.version.split()[0]}",
        "samples": samples, "poll_interval_ms": POLL_INTERVAL_MS,
        "spawn_floor_ms": round(floor_ms, 1), "spawn_throughput_per_s": round(spawn_per_s, 1),
        "spawn_throughput_before_after_per_s": [round(spawn_before, 1), round(spawn_after, 1)],
        "latency_p50_ms": round(p50, 1), "latency_p95_ms": round(p95, 1),
        "latency_p99_ms": round(p99, 1), "throughput_per_s": round(throughput, 1),
        "latency_p50_ratio": round(p50 / floor_ms, 2), "latency_p99_ratio": round(p99 / floor_ms, 2),
        "throughput_ratio": round(throughput / spawn_per_s, 2),
        "stages_median_ms": split, "mix": mix,
        "tests": TESTS, "tests_ms": round(tests_ms, 1), "burst_ms": round(burst_ms, 1),
        "tests_ratio": round(tests_ms / burst_ms, 2),
        "wait_p50_ms": round(percentile(waits, 50), 1),
        "wait_p50_ratio": round(percentile(waits, 50) / p50, 2),
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        ("spawn floor (median)", f"{results['spawn_floor_ms']} ms"),
        ("spawn throughput, 2 lanes", f"{results['spawn_throughput_per_s']} /s (before, after: "
                                      f"{results['spawn_throughput_before_after_per_s']})"),
        ("latency p50 / p95 / p99", f"{results['latency_p50_ms']} / {results['latency_p95_ms']} / "
                                    f"{results['latency_p99_ms']} ms"),
        ("throughput", f"{results['throughput_per_s']} /s"),
        ("latency p50 / floor", f"{results['latency_p50_ratio']}  (target <= 2.0)"),
        ("latency p99 / floor", f"{results['latency_p99_ratio']}  (target <= 4.0)"),
        ("throughput / spawn throughput", f"{results['throughput_ratio']}  (target >= 0.7)"),
        (f"{results['tests']} tests in one submission", f"{results['tests_ms']} ms"),
        (f"{results['tests']} submissions at once", f"{results['burst_ms']} ms"),
        ("tests / burst", f"{results['tests_ratio']}  (target <= 1.2)"),
        ("latency p50 with ?wait=", f"{results['wait_p50_ms']} ms"),
        ("?wait= p50 / polling p50", f"{results['wait_p50_ratio']}"),
    ]
    rows += [(f"  stage: {k}", f"{v} ms") for k, v in results["stages_median_ms"].items()]
    rows += [(f"  mix: {k}", f"p50 {v['p50_ms']} ms, max {v['max_ms']} ms (n={v['n']})")
             for k, v in results["mix"].items()]
    width = max(len(name) for name, _ in rows)
    lines = [f"{results['machine']}; {results['samples']} samples; polling every "
             f"{results['poll_interval_ms']} ms"]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    samples = int(os.environ.get("BENCH_N", "300"))
    results = run(samples)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\n(wrote {RESULTS})")


if __name__ == "__main__":
    main()
