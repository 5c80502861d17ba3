"""Sync definitions: what to read, where to write it, by which key and cursor.

Definitions are dataclasses, so a script can build one in Python, or load a
file of them (TOML, or YAML when PyYAML is installed) with :func:`load_file`:

.. code-block:: toml

    [sync.mint_rewards]
    source = { sql = "mint", table = "knowledge_rewards" }
    target = { sql = "core", schema = "analysis", table = "knowledge_rewards" }
    key = ["id"]
    cursor = "createdAt"
    lag = 300                   # seconds re-read behind the watermark

    [sync.entity_updates]
    source = { mongo = "entity_updates", filter = { processed = false } }
    target = { sql = "core", schema = "analysis", table = "entity_updates" }
    key = ["id"]
    cursor = "timestamp"
    columns = { id = "_id", entity_type = "entityType", amount = "data.amount" }
    types = { amount = "float" }

Mongo sources: each target column maps to a dotted path of the document
(``_id`` included). Without ``columns``, the columns are found by flattening
the first batch: nested documents become ``parent_child`` columns down to
``flatten_depth`` levels (default 1), anything deeper and every array stays
one JSON column, and fields that appear only in later documents are kept
in a JSON column ``extra``, so that nothing is dropped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from azora_nb.exceptions import ConfigError, MissingDependency
from azora_nb.settings import SOURCES
from azora_nb.sync.convert import KINDS

DELETES = ("keep", "hard", "tombstone")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_ident(value: str, what: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ConfigError(f"{what} {value!r} is not a plain identifier (letters, digits, _)")
    return value


def _check_source(value: str, what: str) -> str:
    if value not in SOURCES:
        raise ConfigError(f"{what} {value!r} is not a source; use one of {', '.join(SOURCES)}")
    return value


@dataclass(frozen=True)
class SqlSource:
    """A table, or a ``SELECT`` query, in one of the service databases."""

    source: str
    table: str | None = None
    query: str | None = None
    schema: str | None = None

    def __post_init__(self) -> None:
        _check_source(self.source, "sync source")
        if (self.table is None) == (self.query is None):
            raise ConfigError("a SQL sync source needs exactly one of table or query")
        if self.table is not None:
            _check_ident(self.table, "source table")
        if self.schema is not None:
            _check_ident(self.schema, "source schema")

    def describe(self) -> str:
        return f"{self.source}.{self.table}" if self.table else f"{self.source}:(query)"


@dataclass(frozen=True)
class MongoSource:
    """A collection of the workspace's MongoDB database, with a filter and projection."""

    collection: str
    filter: Mapping[str, Any] = field(default_factory=dict)
    projection: tuple[str, ...] | None = None
    flatten_depth: int = 1

    def __post_init__(self) -> None:
        if not self.collection:
            raise ConfigError("a Mongo sync source needs a collection")
        if self.flatten_depth < 0:
            raise ConfigError("flatten_depth must be 0 or more")

    def describe(self) -> str:
        return f"mongo:{self.collection}"


@dataclass(frozen=True)
class SqlTarget:
    """A table in a service database; created on first run when missing."""

    source: str = "core"
    table: str = ""
    schema: str | None = "analysis"

    def __post_init__(self) -> None:
        _check_source(self.source, "sync target")
        _check_ident(self.table, "target table")
        if self.schema is not None:
            _check_ident(self.schema, "target schema")

    def describe(self) -> str:
        return f"{self.source}:{self.schema + '.' if self.schema else ''}{self.table}"


@dataclass(frozen=True)
class MongoTarget:
    """A collection; each record becomes one document with ``version`` and ``syncedAt``.

    ``entity_type`` names the Redis channel of the change notices
    (``entity:<entity_type>``). ``decimals`` is how NUMERIC values are written:
    ``decimal128`` (exact) or ``float``."""

    collection: str
    entity_type: str | None = None
    decimals: str = "decimal128"
    max_document_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.collection:
            raise ConfigError("a Mongo sync target needs a collection")
        if self.decimals not in ("decimal128", "float"):
            raise ConfigError("decimals must be 'decimal128' or 'float'")

    @property
    def channel_type(self) -> str:
        return self.entity_type or self.collection

    def describe(self) -> str:
        return f"mongo:{self.collection}"


@dataclass(frozen=True)
class SyncDefinition:
    """One sync. ``key`` identifies a record in the target; ``cursor`` (optional)
    is the column read incrementally: rows with ``cursor >= watermark - lag``.

    Rows whose cursor is NULL are read on ``full`` runs, and on every run
    when ``include_null_cursor`` is true; they never move the watermark.

    Reconciliation compares the whole table in key-range buckets of about
    ``bucket_rows`` rows. ``deletes`` says what happens to target rows whose key
    is gone from the source: ``keep`` them (reconciliation reports them),
    ``hard``-delete them, or set their ``tombstone_column`` (a timestamp column
    the sync adds to a SQL target, a field of a Mongo document) to the time the
    sync found them gone.

    >>> d = SyncDefinition("x", SqlSource("mint", table="users"),
    ...                    SqlTarget("core", table="mint_users"), key=("id",))
    >>> d.incremental
    False
    """

    name: str
    source: SqlSource | MongoSource
    target: SqlTarget | MongoTarget
    key: tuple[str, ...]
    cursor: str | None = None
    lag: float = 0.0
    include_null_cursor: bool = False
    columns: Mapping[str, str] | None = None
    types: Mapping[str, str] = field(default_factory=dict)
    batch_rows: int = 10_000
    reconcile: bool = True
    description: str = ""
    deletes: str = "keep"
    tombstone_column: str = "deleted_at"
    bucket_rows: int = 10_000

    def __post_init__(self) -> None:
        if not re.match(r"^[A-Za-z0-9_.-]+$", self.name):
            raise ConfigError(f"sync name {self.name!r} may hold letters, digits, _ . - only")
        if not self.key:
            raise ConfigError(f"sync {self.name}: key needs at least one column")
        if isinstance(self.source, MongoSource) and isinstance(self.target, MongoTarget):
            raise ConfigError(f"sync {self.name}: Mongo to Mongo is not supported")
        if self.batch_rows < 1:
            raise ConfigError(f"sync {self.name}: batch_rows must be at least 1")
        if self.deletes not in DELETES:
            raise ConfigError(
                f"sync {self.name}: deletes {self.deletes!r} is not one of {', '.join(DELETES)}"
            )
        _check_ident(self.tombstone_column, f"sync {self.name}: tombstone_column")
        if self.bucket_rows < 1:
            raise ConfigError(f"sync {self.name}: bucket_rows must be at least 1")
        if self.lag < 0:
            raise ConfigError(f"sync {self.name}: lag must not be negative")
        for column, kind in self.types.items():
            if kind not in KINDS:
                raise ConfigError(
                    f"sync {self.name}: type {kind!r} of {column!r} is not one "
                    f"of {', '.join(KINDS)}"
                )
        if isinstance(self.target, SqlTarget):
            for column in (*self.key, *(self.columns or {})):
                _check_ident(column, f"sync {self.name}: target column")

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    @property
    def state_source(self) -> str:
        """The SQL database holding this sync's state, runs and dead letters: the
        target's when it is SQL (so that state commits with the data), else the source's."""
        if isinstance(self.target, SqlTarget):
            return self.target.source
        assert isinstance(self.source, SqlSource)
        return self.source.source

    @property
    def direction(self) -> str:
        left = "mongo" if isinstance(self.source, MongoSource) else "sql"
        right = "mongo" if isinstance(self.target, MongoTarget) else "sql"
        return f"{left}->{right}"


def from_mapping(name: str, raw: Mapping[str, Any]) -> SyncDefinition:
    """Build a definition from a parsed TOML/YAML table."""
    try:
        src, tgt = dict(raw["source"]), dict(raw["target"])
    except KeyError as exc:
        raise ConfigError(f"sync {name}: missing {exc.args[0]!r}") from None
    source: SqlSource | MongoSource
    if "sql" in src:
        source = SqlSource(src.pop("sql"), **src)
    elif "mongo" in src:
        projection = src.pop("projection", None)
        source = MongoSource(
            src.pop("mongo"), projection=tuple(projection) if projection else None, **src
        )
    else:
        raise ConfigError(f"sync {name}: source needs 'sql = <source>' or 'mongo = <collection>'")
    target: SqlTarget | MongoTarget
    if "sql" in tgt:
        target = SqlTarget(tgt.pop("sql"), **tgt)
    elif "mongo" in tgt:
        target = MongoTarget(tgt.pop("mongo"), **tgt)
    else:
        raise ConfigError(f"sync {name}: target needs 'sql = <source>' or 'mongo = <collection>'")
    options = {k: v for k, v in raw.items() if k not in ("source", "target")}
    key = options.pop("key", None)
    if isinstance(key, str):
        key = [key]
    try:
        return SyncDefinition(
            name=name, source=source, target=target, key=tuple(key or ()), **options
        )
    except TypeError as exc:
        raise ConfigError(f"sync {name}: {exc}") from None


def load_file(path: Path) -> dict[str, SyncDefinition]:
    """Read the ``[sync.<name>]`` tables of a TOML or YAML file."""
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise MissingDependency("pyyaml", "YAML sync definitions") from exc
        data = yaml.safe_load(text) or {}
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    syncs = data.get("sync", {})
    if not isinstance(syncs, Mapping):
        raise ConfigError(f"{path}: 'sync' must be a table of definitions")
    return {name: from_mapping(name, raw) for name, raw in syncs.items()}


def builtin() -> dict[str, SyncDefinition]:
    """The definitions shipped with azora-nb (``azora_nb/sync/builtin.toml``)."""
    text = resources.files("azora_nb.sync").joinpath("builtin.toml").read_text()
    data = tomllib.loads(text)
    return {name: from_mapping(name, raw) for name, raw in data["sync"].items()}


PROJECT_FILES = ("azora-sync.toml", "azora-sync.yaml", "azora-sync.yml")
