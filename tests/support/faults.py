"""Faults injected into real components, for tests that need our side to fail.

``install_result_refusal`` makes PostgreSQL itself refuse to store the result of any program that
contains ``REFUSE_MARKER``: the worker's final write fails as it would in a database incident, while
every other submission is untouched. Nothing in the service knows about it.
"""

from __future__ import annotations

import psycopg

REFUSE_MARKER = "/*refuse-result*/"


def install_result_refusal(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""
            CREATE OR REPLACE FUNCTION test_refuse_result() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'result refused (injected test fault)';
            END $$ LANGUAGE plpgsql""")
        conn.execute("DROP TRIGGER IF EXISTS test_refuse_result ON submissions")
        conn.execute(f"""
            CREATE TRIGGER test_refuse_result BEFORE UPDATE ON submissions FOR EACH ROW
            WHEN (NEW.status IN ('Completed', 'Failed', 'Timeout')
                  AND NEW.reason IS DISTINCT FROM 'infrastructure'
                  AND position('{REFUSE_MARKER}' in NEW.code) > 0)
            EXECUTE FUNCTION test_refuse_result()""")


def install_result_audit(database_url: str) -> None:
    """Make PostgreSQL note every write of a result (a move to a terminal status) in
    ``test_result_writes``, so that a test can count them: the database's own word that each
    result was written once."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS test_result_writes ("
                     " submission_id uuid NOT NULL, status text NOT NULL,"
                     " written_at timestamptz NOT NULL DEFAULT clock_timestamp())")
        conn.execute("""
            CREATE OR REPLACE FUNCTION test_audit_result() RETURNS trigger AS $$
            BEGIN
                INSERT INTO test_result_writes (submission_id, status)
                VALUES (NEW.submission_id, NEW.status);
                RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        conn.execute("DROP TRIGGER IF EXISTS test_audit_result ON submissions")
        conn.execute("""
            CREATE TRIGGER test_audit_result AFTER UPDATE ON submissions FOR EACH ROW
            WHEN (NEW.status IN ('Completed', 'Failed', 'Timeout')
                  AND OLD.status NOT IN ('Completed', 'Failed', 'Timeout'))
            EXECUTE FUNCTION test_audit_result()""")


def result_writes(database_url: str) -> dict[str, int]:
    """Submission id -> how many times its result was written (see ``install_result_audit``)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT submission_id, count(*) FROM test_result_writes"
                            " GROUP BY submission_id").fetchall()
    return {str(sid): count for sid, count in rows}
