"""Upgrade to head, downgrade to base, upgrade again, on both backends, leaving nothing
behind; and no drift between the models and what the migrations build."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import metadata_for, views_for
from azora_nb.settings import SOURCES
from tests.migrations.conftest import BACKENDS, MakeWorkspace, leftovers


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("source", SOURCES)
def test_up_down_up_leaves_nothing_behind(
    make_ws: MakeWorkspace, backend: str, source: str
) -> None:
    ws = make_ws(backend, source)
    head = migrate.heads(source)[0]

    first = migrate.upgrade(ws, source)
    assert (first.before, first.after) == (None, head)
    assert migrate.check(ws, source) == []
    tables = set(sa.inspect(ws.engine(source)).get_table_names())
    assert set(metadata_for(source).tables) <= tables
    assert set(views_for(source).tables) <= set(sa.inspect(ws.engine(source)).get_view_names())

    down = migrate.downgrade(ws, source, "base", confirm=True)  # mint seeds rows
    assert down.after is None
    assert migrate.current(ws, source) is None
    assert leftovers(ws, source) == []

    again = migrate.upgrade(ws, source)
    assert again.after == head
    assert migrate.check(ws, source) == []
    assert set(again.changed) >= set(metadata_for(source).tables)


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_step_by_step_and_back_to_the_production_schema(
    make_ws: MakeWorkspace, backend: str
) -> None:
    ws = make_ws(backend, "core")
    base = migrate.base_revision("core")
    migrate.upgrade(ws, "core", base)
    assert migrate.current(ws, "core") == base
    names = set(sa.inspect(ws.engine("core")).get_table_names())
    assert "treasury_ledger" in names
    assert not any(n.startswith("azora_nb_") for n in names)

    result = migrate.upgrade(ws, "core")
    assert set(result.changed) == {
        t for t in metadata_for("core").tables if t.startswith("azora_nb_")
    }
    back = migrate.downgrade(ws, "core", base)
    assert back.after == base
    assert not any(
        n.startswith("azora_nb_") for n in sa.inspect(ws.engine("core")).get_table_names()
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_again_changes_nothing(make_ws: MakeWorkspace, backend: str) -> None:
    ws = make_ws(backend, "gateway")
    migrate.upgrade(ws, "gateway")
    result = migrate.upgrade(ws, "gateway")
    assert result.before == result.after
    assert result.changed == ()
    assert str(result).endswith("already at " + migrate.heads("gateway")[0])
