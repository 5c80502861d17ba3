"""Session settings per source reach every connection, the COPY read path included,
and merge with options= in the URL and PGOPTIONS instead of replacing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from azora_nb.exceptions import ConfigError
from azora_nb.settings import Settings, parse_session
from tests.realdb.conftest import WALLET_A, WALLET_B, RlsCore, role_workspace

LEDGER = "select tx_hash from treasury_ledger order by tx_hash"


def test_session_pairs_and_json_parse_to_sorted_settings() -> None:
    assert parse_session(" b.x = 1 ; a.y=two words;", "S") == {"a.y": "two words", "b.x": "1"}
    assert parse_session('{"app.current_user_id": "u-1"}', "S") == {"app.current_user_id": "u-1"}
    assert parse_session("", "S") == {}


@pytest.mark.parametrize("raw", ["no_equals_sign", "bad name=1", "x.=1", "[1]"])
def test_malformed_session_settings_name_the_setting(raw: str) -> None:
    with pytest.raises(ConfigError, match="AZORA_CORE_SESSION"):
        parse_session(raw, "AZORA_CORE_SESSION")


def test_toml_source_table_gives_url_and_session(tmp_path: Path) -> None:
    (tmp_path / "azora.toml").write_text(
        '[sources]\nmint = "sqlite:////tmp/m.sqlite"\n'
        '[sources.core]\nurl = "postgresql://a@h/core"\n'
        '[sources.core.session]\n"app.current_user_id" = "u 1"\n'
    )
    settings = Settings.load(env={}, cwd=tmp_path)
    assert settings.source("core").url == "postgresql://a@h/core"
    assert settings.source("core").session == {"app.current_user_id": "u 1"}
    assert settings.source("mint").session == {}
    # The environment wins over the file, as for every setting.
    env = {"AZORA_CORE_SESSION": "app.current_user_id=u2"}
    assert Settings.load(env=env, cwd=tmp_path).source("core").session == {
        "app.current_user_id": "u2"
    }


@pytest.mark.postgres
def test_session_setting_reaches_the_fast_read_path(rls_core: RlsCore, home: Path) -> None:
    with role_workspace(home, rls_core.role_url()) as ws:
        assert ws.sql(LEDGER).empty  # RLS without the setting: nothing, no error
    session = {"AZORA_CORE_SESSION": f"app.current_user_wallet={WALLET_A}"}
    with role_workspace(home, rls_core.role_url(), **session) as ws:
        assert ws.sql(LEDGER)["tx_hash"].tolist() == ["t1", "t2"]
        chunks = list(ws.sql_chunks(LEDGER, chunk_rows=1))
        assert [c["tx_hash"].iloc[0] for c in chunks] == ["t1", "t2"]
        # The toolkit's own options are still there.
        assert ws.sql("show timezone").iloc[0, 0] == "UTC"


@pytest.mark.postgres
def test_url_options_and_pgoptions_are_merged_not_replaced(rls_core: RlsCore, home: Path) -> None:
    url = rls_core.role_url(options=f"-c app.current_user_wallet={WALLET_B}")
    with role_workspace(home, url, AZORA_CORE_STATEMENT_TIMEOUT="30") as ws:
        assert ws.sql(LEDGER)["tx_hash"].tolist() == ["t3"]
        assert ws.sql("show statement_timeout").iloc[0, 0] == "30s"
    with role_workspace(
        home, rls_core.role_url(), PGOPTIONS=f"-c app.current_user_wallet={WALLET_B}"
    ) as ws:
        assert ws.sql(LEDGER)["tx_hash"].tolist() == ["t3"]
        assert ws.sql("show timezone").iloc[0, 0] == "UTC"
    # Session settings are applied last, so they win over both.
    with role_workspace(
        home,
        url,
        PGOPTIONS=f"-c app.current_user_wallet={WALLET_B}",
        AZORA_CORE_SESSION=f"app.current_user_wallet={WALLET_A}",
    ) as ws:
        assert ws.sql(LEDGER)["tx_hash"].tolist() == ["t1", "t2"]
