"""Shared fixtures: a real PostgreSQL database per test session, configuration, the sandbox."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo

from chalicelib.config import Config, load_config
from chalicelib.domain import Limits
from chalicelib.sandbox import NodeSandbox
from infra.database.migrate import apply_migrations
from infra.local.embedded import MotoServer, start_postgres
from tests.support.lambda_like import LambdaLike, PostgresOverTcp
from tests.support.lambda_like import available as lambda_like_available
from tests.support.stack import RunningStack, stack_environment

# Values the service's environment holds in the tests; no run may ever show them (issue #3).
FAKE_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "fake-secret-key-6f1d2c",
    "AWS_SESSION_TOKEN": "fake-session-token-9a7b3e",
}


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server: TEST_DATABASE_URL's when set, else an embedded one (pgserver)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    server, url = start_postgres(tmp_path_factory.mktemp("pg") / "data")
    yield url
    server.cleanup()


def create_database(server_url: str) -> str:
    """A new, empty, migrated database on ``server_url``; returns its URL."""
    name = f"evaluator_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = conninfo.make_conninfo(server_url, dbname=name)
    apply_migrations(url)
    return url


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str) -> str:
    return create_database(postgres_server_url)


@dataclass
class LambdaLikeBackends:
    """What a Lambda-like stack needs from outside its namespaces: the jail, the database over
    TCP and the SQS endpoint (tests/lambda_like)."""

    jail: LambdaLike
    postgres: PostgresOverTcp
    moto: MotoServer

    def stack(self, database_url: str, **env: str) -> RunningStack:
        """A launcher inside the jail, on a database of the embedded server (``database_url``
        as create_database made it, reached over TCP instead)."""
        info = conninfo.conninfo_to_dict(database_url)
        url = conninfo.make_conninfo(self.postgres.url(info["dbname"]), password=info.get("password"))
        # Stacks share the SQS endpoint, as they share the server: each needs queues of its own.
        queue = f"evaluator-{uuid.uuid4().hex[:12]}"
        environ = stack_environment(DATABASE_URL=url, AWS_ENDPOINT_URL=self.moto.url,
                                    SUBMISSIONS_QUEUE=queue, SUBMISSIONS_DLQ=f"{queue}-dlq",
                                    **self.jail.environment(), **env)
        return RunningStack(self.jail.tmp, environ, prefix=self.jail.command())


@pytest.fixture(scope="session")
def lambda_like(postgres_server_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaLikeBackends]:
    why_not = lambda_like_available()
    if why_not is not None:
        pytest.skip(why_not)
    jail = LambdaLike(tmp_path_factory.mktemp("lambda-like"))
    postgres = PostgresOverTcp(postgres_server_url)
    moto = MotoServer().start()
    yield LambdaLikeBackends(jail, postgres, moto)
    moto.stop()
    postgres.close()
    jail.cleanup()


def make_config(**overrides: str) -> Config:
    environ = {"DATABASE_URL": "", "AWS_DEFAULT_REGION": "us-east-1", "RETRY_DELAY_S": "1",
               "WORKER_TIMEOUT_S": "8", "WORKER_BATCH_SIZE": "2"}
    environ.update(overrides)
    return load_config(environ)


@pytest.fixture(scope="session")
def config(database_url: str) -> Config:
    return make_config(DATABASE_URL=database_url)


@pytest.fixture(scope="session")
def sandbox(config: Config, tmp_path_factory: pytest.TempPathFactory) -> NodeSandbox:
    sandbox = NodeSandbox(config.node_path, config.harness_path,
                          work_root=tmp_path_factory.mktemp("runs"), exec_helper=config.exec_helper_path)
    sandbox.check()  # `make test` fetches the pinned Node; without it every run test would fail
    return sandbox


@pytest.fixture(scope="session")
def limits(config: Config) -> Limits:
    return Limits(config.time_limit_ms, config.memory_limit_mb, config.output_limit_bytes)


@pytest.fixture
def work_root(sandbox: NodeSandbox) -> Path:
    return Path(str(sandbox.work_root))
