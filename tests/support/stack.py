"""Drive the real local stack (`python -m infra.local.launcher`) as a child process, over HTTP.

The integration tests, the fault tests, the load test and the benchmark all use it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from chalicelib.constants import PROJECT_ROOT
from infra.local.embedded import free_port

TERMINAL = {"Completed", "Failed", "Timeout"}


def log_events(text: str, message: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    """The service's JSON log lines in ``text`` (other lines skipped), those with ``message``
    and ``fields`` if given."""
    found = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if message is not None and event.get("message") != message:
            continue
        if all(event.get(key) == value for key, value in fields.items()):
            found.append(event)
    return found
POLL_INTERVAL_S = 0.05


class RunningStack:
    """One launcher process: start it, wait for its ready line, talk to it, stop it."""

    def __init__(self, data_dir: Path, env: dict[str, str], port: int | None = None,
                 prefix: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env
        self.prefix = prefix or []  # a command to run the launcher under (tests/lambda_like)
        self.port = port or free_port()
        self.log_path = data_dir / f"stack-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.info: dict[str, Any] = {}
        self.http = requests.Session()

    def start(self, timeout_s: float = 90) -> RunningStack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "infra.local.launcher", "--port", str(self.port),
                 "--data-dir", str(self.data_dir)],
                cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            for line in self.log_path.read_bytes()[offset:].decode(errors="replace").splitlines():
                if '"stack_ready"' in line and log_events(line, "stack_ready"):
                    self.info = json.loads(line)
                    return self
            if self.process.poll() is not None:
                raise RuntimeError(f"the stack exited with {self.process.returncode}:\n{self.logs()[-4000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"the stack was not ready in {timeout_s} s:\n{self.logs()[-4000:]}")
            time.sleep(0.1)

    def stop(self, timeout_s: float = 30) -> int | None:
        """Ctrl-C's path: SIGTERM, wait for a clean exit; returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self._launcher_pid(), signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def _launcher_pid(self) -> int:
        """The launcher's pid: the process itself, or under a prefix (which waits for the
        launcher and does not pass signals on) its child."""
        assert self.process is not None
        if self.prefix:
            try:
                path = f"/proc/{self.process.pid}/task/{self.process.pid}/children"
                with open(path) as children:
                    return int(children.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the launcher (under a prefix too: its end ends everything it started)."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._launcher_pid(), signal.SIGKILL)
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self, message: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """The stack's log lines with ``message`` and ``fields`` (see ``log_events``)."""
        return log_events(self.logs(), message, **fields)

    # ---- HTTP ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, payload: Any, path: str = "/submission", **kwargs: Any) -> requests.Response:
        if isinstance(payload, (bytes, str)):
            kwargs.setdefault("headers", {"Content-Type": "application/json"})
            return self.http.post(self.url + path, data=payload, timeout=10, **kwargs)
        return self.http.post(self.url + path, json=payload, timeout=10, **kwargs)

    def get(self, submission_id: str, path: str = "/submission/") -> requests.Response:
        return self.http.get(self.url + path + submission_id, timeout=10)

    def submit(self, code: str, **fields: Any) -> str:
        response = self.post({"code": code, "language": "JavaScript", **fields})
        assert response.status_code == 202, response.text
        return response.json()["submission_id"]

    def wait(self, submission_id: str, timeout_s: float = 30) -> dict[str, Any]:
        """Poll until the submission is terminal; return its record."""
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.get(submission_id).json()
            if isinstance(body, dict) and body.get("status") in TERMINAL:
                return body
            assert body in ("Pending", "Running"), body
            if time.monotonic() > deadline:
                raise TimeoutError(f"{submission_id} still {body} after {timeout_s} s")
            time.sleep(POLL_INTERVAL_S)

    def run(self, code: str, timeout_s: float = 30) -> dict[str, Any]:
        return self.wait(self.submit(code), timeout_s)

    def run_many(self, programs: dict[str, str], timeout_s: float = 60) -> dict[str, dict[str, Any]]:
        """Submit every program first (so they queue and run concurrently), then collect each
        record, by name."""
        ids = {name: self.submit(code) for name, code in programs.items()}
        return {name: self.wait(sid, timeout_s) for name, sid in ids.items()}


def service_environment(**overrides: str) -> dict[str, str]:
    """The caller's environment minus anything that would point a stack at other backends, with
    local AWS credentials; ``overrides`` win. The service's own defaults apply, as in `make run`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "AWS_ENDPOINT_URL", "PORT")}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1", "PYTHONUNBUFFERED": "1"})
    env.update(overrides)
    return env


def stack_environment(**overrides: str) -> dict[str, str]:
    """A stack for tests: fast retries, short worker timeouts, small batches."""
    return service_environment(**{"WORKER_TIMEOUT_S": "8", "WORKER_BATCH_SIZE": "2",
                                  "WORKER_CONCURRENCY": "2", "RETRY_DELAY_S": "1", **overrides})
