"""Settings: defaults, precedence, aliases, discovery and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from azora_nb.exceptions import ConfigError, UnknownSource
from azora_nb.settings import Settings, mask_secrets, mask_url


def test_nothing_set_means_embedded_everything(tmp_path: Path) -> None:
    s = Settings.load(env={}, cwd=tmp_path)
    assert s.home == tmp_path / ".azora"
    assert all(src.embedded for src in s.sources.values())
    expected = f"sqlite:///{tmp_path / '.azora' / 'mint.sqlite'}"
    assert s.source("mint").sqlalchemy_url(s.home) == expected
    assert s.redis.url is None and s.mongo.url is None
    assert s.mongo.database == "azora_os"
    assert s.cache.enabled


def test_environment_beats_dotenv_beats_toml(tmp_path: Path) -> None:
    (tmp_path / "azora.toml").write_text(
        '[sources]\ncore = "postgresql://toml@h/core"\nmint = "postgresql://toml@h/mint"\n'
        '[mongo]\ndatabase = "from_toml"\n[cache]\nttl = 60\n'
    )
    (tmp_path / ".env").write_text("AZORA_MINT_URL=postgresql://dotenv@h/mint\n")
    s = Settings.load(env={"AZORA_GATEWAY_URL": "postgresql://env@h/gw"}, cwd=tmp_path)
    assert s.source("core").url == "postgresql://toml@h/core"
    assert s.source("mint").url == "postgresql://dotenv@h/mint"
    assert s.source("gateway").url == "postgresql://env@h/gw"
    assert s.source("compliance").embedded
    assert s.mongo.database == "from_toml"
    assert s.cache.ttl == 60


def test_original_service_variable_names_are_accepted(tmp_path: Path) -> None:
    s = Settings.load(
        env={"DATABASE_URL": "postgres://u:pw@h/core", "MONGO_URI": "mongodb://h:27017"},
        cwd=tmp_path,
    )
    assert s.source("core").setting == "DATABASE_URL"
    assert s.source("core").sqlalchemy_url(s.home) == "postgresql+psycopg://u:pw@h/core"
    assert s.mongo.url == "mongodb://h:27017"


def test_project_directory_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / ".azora").mkdir()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    s = Settings.load(env={}, cwd=notebooks)
    assert s.home == tmp_path / ".azora"
    assert s.project_dir == tmp_path


def test_relative_home_is_taken_from_the_project_directory(tmp_path: Path) -> None:
    s = Settings.load(env={"AZORA_HOME": "data"}, cwd=tmp_path)
    assert s.home == tmp_path / "data"


def test_per_store_limits_override_the_global_ones(tmp_path: Path) -> None:
    s = Settings.load(
        env={
            "AZORA_POOL_SIZE": "3",
            "AZORA_CORE_POOL_SIZE": "9",
            "AZORA_STATEMENT_TIMEOUT": "30",
            "AZORA_REDIS_CONNECT_TIMEOUT": "0.5",
        },
        cwd=tmp_path,
    )
    assert s.source("core").limits.pool_size == 9
    assert s.source("mint").limits.pool_size == 3
    assert s.source("mint").limits.statement_timeout == 30
    assert s.redis.limits.connect_timeout == 0.5


@pytest.mark.parametrize(
    ("env", "setting", "fragment"),
    [
        ({"AZORA_CORE_URL": "mysql://u:pw@h/db"}, "AZORA_CORE_URL", "PostgreSQL or SQLite"),
        ({"AZORA_REDIS_URL": "http://h:6379"}, "AZORA_REDIS_URL", "redis://"),
        ({"AZORA_MONGO_URL": "h:27017"}, "AZORA_MONGO_URL", "mongodb://"),
        ({"AZORA_POOL_SIZE": "many"}, "AZORA_POOL_SIZE", "must be a number"),
        ({"AZORA_CACHE": "perhaps"}, "AZORA_CACHE", "true or false"),
    ],
)
def test_bad_settings_name_the_setting(
    tmp_path: Path, env: dict[str, str], setting: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.load(env=env, cwd=tmp_path)
    assert info.value.setting == setting
    assert fragment in str(info.value)
    assert "pw" not in str(info.value)


def test_bad_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "azora.toml").write_text("[sources\n")
    with pytest.raises(ConfigError, match=r"azora\.toml is not valid TOML"):
        Settings.load(env={}, cwd=tmp_path)


def test_unknown_source_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownSource, match="core, mint, gateway, compliance"):
        Settings.load(env={}, cwd=tmp_path).source("ledger")


def test_masking_hides_passwords_and_tokens() -> None:
    assert mask_url("postgresql://ana:s3cr%40t@db:5432/core") == "postgresql://ana:***@db:5432/core"
    assert mask_url("redis://:tok3n@cache:6379/0") == "redis://:***@cache:6379/0"
    assert (
        mask_url("mongodb://u:p4ss@a:1,b:2/?authSource=admin")
        == "mongodb://u:***@a:1,b:2/?authSource=admin"
    )
    assert (
        mask_url("postgresql://h/db?password=hunter2&x=1") == "postgresql://h/db?password=***&x=1"
    )
    assert mask_url("sqlite:////tmp/core.sqlite") == "sqlite:////tmp/core.sqlite"
    assert "hunter2" not in mask_secrets("failed for user: hunter2 at x", ("hunter2",))


def test_repr_never_shows_a_password(tmp_path: Path) -> None:
    s = Settings.load(
        env={
            "AZORA_CORE_URL": "postgresql://u:topsecret@h/db",
            "AZORA_REDIS_URL": "redis://:topsecret@h:6379",
            "AZORA_MONGO_URL": "mongodb://u:topsecret@h",
        },
        cwd=tmp_path,
    )
    assert "topsecret" not in repr(s)
    assert s.secrets().count("topsecret") == 3
