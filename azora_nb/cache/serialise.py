"""Cache entries as bytes: a small header, then an Arrow IPC stream.

Layout::

    b"AZNBCACH" | format version (u16) | header length (u32) | header JSON | Arrow IPC stream
    [ | HMAC-SHA256 of everything before it (32 bytes), when signed ]

The header is JSON (where the result came from, when, how long it took); the
body is Arrow IPC, optionally zstd-compressed per buffer. Nothing here ever
unpickles: a shared Redis must not be a way to run code in an analyst's
kernel. Anything that does not parse exactly is :class:`EntryCorrupt`, which
the cache turns into a miss and a deletion.

With a secret (``AZORA_CACHE_SECRET``) entries are signed, and an entry that is
unsigned, or whose MAC does not match, is :class:`EntryCorrupt` too: on a
shared Redis, only holders of the secret can plant an entry.

Object columns (json/jsonb/arrays under the dtype policy) are stored as JSON
text and listed in the schema metadata, so they come back as the same dicts
and lists. A frame that would not round-trip exactly is :class:`Uncacheable`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

MAGIC = b"AZNBCACH"
FORMAT_VERSION = 1
_PREFIX = struct.Struct(">8sHI")
_JSON_COLUMNS = b"azora_nb.json_columns"
_EXTENSION_KEY = b"ARROW:extension:name"
_MAX_HEADER = 64 * 1024
_MAC_SIZE = 32


class EntryCorrupt(ValueError):
    """Bytes that are not a cache entry this version wrote (foreign, truncated, tampered)."""


class Uncacheable(ValueError):
    """A frame whose dtypes or values would not come back exactly from the cache."""


@dataclass(frozen=True)
class Entry:
    """A decoded cache entry: the frame and its header."""

    frame: pd.DataFrame
    header: dict[str, Any]


def dumps(
    frame: pd.DataFrame,
    header: dict[str, Any],
    *,
    compression: str | pa.Codec | None = "zstd",
    secret: str | None = None,
) -> bytes:
    """Encode ``frame`` and ``header`` (JSON-serialisable) as one cache entry, signed
    with ``secret`` when given."""
    if not isinstance(frame, pd.DataFrame):
        raise Uncacheable(f"only DataFrames are cached, not {type(frame).__name__}")
    if frame.columns.has_duplicates:
        raise Uncacheable("a frame with duplicate column names cannot be cached")
    prepared, json_columns = _encode_object_columns(frame)
    try:
        table = pa.Table.from_pandas(prepared, preserve_index=None)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise Uncacheable(f"Arrow cannot hold this frame: {exc}") from None
    metadata = dict(table.schema.metadata or {})
    metadata[_JSON_COLUMNS] = json.dumps(json_columns).encode()
    table = table.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    codec = compression.name if isinstance(compression, pa.Codec) else compression
    head = json.dumps({**header, "codec": codec or "none", "signed": secret is not None}).encode()
    body = sink.getvalue()
    parts: list[bytes | memoryview] = [
        _PREFIX.pack(MAGIC, FORMAT_VERSION, len(head)),
        head,
        memoryview(body),
    ]
    if secret is not None:
        mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        for part in parts:
            mac.update(part)
        parts.append(mac.digest())
    return b"".join(parts)


def read_header(data: bytes, secret: str | None = None) -> dict[str, Any]:
    """Only the header of an entry (cheap: neither the body nor the signature is
    checked; :func:`loads` checks both)."""
    header, _ = _split(data)
    if bool(header.get("signed")) != (secret is not None):
        raise EntryCorrupt(
            "unsigned entry: AZORA_CACHE_SECRET is set"
            if secret is not None
            else "signed entry: AZORA_CACHE_SECRET is not set here"
        )
    return header


def loads(data: bytes, secret: str | None = None) -> Entry:
    """Decode an entry written by :func:`dumps` (with the same ``secret``); raise
    :class:`EntryCorrupt` otherwise."""
    header, offset = _split(data)
    end = len(data)
    if bool(header.get("signed")) != (secret is not None):
        read_header(data, secret)  # raises, saying which
    if secret is not None:
        end -= _MAC_SIZE
        if end < offset:
            raise EntryCorrupt("forged entry: no signature")
        expected = hmac.new(secret.encode(), memoryview(data)[:end], hashlib.sha256).digest()
        if not hmac.compare_digest(expected, bytes(memoryview(data)[end:])):
            raise EntryCorrupt("forged entry: the signature does not match AZORA_CACHE_SECRET")
    try:
        reader = pa.ipc.open_stream(pa.py_buffer(memoryview(data)[offset:end]))
        _refuse_extension_types(reader.schema)
        table = reader.read_all()
        metadata = table.schema.metadata or {}
        json_columns = json.loads(metadata.get(_JSON_COLUMNS, b"[]"))
        frame = table.to_pandas()
    except EntryCorrupt:
        raise
    except Exception as exc:  # Arrow and pandas raise many types on bad input
        raise EntryCorrupt(f"unreadable Arrow body: {type(exc).__name__}: {exc}") from None
    if not isinstance(json_columns, list):
        raise EntryCorrupt("bad json column list")
    for name in json_columns:
        if name not in frame.columns:
            raise EntryCorrupt(f"json column {name!r} missing")
        frame[name] = _decode_json(frame[name])
    return Entry(frame=frame, header=header)


def _split(data: bytes) -> tuple[dict[str, Any], int]:
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) < _PREFIX.size:
        raise EntryCorrupt("too short to be a cache entry")
    magic, version, head_len = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise EntryCorrupt("not an azora-nb cache entry (bad magic)")
    if version != FORMAT_VERSION:
        raise EntryCorrupt(f"cache entry format {version}, this version reads {FORMAT_VERSION}")
    end = _PREFIX.size + head_len
    if head_len > _MAX_HEADER or end > len(data):
        raise EntryCorrupt("truncated header")
    try:
        header = json.loads(bytes(data[_PREFIX.size : end]))
    except ValueError:
        raise EntryCorrupt("header is not JSON") from None
    if not isinstance(header, dict):
        raise EntryCorrupt("header is not a JSON object")
    return header, end


def _refuse_extension_types(schema: pa.Schema) -> None:
    # Arrow extension types can name Python classes (and once, pickles):
    # the cache never writes them, so it never reads them either.
    for field in schema:
        if (field.metadata and _EXTENSION_KEY in field.metadata) or isinstance(
            field.type, pa.ExtensionType
        ):
            raise EntryCorrupt(f"column {field.name!r} has an Arrow extension type")


def _encode_object_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    out = frame
    json_columns: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        values = column.tolist()
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bytes) for v in present):
            continue  # Arrow binary round-trips bytes as they are
        if not isinstance(name, str):
            raise Uncacheable(f"object column {name!r} needs a string name")
        encoded = _encode_json(name, values)
        if out is frame:
            out = frame.copy(deep=False)
        out[name] = pd.Series(encoded, index=frame.index, dtype="str")
        json_columns.append(name)
    return out, json_columns


def _encode_json(name: str, values: list[Any]) -> list[str | None]:
    try:
        encoded = [
            None if v is None else json.dumps(v, separators=(",", ":"), allow_nan=False)
            for v in values
        ]
    except (TypeError, ValueError) as exc:
        raise Uncacheable(f"column {name!r} holds values JSON cannot store: {exc}") from None
    # Tuples, non-string dict keys... would come back different: refuse them.
    decoded = [None if v is None else json.loads(v) for v in encoded]
    if decoded != values:
        raise Uncacheable(f"column {name!r} would not round-trip through JSON exactly")
    return encoded


def _decode_json(column: pd.Series) -> pd.Series:
    try:
        values = [None if not isinstance(v, str) else json.loads(v) for v in column.tolist()]
    except ValueError:
        raise EntryCorrupt(f"json column {column.name!r} holds invalid JSON") from None
    return pd.Series(values, index=column.index, dtype=object, name=column.name)
