"""Deploying, checked as far as a machine without an AWS account and without Docker can check it
(the deployed topology itself runs in tests/integration/test_deploy_local.py, under ministack):

- `make package`'s SAM template for prod, linted by cfn-lint and read for what it must contain:
  the queues, the layer, one least-privilege role per function, the database secret as the
  template's parameter, reserved concurrency and the worker's timeout derived from the stage's
  options; and the tracked `.chalice/config.json` left as it was;
- the stage's connection arithmetic, and a failed migration stopping a deploy before any AWS call;
- the REST API's definition imported into a real LocalStack's API Gateway;
- docker-compose.localstack.yml, parsed by a Compose CLI and checked against the stage config.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import pytest
import yaml

from chalicelib.config import ConfigError
from chalicelib.constants import DB_SPARE_CONNECTIONS, PROJECT_ROOT
from infra.deploy import stack
from infra.deploy.api_definition import rest_api_definition
from infra.deploy.package import SECRET_PARAMETER
from infra.deploy.policies import policies
from infra.deploy.stages import CHALICE_CONFIG, load_stage, read_config
from infra.local.localstack import LocalStackServer
from tests.conftest import create_database

pytestmark = pytest.mark.integration

DEPLOY_PYTHON = PROJECT_ROOT / ".venv-deploy" / "bin" / "python"
BUILD = PROJECT_ROOT / "build"
FUNCTIONS = {"APIHandler": "api_handler", "RunSubmissions": "run_submissions",
             "DeadLetters": "dead_letters", "Sweep": "sweep", "DeliverCallbacks": "deliver_callbacks"}
SECRET_REF = {"Ref": SECRET_PARAMETER}


# ---- make package -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tracked_config_before() -> bytes:
    return CHALICE_CONFIG.read_bytes()


@pytest.fixture(scope="module")
def template(tracked_config_before: bytes) -> dict[str, Any]:
    """`make package`: build/sam/sam.json, its deployment.zip, and build/node-layer.zip."""
    subprocess.run(["make", "--no-print-directory", "package"], cwd=PROJECT_ROOT, check=True,
                   capture_output=True)
    for path in ("sam/sam.json", "sam/deployment.zip", "node-layer.zip", "api-definition.json"):
        assert (BUILD / path).is_file(), path
    return json.loads((BUILD / "sam" / "sam.json").read_text())


def resources_of(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_template_passes_cfn_lint(template: dict[str, Any]) -> None:
    lint = subprocess.run([str(DEPLOY_PYTHON.with_name("cfn-lint")), str(BUILD / "sam" / "sam.json")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_packaging_leaves_the_tracked_config_as_it_was(template, tracked_config_before) -> None:
    assert CHALICE_CONFIG.read_bytes() == tracked_config_before
    tracked = read_config()
    assert "arn:" not in json.dumps(tracked)  # no account-specific value in the repository
    for stage in tracked["stages"].values():  # the worker's timeout comes from WORKER_TIMEOUT_S
        assert "lambda_timeout" not in stage.get("lambda_functions", {}).get("run_submissions", {})
    rendered = read_config(BUILD / "chalice" / "prod" / ".chalice" / "config.json")
    worker = rendered["stages"]["prod"]["lambda_functions"]["run_submissions"]
    assert worker["lambda_timeout"] == int(load_stage("prod").environment["WORKER_TIMEOUT_S"])


def test_the_queues_have_the_redrive_policy_and_the_derived_visibility(template) -> None:
    stage = load_stage("prod")
    queue = template["Resources"]["SubmissionsQueue"]["Properties"]
    dlq = template["Resources"]["SubmissionsDlq"]["Properties"]
    assert queue["QueueName"] == "evaluator-prod-submissions"
    assert dlq["QueueName"] == "evaluator-prod-submissions-dlq"
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["SubmissionsDlq", "Arn"]},
                                      "maxReceiveCount": stage.app_config.max_receive_count}
    assert queue["VisibilityTimeout"] == 6 * stage.worker_timeout_s == 360
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    callbacks = template["Resources"]["CallbacksQueue"]["Properties"]
    assert (callbacks["QueueName"], callbacks["RedrivePolicy"]) == (
        "evaluator-prod-callbacks", {"deadLetterTargetArn": {"Fn::GetAtt": ["CallbacksDlq", "Arn"]},
                                     "maxReceiveCount": stage.app_config.callback_attempts})
    assert template["Resources"]["CallbacksDlq"]["Properties"]["QueueName"] == \
        "evaluator-prod-callbacks-dlq"


def test_the_sqs_event_sources_report_batch_item_failures(template) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    worker = functions["RunSubmissions"]["Properties"]["Events"]["RunSubmissionsSqsEventSource"]
    assert worker["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert worker["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 10}
    assert worker["Properties"]["BatchSize"] == 5
    assert "evaluator-prod-submissions" in worker["Properties"]["Queue"]["Fn::Sub"]
    dlq = functions["DeadLetters"]["Properties"]["Events"]["DeadLettersSqsEventSource"]
    assert dlq["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert dlq["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}
    callbacks = functions["DeliverCallbacks"]["Properties"]["Events"]["DeliverCallbacksSqsEventSource"]
    assert callbacks["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "evaluator-prod-callbacks" in callbacks["Properties"]["Queue"]["Fn::Sub"]


def test_every_function_has_reserved_concurrency_from_the_stage(template) -> None:
    """Connections are bounded by concurrency: one per container (DB_POOL_SIZE 1 in Lambda)."""
    config = load_stage("prod").app_config
    functions = resources_of(template, "AWS::Serverless::Function")
    reserved = {FUNCTIONS[k]: f["Properties"]["ReservedConcurrentExecutions"]
                for k, f in functions.items()}
    assert reserved == {"api_handler": config.api_concurrency == 20 and 20,
                        "run_submissions": config.worker_concurrency, "dead_letters": 2, "sweep": 1,
                        "deliver_callbacks": 2}
    assert sum(reserved.values()) + DB_SPARE_CONNECTIONS <= config.db_max_connections


def test_the_database_secret_is_the_templates_parameter(template) -> None:
    parameter = template["Parameters"][SECRET_PARAMETER]
    assert parameter["Type"] == "String" and "secretsmanager" in parameter["AllowedPattern"]
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["DATABASE_SECRET_ARN"] == SECRET_REF, name
        assert "DATABASE_URL" not in variables, name
        assert variables["DB_PROXY"] == "1", name


def test_the_sweeper_runs_every_minute(template) -> None:
    events = template["Resources"]["Sweep"]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in events.values()] == ["rate(1 minute)"]


def test_the_worker_has_the_node_layer_and_the_others_do_not(template) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    assert functions["RunSubmissions"]["Properties"]["Layers"] == [{"Ref": "NodeLayer"}]
    assert all("Layers" not in f["Properties"] for name, f in functions.items() if name != "RunSubmissions")
    layer = template["Resources"]["NodeLayer"]["Properties"]
    assert layer["ContentUri"] == "../node-layer.zip" and "python3.12" in layer["CompatibleRuntimes"]


def test_the_functions_run_python_312_with_their_sizes(template) -> None:
    stage = load_stage("prod")
    functions = resources_of(template, "AWS::Serverless::Function")
    assert {f["Properties"]["Runtime"] for f in functions.values()} == {"python3.12"}
    worker = functions["RunSubmissions"]["Properties"]
    assert (worker["Timeout"], worker["MemorySize"]) == (stage.app_config.worker_timeout_s, 1769)


def test_each_function_has_its_own_least_privilege_role(template) -> None:
    stage = load_stage("prod")
    functions = resources_of(template, "AWS::Serverless::Function")
    roles = resources_of(template, "AWS::IAM::Role")
    assert len(roles) == len(functions) == 5
    expected = policies(stage, SECRET_REF)
    for logical_id, function in FUNCTIONS.items():
        role_ref = functions[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        document = roles[role_ref]["Properties"]["Policies"][0]["PolicyDocument"]
        assert document == expected[function]

    def actions(function: str, resource_suffix: str | None = None) -> set[str]:
        return {a for s in expected[function]["Statement"] for a in s["Action"]
                if resource_suffix is None or str(s["Resource"]).endswith(resource_suffix)}

    # The worker sends nothing but a finished submission's callback, and only to that queue.
    assert "sqs:SendMessage" not in actions("run_submissions", ":evaluator-prod-submissions")
    assert actions("run_submissions", ":evaluator-prod-callbacks") == {"sqs:SendMessage", "sqs:GetQueueUrl"}
    assert actions("deliver_callbacks") >= {"sqs:ReceiveMessage", "logs:PutLogEvents"}
    assert not any(a.startswith("sqs:Send") for a in actions("deliver_callbacks"))
    assert not any(a.startswith(("s3:", "lambda:", "iam:")) for a in actions("run_submissions"))
    assert "sqs:ReceiveMessage" not in actions("api_handler") and "sqs:SendMessage" in actions("api_handler")
    # The DLQ handler re-drives a dead letter onto the submissions queue, and may only send there.
    assert actions("dead_letters", ":evaluator-prod-submissions") == {"sqs:SendMessage", "sqs:GetQueueUrl"}
    assert "sqs:ReceiveMessage" in actions("dead_letters", ":evaluator-prod-submissions-dlq")
    for function, document in expected.items():
        assert "secretsmanager:GetSecretValue" in actions(function), function
        for statement in document["Statement"]:
            assert statement["Resource"] != "*"


def test_packaging_under_python_311_is_refused_clearly() -> None:
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c",
                             "import infra.deploy.package as p; p.require_python_312()"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "Python 3.12+" in result.stderr


# ---- what a deploy refuses ----------------------------------------------------------------------
def write_config(tmp_path: Path, **environment: str) -> Path:
    raw = read_config()
    raw["stages"]["prod"]["environment_variables"].update(environment)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    return path


def test_a_stage_whose_functions_could_exhaust_the_database_is_refused(tmp_path: Path) -> None:
    load_stage("prod").validate()  # the tracked stage fits
    crowded = load_stage("prod", write_config(tmp_path, API_CONCURRENCY="90"))
    with pytest.raises(ConfigError, match=r"may hold 105 database connections.*110 > "
                                          r"DB_MAX_CONNECTIONS=100"):
        crowded.validate()
    load_stage("prod", write_config(tmp_path, API_CONCURRENCY="90", DB_MAX_CONNECTIONS="200")).validate()


class NoAws:
    """A boto3 session that fails the test if the deploy reaches AWS."""

    calls: list[str] = []

    def client(self, service: str, **_: Any) -> Any:
        self.calls.append(service)
        raise AssertionError(f"the deploy called {service} after its migration failed")


PASSWORD = "s3cret-Pa55"
UNREACHABLE = f"postgresql://evaluator:{PASSWORD}@127.0.0.1:9/evaluator?connect_timeout=2"


def test_a_failed_migration_stops_the_deploy_before_any_aws_call() -> None:
    session = NoAws()
    with pytest.raises(stack.DeployFailed, match=r"(?s)migrating the database failed, so nothing "
                                                 r"was deployed.*--skip-migrations") as failed:
        stack.deploy("prod", session=session, bucket="unused", database_url=UNREACHABLE,
                     secret_arn="arn:aws:secretsmanager:us-east-1:000000000000:secret:db")
    assert session.calls == [] and PASSWORD not in str(failed.value)


def test_skipping_migrations_is_said_and_applies_none(capsys: pytest.CaptureFixture[str]) -> None:
    stage = load_stage("prod")
    assert stack.migrate(stage, stage.app_config, UNREACHABLE, skip=True) == []
    assert "migrations skipped (--skip-migrations)" in capsys.readouterr().err


def test_a_secret_stage_without_the_secret_is_refused() -> None:
    with pytest.raises(stack.DeployFailed, match="--database-secret-arn"):
        stack.deploy("prod", session=NoAws(), bucket="unused", database_url=UNREACHABLE)


def test_the_migration_runs_against_a_real_database(postgres_server_url: str) -> None:
    database_url = create_database(postgres_server_url)
    stage = load_stage("prod")
    assert stack.migrate(stage, stage.app_config, database_url) == []  # create_database migrated
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE submissions; DROP TABLE schema_migrations")
    applied = stack.migrate(stage, stage.app_config, database_url)
    assert applied and applied[0] == "0001_submissions"


# ---- the API definition in LocalStack's API Gateway ------------------------------------------------
def test_the_api_definition_imports_into_api_gateway(localstack: LocalStackServer) -> None:
    apigw = localstack.session().client("apigateway")
    definition = rest_api_definition("us-east-1", "arn:aws:lambda:us-east-1:000000000000:function:x")
    api = apigw.import_rest_api(body=json.dumps(definition).encode())
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    routes = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
    assert {("/submission", "POST"), ("/submission/{submission_id}", "GET"),
            ("/code/create", "POST"), ("/code/poll/{submission_id}", "GET"),
            ("/health", "GET"), ("/submissions/batch", "POST"), ("/submissions/batch", "GET")} <= routes


# ---- docker-compose.localstack.yml --------------------------------------------------------------
def compose_config() -> dict[str, Any]:
    """The file as a Compose CLI reads it (no Docker engine needed for `config`)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        result = subprocess.run([*command, "-f", "docker-compose.localstack.yml", "config"],
                                cwd=PROJECT_ROOT, capture_output=True, text=True)
        if result.returncode == 0:
            return yaml.safe_load(result.stdout)
    raise AssertionError(f"no Compose CLI accepted the file: {result.stderr}")


def test_the_compose_file_parses_and_matches_the_localstack_stage() -> None:
    config = compose_config()
    services = config["services"]
    assert set(services) == {"localstack", "postgres"}
    localstack, postgres = services["localstack"], services["postgres"]
    assert any("/var/run/docker.sock" in str(v) for v in localstack["volumes"])
    assert localstack["environment"]["LAMBDA_DOCKER_NETWORK"] == config["networks"]["evaluator"]["name"]

    def published(service: dict[str, Any]) -> set[int]:
        ports = set()
        for port in service["ports"]:
            ports.add(int(port["published"]) if isinstance(port, dict) else int(str(port).split(":")[-2]))
        return ports

    assert 4566 in published(localstack)
    stage_db = urlparse(load_stage("localstack").environment["DATABASE_URL"])
    assert (stage_db.hostname, stage_db.port) == ("postgres", 5432) and 5432 in published(postgres)
    env = postgres["environment"]
    assert (stage_db.username, stage_db.password, stage_db.path.lstrip("/")) == (
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"])
