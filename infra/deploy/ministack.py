"""`make deploy-local` and `make destroy-local`: the prod stage's deployed topology, run here.

LocalStack cannot execute functions without Docker; ministack (PyPI, MIT, pinned in
requirements-ministack.txt, its own virtualenv ``.venv-ministack``, Python 3.12 like the
Lambdas) runs them as local processes. This deploys into it the very artifacts `make package`
builds for the prod stage (``chalice package``'s SAM template merged with the queues, the DLQ and
its redrive policy, the Node layer, one role per function, partial batch responses), through
CloudFormation, through the one deploy path `make deploy` takes (infra/deploy/stack.py), against
a real PostgreSQL:

    deploy   start an embedded PostgreSQL (its data in .data/deploy-local/pg); start ministack on
             a loopback port; put the database URL in Secrets Manager, as the prod stage reads
             it; then infra/deploy/stack.py's deploy: migrate, package (in .venv-deploy), upload,
             create the stack and wait for it; write build/local-deploy.json ({"api_url", ...}).
             Everything stays running.
    destroy  delete the stack, stop ministack and PostgreSQL, remove their data and the record.

What differs from AWS (README, "Try the deployed topology locally"): functions run as local
processes under ministack's Python, their memory is not enforced, reserved concurrency from the
template is ignored, the layer is unpacked elsewhere than /opt (chalicelib/config.py finds it),
the API answers under ministack's /_aws/execute-api/ path, the schedule fires within a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import boto3

from chalicelib.constants import PROJECT_ROOT
from infra.deploy import stack
from infra.deploy.stages import load_stage
from infra.local.embedded import free_port, start_postgres, stop_postgres, wait_for_http

STAGE = "prod"
BUCKET = "evaluator-deploy-local"
REGION = "us-east-1"
SECRET_NAME = f"evaluator/{STAGE}/database"
STATE_DIR = PROJECT_ROOT / ".data" / "deploy-local"
RECORD = PROJECT_ROOT / "build" / "local-deploy.json"
MINISTACK = PROJECT_ROOT / ".venv-ministack" / "bin" / "ministack"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": REGION}


class EmulatorSession(boto3.session.Session):
    """A boto3 session whose clients all talk to the emulator at ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(**CREDENTIALS)
        self.endpoint = endpoint

    def client(self, service_name: str, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().client(service_name, **{**kwargs, "endpoint_url": self.endpoint})


def start_ministack(port: int) -> subprocess.Popen:
    """ministack on 127.0.0.1:``port``, detached (it outlives this command), with an environment
    of its own: its functions inherit it, and must not see this shell's."""
    tmp = STATE_DIR / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o755)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(STATE_DIR),
           "TMPDIR": str(tmp), "GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1",
           "MINISTACK_REGION": REGION, "PYTHONUNBUFFERED": "1"}
    log = open(STATE_DIR / "ministack.log", "ab")  # noqa: SIM115 (handed to the child)
    process = subprocess.Popen([str(MINISTACK)], env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=STATE_DIR, start_new_session=True)
    wait_for_http(f"http://127.0.0.1:{port}/_ministack/health", 60, process)
    return process


def deploy(overrides: dict[str, str], port: int | None = None) -> dict[str, Any]:
    """Deploy the prod stage into a fresh local emulator; return (and write) the record."""
    if RECORD.exists():
        raise SystemExit(f"{RECORD} exists: a local deployment is running (make destroy-local)")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    _, database_url = start_postgres(STATE_DIR / "pg", stop_with_last_handle=False)
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    emulator = start_ministack(port)
    record: dict[str, Any] = {"ministack_pid": emulator.pid, "endpoint": endpoint,
                              "stack": load_stage(STAGE).stack_name,
                              "postgres_data": str(STATE_DIR / "pg"), "database_url": database_url}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2))  # from here on, destroy-local cleans up
    emulated = EmulatorSession(endpoint)
    secret = emulated.client("secretsmanager").create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"url": database_url}))
    outputs = stack.deploy(STAGE, session=emulated, bucket=BUCKET, database_url=database_url,
                           secret_arn=secret["ARN"], overrides=overrides)
    record["api_url"] = f"{endpoint}/_aws/execute-api/{outputs['RestAPIId']}/api"
    record["functions"] = {key: value for key, value in outputs.items() if key.endswith("Name")}
    RECORD.write_text(json.dumps(record, indent=2))
    return record


def destroy() -> None:
    """Remove everything deploy started; a no-op when nothing is deployed."""
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    pid = record.get("ministack_pid")
    if pid:
        try:
            EmulatorSession(record["endpoint"]).client("cloudformation").delete_stack(
                StackName=record["stack"])
        except Exception as exc:  # the emulator may be gone already; stopping it is what matters
            print(f"the stack was not deleted ({exc}); stopping the emulator anyway", file=sys.stderr)
        _stop_group(pid)
    stop_postgres(STATE_DIR / "pg")
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    RECORD.unlink(missing_ok=True)


def _stop_group(pid: int) -> None:
    """SIGTERM to the emulator's session (its function workers with it), then SIGKILL."""
    for signum, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for every function (e.g. RETRY_DELAY_S=1)")
    args = parser.parse_args()
    if args.action == "destroy":
        destroy()
        print("local deployment removed")
        return
    overrides = dict(item.split("=", 1) for item in args.env)
    try:
        record = deploy(overrides)
    except BaseException:
        destroy()
        raise
    print(f"deployed {record['stack']} into ministack at {record['endpoint']}\n"
          f"API: {record['api_url']}  (details in {RECORD.relative_to(PROJECT_ROOT)})\n"
          "stop it with `make destroy-local`")


if __name__ == "__main__":
    main()
