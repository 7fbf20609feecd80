"""Structured logging: one JSON object per line, each naming its component and submission.

``grep <submission id>`` over the API's, the worker's and the launcher's output follows one
submission end to end. In Lambda the lines go to stdout, which CloudWatch stores as they are.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

LOGGER_NAME = "evaluator"
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Render a record and its ``extra`` fields as a single JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "component": record.name.removeprefix(LOGGER_NAME + ".") or "service",
            "event": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Send the service's log lines, as JSON, to ``stream`` (stdout by default). Idempotent."""
    root = logging.getLogger(LOGGER_NAME)
    root.setLevel(level)
    root.propagate = False
    if not any(getattr(h, "_evaluator", False) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(JsonFormatter())
        handler._evaluator = True  # type: ignore[attr-defined]
        root.addHandler(handler)


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
    return logging.getLogger(f"{LOGGER_NAME}.{component}")
