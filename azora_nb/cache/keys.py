"""Cache keys: which database, which query, which parameters, which table versions.

An entry is named by a SHA-256 over the source's identity (driver, host, port
and database, never the user or password), the normalised SQL, the bound
parameters in a typed JSON form, and the tables the query reads. Each table
also has a version token; an entry records the tokens it was computed under
and is served only while they are all current. Bumping a table's token
(:func:`azora_nb.cache.invalidate`) therefore retires every entry that read it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import make_url

from azora_nb.settings import Settings

_DEFAULT_SCHEMAS = ("public.", "main.")


def source_identity(settings: Settings, source: str) -> str:
    """Where ``source`` lives, without credentials: ``postgresql://host:port/db``.

    >>> from pathlib import Path
    >>> s = Settings.load(env={"AZORA_CORE_URL": "postgresql://ana:pw@db:5432/core"}, cwd=Path("/"))
    >>> source_identity(s, "core")
    'postgresql://db:5432/core'
    """
    url = make_url(settings.source(source).sqlalchemy_url(settings.home))
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            database = str(Path(database).resolve())
        return f"sqlite:///{database}"
    return f"{backend}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


def identity_digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def version_names(database: str, tables: Iterable[str]) -> tuple[str, ...]:
    """The backend names of the versions of ``tables`` in the database ``database``
    (a :func:`source_identity`).

    >>> version_names("sqlite:///x", ["public.B", "a"])
    ('8d7af207c27dde8b:a', '8d7af207c27dde8b:b')
    """
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    digest = identity_digest(database)
    return tuple(sorted({f"{digest}:{normalise_table(t)}" for t in tables}))


def normalise_table(name: str) -> str:
    """One spelling per table: lower case, default schema (public/main) dropped."""
    cleaned = ".".join(part.strip().strip('"').strip("`") for part in name.split("."))
    lowered = cleaned.lower()
    for schema in _DEFAULT_SCHEMAS:
        if lowered.startswith(schema):
            return lowered[len(schema) :]
    return lowered


@functools.lru_cache(maxsize=1024)
def normalise_sql(sql: str, dialect: str) -> str:
    """Canonical text of ``sql``: comments and layout removed, keywords in one case.

    Falls back to the text as given (trimmed) when sqlglot cannot parse it;
    never collapses whitespace by hand, which would merge different string
    literals.
    """
    try:
        parsed = sqlglot.parse(sql, read=_sqlglot_dialect(dialect))
    except sqlglot.errors.SqlglotError:
        return sql.strip()
    if len(parsed) != 1 or parsed[0] is None:
        return sql.strip()
    return parsed[0].sql(dialect=_sqlglot_dialect(dialect), comments=False)


def compile_statement(
    stmt: Any, dialect: sa.Dialect, params: Mapping[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """SQL text and every bound value of a Core statement (literals included).

    ``IN`` lists stay one parameter holding the list, so that values bound only at
    execution (``bindparam(..., expanding=True)``) are keyed like literal ones.
    """
    compiled = stmt.compile(dialect=dialect)
    bound = dict(compiled.construct_params(dict(params or {})) or {})
    return str(compiled), bound


def encode_params(params: Mapping[str, Any] | None) -> str:
    """Parameters as typed JSON: ``1``, ``1.0``, ``True`` and ``"1"`` stay distinct."""
    return json.dumps(_typed(dict(params or {})), sort_keys=True, separators=(",", ":"))


def entry_key(
    identity: str, sql: str, params: str, tables: Iterable[str], namespace: str = "sql"
) -> str:
    """The digest naming one entry. Table *versions* are not in it: they are stamped in
    the entry and compared on every read, so that one round trip fetches both and a
    recomputed result replaces the stale one instead of piling up beside it."""
    digest = hashlib.sha256()
    for part in (namespace, identity, sql, params, json.dumps(sorted(tables))):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def new_version() -> str:
    """A fresh table version. Random, not a counter: if a version key is lost (evicted,
    flushed), the replacement never matches a token some old entry was keyed with."""
    return uuid.uuid4().hex


def _typed(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Mapping):
        return {"map": {str(k): _typed(v) for k, v in value.items()}}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_typed(v) for v in value]
        if isinstance(value, set | frozenset):
            items = sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return {type(value).__name__: items}
    if isinstance(value, datetime | date | time):
        return {type(value).__name__: value.isoformat()}
    if isinstance(value, timedelta):
        return {"timedelta": value.total_seconds()}
    if isinstance(value, Decimal | uuid.UUID):
        return {type(value).__name__: str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": bytes(value).hex()}
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _typed(item())
    raise TypeError(f"cannot build a cache key from a parameter of type {type(value).__name__}")


def _sqlglot_dialect(dialect: str) -> str:
    return {"postgresql": "postgres", "sqlite": "sqlite"}.get(dialect, dialect)
