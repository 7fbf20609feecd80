"""The PostgreSQL store against a real server: the store contract (tests/store_contract.py),
directly and behind a transaction-mode pooler (PgBouncer, the pooling RDS Proxy does), and what
only a real database can show: an outage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import conninfo

from chalicelib.errors import StoreUnavailable
from chalicelib.postgres_store import PostgresStore, create_pool
from tests.store_contract import StoreContract
from tests.support.lambda_like import PostgresOverTcp
from tests.support.pgbouncer import PgBouncer
from tests.support.pgbouncer import available as pgbouncer_available


class PostgresHarness:
    """The store on ``store_url``; time moved by talking to the database directly (``url``)."""

    def __init__(self, url: str, store_url: str | None = None, proxy: bool = False) -> None:
        self.url = url
        self.store = PostgresStore(create_pool(store_url or url, 8, proxy=proxy))

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


# ---- behind a transaction-mode pooler (RDS Proxy's way) ---------------------------------------
@pytest.fixture(scope="module")
def pooled_url(postgres_server_url: str, database_url: str) -> Iterator[str]:
    why_not = pgbouncer_available()
    if why_not:
        pytest.skip(why_not)
    tcp = PostgresOverTcp(postgres_server_url)
    bouncer = PgBouncer("127.0.0.1", tcp.port, tcp.user, pool_size=1)
    yield bouncer.url(conninfo.conninfo_to_dict(database_url)["dbname"])
    bouncer.stop()
    tcp.close()


@pytest.fixture(scope="module")
def pooled(database_url: str, pooled_url: str) -> Iterator[PostgresHarness]:
    harness = PostgresHarness(database_url, pooled_url, proxy=True)
    yield harness
    harness.store.close()


class TestPostgresStoreBehindAPooler(StoreContract):
    """DB_PROXY=1: every rule holds with all clients sharing one server connection."""

    @pytest.fixture
    def harness(self, pooled: PostgresHarness) -> PostgresHarness:
        return pooled


def test_without_proxy_mode_a_pooler_breaks_prepared_statements(pooled_url: str) -> None:
    """The control: psycopg prepares a statement run five times; two clients sharing one server
    connection then prepare the same name on it. This is what DB_PROXY=1 avoids."""
    with (psycopg.connect(pooled_url, autocommit=True) as first,
          psycopg.connect(pooled_url, autocommit=True) as second,
          pytest.raises(psycopg.Error, match="prepared statement")):
        for _ in range(8):
            for conn in (first, second):
                conn.execute("SELECT count(*) FROM submissions WHERE attempts > %s", (0,))
