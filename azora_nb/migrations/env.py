"""Alembic environment shared by every source's history.

:mod:`azora_nb.migrate` passes the source and an open connection in
``config.attributes``. Run by the plain ``alembic`` command instead
(``alembic -c azora_nb/migrations/alembic.ini -n core upgrade head``), it connects with the
azora-nb settings of the ini section's source.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from azora_nb import migrate

config = context.config
source = config.attributes.get("source") or config.config_ini_section


def run(connection: Connection) -> None:
    context.configure(connection=connection, **migrate.context_options(source))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("azora-nb migrations run online only: drop --sql")

connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from azora_nb.workspace import connect

    with connect() as ws, ws.engine(source).begin() as conn:
        run(conn)
