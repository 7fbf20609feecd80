"""`make package`: a stage as one self-contained SAM template, plus the Node layer.

    build/chalice/<stage>/      the Chalice project rendered for the stage (infra/deploy/stages.py)
    build/node-layer.zip        bin/node, bin/sandbox-exec and the harness (runner/layer.py)
    build/sam/sam.json          chalice package's template, merged with build/sam-merge.json
    build/sam/deployment.zip    the functions' code and requirements
    build/api-definition.json   the REST API's Swagger, for checking

Chalice writes the functions (with their reserved concurrency), the REST API, the event source
mappings and the schedule. The merge template adds what Chalice cannot express: the queue and its
dead-letter queue with the redrive policy, the layer, one least-privilege role per function,
``FunctionResponseTypes: [ReportBatchItemFailures]`` on both SQS event sources, and, for a stage
that reads its database from Secrets Manager, the secret as the template's one parameter
(``DatabaseSecretArn``). infra/deploy/stack.py deploys exactly this template.

Chalice takes the Lambda runtime from the Python that runs it, and the bundled Node needs glibc
2.28 (python3.12 and newer runtimes): this must run under Python 3.12+.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.constants import BUILD_DIR
from infra.deploy.api_definition import rest_api_definition
from infra.deploy.policies import ASSUME_ROLE, policies
from infra.deploy.stages import LAMBDA_RUNTIMES, Stage, load_stage, render_project
from infra.queues import callbacks_redrive_policy, dlq_settings, queue_settings, redrive_policy
from runner import layer, node_runtime

MIN_PYTHON = (3, 12)
PLACEHOLDER_HANDLER_ARN = "arn:aws:lambda:us-east-1:000000000000:function:evaluator-api_handler"
SECRET_PARAMETER = "DatabaseSecretArn"
# Chalice's logical ids for the functions, and the SQS event source (and queue) of each.
LOGICAL_IDS = {"api_handler": "APIHandler", "run_submissions": "RunSubmissions",
               "dead_letters": "DeadLetters", "sweep": "Sweep",
               "deliver_callbacks": "DeliverCallbacks"}
SQS_EVENTS = {"run_submissions": ("RunSubmissionsSqsEventSource", "SubmissionsQueue"),
              "dead_letters": ("DeadLettersSqsEventSource", "SubmissionsDlq"),
              "deliver_callbacks": ("DeliverCallbacksSqsEventSource", "CallbacksQueue")}


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
    resources: dict[str, Any] = {
        "SubmissionsDlq": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.dlq_name, **dlq_settings(config)}},
        "SubmissionsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.queue_name, **queue_settings(config),
            "RedrivePolicy": redrive_policy(config, {"Fn::GetAtt": ["SubmissionsDlq", "Arn"]})}},
        "CallbacksDlq": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.callbacks_dlq, **dlq_settings(config)}},
        "CallbacksQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": config.callbacks_queue, **queue_settings(config),
            "RedrivePolicy": callbacks_redrive_policy(
                config, {"Fn::GetAtt": ["CallbacksDlq", "Arn"]})}},
        "NodeLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {
            "LayerName": stage.layer_name,
            "Description": f"Node {node_runtime.VERSION} and the evaluator's sandbox harness",
            "ContentUri": layer_uri, "CompatibleRuntimes": LAMBDA_RUNTIMES,
            "CompatibleArchitectures": ["x86_64"], "RetentionPolicy": "Retain"}},
    }
    secret = {"Ref": SECRET_PARAMETER} if stage.uses_secret else None
    for function, document in policies(stage, secret).items():
        logical_id = LOGICAL_IDS[function]
        role = f"{logical_id}Role"
        resources[role] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": stage.role_name(function), "AssumeRolePolicyDocument": ASSUME_ROLE,
            "Policies": [{"PolicyName": stage.role_name(function), "PolicyDocument": document}]}}
        properties: dict[str, Any] = {"Role": {"Fn::GetAtt": [role, "Arn"]}}
        if secret is not None:
            properties["Environment"] = {"Variables": {"DATABASE_SECRET_ARN": secret}}
        resources[logical_id] = {"Properties": properties}
        if function in SQS_EVENTS:
            event, queue = SQS_EVENTS[function]
            resources[logical_id]["DependsOn"] = [queue]
            properties["Events"] = {event: {"Properties": {
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
    resources["RunSubmissions"]["Properties"]["Layers"] = [{"Ref": "NodeLayer"}]
    template: dict[str, Any] = {"Resources": resources}
    if secret is not None:
        template["Parameters"] = {SECRET_PARAMETER: {
            "Type": "String", "AllowedPattern": "arn:aws[a-z-]*:secretsmanager:.+",
            "Description": "Full ARN of the Secrets Manager secret holding the database "
                           "(RDS's JSON, or {\"url\": ...}); its host may be an RDS Proxy."}}
    return template


def package(stage_name: str, build: Path = BUILD_DIR) -> Path:
    """Build the layer and the stage's SAM template; return the template's path."""
    require_python_312()
    stage = load_stage(stage_name)
    stage.validate()
    project = render_project(stage, build / "chalice" / stage_name)
    layer_zip = layer.build(build / "node-layer.zip")
    out = build / "sam"
    merge = build / "sam-merge.json"
    merge.write_text(json.dumps(merge_template(stage, f"../{layer_zip.name}"), indent=2))
    environ = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    subprocess.run([str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage_name,
                    "--merge-template", str(merge), str(out)],
                   cwd=project, check=True, env=environ)
    definition = rest_api_definition(stage.app_config.aws_region, PLACEHOLDER_HANDLER_ARN)
    (build / "api-definition.json").write_text(json.dumps(definition, indent=2))
    return out / "sam.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    args = parser.parse_args()
    template = package(args.stage)
    print(f"{template} (+ {template.parent / 'deployment.zip'}), {BUILD_DIR / 'node-layer.zip'}")


if __name__ == "__main__":
    main()
