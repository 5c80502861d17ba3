"""Definitions from TOML, YAML and Python, and the mistakes they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from azora_nb.exceptions import ConfigError
from azora_nb.sync import MongoSource, MongoTarget, SqlSource, SqlTarget, SyncDefinition
from azora_nb.sync.definitions import builtin, from_mapping, load_file

TOML = """
[sync.rewards]
source = { sql = "mint", table = "knowledge_rewards" }
target = { sql = "core", schema = "analysis", table = "knowledge_rewards" }
key = ["id"]
cursor = "createdAt"
lag = 120
include_null_cursor = true

[sync.to_docs]
source = { sql = "mint", query = "select * from users" }
target = { mongo = "users", entity_type = "user" }
key = "id"

[sync.from_docs]
target = { sql = "core", table = "updates" }
key = ["id"]
cursor = "timestamp"
types = { id = "text" }

[sync.from_docs.source]
mongo = "entity_updates"
filter = { processed = false }
projection = ["data"]
flatten_depth = 2
"""

YAML = """
sync:
  rewards:
    source: {sql: mint, table: knowledge_rewards}
    target: {sql: core, table: knowledge_rewards}
    key: [id]
    cursor: createdAt
"""


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "azora-sync.toml"
    path.write_text(TOML)
    defs = load_file(path)
    rewards = defs["rewards"]
    assert rewards.source == SqlSource("mint", table="knowledge_rewards")
    assert rewards.target == SqlTarget("core", table="knowledge_rewards", schema="analysis")
    assert (rewards.key, rewards.cursor, rewards.lag) == (("id",), "createdAt", 120)
    assert rewards.include_null_cursor and rewards.direction == "sql->sql"
    assert defs["to_docs"].target == MongoTarget("users", entity_type="user")
    assert defs["to_docs"].state_source == "mint" and not defs["to_docs"].incremental
    from_docs = defs["from_docs"]
    assert from_docs.source == MongoSource(
        "entity_updates", filter={"processed": False}, projection=("data",), flatten_depth=2
    )
    assert from_docs.direction == "mongo->sql" and from_docs.state_source == "core"


def test_yaml_file_reads_the_same(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    toml, yaml = tmp_path / "a.toml", tmp_path / "a.yaml"
    toml.write_text(TOML)
    yaml.write_text(YAML)
    assert load_file(yaml)["rewards"].source == load_file(toml)["rewards"].source


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"source": {"sql": "mint", "table": "t"}, "target": {"sql": "core", "table": "t"}},
            "key needs at least one column",
        ),
        (
            {
                "source": {"sql": "nope", "table": "t"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
            },
            "is not a source",
        ),
        (
            {
                "source": {"sql": "mint", "table": "t", "query": "select 1"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
            },
            "exactly one of table or query",
        ),
        (
            {
                "source": {"sql": "mint", "table": "t; drop"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
            },
            "not a plain identifier",
        ),
        ({"source": {"mongo": "a"}, "target": {"mongo": "b"}, "key": "id"}, "Mongo to Mongo"),
        (
            {
                "source": {"sql": "mint", "table": "t"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
                "types": {"x": "money"},
            },
            "is not one of",
        ),
        (
            {
                "source": {"sql": "mint", "table": "t"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
                "lag": -1,
            },
            "lag must not be negative",
        ),
        (
            {
                "source": {"sql": "mint", "table": "t"},
                "target": {"sql": "core", "table": "t"},
                "key": "id",
                "colour": "red",
            },
            "unexpected keyword",
        ),
        (
            {"source": {"table": "t"}, "target": {"sql": "core", "table": "t"}, "key": "id"},
            "source needs",
        ),
    ],
)
def test_mistakes_are_refused_with_a_reason(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_mapping("bad", raw)


def test_python_definition_and_shipped_ones() -> None:
    d = SyncDefinition(
        "x",
        SqlSource("gateway", table="api_calls"),
        SqlTarget(table="api_calls"),
        key=("id",),
        cursor="timestamp",
        lag=60,
    )
    assert d.target.describe() == "core:analysis.api_calls" and d.incremental
    shipped = builtin()
    assert shipped["gateway_api_calls"].lag == 300
    assert shipped["mint_knowledge_rewards"].cursor is None
    assert shipped["mongo_metrics_history"].direction == "mongo->sql"
