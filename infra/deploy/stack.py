"""`make deploy` and `make destroy`: a stage as one CloudFormation stack, the one deploy path.

    deploy   1. migrate the database; a failure stops the deploy, unless --skip-migrations (for a
                database this machine cannot reach: migrate it from inside its network);
             2. package the stage (infra/deploy/package.py: the SAM template, the code, the layer);
             3. upload the code and the layer to the artifacts bucket and point the template at
                them, as `sam deploy` does;
             4. create or update the stack through a change set, and wait for it;
             prints the API's URL.
    destroy  delete the stack (functions, API, queues, roles) and the layer's versions. The
             database and the artifacts bucket are left alone: the first holds every submission.

`make deploy-local` (infra/deploy/ministack.py) runs these same functions against a local
emulator. AWS_ENDPOINT_URL points boto3 at another endpoint (LocalStack with Docker).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from chalicelib.config import Config, ConfigError, load_config
from chalicelib.constants import BUILD_DIR, PROJECT_ROOT
from chalicelib.resources import resolve_database_url
from infra.database.migrate import apply_migrations
from infra.deploy.package import SECRET_PARAMETER
from infra.deploy.stages import Stage, load_stage

DEPLOY_PYTHON = PROJECT_ROOT / ".venv-deploy" / "bin" / "python"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployFailed(SystemExit):
    """A deploy stopped; the message says why and what to do."""


def migrate(stage: Stage, config: Config, database_url: str | None = None,
            skip: bool = False) -> list[str]:
    """Bring the stage's database schema up to date (``database_url``, else the one ``config``
    leads to); return the migrations applied.

    Raises:
        DeployFailed: the database could not be reached or a migration failed (unless ``skip``).
    """
    if skip:
        print(f"{stage.name}: migrations skipped (--skip-migrations)", file=sys.stderr)
        return []
    try:
        return apply_migrations(database_url or resolve_database_url(config))
    except Exception as exc:
        raise DeployFailed(
            f"{stage.name}: migrating the database failed, so nothing was deployed: "
            f"{type(exc).__name__}: {exc}\nFix it and deploy again, or pass --skip-migrations if "
            "the schema is migrated from elsewhere (`python -m infra.database.migrate` from "
            "inside the database's network).") from exc


def build_artifacts(stage_name: str) -> tuple[Path, Path, Path]:
    """The stage's template, code and layer (`make package`), built under Python 3.12+."""
    if sys.version_info >= (3, 12):
        from infra.deploy.package import package

        package(stage_name)
    else:
        if not DEPLOY_PYTHON.exists():
            raise DeployFailed(f"{DEPLOY_PYTHON} is missing: run `make deploy-venv`")
        subprocess.run([str(DEPLOY_PYTHON), "-m", "infra.deploy.package", "--stage", stage_name],
                       cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
    return BUILD_DIR / "sam" / "sam.json", BUILD_DIR / "sam" / "deployment.zip", \
        BUILD_DIR / "node-layer.zip"


def upload(s3: Any, bucket: str, path: Path) -> str:
    """Put ``path`` in the artifacts bucket under its content hash; its s3:// URI."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    key = f"{path.stem}-{digest}{path.suffix}"
    s3.upload_file(str(path), bucket, key)
    return f"s3://{bucket}/{key}"


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **extra)


def localized(template: dict[str, Any], code_uri: str, layer_uri: str,
              overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """The template with its local paths replaced by the uploaded objects (as `sam deploy`
    does), and any environment overrides set on every function."""
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = code_uri
            if overrides:
                properties.setdefault("Environment", {}).setdefault("Variables", {}).update(overrides)
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = layer_uri
    return template


def _stack_exists(cfn: Any, name: str) -> bool:
    try:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except cfn.exceptions.ClientError:
        return False
    return status != "REVIEW_IN_PROGRESS"


def wait_for_stack(cfn: Any, name: str, timeout_s: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return stack
        if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")):
            events = cfn.describe_stack_events(StackName=name)["StackEvents"]
            reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in events
                       if "FAILED" in e["ResourceStatus"]]
            raise DeployFailed(f"stack {name} ended {status}: {reasons[:5]}")
        if time.monotonic() > deadline:
            raise DeployFailed(f"stack {name} still {status} after {timeout_s} s")
        time.sleep(1)


def apply_template(cfn: Any, name: str, template: dict[str, Any], parameters: dict[str, str]
                   ) -> dict[str, str]:
    """Create or update stack ``name`` to ``template`` through a change set; its outputs."""
    kind = "UPDATE" if _stack_exists(cfn, name) else "CREATE"
    change_set = f"{name}-{int(time.time())}"
    cfn.create_change_set(
        StackName=name, ChangeSetName=change_set, ChangeSetType=kind,
        TemplateBody=json.dumps(template), Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    deadline = time.monotonic() + 300
    while True:
        described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
        if described["Status"] == "CREATE_COMPLETE":
            break
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason", "")
            if "didn't contain changes" in reason or "No updates" in reason:
                cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
                return _outputs(cfn.describe_stacks(StackName=name)["Stacks"][0])
            raise DeployFailed(f"change set for {name} failed: {reason}")
        if time.monotonic() > deadline:
            raise DeployFailed(f"change set for {name} still {described['Status']}")
        time.sleep(1)
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    return _outputs(wait_for_stack(cfn, name))


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def deploy(stage_name: str, *, session: Any = None, bucket: str, database_url: str | None = None,
           secret_arn: str | None = None, skip_migrations: bool = False,
           overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Deploy ``stage_name`` (see the module's docstring); the stack's outputs."""
    session = session or boto3.session.Session()
    stage = load_stage(stage_name)
    try:
        stage.validate()
    except ConfigError as exc:
        raise DeployFailed(str(exc)) from exc
    if stage.uses_secret and not secret_arn:
        raise DeployFailed(f"stage {stage_name} reads its database from Secrets Manager: pass "
                           "--database-secret-arn (the secret's full ARN)")
    config = load_config({**stage.environment,
                          **({"DATABASE_SECRET_ARN": secret_arn} if secret_arn else {})})
    applied = migrate(stage, config, database_url, skip_migrations)
    print(f"{stage_name}: migrations {', '.join(applied) or 'up to date'}", file=sys.stderr)
    template_path, code, layer_zip = build_artifacts(stage_name)
    region = config.aws_region
    s3 = session.client("s3", region_name=region)
    ensure_bucket(s3, bucket, region)
    template = localized(json.loads(template_path.read_text()), upload(s3, bucket, code),
                         upload(s3, bucket, layer_zip), overrides)
    parameters = {SECRET_PARAMETER: secret_arn} if stage.uses_secret and secret_arn else {}
    return apply_template(session.client("cloudformation", region_name=region), stage.stack_name,
                          template, parameters)


def destroy(stage_name: str, session: Any = None) -> None:
    session = session or boto3.session.Session()
    stage = load_stage(stage_name)
    region = stage.app_config.aws_region
    cfn = session.client("cloudformation", region_name=region)
    if _stack_exists(cfn, stage.stack_name):
        cfn.delete_stack(StackName=stage.stack_name)
        deadline = time.monotonic() + 900
        while _stack_exists(cfn, stage.stack_name) and time.monotonic() < deadline:
            time.sleep(2)
    lam = session.client("lambda", region_name=region)
    for version in lam.list_layer_versions(LayerName=stage.layer_name).get("LayerVersions", []):
        lam.delete_layer_version(LayerName=stage.layer_name, VersionNumber=version["Version"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--bucket", help="S3 bucket for the code and the layer (created if "
                        "missing); default evaluator-<stage>-artifacts-<account>")
    parser.add_argument("--database-secret-arn", help="the database secret (stages without "
                        "DATABASE_URL)")
    parser.add_argument("--database-url", help="migrate this database (default: the stage's)")
    parser.add_argument("--skip-migrations", action="store_true",
                        help="deploy without migrating (the schema is migrated from elsewhere)")
    args = parser.parse_args()
    if args.action == "destroy":
        destroy(args.stage)
        print(f"{args.stage}: removed (the database and the artifacts bucket were kept)")
        return
    session = boto3.session.Session()
    bucket = args.bucket or (f"evaluator-{args.stage}-artifacts-"
                             f"{session.client('sts').get_caller_identity()['Account']}")
    outputs = deploy(args.stage, session=session, bucket=bucket,
                     database_url=args.database_url, secret_arn=args.database_secret_arn,
                     skip_migrations=args.skip_migrations)
    print(f"{args.stage}: deployed. API: {outputs.get('EndpointURL', outputs)}")


if __name__ == "__main__":
    main()
