"""The embedded stand-ins for a machine with no Docker and no AWS account: a real PostgreSQL
server from the ``pgserver`` wheel, and moto's AWS endpoint in server mode (a real HTTP endpoint,
spoken to with boto3 exactly as AWS or LocalStack would be)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from chalicelib.constants import PROJECT_ROOT
from chalicelib.logs import get_logger
from chalicelib.sandbox import die_with_parent

log = get_logger("launcher")


def stop_process(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_s``; reaped either way."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers at all (any HTTP status)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{url}: the server exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout_s} s") from None
            time.sleep(0.1)


def start_postgres(data_dir: Path, stop_with_last_handle: bool = True) -> tuple[object, str]:
    """Start (or join) the embedded PostgreSQL whose data lives in ``data_dir``.

    Returns the server handle (keep it alive: by default the server stops when the last process
    holding a handle exits) and its URL (a Unix socket in the data directory; no TCP).
    """
    import pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop" if stop_with_last_handle else None)
    return server, server.get_uri()


def stop_postgres(data_dir: Path, mode: str = "fast") -> None:
    """Stop the embedded PostgreSQL of ``data_dir`` (``mode``: fast, or immediate to cut it), if
    it is running."""
    import pgserver

    if not (data_dir / "postmaster.pid").exists():
        return

    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs it as that user under root
    pgserver.pg_ctl(["-m", mode, "-w", "stop"], pgdata=data_dir, user=user)


class MotoServer:
    """moto's AWS endpoint in server mode (infra/moto_server.py), a child on a loopback port."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.moto_server", "-H", self.host, "-p", str(self.port)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops this in order
            preexec_fn=die_with_parent)  # and a killed launcher leaves no endpoint behind
        wait_for_http(self.url + "/moto-api/", timeout_s, self.process)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process:
            stop_process(self.process)
