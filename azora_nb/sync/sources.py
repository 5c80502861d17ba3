"""Readers: pages of rows in (cursor, key) order, by keyset pagination.

Each page is one query: ``WHERE (cursor, key...) > (last cursor, last key...)
ORDER BY cursor, key... LIMIT n``, so a run holds no long transaction on the
source and memory stays at one page. Rows are tuples in :attr:`columns` order.

Phases of a run: rows with ``cursor >= lower`` (all non-NULL cursors when
``lower`` is None), then, when asked, the rows whose cursor is NULL, ordered
by key. A definition without a cursor has one phase over every row, by key.
"""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from azora_nb.exceptions import ConfigError, SchemaError
from azora_nb.sync import convert
from azora_nb.sync.buckets import Scope, text_ordering
from azora_nb.sync.definitions import MongoSource, SqlSource, SyncDefinition
from azora_nb.workspace import Workspace

Row = tuple[Any, ...]


class Reader(Protocol):
    """Where a sync reads: a SQL table or query, or a Mongo collection."""

    columns: list[str]
    kinds: dict[str, str | None]
    types: dict[str, Any]
    """SQLAlchemy types known from the source (empty for Mongo: kinds decide)."""
    native: bool
    """Whether values already have their column's kind (a SQL source's, unless the
    definition declares the column's type)."""

    def adopt(self, existing: Mapping[str, tuple[Any, str]]) -> None:
        """Take the columns of the target table an earlier run created, if the reader
        has to discover its own."""
        ...

    def pages(
        self, phase: str, lower: Any, batch_rows: int, scope: Scope | None = None
    ) -> Iterator[list[Row]]:
        """Pages of ``phase``: ``cursor`` (``cursor >= lower``), ``null`` or ``all``;
        only the rows in ``scope``'s buckets when given."""
        ...

    def scan(self, scope: Scope | None = None) -> Iterator[Row]:
        """Every row (in ``scope``), in no particular order, for reconciling."""
        ...

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        """Every key (in ``scope``), as read."""
        ...

    def max_cursor(self) -> Any:
        """The largest cursor value in the source."""
        ...

    def by_keys(self, keys: Sequence[Row]) -> list[Row]:
        """The current rows with these keys."""
        ...


class SqlReader:
    """A table or query of a SQL source."""

    def __init__(self, ws: Workspace, definition: SyncDefinition) -> None:
        assert isinstance(definition.source, SqlSource)
        self.ws = ws
        self.definition = definition
        self.spec: SqlSource = definition.source
        self.engine = ws.engine(self.spec.source)
        self.native = True
        self.relation, self.types, self.kinds = self._relation()
        mapping = dict(definition.columns or {c.key: c.key for c in self.relation.c})
        missing = [src for src in mapping.values() if src not in self.relation.c]
        if missing:
            raise ConfigError(
                f"sync {definition.name}: {self.spec.describe()} has no column "
                f"{', '.join(map(repr, missing))}"
            )
        self.columns: list[str] = list(mapping)
        self._source_col = {target: self.relation.c[src] for target, src in mapping.items()}
        for name in (*definition.key, *([definition.cursor] if definition.cursor else [])):
            if name not in self._source_col:
                raise ConfigError(
                    f"sync {definition.name}: key or cursor {name!r} is not "
                    f"one of the columns {', '.join(self.columns)}"
                )
        self.types = {t: self.types[s] for t, s in mapping.items() if s in self.types}
        self.kinds = {t: self.kinds[s] for t, s in mapping.items()}
        for column, kind in definition.types.items():
            self.kinds[column] = kind
            self.types[column] = convert.sa_type(kind)

    # -- shape ---------------------------------------------------------------
    def _relation(self) -> tuple[sa.FromClause, dict[str, Any], dict[str, str | None]]:
        if self.spec.table is not None:
            return self._reflect(self.spec.table, self.spec.schema)
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(f"SELECT * FROM ({self.spec.query}) AS q LIMIT 0"))
            names = list(result.keys())
        types = {n: convert.sa_type(k) for n, k in self.definition.types.items() if n in names}
        query = sa.text(self.spec.query or "").columns(
            *[sa.column(n, types.get(n, sa.types.NULLTYPE)) for n in names]
        )
        kinds: dict[str, str | None] = {n: self.definition.types.get(n) for n in names}
        return query.subquery("q"), types, kinds

    def _reflect(
        self, table: str, schema: str | None
    ) -> tuple[sa.Table, dict[str, Any], dict[str, str | None]]:
        inspector = sa.inspect(self.engine)
        if not inspector.has_table(table, schema=schema):
            raise SchemaError(
                f"sync {self.definition.name}: table {table!r} does not exist in "
                f"{self.spec.source}; create or seed it first "
                "(azora-nb db upgrade, azora-nb demo)",
                source=self.spec.source,
            )
        reflected = reflect_types(self.engine, table, schema)
        types: dict[str, Any] = {c: t for c, (t, _) in reflected.items()}
        kinds: dict[str, str | None] = {c: k for c, (_, k) in reflected.items()}
        relation = sa.Table(
            table, sa.MetaData(), *[sa.Column(n, t) for n, t in types.items()], schema=schema
        )
        return relation, types, kinds

    def adopt(self, existing: Mapping[str, tuple[Any, str]]) -> None:
        """A SQL source knows its columns."""

    # -- reading -------------------------------------------------------------
    def _col(self, name: str) -> sa.ColumnElement[Any]:
        return self._source_col[name]

    def column(self, name: str) -> sa.ColumnElement[Any]:
        """The source column read as the target column ``name``."""
        return self._source_col[name]

    def _bind(self, name: str, value: Any) -> sa.BindParameter[Any]:
        type_ = self.types.get(name)
        if type_ is None:  # an undeclared column of a query: type the value by what it is
            type_ = convert.sa_type(convert.infer_kind([value]))
        return sa.literal(value, type_=type_)

    def _select(self) -> sa.Select[Any]:
        return sa.select(*[self._source_col[c].label(c) for c in self.columns])

    def order(self, phase: str) -> list[str]:
        d = self.definition
        return [*([d.cursor] if phase == "cursor" and d.cursor else []), *d.key]

    def page_statement(
        self,
        phase: str,
        lower: Any,
        batch_rows: int | None,
        last: Row | None,
        scope: Scope | None = None,
        upto: Row | None = None,
    ) -> sa.Select[Any]:
        """The query of the page of ``phase`` (``cursor``, ``null`` or ``all``) after
        ``last`` (the previous page's last values of :meth:`order`), up to and
        including ``upto`` when given, at most ``batch_rows`` rows when given."""
        d = self.definition
        order = self.order(phase)
        stmt = self._select()
        if phase == "cursor":
            assert d.cursor is not None
            stmt = stmt.where(self._col(d.cursor).is_not(None))
            if lower is not None:
                stmt = stmt.where(self._col(d.cursor) >= self._bind(d.cursor, lower))
        elif phase == "null":
            assert d.cursor is not None
            stmt = stmt.where(self._col(d.cursor).is_(None))
        if scope is not None and not scope.everything:
            stmt = stmt.where(self.in_scope(scope))
        if last is not None:
            stmt = stmt.where(
                sa.tuple_(*[self._col(c) for c in order])
                > sa.tuple_(*[self._bind(c, v) for c, v in zip(order, last, strict=True)])
            )
        if upto is not None:
            stmt = stmt.where(
                sa.tuple_(*[self._col(c) for c in order])
                <= sa.tuple_(*[self._bind(c, v) for c, v in zip(order, upto, strict=True)])
            )
        stmt = stmt.order_by(*[self._col(c) for c in order])
        return stmt if batch_rows is None else stmt.limit(batch_rows)

    def page_end(
        self, phase: str, lower: Any, batch_rows: int, last: Row | None, scope: Scope | None
    ) -> sa.Select[Any]:
        """The values of :meth:`order` of the last row of a full page after ``last``
        (no row: the rest is shorter than a page), read from the ordering index."""
        order = [self._col(c) for c in self.order(phase)]
        stmt = self.page_statement(phase, lower, 1, last, scope).with_only_columns(*order)
        return stmt.offset(batch_rows - 1)

    def in_scope(self, scope: Scope) -> Any:
        return scope.sql(self._col(self.definition.key[0]), self.ordering)

    def in_schema(self, schema: str) -> SqlReader:
        """This reader over the same table seen as ``schema.table`` (the source file
        attached to the target's SQLite connection)."""
        twin = copy.copy(self)
        twin.relation = sa.Table(
            self.relation.name,  # type: ignore[attr-defined]
            sa.MetaData(),
            *[sa.Column(c.name, c.type) for c in self.relation.c],
            schema=schema,
        )
        twin._source_col = {t: twin.relation.c[c.key] for t, c in self._source_col.items()}
        return twin

    @functools.cached_property
    def ordering(self) -> str:
        return text_ordering(self.engine)

    def pages(
        self, phase: str, lower: Any, batch_rows: int, scope: Scope | None = None
    ) -> Iterator[list[Row]]:
        """Yield pages of ``phase`` as lists of row tuples."""
        positions = [self.columns.index(c) for c in self.order(phase)]
        last: Row | None = None
        with self.engine.connect() as conn:
            while True:
                stmt = self.page_statement(phase, lower, batch_rows, last, scope)
                rows = [tuple(r) for r in conn.execute(stmt)]
                conn.rollback()
                if not rows:
                    return
                yield rows
                if len(rows) < batch_rows:
                    return
                last = tuple(rows[-1][i] for i in positions)

    def _stream(self, stmt: sa.Select[Any], scope: Scope | None) -> Iterator[Row]:
        if scope is not None and not scope.everything:
            stmt = stmt.where(self.in_scope(scope))
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=20_000).execute(stmt):
                yield tuple(row)

    def scan(self, scope: Scope | None = None, *, raw: bool = False) -> Iterator[Row]:
        """Every row (in ``scope``); ``raw``: as the driver returns them, without the
        column types' processing."""
        if raw:
            return self._stream(sa.select(*[raw_column(self._col(c)) for c in self.columns]), scope)
        return self._stream(self._select(), scope)

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        return self._stream(sa.select(*[self._col(k) for k in self.definition.key]), scope)

    def max_cursor(self) -> Any:
        if self.definition.cursor is None:
            return None
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(self._col(self.definition.cursor)))).scalar()

    def digest_parts(self) -> tuple[Any, Any, list[Any]]:
        """(relation, first key column, columns) for a digest computed in the database."""
        return (
            self.relation,
            self._col(self.definition.key[0]),
            [self._col(c) for c in self.columns],
        )

    def column_types(self) -> dict[str, str] | None:
        """The database's own type of each column (a table source), to tell whether
        two databases spell the values alike."""
        if self.spec.table is None:
            return None
        mapping = dict(self.definition.columns or {c: c for c in self.columns})
        types = database_types(self.engine, self.spec.table, self.spec.schema)
        return {target: types.get(src, "?") for target, src in mapping.items()}

    def driver_sql(self, stmt: sa.Select[Any]) -> tuple[str, dict[str, Any]]:
        """``stmt`` as SQL text and parameters for the DB-API driver (psycopg's COPY)."""
        dialect = self.engine.dialect
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        params = dict(compiled.construct_params() or {})
        for name, bind in compiled.binds.items():
            if name in params:
                processor = bind.type.bind_processor(dialect)
                if processor is not None:
                    params[name] = processor(params[name])
        return str(compiled), params

    def position_from_copy_line(self, line: bytes, order: list[str]) -> Row:
        """The typed values of ``order`` in one line of ``COPY … TO STDOUT`` text output
        of :meth:`page_statement`, cast by the source database itself."""
        fields = line.rstrip(b"\n").split(b"\t")
        texts = [_copy_unescape(fields[self.columns.index(c)]) for c in order]
        stmt = sa.select(
            *[
                sa.cast(sa.literal(t, sa.Text), self._col(c).type)
                for c, t in zip(order, texts, strict=True)
            ]
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        assert row is not None
        return tuple(row)

    def key_is_primary_key(self) -> bool:
        """Whether the definition's key is the source table's primary key (so that a
        page can hold no duplicate keys and no NULL keys)."""
        if self.spec.table is None or self.definition.columns is not None:
            return False
        pk = sa.inspect(self.engine).get_pk_constraint(self.spec.table, schema=self.spec.schema)
        return set(pk.get("constrained_columns") or ()) == set(self.definition.key)

    def by_keys(self, keys: Sequence[Row]) -> list[Row]:
        """The current rows with these keys (for replaying dead letters)."""
        if not keys:
            return []
        cols = [self._col(c) for c in self.definition.key]
        if len(cols) == 1:
            cond = cols[0].in_([k[0] for k in keys])
        else:
            cond = sa.tuple_(*cols).in_([tuple(k) for k in keys])
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(self._select().where(cond))]


class MongoReader:
    """A collection, flattened to rows (see :mod:`azora_nb.sync.definitions`)."""

    def __init__(self, ws: Workspace, definition: SyncDefinition) -> None:
        assert isinstance(definition.source, MongoSource)
        self.definition = definition
        self.spec: MongoSource = definition.source
        self.collection = ws.mongo[self.spec.collection]
        self.paths: dict[str, str] = dict(definition.columns or {})
        self.discovered = not self.paths
        self.kinds: dict[str, str | None] = {c: definition.types.get(c) for c in self.paths}
        self.columns: list[str] = list(self.paths)
        self.types: dict[str, Any] = {}
        self.native = False

    def adopt(self, existing: Mapping[str, tuple[Any, str]]) -> None:
        """Without declared columns, keep those of the table the first run created;
        what is new since goes to ``extra``."""
        if self.discovered and existing:
            self.columns = list(existing)
            self.kinds = {c: kind for c, (_, kind) in existing.items()}

    def path(self, column: str) -> str:
        if column in self.paths:
            return self.paths[column]
        return "_id" if column == "id" else column

    def _flatten(self, doc: dict[str, Any], depth: int, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field, value in doc.items():
            name = "id" if not prefix and field == "_id" else prefix + field
            if isinstance(value, dict) and depth > 0:
                out.update(self._flatten(value, depth - 1, name + "_"))
            else:
                out[name] = value
        return out

    def discover(self, docs: list[dict[str, Any]]) -> None:
        """Fix the columns from the first page when the definition lists none."""
        if not self.discovered or self.columns:
            return
        flat = [self._flatten(d, self.spec.flatten_depth) for d in docs]
        names: list[str] = []
        for row in flat:
            names.extend(n for n in row if n not in names)
        for name in self.definition.key:
            if name not in names:
                names.insert(0, name)
        self.columns = [*names, "extra"]
        for name in names:
            kind = self.definition.types.get(name) or convert.infer_kind(
                [r.get(name) for r in flat]
            )
            self.kinds[name] = kind if name not in self.definition.key or kind != "json" else "text"
        self.kinds["extra"] = "json"

    def shape(self, doc: dict[str, Any]) -> Row:
        if self.discovered:
            flat = self._flatten(doc, self.spec.flatten_depth)
            extra = {k: v for k, v in flat.items() if k not in self.columns} or None
            return tuple(extra if c == "extra" else flat.get(c) for c in self.columns)
        return tuple(_get_path(doc, self.paths[c]) for c in self.columns)

    def _query(self) -> dict[str, Any]:
        return dict(self.spec.filter)

    def _projection(self) -> dict[str, int] | None:
        if self.spec.projection is None:
            return None
        fields = set(self.spec.projection) | {self.path(c) for c in self.definition.key}
        if self.definition.cursor:
            fields.add(self.path(self.definition.cursor))
        return {f: 1 for f in fields}

    def pages(
        self, phase: str, lower: Any, batch_rows: int, scope: Scope | None = None
    ) -> Iterator[list[Row]]:
        for page in self._pages(phase, lower, batch_rows):
            if scope is not None and not scope.everything:
                first = self.columns.index(self.definition.key[0])
                page = [row for row in page if scope.contains(row[first])]
            if page:
                yield page

    def scan(self, scope: Scope | None = None) -> Iterator[Row]:
        first = self.path(self.definition.key[0])
        for doc in self.collection.find(self._query(), self._projection()):
            if scope is None or scope.contains(_get_path(doc, first)):
                if self.discovered and not self.columns:
                    self.discover([doc])
                yield self.shape(doc)

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        paths = [self.path(k) for k in self.definition.key]
        for doc in self.collection.find(self._query(), {p: 1 for p in paths}):
            key = tuple(_get_path(doc, p) for p in paths)
            if scope is None or scope.contains(key[0]):
                yield key

    def max_cursor(self) -> Any:
        if self.definition.cursor is None:
            return None
        path = self.path(self.definition.cursor)
        query = {"$and": [self._query(), {path: {"$ne": None}}]}
        for doc in self.collection.find(query, {path: 1}).sort([(path, -1)]).limit(1):
            return _get_path(doc, path)
        return None

    def _pages(self, phase: str, lower: Any, batch_rows: int) -> Iterator[list[Row]]:
        d = self.definition
        key_paths = [self.path(k) for k in d.key]
        order = ([self.path(d.cursor)] if phase == "cursor" and d.cursor else []) + key_paths
        conds: list[dict[str, Any]] = [self._query()]
        if phase == "cursor":
            assert d.cursor is not None
            cpath = self.path(d.cursor)
            bound = convert.floor_ms(lower) if hasattr(lower, "tzinfo") else lower
            conds.append({cpath: {"$gte": bound}} if lower is not None else {cpath: {"$ne": None}})
        elif phase == "null":
            assert d.cursor is not None
            conds.append({self.path(d.cursor): None})
        last: list[Any] | None = None
        while True:
            query = {"$and": [*conds, _after(order, last)]} if last is not None else {"$and": conds}
            docs = list(
                self.collection.find(query, self._projection())
                .sort([(p, 1) for p in order])
                .limit(batch_rows)
            )
            if not docs:
                return
            self.discover(docs)
            yield [self.shape(doc) for doc in docs]
            if len(docs) < batch_rows:
                return
            last = [_get_path(docs[-1], p) for p in order]

    def by_keys(self, keys: Sequence[Row]) -> list[Row]:
        if not keys:
            return []
        paths = [self.path(k) for k in self.definition.key]
        query = {
            "$or": [dict(zip(paths, [_maybe_object_id(v) for v in k], strict=True)) for k in keys]
        }
        docs = list(self.collection.find(query, self._projection()))
        if docs:
            self.discover(docs)
        return [self.shape(doc) for doc in docs]


def _after(order: list[str], last: list[Any]) -> dict[str, Any]:
    """The keyset condition ``(order...) > (last...)`` as a Mongo query."""
    branches = []
    for i, path in enumerate(order):
        branch = {p: v for p, v in zip(order[:i], last[:i], strict=True)}
        branch[path] = {"$gt": last[i]}
        branches.append(branch)
    return {"$or": branches}


_COPY_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "\\": "\\"}


def _copy_unescape(field: bytes) -> str | None:
    """One field of PostgreSQL's COPY text format: ``\\N`` is NULL, backslash escapes."""
    if field == b"\\N":
        return None
    text = field.decode()
    if "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), text)


def _maybe_object_id(value: Any) -> Any:
    """Dead-letter keys are stored as JSON text, where an ObjectId became its hex."""
    from bson import ObjectId

    if isinstance(value, str) and ObjectId.is_valid(value) and len(value) == 24:
        return {"$in": [value, ObjectId(value)]}
    return value


def _get_path(doc: dict[str, Any], path: str) -> Any:
    if path in doc:
        return doc[path]
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def reflect_types(engine: sa.Engine, table: str, schema: str | None) -> dict[str, tuple[Any, str]]:
    """Portable type and kind of each column of an existing table, in order."""
    out: dict[str, tuple[Any, str]] = {}
    if engine.dialect.name == "sqlite":
        prefix = f'"{schema}".' if schema else ""
        with engine.connect() as conn:
            info = conn.exec_driver_sql(f'PRAGMA {prefix}table_info("{table}")').fetchall()
        for row in info:
            out[row[1]] = convert.portable_from_sqlite(row[2] or "")
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # unknown domain types
        for col in sa.inspect(engine).get_columns(table, schema=schema):
            out[col["name"]] = convert.portable_from_pg(col["type"])
    return out


def raw_column(column: Any) -> Any:
    """``column`` read without its type's result processing."""
    return sa.type_coerce(column, sa.types.NULLTYPE)


def database_types(engine: sa.Engine, table: str, schema: str | None) -> dict[str, str]:
    """Each column's type as the database spells it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        columns = sa.inspect(engine).get_columns(table, schema=schema)
    return {c["name"]: str(c["type"].compile(dialect=engine.dialect)) for c in columns}


def make_reader(ws: Workspace, definition: SyncDefinition) -> SqlReader | MongoReader:
    if isinstance(definition.source, SqlSource):
        return SqlReader(ws, definition)
    return MongoReader(ws, definition)
