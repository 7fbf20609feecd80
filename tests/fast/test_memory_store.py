"""The in-memory store passes the store contract, as the PostgreSQL store does."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from chalicelib.memory_store import MemoryStore
from tests.store_contract import StoreContract


class MemoryHarness:
    def __init__(self) -> None:
        self.store = MemoryStore()

    def backdate(self, submission_id: uuid.UUID, **seconds: float) -> None:
        row = self.store.rows[submission_id]
        self.store.rows[submission_id] = dataclasses.replace(row, **{
            column: getattr(row, column) - timedelta(seconds=ago)
            for column, ago in seconds.items() if getattr(row, column) is not None})


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def harness(self) -> MemoryHarness:
        return MemoryHarness()
