"""Build the Node Lambda layer: ``bin/node`` (the pinned runtime), ``bin/sandbox-exec`` (the
launch helper, when a C compiler built it) and ``runner/`` (the harness).

Lambda unpacks a layer under ``/opt``, so the worker finds ``/opt/bin/node`` and
``/opt/runner/harness.js``, the paths chalicelib/config.py looks for first. Locally the same two
files are used from the checkout. ``python -m runner.layer`` writes ``build/node-layer.zip``.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from chalicelib.constants import BUILD_DIR
from runner import node_runtime

RUNNER_DIR = Path(__file__).resolve().parent
HARNESS_FILES = ("harness.js", *(f"context/{part.name}" for part in
                                  sorted((RUNNER_DIR / "context").glob("*.js"))))
DEFAULT_ZIP = BUILD_DIR / "node-layer.zip"
# Lambda's limit for a function and all its layers, unzipped, and what the layer leaves the
# functions' own packages (boto3 and psycopg take about 40 MiB of it).
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
FUNCTION_BUDGET = 90 * 1024 * 1024
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # reproducible archives: the same inputs give the same bytes


def layer_files() -> dict[str, Path]:
    """Archive name -> file on disk."""
    files = {"bin/node": node_runtime.fetch()}
    helper = node_runtime.build_exec_helper()
    if helper is None:  # the layer always carries it: Lambda's worker must not fork itself
        raise SystemExit("the layer needs runner/sandbox_exec.c built, and there is no C compiler")
    files["bin/sandbox-exec"] = helper
    files.update({f"runner/{name}": RUNNER_DIR / name for name in HARNESS_FILES})
    return files


def build(destination: Path = DEFAULT_ZIP) -> Path:
    """Write the layer zip; return its path."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(layer_files().items()):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = (0o755 if name.startswith("bin/") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
    partial.replace(destination)
    return destination


def unzipped_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


if __name__ == "__main__":
    built = build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ZIP)
    print(f"{built}: {built.stat().st_size / 2**20:.1f} MiB zipped, "
          f"{unzipped_size(built) / 2**20:.1f} MiB unzipped (Lambda allows 250 MiB in all)")
