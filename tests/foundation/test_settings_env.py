"""``Settings.to_env()``: what a kernel or subprocess needs to read the same stores."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from azora_nb.settings import Settings


def test_to_env_rebuilds_every_setting_elsewhere(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "azora.toml").write_text('[cache]\nprefix = "from-toml"\n')
    env = {
        "AZORA_HOME": "relative-home",
        "DATABASE_URL": "postgresql://ana:s3cret@db:5432/core",
        "AZORA_MINT_URL": "sqlite:////data/mint.sqlite",
        "AZORA_MONGO_URL": "mongodb://m:27017",
        "AZORA_MONGO_DB": "other",
        "AZORA_REDIS_URL": "redis://r:6379/2",
        "AZORA_POOL_SIZE": "3",
        "AZORA_GATEWAY_STATEMENT_TIMEOUT": "12.5",
        "AZORA_REDIS_CONNECT_TIMEOUT": "0.25",
        "AZORA_CACHE": "0",
        "AZORA_CACHE_TTL": "90",
        "AZORA_CACHE_MAX_ENTRY_MB": "1.5",
        "AZORA_CACHE_DISK_LIMIT_MB": "700",
        "AZORA_CACHE_LOCK_TIMEOUT": "7",
        "AZORA_CORE_SESSION": "app.current_user_id=42; app.tenant=eu",
        "PGOPTIONS": "-c search_path=public",
        "AZORA_REDIS_CLUSTER": "false",
        "AZORA_PROGRESS": "0",
    }
    original = Settings.load(env=env, cwd=project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rebuilt = Settings.load(env=original.to_env(), cwd=elsewhere)
    assert rebuilt == dataclasses.replace(original, project_dir=None)
    assert rebuilt.home == project / "relative-home"
    assert rebuilt.cache.prefix == "from-toml"
    assert rebuilt.source("core").url == "postgresql://ana:s3cret@db:5432/core"
    assert rebuilt.source("core").session == {"app.current_user_id": "42", "app.tenant": "eu"}


def test_to_env_keeps_embedded_sources_embedded(tmp_path: Path) -> None:
    settings = Settings.load(env={}, cwd=tmp_path)
    env = settings.to_env()
    assert env["AZORA_CORE_URL"] == "" and env["DATABASE_URL"] == ""
    assert Settings.load(env=env, cwd=Path("/")).source("core").embedded
