"""Configuration: every option in one table, read from the environment and validated at cold start.

A bad value stops the process with a message naming the variable, instead of failing later on the
first request. Build it with ``load_config(os.environ)``; tests pass their own mapping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where the Lambda layer puts the runtime (runner/layer.py builds it); locally, the checkout.
LAYER_ROOT = Path("/opt")
CHECKOUT_RUNTIME = PROJECT_ROOT / ".cache" / "node"
# Start-up, kill and clean-up time of one run beyond its time limit, generously rounded.
RUN_OVERHEAD_MS = 1000
# A run that is at its memory limit when its time is up gets this long (at most its time limit)
# for V8 to decide whether it is out of memory (chalicelib/sandbox.py).
MEMORY_VERDICT_GRACE_MS = 500


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot run with."""


def layer_root(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where the Node layer is unpacked, if the process has one: /opt in AWS Lambda.

    The one place that knows a local emulator: ministack (`make deploy-local`) unpacks a
    function's layers into the directories listed in ``_LAMBDA_LAYERS_DIRS`` instead, inside a
    directory only its owner may enter, and drops their execute bits. Both are put right here
    (execute bits back, the directories above the layer made passable), so that the sandbox's
    unprivileged user can run the binary; in AWS, /opt is read-only, passable and keeps them."""
    listed = environ.get("_LAMBDA_LAYERS_DIRS", "").split(os.pathsep)
    for root in [LAYER_ROOT, *(Path(p) for p in listed if p)]:
        if not (root / "bin" / "node").is_file():
            continue
        if root != LAYER_ROOT:
            _make_runnable(root)
        return root
    return None


def _make_runnable(root: Path) -> None:
    for binary in (root / "bin").iterdir():
        if binary.is_file() and not os.access(binary, os.X_OK):
            binary.chmod(0o755)
    for directory in (root, *root.parents):
        info = directory.stat()
        if directory == directory.parent or info.st_uid != os.geteuid():
            break
        if not info.st_mode & 0o001:
            directory.chmod(info.st_mode | 0o011)


def _default_node() -> str:
    root = layer_root()
    return str((root or CHECKOUT_RUNTIME) / "bin" / "node")


def _default_exec_helper() -> str:
    """The launch helper where it was built (the layer always has it; `make node` builds it when
    there is a C compiler); empty, meaning the slower pre-exec path, only where it was not."""
    helper = (layer_root() or CHECKOUT_RUNTIME) / "bin" / "sandbox-exec"
    return str(helper) if helper.exists() else ""


def _default_harness() -> str:
    root = layer_root()
    return str(root / "runner" / "harness.js" if root else PROJECT_ROOT / "runner" / "harness.js")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _optional(text: str) -> str | None:
    return text or None


@dataclass(frozen=True)
class Option:
    """One configuration option: its variable, default, parser and meaning."""

    env: str
    default: str | Callable[[], str]
    parse: Callable[[str], Any]
    doc: str


# field name -> option. The single place where an option is named, defaulted and documented.
OPTIONS: dict[str, Option] = {
    "database_url": Option(
        "DATABASE_URL", "", _optional,
        "PostgreSQL URL. Empty: the local launcher starts an embedded server (pgserver)."),
    "database_secret_arn": Option(
        "DATABASE_SECRET_ARN", "", _optional,
        "Secrets Manager secret holding the database (RDS's JSON, or {\"url\": ...}); used when "
        "DATABASE_URL is empty. Keeps the password out of the Lambda configuration."),
    "aws_endpoint_url": Option(
        "AWS_ENDPOINT_URL", "", _optional,
        "SQS endpoint (LocalStack, moto server). Empty: AWS itself, or the embedded endpoint locally."),
    "aws_region": Option("AWS_DEFAULT_REGION", "us-east-1", str, "AWS region of the queues."),
    "queue_name": Option("SUBMISSIONS_QUEUE", "submissions", str, "Queue the API sends to."),
    "dlq_name": Option("SUBMISSIONS_DLQ", "submissions-dlq", str, "Dead-letter queue."),
    "max_code_bytes": Option("MAX_CODE_BYTES", "65536", _positive_int, "Largest program accepted."),
    "time_limit_ms": Option("TIME_LIMIT_MS", "2000", _positive_int, "Wall-clock limit of one run."),
    "memory_limit_mb": Option("MEMORY_LIMIT_MB", "256", _positive_int, "Memory limit of one run."),
    "output_limit_bytes": Option(
        "OUTPUT_LIMIT_BYTES", "1048576", _positive_int, "Output kept from one run; more is cut off."),
    "worker_timeout_s": Option(
        "WORKER_TIMEOUT_S", "60", _positive_int,
        "Worker Lambda timeout; the queue's visibility timeout is six times this."),
    "max_receive_count": Option(
        "MAX_RECEIVE_COUNT", "5", _positive_int, "Deliveries of a message before the DLQ."),
    "retry_delay_s": Option(
        "RETRY_DELAY_S", "10", _positive_int,
        "First delay before an infrastructure failure is retried; doubles per attempt."),
    "requeue_after_s": Option(
        "REQUEUE_AFTER_S", "300", _positive_int,
        "The sweeper re-sends a Running submission whose lease ended this long ago."),
    "sweep_interval_s": Option(
        "SWEEP_INTERVAL_S", "60", _positive_int,
        "How often the local stack runs the sweeper (deployed: every minute)."),
    "sweep_batch": Option("SWEEP_BATCH", "500", _positive_int, "Most submissions one sweep handles."),
    "batch_size": Option("WORKER_BATCH_SIZE", "5", _positive_int, "SQS messages per invocation."),
    "worker_concurrency": Option(
        "WORKER_CONCURRENCY", "2", _positive_int,
        "Concurrent worker invocations: the local pollers, and the SQS mapping's maximum "
        "concurrency when deployed (at least 2, AWS's minimum)."),
    "warm_runners": Option(
        "WARM_RUNNERS", "2", _non_negative_int,
        "Node processes kept started ahead of need (each serves one program); 0 turns it off."),
    "db_pool_size": Option("DB_POOL_SIZE", "4", _positive_int, "Largest database connection pool."),
    "db_timeout_s": Option(
        "DB_TIMEOUT_S", "3", _positive_int,
        "How long a request waits for a database connection before answering 503."),
    "node_path": Option("NODE_BINARY", _default_node, str, "The pinned Node binary that runs user code."),
    "harness_path": Option("HARNESS_PATH", _default_harness, str, "runner/harness.js."),
    "exec_helper_path": Option(
        "SANDBOX_EXEC", _default_exec_helper, str,
        "runner/sandbox_exec.c, built: sets a run's limits so spawning is cheap and safe; "
        "empty only where there is no C compiler (then a pre-exec hook, slower)."),
    "log_level": Option("LOG_LEVEL", "INFO", str.upper, "Python logging level."),
}


@dataclass(frozen=True)
class Config:
    """The service's settings; see ``OPTIONS`` for what each one means."""

    database_url: str | None
    database_secret_arn: str | None
    aws_endpoint_url: str | None
    aws_region: str
    queue_name: str
    dlq_name: str
    max_code_bytes: int
    time_limit_ms: int
    memory_limit_mb: int
    output_limit_bytes: int
    worker_timeout_s: int
    max_receive_count: int
    retry_delay_s: int
    requeue_after_s: int
    sweep_interval_s: int
    sweep_batch: int
    batch_size: int
    worker_concurrency: int
    warm_runners: int
    db_pool_size: int
    db_timeout_s: int
    node_path: str
    harness_path: str
    exec_helper_path: str
    log_level: str

    @property
    def visibility_timeout_s(self) -> int:
        """SQS visibility timeout: six times the worker timeout, as AWS advises for Lambda."""
        return visibility_timeout_for(self.worker_timeout_s)


def visibility_timeout_for(worker_timeout_s: int) -> int:
    """The one rule tying the queue to the worker: visibility = 6 x the worker's timeout."""
    return 6 * worker_timeout_s


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``environ`` (default: the process environment).

    Raises:
        ConfigError: a variable is set to a value its parser rejects.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Config):
        option = OPTIONS[field.name]
        default = option.default() if callable(option.default) else option.default
        raw = environ.get(option.env, default)
        try:
            values[field.name] = option.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{option.env}={raw!r}: {exc}") from exc
    config = Config(**values)
    # A batch runs its programs one after another; the worker must be able to finish all of them.
    worst_batch_ms = config.batch_size * (config.time_limit_ms + MEMORY_VERDICT_GRACE_MS +
                                          RUN_OVERHEAD_MS)
    if worst_batch_ms >= config.worker_timeout_s * 1000:
        raise ConfigError(
            f"WORKER_TIMEOUT_S={config.worker_timeout_s} is too short for WORKER_BATCH_SIZE="
            f"{config.batch_size} runs of TIME_LIMIT_MS={config.time_limit_ms} "
            f"(needs more than {worst_batch_ms / 1000:.1f} s)")
    return config
