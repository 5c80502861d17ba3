"""Helpers for the curated notebooks and for analysts' own.

:func:`notebook` is a notebook's whole setup: it connects, applies the figure and
table style, loads the ``%sql`` magic when running in IPython, and shows the report
header.

>>> import azora_nb as az
>>> ws = az.notebook(core_url="", as_of="2026-10-31")            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from azora_nb.settings import SOURCES

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace


def notebook(
    core_url: str | None = None,
    mint_url: str | None = None,
    gateway_url: str | None = None,
    compliance_url: str | None = None,
    *,
    as_of: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
    header: bool = True,
) -> Workspace:
    """Connect, style, load ``%sql``, show the report header; return the workspace.

    An embedded source whose SQLite file does not exist is reported, never created.

    Pass the URL of each source the notebook reads; an empty URL means "the configured
    one", and the sources passed (empty or not) are the ones the header describes
    (all four when none is passed). ``as_of`` and ``parameters`` are shown in the
    header, secrets masked.
    """
    from azora_nb.workspace import connect  # here: `import azora_nb` stays light

    urls = {"core": core_url, "mint": mint_url, "gateway": gateway_url}
    urls["compliance"] = compliance_url
    overrides = {f"AZORA_{name.upper()}_URL": url for name, url in urls.items() if url}
    ws = connect(None, create_databases=False, **overrides)
    notebook_style()
    _load_magic()
    if header:
        from azora_nb.reports.header import report_header

        used = [name for name, url in urls.items() if url is not None] or list(SOURCES)
        _display(report_header(ws, sources=used, as_of=as_of, parameters=parameters, title=title))
    return ws


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        return None
    return get_ipython()


def _load_magic() -> None:
    shell = _ipython()
    if shell is None:
        return
    import importlib

    try:
        magic = importlib.import_module("azora_nb.magic")
    except ModuleNotFoundError:  # the %sql magic lands separately (issue 14, Jupyter ergonomics)
        return
    magic.register(shell)


def _display(obj: Any) -> None:
    if _ipython() is not None:
        from IPython.display import display

        display(obj)
    else:
        print(obj)


FIGURE_STYLE: Mapping[str, Any] = {
    "figure.figsize": (9.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.autolayout": True,
}


def notebook_style() -> None:
    """Fix the figure size and style and pandas' display options for the curated notebooks,
    so that their outputs are the same on every machine and backend. In IPython, figures
    are shown as 2x PNGs with alt text taken from their titles."""
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd

    shell = _ipython()
    if shell is not None:
        # Load the inline backend now: on load it registers its own figure formatter,
        # which would otherwise replace ours at the first plot.
        plt.switch_backend(matplotlib.get_backend())
    plt.style.use("default")
    params: Any = plt.rcParams  # typed with literal keys only
    params.update(FIGURE_STYLE)
    pd.set_option("display.float_format", number)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 120)
    if shell is not None:
        from matplotlib.figure import Figure

        shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)


def _figure_png(fig: Any) -> tuple[str, dict[str, Any]] | None:
    """A figure as a 2x PNG (sharp on high-density screens) shown at its nominal size,
    with alt text taken from its titles."""
    from IPython.core.pylabtools import retina_figure

    result = retina_figure(fig, base64=True, bbox_inches="tight")
    if result is None:  # an empty figure
        return None
    data, metadata = result
    return data, {**metadata, "alt": figure_alt(fig)}


def figure_alt(fig: Any) -> str:
    """Alt text for a figure: its title, else its axes' titles, else a plain description."""
    titles = [fig.get_suptitle()] if fig.get_suptitle() else []
    titles += [ax.get_title() for ax in fig.axes if ax.get_title()]
    return "; ".join(titles) or f"figure with {len(fig.axes)} chart(s)"


def number(value: float) -> str:
    """Amounts with two decimals and thousands separators; rates and ratios to four
    significant digits. Rounding this way also hides the last-bit differences between
    SQLite's and PostgreSQL's floating-point sums."""
    if value != value:  # NaN
        return "NaN"
    if abs(value) >= 100:
        return f"{value:,.2f}"
    return f"{value:.4g}"
