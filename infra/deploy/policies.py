"""Least-privilege IAM roles, one per function and stage, for the template (infra/deploy/package.py).

Each function gets its logs and exactly the queue calls it makes; every function also reads the
database secret when the stage uses one. Nothing else: the worker runs untrusted code, and its
role is what a V8 escape would inherit.
"""

from __future__ import annotations

from typing import Any

from infra.deploy.stages import FUNCTIONS, Stage

LOGS = {"Effect": "Allow", "Resource": "arn:*:logs:*:*:*",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}

CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
           "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
SEND = ["sqs:SendMessage", "sqs:GetQueueUrl"]
# function -> {queue ("queue", "dlq", "callbacks"): the SQS actions it needs on it}. Whoever can
# finish a submission (worker, DLQ handler, sweeper) queues its callback.
QUEUE_ACCESS: dict[str, dict[str, list[str]]] = {
    "api_handler": {"queue": SEND},
    "run_submissions": {"queue": CONSUME, "callbacks": SEND},
    # It sends a dead letter back to the queue while the retry budget lasts.
    "dead_letters": {"dlq": CONSUME, "queue": SEND, "callbacks": SEND},
    "sweep": {"queue": [*SEND, "sqs:GetQueueAttributes"], "callbacks": SEND},
    "deliver_callbacks": {"callbacks": CONSUME},
}


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:*:*:{name}"


def policy(stage: Stage, function: str, secret: Any = None) -> dict[str, Any]:
    """``function``'s policy document; ``secret`` (an ARN, or the template's reference to one)
    is the database secret it may read, if the stage has one."""
    config = stage.app_config
    names = {"queue": config.queue_name, "dlq": config.dlq_name,
             "callbacks": config.callbacks_queue}
    statements: list[dict[str, Any]] = [LOGS] + [
        {"Effect": "Allow", "Action": actions, "Resource": queue_arn(names[which])}
        for which, actions in QUEUE_ACCESS[function].items()]
    if secret is not None:
        statements.append({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": secret})
    return {"Version": "2012-10-17", "Statement": statements}


ASSUME_ROLE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def policies(stage: Stage, secret: Any = None) -> dict[str, dict[str, Any]]:
    """Function -> its policy document."""
    return {function: policy(stage, function, secret) for function in FUNCTIONS}
