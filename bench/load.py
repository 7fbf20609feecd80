"""Load with a crash: a burst of submissions over HTTP, the whole stack SIGKILLed and restarted in
the middle, then a count of what became of every submission.

    python -m bench.load                 # make load: 2,000 submissions
    python -m bench.load --n 200         # smaller

Figures: submissions accepted, terminal, lost (accepted, never terminal), duplicated (a result
written more than once, from the workers' logs), rows nobody was told about (requests cut by the
kill that still reached the database: they must end terminal too), and wall time.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
import requests

from infra.local.embedded import stop_postgres
from tests.support.stack import TERMINAL, RunningStack, log_events, service_environment

# Recovery settings for a crash test: a stale submission is re-sent after 5 s.
LOAD_ENV = {"WORKER_TIMEOUT_S": "20", "REQUEUE_AFTER_S": "5", "SWEEP_INTERVAL_S": "2",
            "RETRY_DELAY_S": "2", "LOG_LEVEL": "INFO"}


@dataclass
class LoadReport:
    submissions: int
    accepted: int
    terminal: int
    lost: int
    stuck: int
    duplicated: int
    unacknowledged_rows: int
    unacknowledged_terminal: int
    completed: int
    wrong_results: int
    restarts: int
    wall_time_s: float


def program(n: int) -> str:
    return f"let x = 0; for (let i = 0; i < 20000; i++) x += i % 7; {n} * 2"


class Client:
    """Submits programs; on a refused connection (the stack is down) it waits and tries again.
    A request cut after it was sent is not retried: its fate is unknown to the client, exactly
    as for a real caller, and the report counts such rows separately."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.accepted: dict[str, int] = {}
        self.lock = threading.Lock()

    def submit(self, n: int) -> None:
        session = requests.Session()
        while True:
            try:
                response = session.post(self.stack.url + "/submission",
                                        json={"code": program(n)}, timeout=30)
            except requests.ConnectionError as exc:
                if "refused" in str(exc):  # nothing was sent: the stack is down, try again
                    time.sleep(0.2)
                    continue
                return  # cut mid-request: unknown fate
            except requests.Timeout:
                return
            if response.status_code == 202:
                with self.lock:
                    self.accepted[response.json()["submission_id"]] = n
                return
            time.sleep(0.2)  # 503 while the stack restarts: try again


def run(n: int = 2000, clients: int = 8, restart_at: float = 0.5, timeout_s: float = 600,
        data_dir: Path | None = None, log=print) -> LoadReport:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="evaluator-load-"))
    env = service_environment(**LOAD_ENV)
    stack = RunningStack(data_dir, env)
    client = Client(stack)
    started = time.monotonic()
    restarted = threading.Event()
    logs: list[str] = []

    def restart_midway() -> None:
        while len(client.accepted) < n * restart_at:
            time.sleep(0.05)
        log(f"killing the stack (SIGKILL) after {len(client.accepted)} accepted submissions")
        stack.process.send_signal(signal.SIGKILL)
        stack.process.wait()
        logs.append(stack.logs())
        stack.log_path = data_dir / "stack-after-restart.log"
        stack.start()
        log("stack restarted")
        restarted.set()

    killer = threading.Thread(target=restart_midway, daemon=True)
    try:
        stack.start()
        started = time.monotonic()
        killer.start()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client.submit, range(n)))
        killer.join(timeout_s)
        log(f"{len(client.accepted)} accepted in {time.monotonic() - started:.1f} s; waiting")
        records = wait_terminal(stack, client.accepted, started + timeout_s)
        rows = all_rows(stack.info["database_url"])
    finally:
        logs.append(stack.logs())
        stack.stop()
        stop_postgres(data_dir / "pg")
    wall = time.monotonic() - started

    finished = Counter()
    for text in logs:
        for event in log_events(text, "run_finished"):
            finished[event["submission_id"]] += 1
    unacknowledged = {sid: status for sid, status in rows.items() if sid not in client.accepted}
    terminal = [sid for sid in client.accepted if sid in records]
    return LoadReport(
        submissions=n, accepted=len(client.accepted), terminal=len(terminal),
        lost=len(client.accepted) - len(terminal), stuck=sum(
            1 for status in rows.values() if status not in TERMINAL),
        duplicated=sum(1 for count in finished.values() if count > 1),
        unacknowledged_rows=len(unacknowledged),
        unacknowledged_terminal=sum(1 for s in unacknowledged.values() if s in TERMINAL),
        completed=sum(1 for r in records.values() if r["status"] == "Completed"),
        wrong_results=sum(1 for sid, r in records.items()
                          if r["result"] != str(client.accepted[sid] * 2)),
        restarts=int(restarted.is_set()), wall_time_s=round(wall, 1))


def wait_terminal(stack: RunningStack, ids: dict[str, int], deadline: float) -> dict[str, dict]:
    records: dict[str, dict] = {}
    session = requests.Session()
    while len(records) < len(ids) and time.monotonic() < deadline:
        for sid in list(ids.keys() - records.keys()):
            response = session.get(f"{stack.url}/submission/{sid}", timeout=30)
            body = response.json() if response.status_code == 200 else None
            if isinstance(body, dict) and body["status"] in TERMINAL:
                records[sid] = body
        time.sleep(0.5)
    return records


def all_rows(database_url: str) -> dict[str, str]:
    """Every submission in the database with its status; unfinished rows are 'stuck'."""
    deadline = time.monotonic() + 120
    with psycopg.connect(database_url) as conn:
        while True:  # rows nobody was told about may still be on their way to terminal
            rows = dict(conn.execute("SELECT submission_id::text, status FROM submissions"))
            if all(s in TERMINAL for s in rows.values()) or time.monotonic() > deadline:
                return rows
            conn.commit()
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    report = run(args.n, args.clients, log=lambda m: print(m, file=sys.stderr, flush=True))
    for key, value in asdict(report).items():
        print(f"{key:>24}  {value}")
    print(json.dumps(asdict(report)))
    ok = report.lost == report.stuck == report.duplicated == report.wrong_results == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
