"""The four service databases as SQLAlchemy Core metadata.

>>> from azora_nb.schema import metadata_for
>>> sorted(metadata_for("compliance").tables)[:2]
['AuditLog', 'ComplianceCheck']

``metadata_for(source)`` holds the production tables and the toolkit's own
``azora_nb_*`` tables; ``views_for(source)`` describes the reporting views'
columns, for querying. The table objects are also importable by their
production names, e.g. ``from azora_nb.schema.core import treasury_ledger``.
"""

from __future__ import annotations

from types import ModuleType

import sqlalchemy as sa

from azora_nb.exceptions import UnknownSource
from azora_nb.schema import compliance, core, gateway, mint, toolkit
from azora_nb.settings import SOURCES

_MODULES: dict[str, ModuleType] = {
    "core": core,
    "mint": mint,
    "gateway": gateway,
    "compliance": compliance,
}


def _module(source: str) -> ModuleType:
    try:
        return _MODULES[source]
    except KeyError:
        raise UnknownSource(source, SOURCES) from None


def metadata_for(source: str) -> sa.MetaData:
    """The tables of ``source``'s database: the service's and the toolkit's."""
    metadata: sa.MetaData = _module(source).metadata
    return metadata


def views_for(source: str) -> sa.MetaData:
    """Table objects describing ``source``'s reporting views (never create them)."""
    views: sa.MetaData = _module(source).views
    return views


def service_tables(source: str) -> list[sa.Table]:
    """The production tables of ``source`` (without the toolkit's), in dependency order."""
    return [t for t in metadata_for(source).sorted_tables if not toolkit.is_toolkit_table(t.name)]


__all__ = ["metadata_for", "service_tables", "toolkit", "views_for"]
