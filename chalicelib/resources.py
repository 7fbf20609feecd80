"""One lazy getter per external resource, built once per process (per warm Lambda container).

``get_evaluator()`` wires the configuration, the database, the SQS clients and the sandbox
together. In Lambda, app.py builds it at cold start (``warm_up``): a misconfiguration (a bad
variable, a secret that cannot be read or parsed, a refused permission) then fails the cold start
loudly, while a backend that cannot be reached yet only delays the build to the first request,
which answers 503 until it can. The local launcher and the tests build their own and ``install``
it, so the handlers use exactly the instance they were given, without patching.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import boto3
import botocore.exceptions
from psycopg import conninfo

from chalicelib.config import Config, ConfigError, in_lambda, load_config
from chalicelib.errors import InfrastructureError, Misconfigured, StoreUnavailable
from chalicelib.logs import get_logger
from chalicelib.postgres_store import PostgresStore
from chalicelib.queue import CLIENT_CONFIG, SubmissionQueue, create_sqs_client
from chalicelib.sandbox import NodeSandbox
from chalicelib.service import Evaluator

log = get_logger("resources")
_lock = threading.Lock()
_config: Config | None = None
_evaluator: Evaluator | None = None
# AWS error codes that mean "try again" rather than "this cannot work as configured".
RETRYABLE_AWS_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded",
                       "InternalServiceError", "InternalFailure", "ServiceUnavailable"}


def get_config() -> Config:
    global _config
    with _lock:
        if _config is None:
            _config = load_config()
        return _config


def database_url_from_secret(secret_string: str) -> str:
    """A libpq URL from a Secrets Manager secret: ``{"url": ...}``, or the JSON RDS keeps for a
    managed password (username, password, host, port, dbname).

    Raises:
        Misconfigured: the secret is not one of these.
    """
    try:
        secret = json.loads(secret_string)
        if "url" in secret:
            return str(secret["url"])
        return conninfo.make_conninfo(
            host=secret["host"], port=str(secret.get("port", 5432)), user=secret["username"],
            password=secret["password"], dbname=secret.get("dbname", "postgres"))
    except (ValueError, TypeError, KeyError) as exc:
        raise Misconfigured("the database secret is neither {\"url\": ...} nor RDS's JSON "
                            f"(username, password, host): {type(exc).__name__}") from exc


def aws_failure(what: str, exc: Exception) -> Exception:
    """An AWS call's failure as ours to retry (unreachable, throttled, AWS's own fault) or as a
    misconfiguration (denied, not found, no credentials, a bad parameter)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        if code in RETRYABLE_AWS_CODES or status >= 500:
            return StoreUnavailable(f"{what}: {code or status}")
        return Misconfigured(f"{what}: {code} {exc.response.get('Error', {}).get('Message', '')}")
    if isinstance(exc, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        return StoreUnavailable(f"{what}: {exc}")
    return Misconfigured(f"{what}: {exc}")


class DatabaseCredentials:
    """The database's conninfo: ``DATABASE_URL``, or the secret, read once and read again after
    the server refused it (the secret was rotated). Callable, as the pool wants it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._url: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._url is None:
                self._url = self._read()
            return self._url

    def refused(self) -> None:
        """The server refused these credentials: read them again before the next connection."""
        with self._lock:
            self._url = None
        log.warning("database_credentials_refused_reading_again", extra={
            "secret": self.config.database_secret_arn or "(DATABASE_URL)"})

    def _read(self) -> str:
        if self.config.database_url:
            return self.config.database_url
        if not self.config.database_secret_arn:
            raise Misconfigured("set DATABASE_URL or DATABASE_SECRET_ARN (the local launcher "
                                "sets it for you)")
        client = boto3.session.Session().client(
            "secretsmanager", region_name=self.config.aws_region,
            endpoint_url=self.config.aws_endpoint_url, config=CLIENT_CONFIG)
        try:
            secret = client.get_secret_value(SecretId=self.config.database_secret_arn)
        except Exception as exc:
            raise aws_failure("reading the database secret", exc) from exc
        return database_url_from_secret(secret["SecretString"])


def resolve_database_url(config: Config) -> str:
    """The database URL ``config`` leads to (reads the secret if that is where it is)."""
    return DatabaseCredentials(config)()


def build_evaluator(config: Config) -> Evaluator:
    """Everything the handlers need, from ``config``. Reads the database secret now, so that a
    bad one is found at once."""
    credentials = DatabaseCredentials(config)
    credentials()
    store = PostgresStore.connect(credentials, config.db_pool_size, config.db_timeout_s,
                                  proxy=config.db_proxy, on_auth_failure=credentials.refused)
    client = create_sqs_client(config.aws_region, config.aws_endpoint_url)
    sandbox = NodeSandbox(config.node_path, config.harness_path,
                          exec_helper=config.exec_helper_path)
    evaluator = Evaluator(config, store, SubmissionQueue(client, config.queue_name), sandbox,
                          dead_letters=SubmissionQueue(client, config.dlq_name),
                          callbacks=SubmissionQueue(client, config.callbacks_queue))
    sandbox.keep_warm(evaluator.limits, config.warm_runners)
    return evaluator


def get_evaluator() -> Evaluator:
    """The process's evaluator, built on first use. A backend that cannot be reached surfaces as
    ``InfrastructureError`` (503, retried); anything else as ``Misconfigured``."""
    global _evaluator
    config = get_config()
    with _lock:
        if _evaluator is None:
            _evaluator = _classified(build_evaluator, config)
        return _evaluator


def _classified(build: Callable[[Config], Evaluator], config: Config) -> Evaluator:
    try:
        return build(config)
    except (InfrastructureError, Misconfigured):
        raise
    except ConfigError as exc:
        raise Misconfigured(str(exc)) from exc
    except Exception as exc:
        raise Misconfigured(f"the service could not start: {type(exc).__name__}: {exc}") from exc


def warm_up() -> None:
    """At a Lambda cold start: build the evaluator now. A misconfiguration raises (the cold start
    fails, loudly, and every invocation with it until it is fixed); an unreachable backend is
    logged and left to the first request."""
    if not in_lambda():
        return
    try:
        get_evaluator()
    except InfrastructureError as exc:
        log.warning("cold_start_backend_unreachable", extra={"error": str(exc)})


def install(evaluator: Evaluator | None) -> None:
    """Use ``evaluator`` from now on (None: build one from the environment on next use)."""
    global _evaluator, _config
    with _lock:
        _evaluator = evaluator
        _config = evaluator.config if evaluator else None
