"""The libpq ``options`` string of a PostgreSQL connection, merged from every place
that can set it.

libpq takes one ``options`` value per connection: an explicit keyword argument
replaces ``options=`` in the URL and the ``PGOPTIONS`` environment variable. So
azora-nb, which must run its sessions in UTC, would silently drop the settings
an analyst gave there (for example the ``app.current_user_id`` a row-level
security policy reads). Instead everything is merged into one string, in this
order (PostgreSQL applies ``-c`` options left to right, the last one wins):

1. ``PGOPTIONS``;
2. ``options=`` in the source URL;
3. the toolkit's own: ``TimeZone=UTC`` (the read paths parse timestamps as UTC)
   and the statement timeout;
4. the source's session settings (``AZORA_<SOURCE>_SESSION``).

>>> merged_options("-c work_mem=64MB", "", {"app.current_user_id": "a b"}, timeout_ms=None)
'-c work_mem=64MB -c TimeZone=UTC -c app.current_user_id=a\\\\ b'
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa


def option(name: str, value: str) -> str:
    """One ``-c name=value`` with the value escaped as libpq's option parser wants
    (backslash before spaces and backslashes)."""
    escaped = value.replace("\\", "\\\\").replace(" ", "\\ ")
    return f"-c {name}={escaped}"


def merged_options(
    pgoptions: str, url_options: str, session: Mapping[str, str], *, timeout_ms: int | None
) -> str:
    """The one ``options`` string a connection gets (see the module docstring)."""
    parts = [pgoptions.strip(), url_options.strip(), option("TimeZone", "UTC")]
    if timeout_ms:
        parts.append(option("statement_timeout", str(timeout_ms)))
    parts.extend(option(name, value) for name, value in session.items())
    return " ".join(p for p in parts if p)


def split_url_options(url: str) -> tuple[sa.URL, str]:
    """``url`` without its ``options`` query parameter, and that parameter's value."""
    parsed = sa.engine.make_url(url)
    raw = parsed.query.get("options", "")
    value = " ".join(raw) if isinstance(raw, tuple) else raw
    return parsed.difference_update_query(["options"]), value
