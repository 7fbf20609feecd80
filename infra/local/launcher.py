"""`make run`: the whole service on one machine, with no Docker and no AWS account.

- PostgreSQL: ``DATABASE_URL`` if set, else an embedded server (pgserver) with its data in
  ``.data/pg`` (kept between runs);
- SQS: ``AWS_ENDPOINT_URL`` if set (LocalStack, AWS), else moto's server on a loopback port;
- HTTP: Chalice's local server serving app.py on ``$HOST:$PORT`` (127.0.0.1:8080);
- the worker and the DLQ handler: app.py's own SQS handlers, fed by local pollers that do what
  Lambda's event source mapping does (infra/local/event_sources.py).

A configuration error stops it before anything starts, with the message and exit status 2.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config as BotoConfig
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.local import ChaliceRequestHandler

from chalicelib import logs, resources
from chalicelib.config import Config, ConfigError, load_config
from chalicelib.constants import PROJECT_ROOT
from chalicelib.errors import Misconfigured
from chalicelib.queue import create_sqs_client
from infra.database.migrate import apply_migrations
from infra.local.embedded import MotoServer, port_is_free, start_postgres
from infra.local.event_sources import LocalEventSourceMapping, LocalSchedule, Loops
from infra.queues import QueueUrls, ensure_queues

log = logs.get_logger("launcher")
log.setLevel("INFO")  # its start/stop lines show whatever LOG_LEVEL the service runs at
CHALICE_STAGE = "local"
# Placeholder credentials for the embedded endpoint and LocalStack, which accept any.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass
class Stack:
    """The local stack's parts, started in order and stopped in reverse."""

    host: str
    port: int
    data_dir: Path
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    poll_wait_s: int = 2  # long-poll wait: returns at once on a message; bounds shutdown time
    backends: dict[str, str] = field(default_factory=dict)
    config: Config | None = None
    queues: QueueUrls | None = None
    _pg: Any = None
    _moto: MotoServer | None = None
    _server: Any = None
    _loops: list[Loops] = field(default_factory=list)
    _evaluator: Any = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if not port_is_free(self.port, self.host):
            raise SystemExit(f"port {self.port} on {self.host} is in use; set PORT to another one")
        self._start_backends()
        os.environ.update(self.environ)  # app.py and boto3 read the environment
        self.config = config = load_config(self.environ)
        logs.configure(config.log_level)
        apply_migrations(config.database_url or "")
        self.queues = ensure_queues(create_sqs_client(config.aws_region, config.aws_endpoint_url),
                                    config)
        self._evaluator = resources.build_evaluator(config)
        self._evaluator.sandbox.self_test()
        resources.install(self._evaluator)
        app = self._start_http()
        self._start_event_sources(app, config)
        if self._moto is not None:
            threading.Thread(target=self._keep_sqs_up, name="sqs-supervisor", daemon=True).start()

    def _start_backends(self) -> None:
        if self.environ.get("DATABASE_URL"):
            self.backends["postgres"] = "DATABASE_URL"
        else:
            self._pg, self.environ["DATABASE_URL"] = start_postgres(self.data_dir / "pg")
            self.backends["postgres"] = f"embedded (pgserver), data in {self.data_dir / 'pg'}"
        if self.environ.get("AWS_ENDPOINT_URL"):
            self.backends["sqs"] = f"AWS_ENDPOINT_URL={self.environ['AWS_ENDPOINT_URL']}"
        else:
            self._moto = MotoServer().start()
            self.environ["AWS_ENDPOINT_URL"] = self._moto.url
            self.backends["sqs"] = f"embedded (moto server) at {self._moto.url}"
        if self.environ["AWS_ENDPOINT_URL"].startswith(("http://127.", "http://localhost")):
            for key, value in LOCAL_CREDENTIALS.items():
                self.environ.setdefault(key, value)
        self.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    def _start_http(self) -> Any:
        from chalice.cli.factory import CLIFactory
        from chalice.local import create_local_server

        chalice_config = CLIFactory(str(PROJECT_ROOT), environ=self.environ).create_config_obj(
            chalice_stage_name=CHALICE_STAGE)
        app = chalice_config.chalice_app
        self._server = create_local_server(app, chalice_config, self.host, self.port)
        # Chalice's handler writes the headers and the body separately; with Nagle's algorithm and
        # the client's delayed ACK that stalls every response by ~40 ms. Send at once instead.
        self._server.server.RequestHandlerClass = functools.partial(
            NoDelayHandler, app_object=app, config=chalice_config)
        threading.Thread(target=self._server.server.serve_forever, name="http", daemon=True).start()
        return app

    def _start_event_sources(self, app: Any, config: Config) -> None:
        """What AWS would wire to app.py's handlers: an event source mapping per SQS handler,
        a schedule per scheduled one."""
        assert self.queues is not None
        by_name = self.queues.by_name(config)
        poll_client = create_sqs_client(config.aws_region, config.aws_endpoint_url, BotoConfig(
            connect_timeout=2, read_timeout=self.poll_wait_s + 10, retries={"max_attempts": 1},
            max_pool_connections=32))
        for source in app.event_sources:
            handler = app.handler_map[source.name]
            loop: Loops
            if isinstance(source, SQSEventConfig):
                url, arn = by_name[source.queue]
                loop = LocalEventSourceMapping(
                    poll_client, url, arn, handler, function_name=source.name,
                    batch_size=source.batch_size, concurrency=config.worker_concurrency,
                    region=config.aws_region, timeout_s=config.worker_timeout_s,
                    wait_time_s=self.poll_wait_s)
            elif isinstance(source, ScheduledEventConfig):
                loop = LocalSchedule(handler, function_name=source.name,
                                     interval_s=config.sweep_interval_s, region=config.aws_region,
                                     timeout_s=config.worker_timeout_s)
            else:
                raise TypeError(f"no local stand-in for {type(source).__name__}")
            loop.start()
            self._loops.append(loop)

    def _keep_sqs_up(self) -> None:
        """If the embedded endpoint dies, start a new one on the same port and provision the
        queues again. It comes back empty: the sweeper re-sends what was lost."""
        assert self._moto is not None and self.config is not None
        while not self._stopping.wait(1):
            if self._moto.running:
                continue
            log.error("sqs_endpoint_died", extra={"url": self._moto.url})
            try:
                self._moto.start()
                ensure_queues(create_sqs_client(self.config.aws_region, self._moto.url),
                              self.config)
                log.warning("sqs_endpoint_restarted_empty", extra={"url": self._moto.url})
            except Exception as exc:
                log.error("sqs_endpoint_restart_failed", extra={"error": str(exc)})

    def stop(self) -> None:
        """Stop taking work, let runs in flight finish, then stop the servers."""
        self._stopping.set()
        # A poller may be a whole batch into its work: let it finish the batch.
        grace_s = (self.config.batch_size * (self.config.time_limit_ms / 1000 + 1) + 5
                   if self.config else 5)
        deadline = time.monotonic() + grace_s + self.poll_wait_s
        for loop in self._loops:
            loop.request_stop()
        for loop in self._loops:
            loop.join(deadline)
        if self._server is not None:
            self._server.server.shutdown()
        if self._evaluator is not None:
            self._evaluator.sandbox.close()
            self._evaluator.store.close()
        if self._moto is not None:
            self._moto.stop()
        if self._pg is not None:
            self._pg.cleanup()

    def describe(self) -> dict[str, Any]:
        assert self.config is not None and self.queues is not None
        return {"api_url": self.api_url, "postgres": self.backends["postgres"],
                "sqs": self.backends["sqs"], "database_url": logs.redacted(self.config.database_url),
                "aws_endpoint_url": self.config.aws_endpoint_url,
                "queue_url": self.queues.queue_url, "dlq_url": self.queues.dlq_url,
                "batch_size": self.config.batch_size,
                "worker_concurrency": self.config.worker_concurrency,
                "sqs_pid": self._moto.process.pid if self._moto and self._moto.process else None}


class NoDelayHandler(ChaliceRequestHandler):
    """Chalice's local request handler with TCP_NODELAY on each connection, and without the
    unstructured access line per request (the service logs its own events as JSON)."""

    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def banner(stack: Stack) -> str:
    assert stack.config is not None
    return "\n".join([
        "",
        "Evaluator is running.",
        f"  API       {stack.api_url}   POST /submission, GET /submission/{{id}}",
        f"  Postgres  {stack.backends['postgres']}",
        f"  SQS       {stack.backends['sqs']}",
        f"  Worker    local event source mapping: batch {stack.config.batch_size}, "
        f"concurrency {stack.config.worker_concurrency}, node {stack.config.node_path}",
        "Ctrl-C stops it.",
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    try:
        config = load_config(os.environ)
    except ConfigError as exc:
        print(f"evaluator: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=config.host)
    parser.add_argument("--port", type=int, default=config.port)
    parser.add_argument("--data-dir", type=Path, default=config.data_dir)
    args = parser.parse_args(argv)
    logs.configure()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stack = Stack(host=args.host, port=args.port, data_dir=args.data_dir)
    try:
        try:
            stack.start()
        except (ConfigError, Misconfigured) as exc:
            print(f"evaluator: cannot start: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        print(banner(stack), file=sys.stderr, flush=True)
        log.info("stack_ready", extra=stack.describe())
        stopping.wait()
        log.info("stack_stopping")
    finally:
        stack.stop()
    log.info("stack_stopped")


if __name__ == "__main__":
    main()
