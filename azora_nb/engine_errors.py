"""Connection failures become :class:`~azora_nb.exceptions.StoreUnavailable` (or
:class:`~azora_nb.exceptions.AuthenticationFailed`) wherever they happen.

Every module that opens a connection (queries, migrations, syncs, the demo loader,
the audit trail) gets the same message naming the source and the setting to
change, with secrets masked, instead of a driver error that says neither.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from azora_nb.exceptions import connection_failure
from azora_nb.settings import mask_secrets


def translate_connect_errors(
    engine: Engine, source: str, setting: str, secrets: tuple[str, ...]
) -> None:
    """Raise a masked :class:`StoreUnavailable` when ``engine`` cannot connect."""

    def on_error(context: Any) -> None:
        if context.connection is not None:  # a statement failed: not ours to say
            return
        orig = context.original_exception
        lines = str(orig).strip().splitlines()
        detail = mask_secrets(lines[0] if lines else type(orig).__name__, secrets)
        for line in lines[1:]:
            if "authentication failed" in line:
                detail = mask_secrets(line.strip(), secrets)
        raise connection_failure(source, setting, detail) from None

    sa.event.listen(engine, "handle_error", on_error)
