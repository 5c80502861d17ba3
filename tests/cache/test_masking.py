"""Every password is masked, whatever its characters: hypothesis over printable passwords
(``/ @ : ? #`` and percent escapes included), raw and percent-encoded in the URL, through
repr, status (table and JSON), exception and log text, and the parameters the toolkit
stores (audit trail)."""

from __future__ import annotations

import json
import logging
import string
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from azora_nb.masking import mask_secrets, mask_url
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

PASSWORDS = st.text(
    alphabet=st.sampled_from(string.printable.strip() + " "), min_size=4, max_size=24
) | st.builds(
    lambda a, b: f"{a}%2F{b}@:/?#%40",
    st.text(string.ascii_letters, min_size=2, max_size=6),
    st.text(string.digits, min_size=2, max_size=6),
)
HOST = "zz-host.example"


def _url(password: str, encoded: bool) -> str:
    written = quote(password, safe="") if encoded else password
    return f"postgresql://ana:{written}@{HOST}:1/zzdb"


def _leaks(password: str, text: str) -> bool:
    return any(form in text for form in {password, quote(password, safe="")} if len(form) >= 4)


@seed(20261204)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(password=PASSWORDS, encoded=st.booleans())
def test_no_output_shows_the_password(password: str, encoded: bool, tmp_path: Path, caplog) -> None:
    assume(not any(c in password for c in "\n\r\x0b\x0c\t"))
    # A password that is also ordinary text of the outputs (say "byte") proves nothing.
    baseline = "\n".join(_outputs("QQQQ", "postgresql://ana:QQQQ@zz-host.example:1/zzdb", tmp_path))
    assume(not _leaks(password, baseline.replace("QQQQ", "")))
    for output in _outputs(password, _url(password, encoded), tmp_path):
        assert not _leaks(password, output), output


def _outputs(password: str, url: str, home: Path) -> list[str]:
    from azora_nb.audit import mask_parameters

    settings_ = Settings.load(
        env={"AZORA_HOME": str(home), "AZORA_MINT_URL": url, "AZORA_CONNECT_TIMEOUT": "1"},
        cwd=home,
    )
    ws = Workspace(settings_)
    message = f"could not connect to {url}: password '{password}' rejected"
    stored = mask_parameters({"url": url, "note": f"with {password}"}, settings_.secrets())
    return [
        mask_url(url) or "",
        repr(ws),
        repr(settings_),
        mask_secrets(message, settings_.secrets()),
        json.dumps(stored),
    ]


def test_status_and_logs_mask_a_password_with_every_awkward_character(
    tmp_path: Path, caplog
) -> None:
    password = "p/w@x:y?z#%41%2F secret"
    url = f"postgresql://ana:{password}@127.0.0.1:1/zzdb"
    ws = Workspace(
        Settings.load(
            env={"AZORA_HOME": str(tmp_path), "AZORA_MINT_URL": url, "AZORA_CONNECT_TIMEOUT": "1"},
            cwd=tmp_path,
        )
    )
    with caplog.at_level(logging.DEBUG, logger="azora_nb"):
        status = ws.status()
        try:
            ws.sql("select 1", source="mint")
        except Exception as exc:  # the connection fails: its message is checked too
            caplog.records.append(logging.makeLogRecord({"msg": str(exc)}))
    texts = [
        json.dumps(status.to_dict()),
        status.to_frame().to_string(),
        *[r.getMessage() for r in caplog.records],
    ]
    for text in texts:
        for part in ("p/w", "x:y", "z#", "%41", "secret"):
            assert part not in text, text
    ws.close()
