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
