"""Structured logging through AWS Lambda Powertools' Logger: one JSON object per line, each naming
its component, the Lambda invocation (request id, cold start) and, where there is one, the
submission.

``grep <submission id>`` over the API's, the worker's and the launcher's output follows one
submission end to end. In Lambda the lines go to stdout, which CloudWatch stores as they are; the
local stack writes the very same lines.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

SERVICE = "evaluator"
_logger: Logger | None = None
_cold_start = True


class CurrentStdout:
    """Whatever ``sys.stdout`` is when a line is written (as ``print`` does, which Powertools'
    metrics use), rather than the one there was when the logger was made."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class ComponentFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON line, with the component (``evaluator.worker`` -> ``worker``) first."""

    def format(self, record: logging.LogRecord) -> str:
        record.component = record.name.removeprefix(SERVICE + ".") if record.name != SERVICE \
            else "service"
        return super().format(record)


def configure(level: str = "INFO", stream: IO[str] | None = None) -> Logger:
    """Send the service's log lines, as JSON, to ``stream`` (stdout by default); later calls only
    change the level."""
    global _logger
    if _logger is None:
        _logger = Logger(service=SERVICE, level=level, stream=stream or CurrentStdout(),
                         logger_formatter=ComponentFormatter(
                             log_record_order=["timestamp", "level", "component", "message"],
                             utc=True, use_rfc3339=True))
    else:
        _logger.setLevel(level)
    return _logger


def bind_invocation(context: Any) -> None:
    """Put this invocation's Lambda context (function, request id, cold start) on every line the
    current thread writes until the next invocation."""
    global _cold_start
    logger = _logger or configure()
    keys = {"cold_start": _cold_start, **vars(build_lambda_context_model(context))}
    _cold_start = False
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(**keys)


def redacted(dsn: str | None) -> str | None:
    """A database URL (or libpq key=value string) fit for a log line: its password replaced."""
    if not dsn:
        return dsn
    parts = urlsplit(dsn)
    if parts.scheme and parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn)


def get_logger(component: str) -> logging.Logger:
    """The logger of one component (api, worker, dlq, launcher, poller, ...)."""
    return logging.getLogger(f"{SERVICE}.{component}")
