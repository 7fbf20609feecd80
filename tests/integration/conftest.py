"""The integration fixtures: the whole local stack, once on the embedded endpoint (moto server,
embedded Postgres) and once on a real LocalStack started without Docker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.embedded import free_port
from infra.local.localstack import LocalStackServer
from tests.conftest import create_database
from tests.support.stack import RunningStack, stack_environment


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackServer]:
    server = LocalStackServer(port=free_port(), volume_dir=tmp_path_factory.mktemp("localstack"))
    server.start()
    yield server
    server.stop()


BACKENDS = ["embedded", pytest.param("localstack", marks=pytest.mark.localstack), "lambda-like"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def stack(backend: str, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack under test. Embedded: all defaults (its own pgserver, moto server).
    LocalStack: AWS_ENDPOINT_URL at LocalStack, DATABASE_URL at a fresh test database.
    Lambda-like: the embedded backends outside, the launcher inside the Lambda-like harness."""
    data_dir = tmp_path_factory.mktemp(f"stack-{backend}")
    if backend == "lambda-like":
        # Inside the Lambda-like harness (tests/lambda_like), Postgres and SQS outside it.
        database_url = create_database(request.getfixturevalue("postgres_server_url"))
        running = request.getfixturevalue("lambda_like").stack(database_url).start()
        yield running
        running.stop()
        return
    if backend == "embedded":
        env = stack_environment()
    else:
        localstack: LocalStackServer = request.getfixturevalue("localstack")
        database_url = create_database(request.getfixturevalue("postgres_server_url"))
        env = stack_environment(AWS_ENDPOINT_URL=localstack.url, DATABASE_URL=database_url)
    running = RunningStack(data_dir, env).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def sqs(stack: RunningStack, backend: str, request: pytest.FixtureRequest) -> Any:
    """An SQS client on the stack's endpoint (through localstack-client for LocalStack)."""
    if backend == "localstack":
        return request.getfixturevalue("localstack").session().client("sqs")
    import boto3

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1")
    return session.client("sqs", endpoint_url=stack.info["aws_endpoint_url"])
