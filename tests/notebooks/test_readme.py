"""Every command the README shows runs as written.

The commands are extracted from the README's code blocks and inline code. Each one is
either run here (in a throwaway project directory whose AZORA_HOME holds the demo
data) or listed in ``NOT_RUN`` with the reason; a new command that is neither fails
this test until someone decides. Command *syntax* in the CLI reference (with
placeholders such as ``NAME`` or ``[--json]``) is checked by asking for its ``--help``.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from azora_nb.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

NOT_RUN = {
    "./scripts/demo": "the main job; tests/notebooks/test_main_job.py runs it",
    "./scripts/test": "the test suite itself",
    "./scripts/test tests/foundation": "the test suite itself",
    "azora-nb demo": "the main job; tests/notebooks/test_main_job.py runs it",
    "azora-nb notebooks refresh": "minutes of kernels; tests/notebooks/test_curated_cli.py runs it",
    "azora-nb notebooks refresh --prefer py": "as above",
    "pip install -e '.[lab]'": "installs packages",
    "pip install -e .": "installs packages",
    "azora-nb db": "names the command group in prose",
    "azora-nb sql": "names the command in prose",
    "azora-nb cache clear": "guarded on purpose: refuses without --yes when entries exist",
    "azora-nb report treasury -p as_of=2026-10-31 -p months=6 --out reports/2026-10": (
        "a report run (a minute of kernel); tests/notebooks/test_report_cli.py runs reports"
    ),
}
"""Literal README commands deliberately not run here, and why."""

PLACEHOLDER = re.compile(r"\[|\.\.\.|\b[A-Z]{2,}\b|\|")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced block, indented ones included."""
    blocks = re.findall(r"^ *```(\w*)\n(.*?)^ *```", text, flags=re.M | re.S)
    return [(lang, re.sub(r"^ +", "", body, flags=re.M)) for lang, body in blocks]


def shell_commands(text: str) -> list[str]:
    """Commands of the shell blocks (``bash`` or no language), comments dropped, and
    inline code that starts like a command."""
    found: list[str] = []
    for lang, body in code_blocks(text):
        if lang not in ("bash", "sh", ""):
            continue
        for line in body.splitlines():
            command = line.split(" #", 1)[0].strip()
            if command and re.match(r"(\./|\.venv/|azora-nb |alembic |pip |jupyter )", command):
                found.extend(part.strip() for part in command.split("&&"))
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    for span in re.findall(r"`([^`\n]+)`", prose):
        if re.match(r"(azora-nb|alembic|pip|jupyter) ", span) and not PLACEHOLDER.search(span):
            found.append(span)
    return list(dict.fromkeys(found))


def reference_rows(text: str) -> list[str]:
    """Command syntax in the CLI reference table (first cell of each row)."""
    rows = re.findall(r"^\| `(azora-nb [^`]*)`", text, flags=re.M)
    return rows


def test_the_readme_shows_commands_to_check() -> None:
    commands = shell_commands(README.read_text())
    assert "azora-nb notebooks refresh" in commands
    assert len(reference_rows(README.read_text())) >= 15


def test_every_reference_command_exists() -> None:
    for row in reference_rows(README.read_text()):
        words = []
        for word in row.split()[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        result = CliRunner().invoke(main, [*words, "--help"])
        assert result.exit_code == 0, f"{row}: {result.output}"


@pytest.fixture
def project(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory holding a copy of the demo data as its ``.azora``."""
    shutil.copytree(demo_home, tmp_path / ".azora", ignore=shutil.ignore_patterns("reports"))
    monkeypatch.chdir(tmp_path)
    for name in ("AZORA_HOME", "DATABASE_URL", "MONGO_URI"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run_command(command: str, project: Path) -> tuple[int, str]:
    argv = shlex.split(command)
    if argv[0] == "azora-nb":
        result = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
        return result.exit_code, result.output
    if argv[0] == "alembic":
        done = subprocess.run(
            [sys.executable, "-m", "alembic", *argv[1:]], cwd=ROOT, capture_output=True, text=True
        )
        return done.returncode, done.stdout + done.stderr
    if argv[0] == ".venv/bin/jupyter":
        # Not started here (it serves until stopped); as root it refuses to start without
        # --allow-root, and the README's readers are often root in a container.
        return (0 if "--allow-root" in argv else 1), "jupyter lab needs --allow-root as root"
    raise AssertionError(f"no way to run {command!r}: add one here or list it in NOT_RUN")


def test_readme_commands_run_as_written(project: Path) -> None:
    commands = shell_commands(README.read_text())
    commands += shell_commands((ROOT / "azora_nb" / "migrations" / "README.md").read_text())
    problems = []
    for command in commands:
        if command in NOT_RUN or command.startswith(".venv/bin/pip "):
            continue
        code, output = run_command(command, project)
        if code != 0:
            problems.append(f"{command}: exit {code}\n{output[-800:]}")
    assert not problems, "\n\n".join(problems)


def test_the_readme_python_examples_run(project: Path) -> None:
    examples = [body for lang, body in code_blocks(README.read_text()) if lang == "python"]
    assert examples
    for example in examples:
        # IPython magics (%load_ext, %sql) are not Python; tests/jupyter/test_magic.py runs them.
        plain = "\n".join(line for line in example.splitlines() if not line.startswith("%"))
        exec(compile(plain, "README.md", "exec"), {})
