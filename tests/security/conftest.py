"""The hostile-code fixtures: the real service, started with fake secrets in its environment, and
a helper that submits a set of attack programs at once over HTTP and waits for every verdict."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import conninfo

from chalicelib.config import Config
from chalicelib.sandbox import NodeSandbox
from tests.conftest import FAKE_SECRETS, create_database
from tests.support.stack import RunningStack, stack_environment

HERE = Path(__file__).parent
FAKE_DB_PASSWORD = "fake-db-password-4c8e1a"
# Printed by an attack only if it reached something it must not: the tests look for it.
ESCAPED = "ESCAPED"


@pytest.fixture(scope="session")
def service_database_url(postgres_server_url: str) -> str:
    """A real test database, reached through a URL that carries a (fake) password, as a
    production DATABASE_URL would. The embedded server trusts local connections, so it works."""
    return conninfo.make_conninfo(create_database(postgres_server_url), password=FAKE_DB_PASSWORD)


@pytest.fixture(scope="session", params=["as is", "lambda-like"])
def service(tmp_path_factory: pytest.TempPathFactory, service_database_url: str,
            request: pytest.FixtureRequest) -> Iterator[RunningStack]:
    """The whole service, over HTTP, with secrets in its environment that no run may see; once
    as `make run` starts it and once inside the Lambda-like harness (tests/lambda_like: an
    unprivileged user, prctl refused, code and layer read-only, only /tmp writable)."""
    if request.param == "lambda-like":
        running = request.getfixturevalue("lambda_like").stack(service_database_url, **FAKE_SECRETS)
    else:
        env = stack_environment(DATABASE_URL=service_database_url, **FAKE_SECRETS)
        running = RunningStack(tmp_path_factory.mktemp("hostile"), env)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def secrets(service: RunningStack) -> dict[str, str]:
    """Every secret value the service's environment holds."""
    env = service.env
    return {name: env[name] for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")} | {
        "DATABASE_URL": env["DATABASE_URL"], "DATABASE_PASSWORD": FAKE_DB_PASSWORD}


def run_all(service: RunningStack, programs: dict[str, str], timeout_s: float = 60) -> dict[str, dict]:
    """Submit every program first (so they queue and run concurrently), then collect each record."""
    return service.run_many(programs, timeout_s)


@pytest.fixture(scope="session", params=["sandbox-exec", "pre-exec hook"])
def escaped_sandbox(config: Config, tmp_path_factory: pytest.TempPathFactory,
                    request: pytest.FixtureRequest) -> NodeSandbox:
    """The real driver (flags, limits, user, environment, directory) running a program that has
    already escaped the context and holds the host's require and process; once with each of the
    two ways the driver sets limits and identity."""
    helper = config.exec_helper_path if request.param == "sandbox-exec" else None
    sandbox = NodeSandbox(config.node_path, HERE / "escaped_harness.js",
                          work_root=tmp_path_factory.mktemp("escaped-runs"), exec_helper=helper)
    assert (sandbox.exec_helper is not None) == (request.param == "sandbox-exec")
    return sandbox


class Listener:
    """A loopback TCP server and UDP socket that record whether anything reached them."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.contacts: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for sock in (self.tcp, self.udp):
                with contextlib.suppress(TimeoutError, OSError):
                    self.contacts.append(sock.accept() if sock is self.tcp else sock.recvfrom(64))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="session")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()
