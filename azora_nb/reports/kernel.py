"""The one way azora-nb executes a notebook: papermill on a kernel of this Python.

Reports, ``azora-nb notebooks refresh`` and the tests all call :func:`execute`.
Kernels run on this process's interpreter (``sys.executable``), whatever kernelspecs
the machine has installed, and get the environment they are given (normally
``Settings.to_env()``), so they read the same stores as the caller.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager

KERNEL_NAME = "azora-nb-current-env"


class CurrentEnvKernelManager(KernelManager):
    """A kernel manager that always starts ``sys.executable -m ipykernel_launcher``.

    Subclass it with :func:`kernel_manager_for` to pass extra environment variables;
    no kernelspec needs to be installed, so a fresh ``.venv`` is enough.
    """

    extra_env: Mapping[str, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import zmq

        if zmq.has("curve"):  # encrypt the local channels; ipykernel warns otherwise
            self.transport_encryption = "auto"

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            # KernelSpec env values go through string.Template: escape "$".
            env = {k: v.replace("$", "$$") for k, v in self.extra_env.items()}
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (azora-nb)",
                language="python",
                env=env,
                metadata={"supported_encryption": ["curve"]},
            )
        return self._kernel_spec


def kernel_manager_for(env: Mapping[str, str]) -> type[CurrentEnvKernelManager]:
    """A :class:`CurrentEnvKernelManager` class whose kernels also get ``env``."""
    return type("AzoraKernelManager", (CurrentEnvKernelManager,), {"extra_env": dict(env)})


def execute(
    nb: nbformat.NotebookNode,
    env: Mapping[str, str],
    *,
    cwd: Path,
    output: Path | None = None,
    progress_bar: bool = False,
    timeout: float | None = None,
) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a fresh kernel that gets ``env`` (with progress
    indicators off); return the result.

    ``output``, when given, receives the executed notebook after every cell, so a
    failing run still leaves it behind (papermill's behaviour). A failing cell raises
    :class:`papermill.exceptions.PapermillExecutionError`.
    """
    import papermill

    # No one watches these kernels: keep progress bars out of the outputs.
    env = {**env, "AZORA_PROGRESS": "0"}
    executed: nbformat.NotebookNode = papermill.execute_notebook(
        nb,
        str(output) if output is not None else None,
        kernel_name=KERNEL_NAME,
        progress_bar=progress_bar,
        cwd=str(cwd),
        execution_timeout=timeout,
        kernel_manager_class=kernel_manager_for(env),
    )
    return executed
