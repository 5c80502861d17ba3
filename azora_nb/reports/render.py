"""Rendering an executed notebook as a standalone HTML report, code hidden.

The page follows the reader's light or dark preference (``prefers-color-scheme``),
wide tables scroll inside their cell on a narrow screen instead of being cut off,
and figures are the 2x PNGs with alt text that :func:`azora_nb.notebook_style` makes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat

READER_CSS = """
<style id="azora-report">
  /* Wide tables scroll within the page on a narrow screen instead of being clipped. */
  .jp-OutputArea-output { overflow-x: auto; max-width: 100%; }
  .jp-RenderedHTMLCommon table { display: block; overflow-x: auto; max-width: 100%; }
  .jp-RenderedImage img { max-width: 100%; height: auto; }
  table.azora-report-header { margin: 0 0 1em 0; font-size: 0.9em; }
  table.azora-report-header th { text-align: left; padding-right: 1em; }
  @media (max-width: 700px) {
    body { padding: 0 4px; }
    .jp-Cell { padding: 2px 0; }
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --jp-layout-color0: #16181c; --jp-layout-color1: #16181c;
      --jp-layout-color2: #23262b; --jp-layout-color3: #30343a;
      --jp-ui-font-color0: #f0f0f0; --jp-ui-font-color1: #e0e0e0;
      --jp-ui-font-color2: #b8b8b8; --jp-content-font-color0: #f0f0f0;
      --jp-content-font-color1: #e0e0e0; --jp-content-font-color2: #b8b8b8;
      --jp-content-link-color: #8ab4f8; --jp-border-color0: #444; --jp-border-color1: #444;
      --jp-border-color2: #383838; --jp-cell-editor-background: #1e2126;
      --jp-rendermime-table-row-background: #1e2126;
      --jp-rendermime-table-row-hover-background: #2b3038;
      --jp-rendermime-error-background: #3a1f1f;
    }
    body { background: #16181c; color: #e0e0e0; }
    /* Figures are drawn on white: keep them on a light card rather than invert them. */
    .jp-RenderedImage img { background: #ffffff; border-radius: 4px; }
  }
</style>
"""


def render_html(nb_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to standalone HTML with the code cells hidden."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    # nbconvert warns about figures without alt text (made outside az.notebook());
    # the warning is not something a report reader can act on.
    quiet = _DropMessage("Alternative text is missing")
    exporter.log.addFilter(quiet)
    try:
        nb = nbformat.read(nb_path, as_version=4)
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": page_title(nb, nb_path.stem)}}
        )
    finally:
        exporter.log.removeFilter(quiet)
    html_path.write_text(with_reader_css(body), encoding="utf-8")
    return html_path


def page_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """ "Treasury analysis, as of 31 Oct 2026" from the report's opening output
    (:data:`azora_nb.reports.opening.REPORT_MIME`), else ``fallback``."""
    from azora_nb.present import day
    from azora_nb.reports.opening import REPORT_MIME

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found = output.get("data", {}).get(REPORT_MIME)
            if found:
                return f"{found['title']}, as of {day(found['as_of'])}"
    return fallback


def with_reader_css(page: str) -> str:
    """``page`` with the report's own CSS last in its head, so it wins."""
    head_end = page.find("</head>")
    if head_end < 0:
        return READER_CSS + page
    viewport = (
        ""
        if 'name="viewport"' in page[:head_end]
        else ('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    )
    return page[:head_end] + viewport + READER_CSS + page[head_end:]


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)
