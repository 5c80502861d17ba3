"""Throwaway PostgreSQL databases for the benchmarks (imported by the scripts beside it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

PG_ADMIN = os.environ.get(
    "AZORA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def source_databases(tag: str) -> Iterator[dict[str, str]]:
    """Four fresh databases, one per source, as ``AZORA_<SOURCE>_URL`` settings;
    dropped afterwards."""
    from azora_nb.settings import SOURCES

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    names = {s: f"azbench_{tag}_{s}_{uuid.uuid4().hex[:6]}" for s in SOURCES}
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield {
            f"AZORA_{s.upper()}_URL": admin.url.set(database=n).render_as_string(False)
            for s, n in names.items()
        }
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
