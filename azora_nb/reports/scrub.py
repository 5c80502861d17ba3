"""Keeping secrets and local paths out of what a report saves and logs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

from azora_nb.settings import mask_secrets

HOME_PLACEHOLDER = "<AZORA_HOME>"
"""What the data directory's absolute path is written as in saved outputs."""


def scrub(
    nb: nbformat.NotebookNode, secrets: Sequence[str], replace: Mapping[str, str] | None = None
) -> None:
    """Mask URL passwords and each of ``secrets`` in every output of ``nb``, in place;
    also swap each key of ``replace`` for its value."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in (replace or {}).items():
                value = value.replace(old, new)
            return mask_secrets(value, tuple(secrets))
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {
                k: (v if k.startswith("image/") and k != "image/svg+xml" else clean(v))
                for k, v in value.items()
            }
        return value

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback", "data"):
                if key in output:
                    output[key] = clean(output[key])


def local_paths(home: Path, cwd: Path) -> dict[str, str]:
    """The machine's paths a report could print, and what to write instead: the data
    directory as ``<AZORA_HOME>``, paths under the working directory as relative."""
    paths = {str(home.resolve()): HOME_PLACEHOLDER}
    if len(cwd.resolve().parts) > 2:  # never rewrite "/" or "/home"
        paths[f"{cwd.resolve()}/"] = "./"
    # Longest first, so the home inside the working directory is named as the home.
    return dict(sorted(paths.items(), key=lambda item: -len(item[0])))


def scrub_file(
    path: Path,
    secrets: Sequence[str],
    shown: Mapping[str, Any],
    replace: Mapping[str, str] | None = None,
) -> None:
    """Scrub the executed notebook at ``path`` and record the masked parameters."""
    nb = nbformat.read(path, as_version=4)
    scrub(nb, secrets, replace)
    nb.metadata.setdefault("papermill", {})["parameters"] = dict(shown)
    for key in ("input_path", "output_path", "cwd"):
        nb.metadata["papermill"].pop(key, None)
    nbformat.write(nb, path)


class MaskingFilter(logging.Filter):
    """Mask secrets in the records papermill and nbclient log (at debug level they log
    every message a kernel sends)."""

    LOGGERS = ("papermill", "nbclient", "traitlets", "azora_nb")

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage(), self.secrets)
        record.args = None
        return True

    def __enter__(self) -> MaskingFilter:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)
