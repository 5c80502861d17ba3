"""The shape of the histories: one head each, timestamp revision ids, own version tables."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from azora_nb import migrate
from azora_nb.exceptions import SchemaError, UnknownSource
from azora_nb.settings import SOURCES


@pytest.mark.parametrize("source", SOURCES)
def test_single_head_and_single_base(source: str) -> None:
    assert len(migrate.heads(source)) == 1
    assert migrate.base_revision(source)


@pytest.mark.parametrize("source", SOURCES)
def test_revisions_are_named_by_timestamp(source: str) -> None:
    revisions = migrate.history(source)
    assert len(revisions) >= 2
    for rev in revisions:
        assert re.fullmatch(r"\d{14}", rev.revision), rev.revision
    files = sorted(p.name for p in (migrate.migrations_dir() / source / "versions").glob("*.py"))
    assert [f[:14] for f in files] == sorted(r.revision for r in revisions)
    # Newest first, each revision pointing at the one before it.
    for newer, older in pairwise(revisions):
        assert newer.down_revision == older.revision
        assert newer.revision > older.revision


def test_each_source_has_its_own_version_table() -> None:
    tables = {migrate.version_table(s) for s in SOURCES}
    assert len(tables) == len(SOURCES)
    assert all(t.startswith("alembic_version_") for t in tables)


def test_the_base_revision_is_the_production_schema() -> None:
    assert migrate.base_revision("core") == "20251027000000"
    assert migrate.base_revision("mint") == "20251027215234"
    assert migrate.base_revision("gateway") == "20251020113910"
    assert migrate.base_revision("compliance") == "20251020075522"


def test_unknown_source_is_refused() -> None:
    with pytest.raises(UnknownSource):
        migrate.heads("billing")


def test_the_histories_are_package_data() -> None:
    root = migrate.migrations_dir()
    assert root == Path(migrate.__file__).resolve().parent / "migrations"
    assert (root / "env.py").is_file()
    assert (root / "alembic.ini").is_file()


def test_a_missing_migrations_directory_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrate, "MIGRATIONS", ("azora_nb", "no_such_directory"))
    with pytest.raises(SchemaError, match=r"pip install --force-reinstall azora-nb"):
        migrate.heads("core")
