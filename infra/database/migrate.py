"""Database migrations: apply infra/migrations/*.sql in order, once each, under a lock.

Idempotent and safe to run from several processes at once (the local launcher, a test, the
deploy bootstrap): an advisory lock serialises them and ``schema_migrations`` records what ran.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x45564C  # "EVL": one advisory lock for every migrating process


def pending_migrations(applied: set[str]) -> list[Path]:
    return [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.stem not in applied]


def apply_migrations(database_url: str) -> list[str]:
    """Apply every migration not yet applied; return the names of those applied now."""
    applied_now = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for path in pending_migrations(applied):
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
                applied_now.append(path.stem)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied_now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    applied = apply_migrations(args.database_url)
    print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")


if __name__ == "__main__":
    main()
