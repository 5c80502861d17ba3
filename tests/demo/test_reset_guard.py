"""``demo seed --reset`` on a database holding rows no demo seed wrote needs --yes;
a reset is recorded in the audit trail."""

from __future__ import annotations

import pytest

from azora_nb import audit, demo
from azora_nb.exceptions import DestructiveActionRefused
from azora_nb.workspace import Workspace

SMALL = 1_000


def _foreign_route(ws: Workspace) -> None:
    ws.execute(
        'insert into service_routes (id, "serviceName", route, "targetUrl", '
        "method, \"updatedAt\") values ('r1', 's', '/', 'http://s/', 'GET', "
        "'2026-01-01 00:00:00.000000')",
        source="gateway",
    )


def test_reset_of_rows_no_demo_wrote_needs_confirmation(sqlite_ws: Workspace) -> None:
    _foreign_route(sqlite_ws)
    with pytest.raises(DestructiveActionRefused, match=r"service_routes \(1 rows\)"):
        demo.seed(sqlite_ws, scale=SMALL, sources=["gateway"], reset=True, progress=False)
    rows = sqlite_ws.sql("select count(*) as n from service_routes", source="gateway")
    assert rows["n"].tolist() == [1]

    done = demo.seed(
        sqlite_ws, scale=SMALL, sources=["gateway"], reset=True, confirm=True, progress=False
    )
    assert done.outcome == {"gateway": "reset and seeded"}
    newest = audit.entries(sqlite_ws, ("gateway",), 1)[0]
    assert (newest.action, newest.outcome) == ("demo.reset", "ok")
    assert newest.rows == sum(done.counts["gateway"].values())
    assert newest.parameters["scale"] == SMALL


def test_reset_of_a_previous_demo_run_needs_no_confirmation(sqlite_ws: Workspace) -> None:
    demo.seed(sqlite_ws, scale=SMALL, sources=["compliance"], progress=False)
    again = demo.seed(
        sqlite_ws, scale=SMALL, seed=3, sources=["compliance"], reset=True, progress=False
    )
    assert again.outcome == {"compliance": "reset and seeded"}
