"""``azora-nb notebooks copy`` and ``refresh``: editable copies, re-executed pairs."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from azora_nb import curated
from azora_nb.cli import main
from azora_nb.exceptions import ConfigError


def test_copy_gives_editable_copies_and_keeps_existing_ones(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    result = CliRunner().invoke(main, ["notebooks", "copy", str(dest)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in dest.iterdir())
    assert names == [p.name for p in curated.curated_notebooks()]
    assert all(nbformat.read(dest / n, 4).cells for n in names)
    (dest / names[1]).write_text("my edits")
    again = CliRunner().invoke(main, ["notebooks", "copy", str(dest)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert (dest / names[1]).read_text() == "my edits"
    forced = CliRunner().invoke(main, ["notebooks", "copy", str(dest), "--overwrite"])
    assert forced.exit_code == 0 and (dest / names[1]).read_text() != "my edits"


PAIR = """\
# %% [markdown]
# # A tiny report

# %% tags=["parameters"]
as_of = "2026-10-31"

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

import azora_nb as az

ws = az.notebook(core_url="", as_of=as_of)

# %%
print(ws.sql("select count(*) as n from treasury_ledger")["n"].iloc[0] > 0)

# %%
fig, ax = plt.subplots()
ax.plot([1, 2, 3])
ax.set_title("Three points")
plt.show()
"""


def test_refresh_executes_a_pair_and_stores_normalised_outputs(
    demo_home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "tiny.py"
    script.write_text(PAIR)
    notebook = script.with_suffix(".ipynb")
    curated.refresh([notebook], home=demo_home, echo=lambda _: None)
    nb = nbformat.read(notebook, 4)
    assert not curated.pair_differences(notebook)
    assert nb.metadata == curated.normalise(nbformat.read(notebook, 4)).metadata
    assert nb.cells[3].outputs[0].text == "True\n"
    figure = nb.cells[4].outputs[0]
    assert figure.metadata["image/png"]["alt"] == "Three points"
    pixels = int.from_bytes(base64.b64decode(figure.data["image/png"])[16:20], "big")
    assert figure.metadata["image/png"]["width"] == pixels // 2  # 2x PNG at nominal size
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert str(demo_home) not in text and str(tmp_path) not in text
    assert "embedded SQLite; revision" in text  # the header


def test_refresh_refuses_a_pair_that_drifted(tmp_path: Path) -> None:
    source = curated.curated_dir() / "00_getting_started.ipynb"
    notebook = tmp_path / source.name
    shutil.copyfile(source, notebook)
    script = curated.paired_script(notebook)
    script.write_text(curated.paired_script(source).read_text().replace("as_of", "as_at"))
    with pytest.raises(ConfigError, match="--prefer py"):
        curated.refresh([notebook], echo=lambda _: None)
