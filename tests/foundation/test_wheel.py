"""The built wheel works on its own: ``pip install`` of it (not editable) into a fresh
virtual environment, then ``azora-nb demo`` in an empty directory writes four reports.

The fresh environment borrows this one's third-party packages through a ``.pth`` line
(which, unlike a site directory, does not activate this checkout's editable install)
and its Jupyter data files through ``JUPYTER_PATH``, so the test needs no network and
installs nothing but the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # --no-build-isolation: setuptools and wheel come from the test extra, no download.
    run(
        sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "--no-build-isolation",
        "--quiet", "--wheel-dir", out, cwd=build,
    )  # fmt: skip
    (found,) = out.glob("azora_nb-*.whl")
    return found


def test_the_wheel_carries_what_the_package_reads_at_run_time(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in ("core", "mint", "gateway", "compliance"):
        for path in (ROOT / "azora_nb" / "migrations" / source / "versions").glob("*.py"):
            assert f"azora_nb/migrations/{source}/versions/{path.name}" in names
    for required in (
        "azora_nb/migrations/env.py",
        "azora_nb/migrations/alembic.ini",
        "azora_nb/migrations/script.py.mako",
        "azora_nb/migrations/shared_revisions/toolkit_tables.py",
        "azora_nb/sync/builtin.toml",
        "azora_nb/py.typed",
    ):
        assert required in names, required
    notebooks = sorted(n for n in names if n.startswith("azora_nb/notebooks/"))
    shipped = sorted(
        f"azora_nb/notebooks/{p.name}" for p in ROOT.glob("azora_nb/notebooks/*.ipynb")
    )
    assert notebooks == shipped  # the notebooks, not their .py halves or the nbval conftest


@pytest.mark.slow
def test_demo_from_an_installed_wheel_writes_four_reports(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    own_site = run(python, "-c", "import site; print(site.getsitepackages()[0])", cwd=tmp_path)
    Path(own_site.strip(), "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet",
        "--no-index", wheel, cwd=tmp_path,
    )  # fmt: skip

    empty = tmp_path / "somewhere-else"
    empty.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AZORA_")}
    clean.pop("DATABASE_URL", None)
    clean.pop("MONGO_URI", None)
    # Borrowed packages bring their code, not the data files pip puts under the prefix
    # (nbconvert's templates in share/jupyter): point Jupyter at this prefix's.
    clean["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = run(python, "-c", "import azora_nb; print(azora_nb.__file__)", cwd=empty, env=clean)
    assert where.startswith(str(env_dir)), where  # the wheel, not this checkout

    output = run(env_dir / "bin" / "azora-nb", "demo", cwd=empty, env=clean)
    reports = empty / ".azora" / "reports"
    for name in ("treasury", "mining", "rewards", "health"):
        html = reports / f"{name}.html"
        assert html.is_file(), output
        assert "Findings" in html.read_text()
