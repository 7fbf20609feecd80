"""Deploying, checked as far as a machine without an AWS account and without Docker can check it:

- `make package`'s SAM template for prod, linted by cfn-lint and read for what it must contain;
- the provisioning code against a real LocalStack (no Docker): queues, layer, roles, schema, the
  stage config, the API definition, and the event source mapping setting; and where LocalStack
  stops (its Lambda service cannot run a function without Docker);
- docker-compose.localstack.yml, parsed by a Compose CLI and checked against the stage config.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from infra.deploy.provision import layer_sha256, provision

from chalicelib.constants import PROJECT_ROOT
from infra.deploy import REPORT, report_batch_item_failures
from infra.deploy.api_definition import rest_api_definition
from infra.deploy.policies import policies
from infra.deploy.stages import load_stage
from infra.local.localstack import LocalStackServer
from tests.conftest import create_database

pytestmark = pytest.mark.integration

DEPLOY_PYTHON = PROJECT_ROOT / ".venv-deploy" / "bin" / "python"
BUILD = PROJECT_ROOT / "build"


# ---- make package -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
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


def test_the_queues_have_the_redrive_policy_and_the_derived_visibility(template) -> None:
    stage = load_stage("prod")
    queue = template["Resources"]["SubmissionsQueue"]["Properties"]
    dlq = template["Resources"]["SubmissionsDlq"]["Properties"]
    assert queue["QueueName"] == "evaluator-prod-submissions"
    assert dlq["QueueName"] == "evaluator-prod-submissions-dlq"
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["SubmissionsDlq", "Arn"]},
                                      "maxReceiveCount": 5}
    assert queue["VisibilityTimeout"] == 6 * stage.worker_timeout_s == 360


def test_the_sqs_event_sources_report_batch_item_failures(template) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    worker = functions["RunSubmissions"]["Properties"]["Events"]["RunSubmissionsSqsEventSource"]
    assert worker["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert worker["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 10}
    assert worker["Properties"]["BatchSize"] == 5
    assert "evaluator-prod-submissions" in worker["Properties"]["Queue"]["Fn::Sub"]
    dlq = functions["DeadLetters"]["Properties"]["Events"]["DeadLettersSqsEventSource"]
    assert dlq["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


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
    assert (worker["Timeout"], worker["MemorySize"]) == (stage.worker_timeout_s, 1769)


def test_each_function_has_its_own_least_privilege_role(template) -> None:
    stage = load_stage("prod")
    functions = resources_of(template, "AWS::Serverless::Function")
    roles = resources_of(template, "AWS::IAM::Role")
    assert len(roles) == len(functions) == 4
    expected = policies(stage)
    for logical_id, function in (("APIHandler", "api_handler"), ("RunSubmissions", "run_submissions"),
                                 ("DeadLetters", "dead_letters"), ("Sweep", "sweep")):
        role_ref = functions[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        document = roles[role_ref]["Properties"]["Policies"][0]["PolicyDocument"]
        assert document == expected[function]
    worker_actions = {a for s in expected["run_submissions"]["Statement"] for a in s["Action"]}
    assert "sqs:SendMessage" not in worker_actions and not any(a.startswith(("s3:", "lambda:", "iam:"))
                                                               for a in worker_actions)
    api_actions = {a for s in expected["api_handler"]["Statement"] for a in s["Action"]}
    assert "sqs:ReceiveMessage" not in api_actions and "sqs:SendMessage" in api_actions
    for document in expected.values():
        for statement in document["Statement"]:
            assert statement["Resource"] != "*"


def test_packaging_under_python_311_is_refused_clearly() -> None:
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c",
                             "import infra.deploy.package as p; p.require_python_312()"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "Python 3.12+" in result.stderr


# ---- provisioning against LocalStack ------------------------------------------------------------
@pytest.fixture(scope="module")
def aws(localstack: LocalStackServer) -> Any:
    return localstack.session()


@pytest.fixture(scope="module")
def provisioned(aws: Any, tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str,
                template: dict[str, Any]) -> tuple[Any, Path, str]:
    config_path = tmp_path_factory.mktemp("chalice") / "config.json"
    shutil.copy(PROJECT_ROOT / ".chalice" / "config.json", config_path)
    database_url = create_database(postgres_server_url)
    with psycopg_connect(database_url) as conn:  # a brand-new database: no schema yet
        conn.execute("DROP TABLE submissions; DROP TABLE schema_migrations")
    first = provision("localstack", session=aws, database_url=database_url,
                      config_path=config_path, layer_zip=BUILD / "node-layer.zip")
    return first, config_path, database_url


def psycopg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def test_provisioning_creates_the_queues_with_their_redrive_policy(aws, provisioned) -> None:
    done, _, _ = provisioned
    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=done.queues.queue_url,
                                          AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == done.queues.dlq_arn
    assert int(redrive["maxReceiveCount"]) == 5
    assert attributes["VisibilityTimeout"] == "360"
    dlq = sqs.get_queue_attributes(QueueUrl=done.queues.dlq_url, AttributeNames=["All"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def test_provisioning_publishes_the_layer_once(aws, provisioned) -> None:
    done, config_path, database_url = provisioned
    lam = aws.client("lambda")
    layer = lam.get_layer_version_by_arn(Arn=done.layer_arn)
    assert layer["Content"]["CodeSha256"] == layer_sha256(BUILD / "node-layer.zip")
    again = provision("localstack", session=aws, database_url=database_url,
                      config_path=config_path, layer_zip=BUILD / "node-layer.zip")
    assert again.layer_arn == done.layer_arn  # unchanged content: no new version
    assert again.migrations == [] and again.role_arns == done.role_arns


def test_provisioning_creates_each_functions_role_and_policy(aws, provisioned) -> None:
    done, _, _ = provisioned
    iam = aws.client("iam")
    stage = load_stage("localstack")
    for function, document in policies(stage).items():
        role = stage.role_name(function)
        assert iam.get_role(RoleName=role)["Role"]["Arn"] == done.role_arns[function]
        stored = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
        stored = json.loads(stored) if isinstance(stored, str) else stored
        assert stored == document


def test_provisioning_migrates_the_database(provisioned) -> None:
    done, _, database_url = provisioned
    assert done.migrations == ["0001_submissions"]
    with psycopg_connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM submissions").fetchone() == (0,)


def test_provisioning_writes_the_arns_into_the_stage(provisioned) -> None:
    done, config_path, _ = provisioned
    stage = load_stage("localstack", config_path)
    assert stage.functions["run_submissions"].layers == (done.layer_arn,)
    assert {f: s.role_arn for f, s in stage.functions.items()} == done.role_arns


def test_the_api_definition_imports_into_api_gateway(aws) -> None:
    apigw = aws.client("apigateway")
    definition = rest_api_definition("us-east-1", "arn:aws:lambda:us-east-1:000000000000:function:x")
    api = apigw.import_rest_api(body=json.dumps(definition).encode())
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    routes = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
    assert {("/submission", "POST"), ("/submission/{submission_id}", "GET"),
            ("/code/create", "POST"), ("/code/poll/{submission_id}", "GET"),
            ("/health", "GET")} <= routes


def test_partial_batch_responses_are_switched_on_after_deploy_and_where_localstack_stops(
        aws, provisioned) -> None:
    """chalice deploy creates the worker and its event source mapping, then waits for the function
    to become Active, which LocalStack without Docker never does. Do the same two calls here, and
    run the post-deploy step on the mapping."""
    done, _, _ = provisioned
    lam = aws.client("lambda")
    name = "evaluator-localstack-run_submissions"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="app.run_submissions",
        Role=done.role_arns["run_submissions"], Layers=[done.layer_arn], Timeout=60,
        MemorySize=1769, Code={"ZipFile": (BUILD / "sam" / "deployment.zip").read_bytes()})
    lam.create_event_source_mapping(FunctionName=name, EventSourceArn=done.queues.queue_arn,
                                    BatchSize=5)
    (uuid,) = report_batch_item_failures(lam, name)
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionResponseTypes"] == [REPORT]
    state = lam.get_function(FunctionName=name)["Configuration"].get("State")
    assert state in ("Pending", "Failed")  # the wall: no Docker, no function runtime
    with pytest.raises(RuntimeError, match="no event source mapping"):
        report_batch_item_failures(lam, "evaluator-localstack-not_deployed")


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
