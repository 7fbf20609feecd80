"""One lazy getter per external resource, built once per process (per warm Lambda container).

``get_evaluator()`` wires the configuration, the connection pool, the SQS client and the sandbox
together on first use. The local launcher and the tests build their own and ``install`` it, so the
handlers use exactly the instance they were given, without patching.
"""

from __future__ import annotations

import threading

from chalicelib.config import Config, ConfigError, load_config
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


def build_evaluator(config: Config) -> Evaluator:
    """Everything the handlers need, from ``config``."""
    if not config.database_url:
        raise ConfigError("DATABASE_URL is not set (the local launcher sets it for you)")
    store = SubmissionStore(create_pool(config.database_url, config.db_pool_size,
                                        config.db_timeout_s))
    client = create_sqs_client(config.aws_region, config.aws_endpoint_url)
    queue = SubmissionQueue(client, config.queue_name)
    sandbox = NodeSandbox(config.node_path, config.harness_path)
    return Evaluator(config, store, queue, sandbox)


def get_evaluator() -> Evaluator:
    global _evaluator
    config = get_config()
    with _lock:
        if _evaluator is None:
            _evaluator = build_evaluator(config)
        return _evaluator


def install(evaluator: Evaluator | None) -> None:
    """Use ``evaluator`` from now on (None: build one from the environment on next use)."""
    global _evaluator, _config
    with _lock:
        _evaluator = evaluator
        _config = evaluator.config if evaluator else None
