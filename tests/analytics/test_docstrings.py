"""Every public analytics function has a docstring with an example, and the examples
that run without a database pass."""

from __future__ import annotations

import doctest
import inspect
from types import ModuleType

import pytest

from azora_nb.analytics import forecast, health, mining, rewards, snapshots, treasury

MODULES = (treasury, forecast, mining, rewards, health, snapshots)


def _public_functions(module: ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_public_functions_have_an_example(module: ModuleType) -> None:
    missing = [
        name
        for name in _public_functions(module)
        if ">>>" not in (getattr(module, name).__doc__ or "")
    ]
    assert not missing, f"{module.__name__}: add a docstring example to {missing}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_examples_pass(module: ModuleType) -> None:
    result = doctest.testmod(
        module, extraglobs={"pd": __import__("pandas")}, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
