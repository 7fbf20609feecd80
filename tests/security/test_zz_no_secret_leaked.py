"""Last in this folder (pytest runs files in name order): no run of any test above showed any of
the secrets the service holds. Checked in the database itself, over every stored submission."""

from __future__ import annotations

import psycopg

from tests.support.stack import RunningStack


def test_no_secret_appears_in_any_result(service: RunningStack, secrets: dict[str, str],
                                         service_database_url: str) -> None:
    service.run("'one more, so the table is never empty'")
    with psycopg.connect(service_database_url) as conn:
        rows = conn.execute("SELECT coalesce(result, '') || coalesce(stdout, '') ||"
                            " coalesce(error, '') FROM submissions").fetchall()
    assert len(rows) > 50  # every hostile program of this folder is in there
    for name, value in secrets.items():
        assert not any(value in text for (text,) in rows), f"{name} leaked"


def test_no_secret_appears_in_any_line_the_stack_wrote(service: RunningStack,
                                                       secrets: dict[str, str]) -> None:
    """Every line of the launcher, the API, the worker, the DLQ handler and the sweeper, over
    every program of this folder: the password in DATABASE_URL and the AWS credentials in the
    environment appear in none (the launcher's stack_ready line shows the URL redacted)."""
    lines = service.logs().splitlines()
    (ready,) = service.events("stack_ready")
    assert len(lines) > 200 and "***" in ready["database_url"]
    for name, value in secrets.items():
        leaked = [line for line in lines if value in line]
        assert not leaked, f"{name} leaked: {leaked[:2]}"
