"""The Node layer: built from the pinned binary and the harness, small enough for Lambda, and the
runtime it unpacks to runs programs exactly as the local stack does."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.constants import PROJECT_ROOT
from chalicelib.domain import Limits
from chalicelib.sandbox import NodeSandbox
from runner import layer, node_runtime


@pytest.fixture(scope="module")
def layer_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return layer.build(tmp_path_factory.mktemp("layer") / "node-layer.zip")


@pytest.fixture(scope="module")
def unpacked(layer_zip: Path) -> Iterator[Path]:
    """The layer as Lambda unpacks it under /opt (zipfile drops modes, so restore them). Outside
    pytest's private temp tree, which the unprivileged sandbox user could not enter."""
    opt = Path(tempfile.mkdtemp(prefix="evaluator-opt-"))
    opt.chmod(0o755)
    with zipfile.ZipFile(layer_zip) as archive:
        archive.extractall(opt)
        for info in archive.infolist():
            (opt / info.filename).chmod(info.external_attr >> 16)
    yield opt
    shutil.rmtree(opt)


def test_the_layer_holds_node_and_the_harness(layer_zip: Path) -> None:
    with zipfile.ZipFile(layer_zip) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    parts = {f"runner/context/{p.name}" for p in (PROJECT_ROOT / "runner" / "context").glob("*.js")}
    assert len(parts) > 3
    assert set(modes) == {"bin/node", "bin/sandbox-exec", "runner/harness.js", *parts}
    assert modes["bin/node"] & stat.S_IXOTH and modes["bin/sandbox-exec"] & stat.S_IXOTH


def test_the_layer_fits_lambdas_limits(layer_zip: Path) -> None:
    assert layer.unzipped_size(layer_zip) <= layer.LAMBDA_UNZIPPED_LIMIT - layer.FUNCTION_BUDGET
    assert layer_zip.stat().st_size < 50 * 1024 * 1024  # direct-upload limit of a zip


def test_the_unpacked_node_is_the_pinned_version(unpacked: Path) -> None:
    out = subprocess.run([unpacked / "bin" / "node", "--version"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == f"v{node_runtime.VERSION}"


def test_the_unpacked_layer_runs_programs(unpacked: Path) -> None:
    sandbox = NodeSandbox(unpacked / "bin" / "node", unpacked / "runner" / "harness.js",
                          exec_helper=unpacked / "bin" / "sandbox-exec")
    assert sandbox.exec_helper is not None
    outcome = sandbox.run("console.log('from the layer'); 6 * 7", Limits(2000, 256, 1 << 20))
    assert (outcome.result, outcome.stdout) == ("42", "from the layer\n")


def test_builds_are_reproducible(layer_zip: Path, tmp_path: Path) -> None:
    again = layer.build(tmp_path / "again.zip")
    assert again.read_bytes() == layer_zip.read_bytes()
