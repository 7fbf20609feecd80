"""Wiring the service to its backends: a misconfiguration is loud, an outage is a 503.

Against real parts: a PostgreSQL that checks passwords (scram-sha-256), Secrets Manager on moto's
server (real HTTP), and the app imported as a Lambda cold start imports it. A rotated secret is
read again after the server refuses the old password; credentials refused even then, a secret
that cannot be read or parsed, a bad variable: each stops the cold start, or answers 500 saying
the service is misconfigured; only a backend that cannot be reached is "retry shortly".
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.exceptions
import psycopg
import pytest
from chalice.test import Client
from psycopg import conninfo

from chalicelib import resources
from chalicelib.config import load_config
from chalicelib.constants import PROJECT_ROOT
from chalicelib.errors import Misconfigured, StoreUnavailable
from chalicelib.postgres_store import PostgresStore
from chalicelib.resources import DatabaseCredentials, aws_failure, build_evaluator
from infra.database.migrate import apply_migrations
from infra.local.embedded import MotoServer, free_port, start_postgres

AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class PasswordPostgres:
    superuser_url: str

    def app_url(self, password: str) -> str:
        return conninfo.make_conninfo(self.superuser_url, user="app", password=password)

    def set_password(self, password: str) -> None:
        with psycopg.connect(self.superuser_url, autocommit=True) as conn:
            conn.execute(f"ALTER ROLE app PASSWORD '{password}'")
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE usename = 'app'")


@pytest.fixture(scope="module")
def password_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasswordPostgres]:
    """A server of its own whose pg_hba demands a password of every user but the superuser."""
    server, url = start_postgres(tmp_path_factory.mktemp("pg-password") / "data")
    apply_migrations(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE ROLE app LOGIN PASSWORD 'first-password'")
        conn.execute("GRANT ALL ON submissions TO app")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
        conn.execute("SELECT pg_reload_conf()")
    yield PasswordPostgres(url)
    server.cleanup()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto: MotoServer) -> dict[str, str]:
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    return {**AWS, "AWS_ENDPOINT_URL": moto.url}


def secret(moto: MotoServer, name: str, value: str) -> str:
    client = boto3.session.Session(**{k.lower(): v for k, v in AWS.items() if "KEY" in k},
                                   region_name="us-east-1").client(
        "secretsmanager", endpoint_url=moto.url)
    try:
        return client.create_secret(Name=name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=value)
        return client.describe_secret(SecretId=name)["ARN"]


# ---- the password, rotated ----------------------------------------------------------------------
def test_a_rotated_secret_is_read_again_after_the_server_refuses_the_old_one(
        password_postgres: PasswordPostgres, moto: MotoServer, aws_env: dict[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    name = "evaluator/test/rotated"
    arn = secret(moto, name, json.dumps({"url": password_postgres.app_url("first-password")}))
    config = load_config({**aws_env, "DATABASE_SECRET_ARN": arn})
    credentials = DatabaseCredentials(config)
    store = PostgresStore.connect(credentials, 1, timeout_s=8, on_auth_failure=credentials.refused)
    try:
        store.ping()
        # Rotation: the password changes, the secret follows, the open connection is dropped.
        password_postgres.set_password("second-password")
        secret(moto, name, json.dumps({"url": password_postgres.app_url("second-password")}))
        with caplog.at_level(logging.WARNING, logger="evaluator"):
            store.ping()  # the old password is refused once; the secret is read again; it works
        assert [r for r in caplog.records
                if r.getMessage() == "database_credentials_refused_reading_again"]
        assert "second-password" in credentials()
    finally:
        store.close()
        password_postgres.set_password("first-password")


def test_credentials_refused_even_after_reading_them_again_are_a_misconfiguration(
        password_postgres: PasswordPostgres) -> None:
    store = PostgresStore.connect(password_postgres.app_url("wrong-password"), 1, timeout_s=4)
    try:
        with pytest.raises(Misconfigured, match=r"refused the credentials.*password authentication"):
            store.ping()
    finally:
        store.close()


def test_a_store_whose_server_is_down_is_an_outage_not_a_misconfiguration() -> None:
    store = PostgresStore.connect(f"postgresql://app:pw@127.0.0.1:{free_port()}/x", 1, timeout_s=2)
    try:
        with pytest.raises(StoreUnavailable, match="database unavailable"):
            store.ping()
    finally:
        store.close()


# ---- the secret, unreadable ---------------------------------------------------------------------
def test_a_secret_that_does_not_exist_is_a_misconfiguration(moto: MotoServer,
                                                            aws_env: dict[str, str]) -> None:
    config = load_config({**aws_env, "DATABASE_SECRET_ARN": "evaluator/test/never-created"})
    with pytest.raises(Misconfigured, match="ResourceNotFoundException"):
        build_evaluator(config)


def test_a_secret_that_is_not_a_database_is_a_misconfiguration(moto: MotoServer,
                                                               aws_env: dict[str, str]) -> None:
    arn = secret(moto, "evaluator/test/garbled", "host=db password=x")
    with pytest.raises(Misconfigured, match="neither"):
        build_evaluator(load_config({**aws_env, "DATABASE_SECRET_ARN": arn}))


def test_secrets_manager_out_of_reach_is_an_outage(aws_env: dict[str, str]) -> None:
    config = load_config({**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                          "DATABASE_SECRET_ARN": "evaluator/test/any"})
    with pytest.raises(StoreUnavailable, match="reading the database secret"):
        build_evaluator(config)


@pytest.mark.parametrize(("error", "kind"), [
    (botocore.exceptions.ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"},
                                      "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetSecretValue"),
     Misconfigured),
    (botocore.exceptions.ClientError({"Error": {"Code": "ThrottlingException"},
                                      "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetSecretValue"),
     StoreUnavailable),
    (botocore.exceptions.ClientError({"Error": {"Code": "InternalServiceError"},
                                      "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetSecretValue"),
     StoreUnavailable),
    (botocore.exceptions.EndpointConnectionError(endpoint_url="https://x"), StoreUnavailable),
    (botocore.exceptions.NoCredentialsError(), Misconfigured),
])
def test_aws_failures_are_told_apart(error: Exception, kind: type) -> None:
    assert isinstance(aws_failure("reading the database secret", error), kind)


# ---- the API and the cold start --------------------------------------------------------------
def test_a_misconfigured_store_answers_500_saying_so(password_postgres: PasswordPostgres) -> None:
    import app

    evaluator = resources.build_evaluator(load_config({
        "DATABASE_URL": password_postgres.app_url("wrong-password"), "DB_TIMEOUT_S": "3",
        "WARM_RUNNERS": "0"}))
    resources.install(evaluator)
    try:
        with Client(app.app, stage_name="local") as client:
            response = client.http.post("/submission", headers={"Content-Type": "application/json"},
                                        body=json.dumps({"code": "1"}))
        assert response.status_code == 500
        assert json.loads(response.body) == {
            "error": "the service is misconfigured; its operators must fix it"}
    finally:
        resources.install(None)
        evaluator.store.close()


def cold_start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``import app`` in a fresh interpreter, as Lambda's init does, with ``env`` only."""
    return subprocess.run([sys.executable, "-c", "import app"], cwd=PROJECT_ROOT, text=True,
                          capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "AWS_LAMBDA_FUNCTION_NAME": "evaluator-api",
                               **env})


def test_a_bad_variable_fails_the_cold_start_naming_it() -> None:
    result = cold_start({"TIME_LIMIT_MS": "soon", "DATABASE_URL": "postgresql://x@127.0.0.1/x"})
    assert result.returncode != 0 and "ConfigError: TIME_LIMIT_MS='soon'" in result.stderr


def test_a_missing_secret_fails_the_cold_start(moto: MotoServer) -> None:
    result = cold_start({**AWS, "AWS_ENDPOINT_URL": moto.url,
                         "DATABASE_SECRET_ARN": "evaluator/test/never-created"})
    assert result.returncode != 0
    assert "Misconfigured: reading the database secret: ResourceNotFoundException" in result.stderr


def test_an_unreachable_backend_does_not_fail_the_cold_start() -> None:
    result = cold_start({**AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                         "DATABASE_SECRET_ARN": "evaluator/test/any"})
    assert result.returncode == 0, result.stderr
    assert '"message":"cold_start_backend_unreachable"' in result.stdout
