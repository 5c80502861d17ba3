"""``azora-nb demo``, the main job, on a home the session already seeded: safe to
repeat, four HTML reports with figures and no code, the headline findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from azora_nb.analytics import rewards
from azora_nb.cli import main
from azora_nb.demo.manifest import read_manifest


def test_demo_runs_the_main_job(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["demo", "--out", str(out)], env={"AZORA_HOME": str(demo_home)}
    )
    assert result.exit_code == 0, result.output
    assert "demo data in place" in result.output  # nothing re-seeded
    # Every step and every report says when it starts and ends: never silent for long.
    for step in range(1, 6):
        assert f"[{step}/5]" in result.output
    for name in ("treasury", "mining", "rewards", "health"):
        assert f"report {name}: running" in result.output
        assert f"report {name}: done in " in result.output
    assert "sync mint_knowledge_rewards: succeeded" in result.output
    manifest = read_manifest(demo_home)
    assert manifest is not None
    planted = sum(a.kind in rewards.KINDS for a in manifest.anomalies)  # precision, recall 1
    assert f"reward audit: {planted} findings" in result.output
    for name in ("treasury", "mining", "rewards", "health"):
        html = out / f"{name}.html"
        assert str(html) in result.output
        text = html.read_text()
        assert text.count("<img") >= 2, name
        assert "import azora_nb" not in text and "notebook_style()" not in text
        assert "Findings" in text
        # fit to read: sharp figures described by their titles, dark mode, narrow screens
        assert 'alt="figure with' not in text and text.count('alt="') >= 2, name
        assert "prefers-color-scheme: dark" in text and "overflow-x: auto" in text
        assert 'name="viewport"' in text
        for local in (str(demo_home), str(tmp_path), "/home/", "/root/"):
            assert local not in text, (name, local)
        assert (out / f"{name}.ipynb").exists()
