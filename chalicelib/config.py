"""Configuration: every option declared once, as a field of ``Config``, read from the environment
and validated at cold start.

Each field carries its variable, default, parser and meaning (``option(...)``); nothing else names
an option. A bad value stops the process with a message naming the variable, instead of failing
later on the first request. Build it with ``load_config(os.environ)``; tests pass their own mapping.
README's table of options is generated from here (``python -m chalicelib.config --markdown``) and
a test keeps the two equal.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chalicelib.constants import (
    CHECKOUT_RUNTIME,
    LAYER_ROOT,
    MEMORY_VERDICT_GRACE_MS,
    PROJECT_ROOT,
    RUN_OVERHEAD_MS,
    VISIBILITY_FACTOR,
)


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


def in_lambda(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process is a Lambda function (AWS and emulators set the variable)."""
    return bool(environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _default_node(environ: Mapping[str, str]) -> str:
    return str((layer_root(environ) or CHECKOUT_RUNTIME) / "bin" / "node")


def _default_exec_helper(environ: Mapping[str, str]) -> str:
    """The launch helper where it was built (the layer always has it; `make node` builds it when
    there is a C compiler); empty, meaning the slower pre-exec path, only where it was not."""
    helper = (layer_root(environ) or CHECKOUT_RUNTIME) / "bin" / "sandbox-exec"
    return str(helper) if helper.exists() else ""


def _default_harness(environ: Mapping[str, str]) -> str:
    root = layer_root(environ)
    return str(root / "runner" / "harness.js" if root else PROJECT_ROOT / "runner" / "harness.js")


def _default_pool_size(environ: Mapping[str, str]) -> str:
    """One connection per Lambda container (it serves one request at a time); the local stack
    runs the API's threads and the pollers in one process, which share a few."""
    return "1" if in_lambda(environ) else "4"


def _default_allow_private(environ: Mapping[str, str]) -> str:
    return "0" if in_lambda(environ) else "1"


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


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise ValueError("must be a TCP port, 1 to 65535")
    return value


def _optional(text: str) -> str | None:
    return text or None


def _optional_positive_int(text: str) -> int | None:
    return _positive_int(text) if text.strip() else None


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be 1/true/yes/on or 0/false/no/off")


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


@dataclass(frozen=True)
class Option:
    """One option's variable, default, parser and meaning; ``shown`` is the default as README
    shows it when the default is computed."""

    env: str
    default: str | Callable[[Mapping[str, str]], str]  # computed from the environment
    parse: Callable[[str], Any]
    doc: str
    shown: str | None = None
    scope: str = "service"  # service | local (the `make run` launcher) | deploy (stage checks)

    @property
    def default_text(self) -> str:
        if self.shown is not None:
            return self.shown
        return self.default if isinstance(self.default, str) else self.default(os.environ)


def option(env: str, default: str | Callable[[Mapping[str, str]], str], parse: Callable[[str], Any], doc: str,
           **details: str) -> Any:
    """Declare a ``Config`` field as read from ``env``."""
    return field(metadata={"option": Option(env, default, parse, doc, **details)})


@dataclass(frozen=True)
class Config:
    """The service's settings, each declared with its variable and meaning."""

    # ---- where the backends are
    database_url: str | None = option(
        "DATABASE_URL", "", _optional,
        "PostgreSQL URL. Empty: the local launcher starts an embedded server (pgserver).")
    database_secret_arn: str | None = option(
        "DATABASE_SECRET_ARN", "", _optional,
        "Secrets Manager secret holding the database (RDS's JSON, or {\"url\": ...}); used when "
        "DATABASE_URL is empty, read again after an authentication failure (rotation).")
    db_proxy: bool = option(
        "DB_PROXY", "0", _flag,
        "The database is reached through RDS Proxy (or PgBouncer in transaction mode): no "
        "server-side prepared statements, which would pin or break the proxied connection.")
    aws_endpoint_url: str | None = option(
        "AWS_ENDPOINT_URL", "", _optional,
        "SQS endpoint (LocalStack, moto server). Empty: AWS itself, or the embedded endpoint locally.")
    aws_region: str = option("AWS_DEFAULT_REGION", "us-east-1", str, "AWS region of the queues.")
    queue_name: str = option("SUBMISSIONS_QUEUE", "submissions", str, "Queue the API sends to.")
    dlq_name: str = option("SUBMISSIONS_DLQ", "submissions-dlq", str, "Dead-letter queue.")
    callbacks_queue: str = option(
        "CALLBACKS_QUEUE", "callbacks", str,
        "Queue of finished submissions whose record is to be POSTed to their callback_url.")
    callbacks_dlq: str = option(
        "CALLBACKS_DLQ", "callbacks-dlq", str,
        "Where a callback goes after CALLBACK_ATTEMPTS failed deliveries (kept 14 days).")
    # ---- one run
    max_code_bytes: int = option(
        "MAX_CODE_BYTES", "65536", _positive_int, "Largest program accepted.")
    time_limit_ms: int = option(
        "TIME_LIMIT_MS", "2000", _positive_int, "Wall-clock limit of one run.")
    memory_limit_mb: int = option(
        "MEMORY_LIMIT_MB", "256", _positive_int, "Memory limit of one run.")
    output_limit_bytes: int = option(
        "OUTPUT_LIMIT_BYTES", "1048576", _positive_int,
        "Output kept from one run, its stdout and its stderr each; more is cut off and the run "
        "stops.")
    cpu_time_limit_ms: int | None = option(
        "CPU_TIME_LIMIT_MS", "", _optional_positive_int,
        "CPU-time limit of one run (user + system time of its process). Empty: none beyond the "
        "wall-clock limit, and a request may set one up to TIME_LIMIT_MS.")
    max_stdin_bytes: int = option(
        "MAX_STDIN_BYTES", "1048576", _positive_int,
        "Largest standard input (and expected output) accepted for one run.")
    callback_timeout_s: int = option(
        "CALLBACK_TIMEOUT_S", "5", _positive_int, "How long one callback delivery may take.")
    callback_attempts: int = option(
        "CALLBACK_ATTEMPTS", "3", _positive_int,
        "Deliveries of one callback before it is given up (a failed one is retried after 2, 4, "
        "8... seconds); a failed delivery never changes the submission.")
    callback_allow_private: bool = option(
        "CALLBACK_ALLOW_PRIVATE", _default_allow_private, _flag,
        "Callbacks may go to loopback and private addresses. Off where deployed (SSRF: never the "
        "metadata service, the VPC, the function itself); on in the local stack, for tests.",
        shown="0 in Lambda, else 1")
    max_tests: int = option(
        "MAX_TESTS", "100", _positive_int,
        "Most test cases one submission may have; each runs as a run of its own.")
    max_wait_s: int = option(
        "MAX_WAIT_S", "20", _positive_int,
        "Longest GET /submission/{id}?wait=S may hold a request open until the submission "
        "finishes.")
    # ---- the worker and its retries
    worker_timeout_s: int = option(
        "WORKER_TIMEOUT_S", "60", _positive_int,
        "The worker's timeout: its Lambda timeout when deployed, and the queue's visibility "
        "timeout is six times this.")
    batch_size: int = option(
        "WORKER_BATCH_SIZE", "5", _positive_int, "SQS messages per worker invocation.")
    worker_concurrency: int = option(
        "WORKER_CONCURRENCY", "2", _positive_int,
        "Concurrent worker invocations: the local pollers, and the SQS mapping's maximum "
        "concurrency (and the worker's reserved concurrency) when deployed; at least 2 there.")
    max_receive_count: int = option(
        "MAX_RECEIVE_COUNT", "5", _positive_int,
        "Deliveries of a message before SQS moves it to the dead-letter queue, whose handler "
        "sends it again while GIVE_UP_AFTER_S allows.")
    max_attempts: int = option(
        "MAX_ATTEMPTS", "5", _positive_int,
        "Runs started for one submission before it is failed: a program whose worker dies every "
        "time is not run forever.")
    retry_delay_s: int = option(
        "RETRY_DELAY_S", "10", _positive_int,
        "First delay before an infrastructure failure is retried; doubles per delivery, up to "
        "the visibility timeout.")
    give_up_after_s: int = option(
        "GIVE_UP_AFTER_S", "21600", _positive_int,
        "How long a submission that keeps meeting infrastructure failures is retried before it is "
        "failed (six hours): an outage shorter than this loses nothing.")
    requeue_after_s: int = option(
        "REQUEUE_AFTER_S", "300", _positive_int,
        "The sweeper re-sends a Running submission whose lease ended this long ago.")
    sweep_interval_s: int = option(
        "SWEEP_INTERVAL_S", "60", _positive_int,
        "How often the local stack runs the sweeper (deployed: every minute).")
    sweep_batch: int = option(
        "SWEEP_BATCH", "500", _positive_int, "Most submissions one sweep handles.")
    warm_runners: int = option(
        "WARM_RUNNERS", "2", _non_negative_int,
        "Node processes kept started ahead of need (each serves one program); 0 turns it off.")
    # ---- the database connections
    db_pool_size: int = option(
        "DB_POOL_SIZE", _default_pool_size, _positive_int,
        "Database connections one process keeps: 1 in a Lambda container, 4 in the local stack.",
        shown="1 in Lambda, else 4")
    db_timeout_s: int = option(
        "DB_TIMEOUT_S", "3", _positive_int,
        "How long a request waits for a database connection before answering 503.")
    api_concurrency: int = option(
        "API_CONCURRENCY", "10", _positive_int,
        "Reserved concurrency of the API function: at most this many API containers, each with "
        "one connection.", scope="deploy")
    db_max_connections: int = option(
        "DB_MAX_CONNECTIONS", "100", _positive_int,
        "The database's connection limit (max_connections, or the proxy's); a stage whose "
        "functions could open more is refused at packaging.", scope="deploy")
    # ---- the runtime
    node_path: str = option(
        "NODE_BINARY", _default_node, str, "The pinned Node binary that runs user code.",
        shown="the layer's, else .cache/node/bin/node")
    harness_path: str = option(
        "HARNESS_PATH", _default_harness, str, "runner/harness.js.",
        shown="the layer's, else runner/harness.js")
    exec_helper_path: str = option(
        "SANDBOX_EXEC", _default_exec_helper, str,
        "runner/sandbox_exec.c, built: sets a run's limits so spawning is cheap and safe. "
        "Mandatory where it was built; empty only where there is no C compiler (then a pre-exec "
        "hook, slower).", shown="the layer's, else .cache/node/bin/sandbox-exec if built")
    log_level: str = option("LOG_LEVEL", "INFO", _log_level, "Logging level.")
    # ---- the local launcher (`make run`)
    host: str = option("HOST", "127.0.0.1", str, "Address the local API listens on.",
                       scope="local")
    port: int = option("PORT", "8080", _port, "Port of the local API.", scope="local")
    data_dir: Path = option(
        "EVALUATOR_DATA_DIR", str(PROJECT_ROOT / ".data"), Path,
        "Where the local stack keeps the embedded PostgreSQL's data.", shown=".data",
        scope="local")

    @property
    def visibility_timeout_s(self) -> int:
        """SQS visibility timeout: six times the worker timeout, as AWS advises for Lambda."""
        return visibility_timeout_for(self.worker_timeout_s)

    @property
    def dlq_concurrency(self) -> int:
        """The DLQ handler's mapping concurrency: AWS's minimum."""
        return 2

    @property
    def callbacks_concurrency(self) -> int:
        """The callback function's mapping concurrency: AWS's minimum."""
        return 2

    @property
    def database_connections(self) -> int:
        """The most connections a deployed stage opens: one per container of each function
        (API, worker, DLQ handler, sweeper, callbacks), each capped in its concurrency."""
        return (self.api_concurrency + self.worker_concurrency + self.dlq_concurrency + 1 +
                self.callbacks_concurrency)


def visibility_timeout_for(worker_timeout_s: int) -> int:
    """The one rule tying the queue to the worker: visibility = 6 x the worker's timeout."""
    return VISIBILITY_FACTOR * worker_timeout_s


def options() -> list[tuple[str, Option]]:
    """Every option, as (field name, declaration), in declaration order."""
    return [(f.name, f.metadata["option"]) for f in fields(Config)]


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``environ`` (default: the process environment).

    Raises:
        ConfigError: a variable is set to a value its parser rejects, or two values conflict.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, declared in options():
        default = declared.default(environ) if callable(declared.default) else declared.default
        raw = environ.get(declared.env, default)
        try:
            values[name] = declared.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{declared.env}={raw!r}: {exc}") from exc
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


def markdown_table() -> str:
    """README's table of options, from the declarations."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for _, declared in options():
        default = declared.default_text
        shown = f"`{default}`" if default and declared.shown is None else (default or "(empty)")
        where = {"local": " (`make run` only)", "deploy": " (deployed stages)"}.get(declared.scope, "")
        rows.append(f"| `{declared.env}` | {shown} | {declared.doc}{where} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="The service's configuration options.")
    parser.add_argument("--markdown", action="store_true", help="print README's table")
    parser.parse_args()
    print(markdown_table())


if __name__ == "__main__":
    main()
