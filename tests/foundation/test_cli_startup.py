"""`azora-nb --help` starts fast: neither `import azora_nb` nor any command's help loads
the heavy libraries. Speed itself is measured by benchmarks/cli_startup.py; here, which
modules get imported (in a fresh interpreter, as the console script would)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import azora_nb as az

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "pyarrow",
    "sqlalchemy",
    "alembic",
    "papermill",
    "nbconvert",
)

# For `azora-nb --help` and every `azora-nb CMD --help`, in one interpreter: the heavy
# modules that each one loaded, keyed by its command line.
PROBE = textwrap.dedent(
    """
    import json, sys
    import click

    heavy = set(sys.argv[1:])

    def loaded():
        return sorted(m for m in sys.modules if m.split(".")[0] in heavy)

    import azora_nb  # noqa: F401

    found = {"import azora_nb": loaded()}
    from azora_nb.cli import main

    def paths(command, prefix):
        yield prefix
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from paths(sub, [*prefix, name])

    for path in paths(main, []):
        try:
            main.main([*path, "--help"], prog_name="azora-nb", standalone_mode=False)
        except SystemExit:
            pass
        found[" ".join(["azora-nb", *path, "--help"])] = loaded()
    print(json.dumps(found))
    """
)


def test_help_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, check=True
    )
    found: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    assert len(found) > 20  # every command was reached
    assert {line: mods for line, mods in found.items() if mods} == {}


def test_public_names_resolve() -> None:
    import azora_nb.notebook  # noqa: F401  (the submodule must not shadow az.notebook())
    from azora_nb import demo

    for name in az.__all__:
        assert getattr(az, name) is not None, name
    assert callable(az.notebook) and callable(az.connect)
    assert az.connect.__module__ == "azora_nb.workspace"
    assert az.cache.stats is az.cache.api.stats  # submodules, as when all was imported
    assert callable(demo.seed) and callable(demo.table_specs)
    assert set(az.__all__) <= set(dir(az))
    assert sys.modules["azora_nb.notebook"].notebook is az.notebook
