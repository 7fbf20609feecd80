"""The deployed stages: what ``.chalice/config.json`` says of each, and the Chalice project a
deploy packages, rendered into ``build/`` so that the tracked file never changes.

The tracked file holds what a person decides per stage: the service's options (the environment)
and the functions' memory and timeouts. What follows from those options is derived when the stage
is rendered, from one setting each: the worker's Lambda timeout is ``WORKER_TIMEOUT_S`` (the
queue's visibility timeout is six times that), the API's and the worker's reserved concurrency
are ``API_CONCURRENCY`` and ``WORKER_CONCURRENCY``. Account-specific values (the roles, the layer,
the database secret) belong to the template and its parameters (infra/deploy/package.py), never
to a file in the repository.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.config import Config, ConfigError, load_config, visibility_timeout_for
from chalicelib.constants import BUILD_DIR, DB_SPARE_CONNECTIONS, PROJECT_ROOT

CHALICE_CONFIG = PROJECT_ROOT / ".chalice" / "config.json"
FUNCTIONS = ("api_handler", "run_submissions", "dead_letters", "sweep", "deliver_callbacks")
WORKER = "run_submissions"
# The Lambda runtimes the functions and the layer target: the bundled Node needs glibc 2.28.
LAMBDA_RUNTIMES = ["python3.12", "python3.13"]
# Chalice's own defaults, for a function the config does not size.
DEFAULT_TIMEOUT_S = 60
DEFAULT_MEMORY_MB = 128
# What a deployed function is made of: the Chalice project's files.
PROJECT_FILES = ("app.py", "requirements.txt", "chalicelib")
# Chalice refuses a stage without a role when it does not manage roles; the template replaces it.
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/replaced-by-the-template"


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    timeout_s: int
    memory_mb: int
    reserved_concurrency: int


@dataclass(frozen=True)
class Stage:
    name: str
    environment: dict[str, str]
    functions: dict[str, FunctionSettings]

    @property
    def app_config(self) -> Config:
        """The service's configuration as the stage's Lambdas will load it."""
        return load_config(self.environment)

    def role_name(self, function: str) -> str:
        return f"evaluator-{self.name}-{function}"

    @property
    def layer_name(self) -> str:
        return f"evaluator-{self.name}-node"

    @property
    def stack_name(self) -> str:
        return f"evaluator-{self.name}"

    @property
    def worker_timeout_s(self) -> int:
        return self.functions[WORKER].timeout_s

    @property
    def visibility_timeout_s(self) -> int:
        return visibility_timeout_for(self.worker_timeout_s)

    @property
    def uses_secret(self) -> bool:
        """Whether the stage reads its database from a secret (no DATABASE_URL of its own)."""
        return not self.environment.get("DATABASE_URL")

    def validate(self) -> None:
        """Refuse a stage the Lambdas would refuse (a bad value, a worker timeout too short for
        its batch), or whose functions could open more connections than the database takes."""
        try:
            config = self.app_config
        except ConfigError as exc:
            raise ConfigError(f"stage {self.name}: {exc}") from exc
        needed = config.database_connections + DB_SPARE_CONNECTIONS
        if needed > config.db_max_connections:
            raise ConfigError(
                f"stage {self.name}: its functions may hold {config.database_connections} "
                f"database connections (API_CONCURRENCY={config.api_concurrency} + "
                f"WORKER_CONCURRENCY={config.worker_concurrency} + {config.dlq_concurrency} "
                f"dead-letter + 1 sweeper + {config.callbacks_concurrency} callbacks), and "
                f"{DB_SPARE_CONNECTIONS} are kept spare: "
                f"{needed} > DB_MAX_CONNECTIONS={config.db_max_connections}")


def read_config(path: Path = CHALICE_CONFIG) -> dict[str, Any]:
    return json.loads(path.read_text())


def load_stage(name: str, path: Path = CHALICE_CONFIG) -> Stage:
    """A stage with Chalice's precedence (function settings over stage over top level), and the
    settings derived from its options."""
    raw = read_config(path)
    if name not in raw["stages"]:
        raise ConfigError(f"no stage {name!r} in {path}")
    stage = raw["stages"][name]
    environment = {**raw.get("environment_variables", {}), **stage.get("environment_variables", {})}
    config = load_config(environment)

    def setting(key: str, function: str, default: Any) -> Any:
        for scope in (stage.get("lambda_functions", {}).get(function, {}), stage, raw):
            if key in scope:
                return scope[key]
        return default

    derived = {"run_submissions": (config.worker_timeout_s, config.worker_concurrency),
               "api_handler": (None, config.api_concurrency),
               "dead_letters": (None, config.dlq_concurrency), "sweep": (None, 1),
               "deliver_callbacks": (None, config.callbacks_concurrency)}
    functions = {}
    for function in FUNCTIONS:
        timeout, concurrency = derived[function]
        functions[function] = FunctionSettings(
            name=function, timeout_s=timeout or setting("lambda_timeout", function, DEFAULT_TIMEOUT_S),
            memory_mb=setting("lambda_memory_size", function, DEFAULT_MEMORY_MB),
            reserved_concurrency=concurrency)
    return Stage(name, environment, functions)


def render_project(stage: Stage, out: Path | None = None, path: Path = CHALICE_CONFIG) -> Path:
    """The Chalice project that deploys ``stage``: the app's files and a ``.chalice/config.json``
    with the derived settings, in ``build/chalice/<stage>`` (Chalice keeps its deployed state
    beside it). Returns the project's directory."""
    out = out or BUILD_DIR / "chalice" / stage.name
    for name in PROJECT_FILES:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    raw = read_config(path)
    rendered = raw["stages"][stage.name]
    rendered["lambda_functions"] = {
        function: {**rendered.get("lambda_functions", {}).get(function, {}),
                   "lambda_timeout": settings.timeout_s,
                   "lambda_memory_size": settings.memory_mb,
                   "reserved_concurrency": settings.reserved_concurrency,
                   "iam_role_arn": PLACEHOLDER_ROLE}
        for function, settings in stage.functions.items()}
    config_dir = out / ".chalice"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.json").write_text(json.dumps(
        {**raw, "stages": {stage.name: rendered}}, indent=2) + "\n")
    return out
