"""The examples in the cache's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "azora_nb.cache",
    "azora_nb.cache.api",
    "azora_nb.cache.core",
    "azora_nb.cache.keys",
    "azora_nb.cache.provenance",
    "azora_nb.cache.serialise",
    "azora_nb.cache.tables",
    "azora_nb.cache.backends",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
