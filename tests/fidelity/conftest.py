"""The fidelity fixtures: the whole service over HTTP, as `make run` starts it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import RunningStack, stack_environment


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = RunningStack(tmp_path_factory.mktemp("fidelity"), stack_environment()).start()
    yield running
    running.stop()
