"""LocalStack without Docker: started from its pip package in a virtualenv of its own.

``make localstack`` installs it into ``.venv-localstack`` (``localstack-core==4.13.1`` needs
Python 3.11 here). LocalStack's Lambda service cannot run functions without Docker, so the local
stack drives the handlers with its own poller against LocalStack's SQS, as it does against moto.

    python -m infra.local.localstack          # start one on 127.0.0.1:4566, Ctrl-C stops it
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from chalicelib.constants import PROJECT_ROOT
from infra.local.embedded import port_is_free

VENV_PYTHON = PROJECT_ROOT / ".venv-localstack" / "bin" / "python"
DEFAULT_PORT = 4566


class LocalStackServer:
    """One LocalStack process on a loopback port, started and stopped cleanly."""

    def __init__(self, port: int = DEFAULT_PORT, volume_dir: Path | None = None,
                 python: Path = VENV_PYTHON, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.python = python
        self.volume_dir = volume_dir or Path(tempfile.mkdtemp(prefix="localstack-"))
        self.log_path = self.volume_dir / "localstack.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 90) -> LocalStackServer:
        if not self.python.exists():
            raise RuntimeError(f"LocalStack is not installed at {self.python}; run `make localstack`")
        if not port_is_free(self.port, self.host):
            raise RuntimeError(f"port {self.port} is taken; is another LocalStack running?")
        env = {
            **os.environ,
            "GATEWAY_LISTEN": f"{self.host}:{self.port}",
            "GATEWAY_SERVER": "hypercorn",
            "DNS_ADDRESS": "0",                 # no DNS server of its own
            "LOCALSTACK_VOLUME_DIR": str(self.volume_dir),
            "SKIP_SSL_CERT_DOWNLOAD": "1",      # no internet here; it makes a self-signed one
            "DISABLE_EVENTS": "1",              # no analytics calls home
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-m", "localstack.runtime.main"], env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while b"Ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None:
                raise RuntimeError(f"LocalStack exited with {self.process.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"LocalStack was not ready within {timeout_s} s")
            time.sleep(0.2)
        return self

    def stop(self, grace_s: float = 5) -> None:
        """SIGTERM, then SIGKILL if it ignores that (it sometimes does); the port is free after."""
        if self.process is None or self.process.poll() is not None:
            return
        for signum, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + 10
        while not port_is_free(self.port, self.host) and time.monotonic() < deadline:
            time.sleep(0.1)

    def session(self) -> Any:
        """A boto3 session whose clients all talk to this LocalStack (localstack-client)."""
        from localstack_client.session import Session

        return Session(localstack_host=f"{self.host}:{self.port}", region_name="us-east-1")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run LocalStack without Docker.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    server = LocalStackServer(port=args.port).start()
    print(f"LocalStack ready at {server.url}; run `AWS_ENDPOINT_URL={server.url} make run` "
          "in another terminal. Ctrl-C stops it.", flush=True)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # after the start: children keep them
    try:
        signal.sigwait(stop_signals)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
