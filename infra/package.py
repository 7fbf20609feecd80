"""`make package`: a stage as a self-contained SAM template, plus the Node layer.

    build/node-layer.zip        bin/node + the harness (runner/layer.py)
    build/sam/sam.json          chalice package's template, merged with build/sam-merge.json
    build/sam/deployment.zip    the functions' code and requirements

Chalice writes the functions, the REST API, the event source mappings and the schedule. The merge
template adds what Chalice cannot express, from the same code infra/provision.py uses: the queue
and its dead-letter queue with the redrive policy, the layer, one least-privilege role per function,
and ``FunctionResponseTypes: [ReportBatchItemFailures]`` on both SQS event sources. Deploy it with
``sam deploy``, or use ``make deploy`` (infra/provision.py, then Chalice's own deployer).

Chalice takes the Lambda runtime from the Python that runs it, and the bundled Node needs glibc
2.28 (python3.12 and newer runtimes): this must run under Python 3.12+.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.api_definition import rest_api_definition
from infra.policies import ASSUME_ROLE, policies
from infra.queues import DLQ_RETENTION_S
from infra.stages import CHALICE_DIR, LAMBDA_RUNTIMES, Stage, load_stage
from runner import layer, node_runtime

PROJECT_ROOT = CHALICE_DIR.parent
BUILD = PROJECT_ROOT / "build"
MIN_PYTHON = (3, 12)
PLACEHOLDER_HANDLER_ARN = "arn:aws:lambda:us-east-1:000000000000:function:evaluator-api_handler"
# Chalice's logical ids for the functions, and the SQS event source (and queue) of each.
LOGICAL_IDS = {"api_handler": "APIHandler", "run_submissions": "RunSubmissions",
               "dead_letters": "DeadLetters", "sweep": "Sweep"}
SQS_EVENTS = {"run_submissions": ("RunSubmissionsSqsEventSource", "SubmissionsQueue"),
              "dead_letters": ("DeadLettersSqsEventSource", "SubmissionsDlq")}


def require_python_312() -> None:
    if sys.version_info < MIN_PYTHON:
        raise SystemExit(
            f"Python {sys.version.split()[0]} would make Chalice deploy a python"
            f"{sys.version_info[0]}.{sys.version_info[1]} Lambda, whose glibc is too old for the "
            "bundled Node. Run this under Python 3.12+ (make package / make deploy use "
            ".venv-deploy, built with $(DEPLOY_PYTHON)).")


def merge_template(stage: Stage, layer_uri: str) -> dict[str, Any]:
    """What the SAM template needs beyond what Chalice writes."""
    config = stage.app_config
    visibility = stage.visibility_timeout_s
    resources: dict[str, Any] = {
        "SubmissionsDlq": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.dlq_name, "VisibilityTimeout": visibility,
            "MessageRetentionPeriod": DLQ_RETENTION_S}},
        "SubmissionsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.queue_name, "VisibilityTimeout": visibility,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["SubmissionsDlq", "Arn"]},
                              "maxReceiveCount": config.max_receive_count}}},
        "NodeLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {
            "LayerName": stage.layer_name,
            "Description": f"Node {node_runtime.VERSION} and the evaluator's sandbox harness",
            "ContentUri": layer_uri, "CompatibleRuntimes": LAMBDA_RUNTIMES,
            "CompatibleArchitectures": ["x86_64"], "RetentionPolicy": "Retain"}},
    }
    for function, document in policies(stage).items():
        logical_id = LOGICAL_IDS[function]
        role = f"{logical_id}Role"
        resources[role] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": stage.role_name(function), "AssumeRolePolicyDocument": ASSUME_ROLE,
            "Policies": [{"PolicyName": stage.role_name(function), "PolicyDocument": document}]}}
        properties: dict[str, Any] = {"Role": {"Fn::GetAtt": [role, "Arn"]}}
        resources[logical_id] = {"Properties": properties}
        if function in SQS_EVENTS:
            event, queue = SQS_EVENTS[function]
            resources[logical_id]["DependsOn"] = [queue]
            properties["Events"] = {event: {"Properties": {
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
    resources["RunSubmissions"]["Properties"]["Layers"] = [{"Ref": "NodeLayer"}]
    return {"Resources": resources}


def package(stage_name: str, build: Path = BUILD) -> Path:
    """Build the layer and the stage's SAM template; return the template's path."""
    require_python_312()
    stage = load_stage(stage_name)
    stage.validate()
    layer_zip = layer.build(build / "node-layer.zip")
    out = build / "sam"
    merge = build / "sam-merge.json"
    merge.write_text(json.dumps(merge_template(stage, f"../{layer_zip.name}"), indent=2))
    subprocess.run([str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage_name,
                    "--merge-template", str(merge), str(out)],
                   cwd=PROJECT_ROOT, check=True, env=_chalice_env())
    definition = rest_api_definition(stage.app_config.aws_region, PLACEHOLDER_HANDLER_ARN)
    (build / "api-definition.json").write_text(json.dumps(definition, indent=2))
    return out / "sam.json"


def _chalice_env() -> dict[str, str]:
    import os

    return {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    args = parser.parse_args()
    template = package(args.stage)
    print(f"{template} (+ {template.parent / 'deployment.zip'}), {BUILD / 'node-layer.zip'}")


if __name__ == "__main__":
    main()
