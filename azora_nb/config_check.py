"""Unknown settings: a typo in ``azora.toml`` or an ``AZORA_*`` variable is reported,
naming the closest valid key, instead of silently falling back to a default.

The valid keys are exactly those :mod:`azora_nb.settings` asks for while building
the settings (recorded by :class:`RecordingEnv`), so a new setting needs no second
list here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping

PREFIX = "AZORA_"
NOT_SETTINGS = ("AZORA_TEST_", "AZORA_BENCH_", "AZORA_NB_REPORT_SECRET_")
"""Variables that are not the library's settings: the tests' and benchmarks' servers,
and the secrets a report hands to its kernel."""
TEST_ONLY = frozenset({"AZORA_REQUIRE_SERVICES"})

_SOURCE_URL = re.compile(r"^AZORA_(?P<name>[A-Z0-9_]+)_URL$")


class RecordingEnv(Mapping[str, str]):
    """A read-only view of the merged settings that remembers every key looked up."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self._values[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def unknown_settings(values: Mapping[str, str], asked: set[str], from_toml: set[str]) -> list[str]:
    """One message per ``AZORA_*`` key in ``values`` that no setting reads, naming the
    closest valid key. ``from_toml`` are the keys that came from azora.toml."""
    known = sorted(k for k in asked if k.startswith(PREFIX))
    messages = []
    for key in sorted(values):
        if not key.startswith(PREFIX) or key in asked or key in TEST_ONLY:
            continue
        if key.startswith(NOT_SETTINGS):
            continue
        messages.append(_message(key, known, key in from_toml))
    return messages


def _message(key: str, known: list[str], in_toml: bool) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if in_toml:
        match = _SOURCE_URL.match(key)
        where = (
            f"azora.toml: [sources] {match.group('name').lower()}"
            if match
            else f"azora.toml: a key standing for {key}"
        )
        text = f"{where} is not a known setting, so it is ignored"
    else:
        text = f"{key} is not a known setting, so it is ignored"
    if close:
        text += f"; did you mean {_spelling(close[0], in_toml)}?"
    return text


def _spelling(key: str, in_toml: bool) -> str:
    match = _SOURCE_URL.match(key)
    if in_toml and match:
        return f"[sources] {match.group('name').lower()}"
    return key
