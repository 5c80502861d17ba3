"""Report parameters: parsing ``-p KEY=VALUE``, checking them against the notebook's
``parameters`` cell, injecting them, and keeping secrets out of the notebook.

A parameter that looks like a secret (by name, or a URL with a password) is never
written into the notebook: the injected cell reads it from the kernel's environment.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nbformat

from azora_nb.exceptions import ConfigError
from azora_nb.settings import mask_secrets, mask_url

SECRET_ENV_PREFIX = "AZORA_NB_REPORT_SECRET_"
_SECRET_NAME = re.compile(r"password|passwd|secret|token|key", re.IGNORECASE)


def parse_parameters(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings as the CLI's ``-p`` gives them.

    Values become int, float, bool or None when they read as one, else stay text.

    >>> parse_parameters(["as_of=2026-10-31", "window_days=90", "strict=true"])
    {'as_of': '2026-10-31', 'window_days': 90, 'strict': True}
    """
    params: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError(
                f"report parameters are NAME=VALUE with NAME a Python identifier, "
                f"got {mask_secrets(item)!r}"
            )
        params[name] = _parse_value(raw)
    return params


def _parse_value(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def is_secret(name: str, value: Any) -> bool:
    """Whether a parameter must be kept out of every output."""
    if _SECRET_NAME.search(name):
        return True
    return isinstance(value, str) and mask_url(value) != value


def masked(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with secret values replaced by ``***``, for logs and records."""
    return {k: ("***" if is_secret(k, v) else v) for k, v in params.items()}


def notebook_parameters(nb: nbformat.NotebookNode) -> list[str]:
    """The names assigned in the notebook's cell tagged ``parameters``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return [
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            ]
    return []


@dataclass(frozen=True)
class Prepared:
    """A notebook ready to run: parameters injected, secrets moved to ``env``."""

    notebook: nbformat.NotebookNode
    env: Mapping[str, str]
    secrets: tuple[str, ...]
    shown: Mapping[str, Any]


def prepare(
    report: str,
    nb: nbformat.NotebookNode,
    params: Mapping[str, Any],
    base_env: Mapping[str, str],
    known_secrets: Sequence[str] = (),
) -> Prepared:
    """Check ``params`` against the notebook's and inject them.

    Secret values go to the kernel's environment (on top of ``base_env``) and join
    ``known_secrets`` in the list of texts to mask in every output.
    """
    known = notebook_parameters(nb)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ConfigError(
            f"report {report!r} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {', '.join(known) or '(none)'}"
        )
    secret_names = [k for k, v in params.items() if is_secret(k, v)]
    secrets = tuple(str(params[k]) for k in secret_names) + tuple(known_secrets)
    env = dict(base_env)
    env.update({SECRET_ENV_PREFIX + k.upper(): str(params[k]) for k in secret_names})
    return Prepared(_inject(nb, params, secret_names), env, secrets, masked(params))


def _inject(
    nb: nbformat.NotebookNode, params: Mapping[str, Any], secret_names: Sequence[str]
) -> nbformat.NotebookNode:
    """Add papermill's injected-parameters cell; secrets are read from the environment."""
    from papermill.parameterize import parameterize_notebook

    plain = {k: v for k, v in params.items() if k not in secret_names}
    nb = parameterize_notebook(nb, plain, kernel_name="python3", language="python")
    if secret_names:
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        lines = ["import os as _os"] + [
            f"{name} = _os.environ[{SECRET_ENV_PREFIX + name.upper()!r}]" for name in secret_names
        ]
        injected.source = injected.source.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    return nb
