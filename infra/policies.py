"""Least-privilege IAM roles, one per function and stage.

Each function gets its logs and exactly the queue calls it makes; every function also reads the
database secret when the stage uses one. Nothing else: the worker runs untrusted code, and its
role is what a V8 escape would inherit. The same documents feed both deploy paths: infra/provision.py
creates the roles for ``chalice deploy``, infra/package.py writes them into the SAM template.
"""

from __future__ import annotations

import re
from typing import Any

from infra.stages import FUNCTIONS, Stage

LOGS = {"Effect": "Allow", "Resource": "arn:*:logs:*:*:*",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}

# function -> (queue: "queue" or "dlq", the SQS actions it needs)
QUEUE_ACCESS = {
    "api_handler": ("queue", ["sqs:SendMessage", "sqs:GetQueueUrl"]),
    "run_submissions": ("queue", ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                  "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                                  "sqs:GetQueueUrl"]),
    "dead_letters": ("dlq", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]),
    "sweep": ("queue", ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]),
}


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:*:*:{name}"


def policy(stage: Stage, function: str) -> dict[str, Any]:
    config = stage.app_config
    which, actions = QUEUE_ACCESS[function]
    queue = config.queue_name if which == "queue" else config.dlq_name
    statements: list[dict[str, Any]] = [
        LOGS, {"Effect": "Allow", "Action": actions, "Resource": queue_arn(queue)}]
    secret = stage.environment.get("DATABASE_SECRET_ARN")
    if secret:
        # A full ARN ends in Secrets Manager's six-character suffix; a name-only one gets "-??????".
        exact = re.search(r"-[A-Za-z0-9]{6}$", secret.rsplit(":", 1)[-1])
        statements.append({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": secret if exact else secret + "-??????"})
    return {"Version": "2012-10-17", "Statement": statements}


ASSUME_ROLE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def policies(stage: Stage) -> dict[str, dict[str, Any]]:
    """Function -> its policy document."""
    return {function: policy(stage, function) for function in FUNCTIONS}
