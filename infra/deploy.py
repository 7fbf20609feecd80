"""`make deploy` and `make destroy`: a stage on AWS (or LocalStack with Docker) in one command.

    deploy:  infra/provision.py (queues, layer, roles, schema, ARNs into .chalice/config.json)
             -> chalice deploy --stage STAGE (functions, REST API, event source mappings, schedule)
             -> FunctionResponseTypes=[ReportBatchItemFailures] on both SQS event source mappings
                (Chalice cannot set it), then checked
    destroy: chalice delete --stage STAGE -> the queues, the roles and the layer versions.
             The database is left alone: it holds every submission.

Runs under Python 3.12+ (Chalice takes the Lambda runtime from the Python that runs it).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from infra.package import PROJECT_ROOT, require_python_312
from infra.provision import provision
from infra.stages import load_stage

APP_NAME = "evaluator"
SQS_FUNCTIONS = ("run_submissions", "dead_letters")
REPORT = "ReportBatchItemFailures"


def function_name(stage: str, function: str) -> str:
    """The name chalice deploy gives a function."""
    return f"{APP_NAME}-{stage}-{function}"


def report_batch_item_failures(lam: Any, function: str) -> list[str]:
    """Turn on partial batch responses on every SQS event source mapping of ``function``;
    return their UUIDs. Raises if the function has none, or one stays without the setting."""
    mappings = [m for page in lam.get_paginator("list_event_source_mappings").paginate(
        FunctionName=function) for m in page["EventSourceMappings"]]
    if not mappings:
        raise RuntimeError(f"{function} has no event source mapping: was it deployed?")
    for mapping in mappings:
        if REPORT not in mapping.get("FunctionResponseTypes", []):
            lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=[REPORT])
    for mapping in mappings:
        current = lam.get_event_source_mapping(UUID=mapping["UUID"])
        if REPORT not in current.get("FunctionResponseTypes", []):
            raise RuntimeError(f"{function}: {mapping['UUID']} does not report batch item failures")
    return [mapping["UUID"] for mapping in mappings]


def chalice(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("chalice")), *args], cwd=PROJECT_ROOT,
                   check=True)


def deploy(stage: str, database_url: str | None, layer_bucket: str | None) -> None:
    require_python_312()
    done = provision(stage, database_url=database_url, layer_bucket=layer_bucket)
    print(f"provisioned: {done.queues.queue_url}, {done.layer_arn}, "
          f"migrations: {', '.join(done.migrations) or 'none'}")
    chalice("deploy", "--stage", stage)
    lam = boto3.client("lambda")
    for function in SQS_FUNCTIONS:
        report_batch_item_failures(lam, function_name(stage, function))
    print(f"{stage}: deployed; partial batch responses on for {', '.join(SQS_FUNCTIONS)}")


def destroy(stage_name: str) -> None:
    require_python_312()
    stage = load_stage(stage_name)
    chalice("delete", "--stage", stage_name)
    session = boto3.session.Session()
    sqs, iam, lam = session.client("sqs"), session.client("iam"), session.client("lambda")
    config = stage.app_config
    for queue in (config.queue_name, config.dlq_name):
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    for function in stage.functions:
        role = stage.role_name(function)
        try:
            iam.delete_role_policy(RoleName=role, PolicyName=role)
            iam.delete_role(RoleName=role)
        except iam.exceptions.NoSuchEntityException:
            pass
    for version in lam.list_layer_versions(LayerName=stage.layer_name).get("LayerVersions", []):
        lam.delete_layer_version(LayerName=stage.layer_name, VersionNumber=version["Version"])
    print(f"{stage_name}: removed (the database was kept)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--database-url", help="run the migrations against this database")
    parser.add_argument("--layer-bucket", help="S3 bucket for a layer zip over 50 MB")
    args = parser.parse_args()
    if args.action == "deploy":
        deploy(args.stage, args.database_url, args.layer_bucket)
    else:
        destroy(args.stage)


if __name__ == "__main__":
    main()
