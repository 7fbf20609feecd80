"""Provision a deployed stage: everything but the functions, idempotently, through boto3.

One code path for AWS and LocalStack (``AWS_ENDPOINT_URL`` picks the endpoint; the embedded stack
uses the queue part, infra/queues.py, directly):

1. the queue and its dead-letter queue, with the redrive policy, visibility 6 x the worker's
   ``lambda_timeout``;
2. the Node layer (``bin/node`` + the harness), published only if its content changed;
3. one IAM role per function, with its least-privilege policy (infra/policies.py);
4. the database schema (infra/migrations), when a database URL is given or the stage's secret
   can be read;
5. the layer's and the roles' ARNs written into the stage in ``.chalice/config.json``, where
   ``chalice deploy`` takes them.

    python -m infra.provision --stage prod [--database-url URL]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from chalicelib.resources import resolve_database_url
from infra.migrate import apply_migrations
from infra.policies import ASSUME_ROLE, policies
from infra.queues import QueueUrls, ensure_queues
from infra.stages import CHALICE_CONFIG, LAMBDA_RUNTIMES, Stage, load_stage, set_stage_values
from runner import layer, node_runtime

# A layer zip up to this size is uploaded in the API call itself; a larger one goes through S3.
DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000


@dataclass
class Provisioned:
    queues: QueueUrls
    layer_arn: str
    role_arns: dict[str, str]
    migrations: list[str] = field(default_factory=list)


def layer_sha256(path: Path) -> str:
    """The layer's CodeSha256 as Lambda reports it (base64 of the zip's SHA-256)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def publish_layer(lam: Any, stage: Stage, zip_path: Path, s3: Any = None,
                  bucket: str | None = None) -> str:
    """The ARN of a layer version holding exactly ``zip_path``; publishes one only if needed."""
    wanted = layer_sha256(zip_path)
    versions = lam.list_layer_versions(LayerName=stage.layer_name).get("LayerVersions", [])
    for version in versions[:1]:  # newest first
        current = lam.get_layer_version_by_arn(Arn=version["LayerVersionArn"])
        if current["Content"].get("CodeSha256") == wanted:
            return version["LayerVersionArn"]
    if zip_path.stat().st_size <= DIRECT_UPLOAD_LIMIT:
        content: dict[str, Any] = {"ZipFile": zip_path.read_bytes()}
    else:
        if not (s3 and bucket):
            raise SystemExit(f"{zip_path} is over {DIRECT_UPLOAD_LIMIT} bytes: pass --layer-bucket")
        s3.upload_file(str(zip_path), bucket, zip_path.name)
        content = {"S3Bucket": bucket, "S3Key": zip_path.name}
    return lam.publish_layer_version(
        LayerName=stage.layer_name, Content=content, CompatibleRuntimes=LAMBDA_RUNTIMES,
        CompatibleArchitectures=["x86_64"],
        Description=f"Node {node_runtime.VERSION} and the evaluator's sandbox harness",
    )["LayerVersionArn"]


def ensure_roles(iam: Any, stage: Stage) -> dict[str, str]:
    """Create or update each function's role and inline policy; return function -> role ARN."""
    arns = {}
    for function, document in policies(stage).items():
        name = stage.role_name(function)
        try:
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(ASSUME_ROLE))
        except iam.exceptions.NoSuchEntityException:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE),
                                  Description=f"evaluator {stage.name}: {function}")["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(document))
        arns[function] = arn
    return arns


def provision(stage_name: str, *, session: Any = None, database_url: str | None = None,
              config_path: Path = CHALICE_CONFIG, layer_zip: Path | None = None,
              layer_bucket: str | None = None) -> Provisioned:
    session = session or boto3.session.Session()
    stage = load_stage(stage_name, config_path)
    stage.validate()
    config = stage.app_config
    queues = ensure_queues(session.client("sqs", region_name=config.aws_region), config)
    zip_path = layer_zip or layer.build()
    layer_arn = publish_layer(session.client("lambda", region_name=config.aws_region), stage,
                              zip_path, session.client("s3"), layer_bucket)
    role_arns = ensure_roles(session.client("iam"), stage)
    set_stage_values(stage_name, layer_arn=layer_arn, role_arns=role_arns, path=config_path)
    result = Provisioned(queues, layer_arn, role_arns)
    url = database_url or _stage_database_url(stage)
    if url:
        result.migrations = apply_migrations(url)
    return result


def _stage_database_url(stage: Stage) -> str | None:
    """The stage's database, if this machine can learn it (a URL, or a readable secret)."""
    try:
        return resolve_database_url(stage.app_config)
    except Exception:  # not reachable from here (a private VPC): migrate from inside it
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--database-url", help="run the migrations against this database")
    parser.add_argument("--layer-bucket", help="S3 bucket for a layer zip over 50 MB")
    args = parser.parse_args()
    done = provision(args.stage, database_url=args.database_url, layer_bucket=args.layer_bucket)
    print(f"queue      {done.queues.queue_url} (DLQ {done.queues.dlq_url})")
    print(f"layer      {done.layer_arn}")
    for function, arn in done.role_arns.items():
        print(f"role       {function}: {arn}")
    print(f"migrations {', '.join(done.migrations) or 'none run (no reachable database)'}")
    print(f"written to {CHALICE_CONFIG}")


if __name__ == "__main__":
    main()
