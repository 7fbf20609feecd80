"""PgBouncer in transaction mode in front of a test database: the pooling RDS Proxy does, with the
same rule for clients (a server connection is theirs for one transaction only, so a statement
prepared in one is unknown, or already taken, in the next). Debian's package (`make test`
installs it); started on a loopback port, stopped by its process id."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from infra.local.embedded import free_port, stop_process

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> str | None:
    """Why PgBouncer cannot run here, or None."""
    return None if Path(BINARY).exists() else "pgbouncer is not installed (make test installs it)"


class PgBouncer:
    """One PgBouncer forwarding every database to ``host:port`` as ``user``, sharing
    ``pool_size`` server connections per database among all its clients."""

    def __init__(self, host: str, port: int, user: str, pool_size: int = 1) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.dir.chmod(0o777)  # it drops to nobody when started as root
        (self.dir / "pgbouncer.ini").write_text(f"""
[databases]
* = host={host} port={port} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 100
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        command = [BINARY, *(["-u", "nobody"] if os.geteuid() == 0 else []),
                   str(self.dir / "pgbouncer.ini")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        self._wait_ready()

    def url(self, database: str) -> str:
        return f"postgresql://pooled@127.0.0.1:{self.port}/{database}"

    def _wait_ready(self, timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "pgbouncer.log")
                    raise RuntimeError("pgbouncer did not start: " + (
                        log.read_text()[-2000:] if log.exists() else "no log")) from None
                time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)
