"""``%sql`` and ``%%sql`` for JupyterLab, running through the workspace.

Load it with ``%load_ext azora_nb`` (``az.notebook()`` does it for you)::

    %sql select count(*) from alerts                    # core, fresh
    %sql --source mint --cache select * from users      # through the query cache
    %sql recent << select * from alerts where created_at >= :since
    %sql --tables                                       # what every source holds
    %sql --columns users                                # users lives in core and mint

    %%sql --source mint top <<
    select user_id, sum(amount) as paid
    from knowledge_rewards where status = :status group by user_id

``:name`` placeholders are bound from the notebook's variables, never formatted
into the SQL. Every query runs through ``ws.sql``: the fast read path, the cache
and its identity rules, the same errors. The magics use the notebook's ``ws``
when there is one, otherwise a workspace of their own from the settings.

The magic is written here rather than taken from JupySQL: JupySQL opens its own
connections and reads through ``pandas``, which would bypass the workspace's
read path, cache keys and session settings that these results must share.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.cache.provenance import Provenance, provenance
from azora_nb.exceptions import AzoraError, ConfigError

_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*<<\s*")


class MagicUsageError(ConfigError):
    """A ``%sql`` line the magic cannot read."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%sql", add_help=False, exit_on_error=False)
    parser.add_argument("--source", "-s", default=None)
    parser.add_argument("--cache", action="store_true")
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--ttl", type=float, default=None)
    parser.add_argument("--tables", action="store_true")
    parser.add_argument("--columns", metavar="TABLE", default=None)
    parser.add_argument("--help", "-h", action="store_true")
    return parser


USAGE = (
    "%sql [--source S] [--cache | --refresh] [--ttl SECONDS] [NAME <<] SQL\n"
    "%sql --tables [--source S]      %sql --columns TABLE [--source S]\n"
    "%%sql [options] [NAME <<] on the first line, SQL in the cell body.\n"
    ":name placeholders are bound from the notebook's variables."
)


def split_line(line: str) -> tuple[argparse.Namespace, str]:
    """Options at the start of ``line``, and the rest (an optional ``NAME <<`` and SQL).

    >>> opts, rest = split_line("--source mint --cache top << select 1")
    >>> opts.source, opts.cache, rest
    ('mint', True, 'top << select 1')
    """
    words = line.strip()
    options: list[str] = []
    parser = _parser()
    takes_value = {"--source", "-s", "--ttl", "--columns"}
    while words.startswith("-"):
        head, _, tail = words.partition(" ")
        options.append(head)
        words = tail.lstrip()
        if head in takes_value:
            value, _, tail = words.partition(" ")
            if not value:
                raise MagicUsageError(f"{head} needs a value.\n{USAGE}")
            options.append(value)
            words = tail.lstrip()
    try:
        parsed, unknown = parser.parse_known_args(shlex.split(" ".join(options)))
    except argparse.ArgumentError as exc:
        raise MagicUsageError(f"{exc}.\n{USAGE}") from None
    if unknown:
        raise MagicUsageError(f"unknown option {' '.join(unknown)}.\n{USAGE}")
    return parsed, words


def bind_names(sql: str) -> list[str]:
    """The ``:name`` placeholders of ``sql``, in order (``::casts`` are not placeholders).

    >>> bind_names("select * from t where a = :a and b::text = :b")
    ['a', 'b']
    """
    return list(sa.text(sql).compile().params)


def parameters(sql: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``sql``'s placeholders, from ``namespace``; a missing one is an error
    that names it."""
    names = bind_names(sql)
    missing = [n for n in names if n not in namespace]
    if missing:
        raise MagicUsageError(
            "no notebook variable for placeholder(s) "
            + ", ".join(f":{n}" for n in missing)
            + ": assign them in a cell first (for example since = '2026-10-01')"
        )
    return {n: namespace[n] for n in names}


class SqlMagic:
    """The state behind ``%sql``: the IPython shell and, when the notebook has no
    ``ws`` of its own, a workspace opened on first use."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._own: Any = None

    def workspace(self) -> Any:
        from azora_nb.workspace import Workspace, connect

        ws = self.shell.user_ns.get("ws")
        if isinstance(ws, Workspace):
            return ws
        if self._own is None:
            self._own = connect()
        return self._own

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None

    def run(self, line: str, cell: str | None = None) -> pd.DataFrame | None:
        options, rest = split_line(line)
        if options.help:
            print(USAGE)
            return None
        ws = self.workspace()
        if options.tables:
            return ws.tables(options.source)
        if options.columns:
            return ws.columns(options.columns, options.source)
        target = None
        match = _ASSIGN.match(rest)
        if match:
            target, rest = match.group(1), rest[match.end() :]
        sql = (cell if cell is not None else rest).strip()
        if cell is not None and rest.strip():
            raise MagicUsageError(
                f"%%sql takes options and NAME << on its first line, and SQL in the body; "
                f"move {rest.strip()!r} into the cell body"
            )
        if not sql:
            raise MagicUsageError(f"no SQL to run.\n{USAGE}")
        frame = ws.sql(
            sql,
            parameters(sql, self.shell.user_ns),
            options.source or "core",
            cache=options.cache,
            refresh=options.refresh,
            ttl=options.ttl,
        )
        if target is not None:
            self.shell.user_ns[target] = frame
            return None
        return frame


def caption_for(frame: pd.DataFrame) -> str | None:
    """The provenance line to show under ``frame``, or ``None`` when it has none.

    A frame derived from a result (``df.head()``, a filter) keeps pandas' ``attrs``;
    its caption then says how many rows the query returned, not how many are shown.
    """
    prov: Provenance | None = provenance(frame)
    if prov is None:
        return None
    line = prov.caption()
    if prov.rows is not None and prov.rows != len(frame):
        line = f"{len(frame):,} of {line}"
    return line


def _html(frame: pd.DataFrame) -> str | None:
    from html import escape

    caption = caption_for(frame)
    html: str | None = pd.DataFrame._repr_html_(frame)  # type: ignore[attr-defined]
    if caption is None or html is None:
        return html
    return (
        f'{html}<p class="azora-provenance" style="opacity:.7;font-size:85%">{escape(caption)}</p>'
    )


def _plain(frame: pd.DataFrame, printer: Any, cycle: bool) -> None:
    printer.text(repr(frame))
    caption = caption_for(frame)
    if caption is not None:
        printer.text("\n" + caption)


def _short_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> Any:
    """Show an azora-nb error as its message alone: the database's words and the hint,
    without the toolkit's internal frames."""
    import sys

    print(f"{etype.__name__}: {value}", file=sys.stderr)
    return None


def register(shell: Any) -> SqlMagic:
    """Add ``%sql``/``%%sql``, the provenance caption under result tables, and short
    error messages to an IPython shell."""
    state = SqlMagic(shell)

    def sql(line: str, cell: str | None = None) -> pd.DataFrame | None:
        return state.run(line, cell)

    sql.__doc__ = USAGE
    shell.register_magic_function(sql, magic_kind="line_cell", magic_name="sql")
    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type(pd.DataFrame, _html)
    formatters["text/plain"].for_type(pd.DataFrame, _plain)
    shell.set_custom_exc((AzoraError,), _short_error)
    return state
