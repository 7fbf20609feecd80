"""A Lambda-like place to run the stack in: what AWS Lambda refuses, refused here too.

Lambda runs a function's processes as an unprivileged user, under a seccomp filter that makes
prctl(2) fail with EPERM, with the code (/var/task) and the layers (/opt) read-only, /tmp the only
writable place, no /dev/shm, and it ends every process of an environment when it recycles one.
``LambdaLike.command()`` wraps the launcher (``python -m infra.local.launcher``) so that it and
everything it starts (the worker, sandbox-exec, Node) run that way:

- a mount namespace in which the checkout is read-only, the Node layer (built by runner/layer.py,
  the very zip the prod stage publishes) is mounted read-only at /opt, where the worker looks
  first, and /dev/shm and /var/tmp are empty and read-only, so /tmp is the only place a process
  of the user ``nobody`` can write;
- a PID namespace whose first process is the launcher: when it ends, the kernel ends every
  process of the namespace, as Lambda does with an environment;
- tests/lambda_like/jail.c: the seccomp filter that refuses prctl, then uid/gid ``nobody``.

Postgres and the SQS endpoint stay outside, as in AWS: the database is reached over TCP (a
forwarder to the embedded server's Unix socket, which lives in a directory only its owner may
enter), SQS at the moto server's URL. Building the namespaces needs root (CI runs as root);
elsewhere ``available()`` says why not.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from chalicelib.constants import PROJECT_ROOT
from runner import layer

HERE = Path(__file__).resolve().parent
JAIL_BINARY = PROJECT_ROOT / ".cache" / "lambda-like" / "jail"
USER = "nobody"
# Run inside the namespaces, as root, before the jail drops to the unprivileged user.
MOUNTS = r"""
set -e
# The Python runtime, read-only, where the venv expects it, even if it lies under a home directory
# the unprivileged user cannot enter (as Lambda provides its runtime at /var/lang).
if [ -n "$RUNTIME" ]; then
  mount --bind "$RUNTIME" "$STASH"
  mount -t tmpfs -o mode=0755,size=1m none "$RUNTIME_HOME"
  mkdir -p "$RUNTIME" && mount --bind "$STASH" "$RUNTIME" && mount -o remount,bind,ro "$RUNTIME"
fi
mount --bind "$CODE" "$CODE" && mount -o remount,bind,ro "$CODE"
mount --bind "$LAYER" /opt && mount -o remount,bind,ro /opt
for dir in /dev/shm /var/tmp; do mount -t tmpfs -o ro,size=4k,mode=0555 none "$dir"; done
exec "$@"
"""


def available() -> str | None:
    """None when the harness can run here, else why not."""
    if os.geteuid() != 0:
        return "the Lambda-like harness builds namespaces and mounts, which needs root"
    for tool in ("unshare", "mount", "cc"):
        if shutil.which(tool) is None:
            return f"the Lambda-like harness needs {tool}"
    return None


def build_jail() -> Path:
    source = HERE / "jail.c"
    if not JAIL_BINARY.exists() or JAIL_BINARY.stat().st_mtime < source.stat().st_mtime:
        JAIL_BINARY.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-O2", "-o", str(JAIL_BINARY), str(source)], check=True)
    return JAIL_BINARY


def unpack_layer(destination: Path) -> Path:
    """The prod stage's Node layer, unpacked as Lambda does (with its execute bits)."""
    built = layer.build(destination.parent / "node-layer.zip")
    with zipfile.ZipFile(built) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, destination))
            path.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    for directory in [destination, *[p for p in destination.rglob("*") if p.is_dir()]]:
        directory.chmod(0o755)
    return destination


class PostgresOverTcp:
    """A loopback TCP endpoint forwarding to a PostgreSQL Unix socket: the database as a Lambda
    function reaches it, over the network, without entering the server's own directory."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        socket_dir = parse_qs(parts.query)["host"][0]
        self.socket_path = os.path.join(socket_dir, f".s.PGSQL.{parts.port or 5432}")
        self.database = parts.path.lstrip("/") or "postgres"
        self.user = parts.username or "postgres"
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, database: str | None = None) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database or self.database}"

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.socket(socket.AF_UNIX)
            try:
                upstream.connect(self.socket_path)
            except OSError:
                client.close()
                continue
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


class LambdaLike:
    """The command prefix and the directories of one Lambda-like launcher."""

    def __init__(self, work_dir: Path) -> None:
        self.jail = build_jail()
        self.layer = unpack_layer(work_dir / "opt")
        self.stash = work_dir / "runtime"
        self.stash.mkdir(exist_ok=True)
        entry = pwd.getpwnam(USER)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        # The launcher's own directory (its data, HOME): under /tmp, the one writable place.
        self.tmp = Path(os.path.join("/tmp", f"lambda-like-{os.getpid()}-{id(self):x}"))
        self.tmp.mkdir(mode=0o700, exist_ok=True)
        os.chown(self.tmp, self.uid, self.gid)

    def command(self) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc",
                "--kill-child=SIGTERM", "sh", "-c", MOUNTS, "lambda-like",
                str(self.jail), str(self.uid), str(self.gid), "--"]

    def environment(self) -> dict[str, str]:
        env = {"CODE": str(PROJECT_ROOT), "LAYER": str(self.layer), "HOME": str(self.tmp),
               "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp", "RUNTIME": ""}
        runtime = Path(sys.base_prefix)
        home = Path.home()
        if runtime.is_relative_to(home):
            env.update(RUNTIME=str(runtime), RUNTIME_HOME=str(home), STASH=str(self.stash))
        return env

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
