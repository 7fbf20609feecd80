"""One lazy getter per external resource, built once per process (per warm Lambda container).

``get_evaluator()`` wires the configuration, the connection pool, the SQS client and the sandbox
together on first use. The local launcher and the tests build their own and ``install`` it, so the
handlers use exactly the instance they were given, without patching.
"""

from __future__ import annotations

import json
import threading

import boto3
from psycopg import conninfo

from chalicelib.config import Config, ConfigError, load_config
from chalicelib.errors import InfrastructureError, StoreUnavailable
from chalicelib.queue import SubmissionQueue, create_sqs_client
from chalicelib.sandbox import NodeSandbox
from chalicelib.service import Evaluator
from chalicelib.store import SubmissionStore, create_pool

_lock = threading.Lock()
_config: Config | None = None
_evaluator: Evaluator | None = None


def get_config() -> Config:
    global _config
    with _lock:
        if _config is None:
            _config = load_config()
        return _config


def database_url_from_secret(secret_string: str) -> str:
    """A libpq URL from a Secrets Manager secret: ``{"url": ...}``, or the JSON RDS keeps for a
    managed password (username, password, host, port, dbname)."""
    secret = json.loads(secret_string)
    if "url" in secret:
        return secret["url"]
    return conninfo.make_conninfo(
        host=secret["host"], port=str(secret.get("port", 5432)), user=secret["username"],
        password=secret["password"], dbname=secret.get("dbname", "postgres"))


def resolve_database_url(config: Config) -> str:
    if config.database_url:
        return config.database_url
    if config.database_secret_arn:
        client = boto3.session.Session().client(
            "secretsmanager", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
        secret = client.get_secret_value(SecretId=config.database_secret_arn)
        return database_url_from_secret(secret["SecretString"])
    raise ConfigError("set DATABASE_URL or DATABASE_SECRET_ARN (the local launcher sets it for you)")


def build_evaluator(config: Config) -> Evaluator:
    """Everything the handlers need, from ``config``."""
    store = SubmissionStore(create_pool(resolve_database_url(config), config.db_pool_size,
                                        config.db_timeout_s))
    client = create_sqs_client(config.aws_region, config.aws_endpoint_url)
    queue = SubmissionQueue(client, config.queue_name)
    sandbox = NodeSandbox(config.node_path, config.harness_path,
                          exec_helper=config.exec_helper_path)
    evaluator = Evaluator(config, store, queue, sandbox)
    sandbox.keep_warm(evaluator.limits, config.warm_runners)
    return evaluator


def get_evaluator() -> Evaluator:
    """The process's evaluator, built on first use. A failure to build it (the database secret
    unreadable, say) is ours: it surfaces as ``StoreUnavailable`` (503) and is tried again."""
    global _evaluator
    config = get_config()
    with _lock:
        if _evaluator is None:
            try:
                _evaluator = build_evaluator(config)
            except InfrastructureError:
                raise
            except Exception as exc:
                raise StoreUnavailable(f"the service could not start: {exc}") from exc
        return _evaluator


def install(evaluator: Evaluator | None) -> None:
    """Use ``evaluator`` from now on (None: build one from the environment on next use)."""
    global _evaluator, _config
    with _lock:
        _evaluator = evaluator
        _config = evaluator.config if evaluator else None
