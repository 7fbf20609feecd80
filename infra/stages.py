"""The deployed stages, read from ``.chalice/config.json`` the way Chalice reads it.

The worker's ``lambda_timeout`` there is the one setting the deployed queue follows: its visibility
timeout is six times that (``visibility_timeout_for``), and a worker learns its lease from its own
remaining time. Nothing here keeps a second copy of either number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.config import Config, ConfigError, load_config, visibility_timeout_for

CHALICE_DIR = Path(__file__).resolve().parent.parent / ".chalice"
CHALICE_CONFIG = CHALICE_DIR / "config.json"
FUNCTIONS = ("api_handler", "run_submissions", "dead_letters", "sweep")
WORKER = "run_submissions"
# The Lambda runtimes the functions and the layer target: the bundled Node needs glibc 2.28.
LAMBDA_RUNTIMES = ["python3.12", "python3.13"]
# Chalice's own defaults, for a function the config does not size.
DEFAULT_TIMEOUT_S = 60
DEFAULT_MEMORY_MB = 128


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    timeout_s: int
    memory_mb: int
    layers: tuple[str, ...]
    role_arn: str | None


@dataclass(frozen=True)
class Stage:
    name: str
    environment: dict[str, str]
    functions: dict[str, FunctionSettings]

    @property
    def app_config(self) -> Config:
        """The service's configuration as the stage's Lambdas will load it, with the worker's
        timeout taken from its ``lambda_timeout`` (so the queue is provisioned from that)."""
        return load_config({**self.environment, "WORKER_TIMEOUT_S": str(self.worker_timeout_s)})

    def role_name(self, function: str) -> str:
        return f"evaluator-{self.name}-{function}"

    @property
    def layer_name(self) -> str:
        return f"evaluator-{self.name}-node"

    @property
    def worker_timeout_s(self) -> int:
        return self.functions[WORKER].timeout_s

    @property
    def visibility_timeout_s(self) -> int:
        return visibility_timeout_for(self.worker_timeout_s)

    def validate(self) -> None:
        """Refuse a stage whose configuration the Lambdas would refuse (a worker timeout too short
        for its batch, a bad value)."""
        try:
            self.app_config  # noqa: B018 - load_config validates
        except ConfigError as exc:
            raise ConfigError(f"stage {self.name} ({WORKER} lambda_timeout "
                              f"{self.worker_timeout_s} s): {exc}") from exc


def read_config(path: Path = CHALICE_CONFIG) -> dict[str, Any]:
    return json.loads(path.read_text())


def load_stage(name: str, path: Path = CHALICE_CONFIG) -> Stage:
    """A stage with Chalice's precedence: function settings over stage over top level."""
    raw = read_config(path)
    if name not in raw["stages"]:
        raise ConfigError(f"no stage {name!r} in {CHALICE_CONFIG}")
    stage = raw["stages"][name]

    def setting(key: str, function: str, default: Any) -> Any:
        for scope in (stage.get("lambda_functions", {}).get(function, {}), stage, raw):
            if key in scope:
                return scope[key]
        return default

    environment = {**raw.get("environment_variables", {}), **stage.get("environment_variables", {})}
    functions = {
        name_: FunctionSettings(
            name=name_, timeout_s=setting("lambda_timeout", name_, DEFAULT_TIMEOUT_S),
            memory_mb=setting("lambda_memory_size", name_, DEFAULT_MEMORY_MB),
            layers=tuple(setting("layers", name_, ())),
            role_arn=setting("iam_role_arn", name_, None))
        for name_ in FUNCTIONS
    }
    return Stage(name, environment, functions)


def set_stage_values(name: str, *, layer_arn: str | None = None,
                     role_arns: dict[str, str] | None = None,
                     environment: dict[str, str] | None = None,
                     path: Path = CHALICE_CONFIG) -> None:
    """Write what provisioning produced (the layer's and the roles' ARNs, environment values)
    into the stage, where ``chalice deploy`` reads them."""
    raw = read_config(path)
    stage = raw["stages"][name]
    functions = stage.setdefault("lambda_functions", {})
    if layer_arn:
        functions.setdefault(WORKER, {})["layers"] = [layer_arn]
    for function, arn in (role_arns or {}).items():
        functions.setdefault(function, {})["iam_role_arn"] = arn
    if environment:
        stage.setdefault("environment_variables", {}).update(environment)
    path.write_text(json.dumps(raw, indent=2) + "\n")
