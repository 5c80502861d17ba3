"""The Redis client as production runs it: a Redis Cluster, TLS with a CA file and client
certificates, an ACL user, and passwords that never show. Every server here is started by
the tests themselves (tests/redis_servers.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import redis.cluster
from click.testing import CliRunner
from redis_servers import (
    REDIS_USER,
    REDIS_USER_RULES,
    Certificates,
    RedisClusterServers,
    TlsRedisServer,
)

import azora_nb as az
from azora_nb import redis_client
from azora_nb.cli import main
from azora_nb.exceptions import ConfigError
from azora_nb.settings import Settings

SECRET_FORMS = (REDIS_USER.password, quote(REDIS_USER.password, safe=""))


def _load(home: Path, **env: str) -> Settings:
    return Settings.load(env={"AZORA_HOME": str(home), **env}, cwd=home)


def _assert_no_password(text: str) -> None:
    for secret in SECRET_FORMS:
        assert secret not in text


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("", None), ("auto", None), ("1", True), ("no", False)]
)
def test_cluster_mode_is_asked_for_unless_set(home: Path, raw: str, expected: bool | None) -> None:
    assert _load(home, AZORA_REDIS_CLUSTER=raw).redis.cluster is expected


def test_a_cluster_mode_that_is_not_one_says_which_are(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"auto .*true or false") as caught:
        _load(home, AZORA_REDIS_CLUSTER="sometimes")
    assert caught.value.setting == "AZORA_REDIS_CLUSTER"


def test_tls_files_are_checked_when_settings_load(home: Path, redis_certs: Certificates) -> None:
    tls = {"AZORA_REDIS_URL": "rediss://cache:6380/0"}
    with pytest.raises(ConfigError, match="not a file") as caught:
        _load(home, **tls, AZORA_REDIS_CA_FILE=str(home / "missing.pem"))
    assert caught.value.setting == "AZORA_REDIS_CA_FILE"
    with pytest.raises(ConfigError, match="rediss://"):
        _load(home, AZORA_REDIS_URL="redis://cache:6379/0", AZORA_REDIS_CA_FILE=str(redis_certs.ca))
    with pytest.raises(ConfigError, match="both AZORA_REDIS_CERT_FILE and AZORA_REDIS_KEY_FILE"):
        _load(home, **tls, AZORA_REDIS_CERT_FILE=str(redis_certs.client_cert))


def test_tls_file_paths_are_relative_to_the_project(home: Path, redis_certs: Certificates) -> None:
    (home / "azora.toml").write_text(f'[redis]\nca_file = "{redis_certs.ca.name}"\n')
    (home / redis_certs.ca.name).write_bytes(redis_certs.ca.read_bytes())
    settings = Settings.load(env={"AZORA_REDIS_URL": "rediss://cache:6380/0"}, cwd=home)
    assert settings.redis.ca_file == (home / redis_certs.ca.name).resolve()


# -- cluster ------------------------------------------------------------------------------


def test_a_cluster_gets_the_cluster_client(home: Path, redis_cluster: RedisClusterServers) -> None:
    with az.Workspace(_load(home, AZORA_REDIS_URL=redis_cluster.url)) as ws:
        client = ws.redis
        assert isinstance(client, redis.cluster.RedisCluster)
        assert ws.redis is client
        # Keys in every slot range, so on every primary: the client routes each one.
        keys = [f"azt-client-{n}" for n in range(30)]
        assert {redis_cluster.node_serving(k).port for k in keys} == set(
            redis_cluster.primary_ports()
        )
        for key in keys:
            client.set(key, key, px=60_000)
        assert [client.get(k) for k in keys] == [k.encode() for k in keys]
        client.delete(*keys)


def test_one_server_gets_the_plain_client(home: Path, redis_url: str) -> None:
    with az.Workspace(_load(home, AZORA_REDIS_URL=redis_url)) as ws:
        assert type(ws.redis) is redis.Redis


def test_cluster_mode_set_by_hand_skips_the_question(
    home: Path, redis_cluster: RedisClusterServers
) -> None:
    forced = _load(home, AZORA_REDIS_URL=redis_cluster.url, AZORA_REDIS_CLUSTER="false")
    assert type(redis_client.connect(forced.redis)) is redis.Redis
    asked = _load(home, AZORA_REDIS_URL=redis_cluster.url, AZORA_REDIS_CLUSTER="true")
    client = redis_client.connect(asked.redis)
    assert redis_client.is_cluster_client(client)
    client.close()


def test_an_unreachable_cluster_is_a_connection_error_without_the_password(home: Path) -> None:
    from redis_servers import pick_port

    url = f"redis://:{quote(REDIS_USER.password, safe='')}@127.0.0.1:{pick_port()}/0"
    settings = _load(home, AZORA_REDIS_URL=url, AZORA_REDIS_CLUSTER="1")
    with pytest.raises(redis.ConnectionError) as caught:
        redis_client.connect(settings.redis)
    _assert_no_password(str(caught.value))
    with az.Workspace(settings) as ws:
        report = ws.status()
        assert report["cache"].reachable is False
        _assert_no_password(json.dumps(report.to_dict()))


# -- TLS and ACL users ----------------------------------------------------------------------


def _tls_env(port: int, certs: Certificates, **extra: str) -> dict[str, str]:
    return {
        "AZORA_REDIS_URL": REDIS_USER.url("rediss", port),
        "AZORA_REDIS_CA_FILE": str(certs.ca),
        "AZORA_REDIS_CONNECT_TIMEOUT": "2",
        **extra,
    }


def test_tls_with_an_acl_user(home: Path, redis_tls: TlsRedisServer) -> None:
    settings = _load(home, **_tls_env(redis_tls.port, redis_tls.certs))
    with az.Workspace(settings) as ws:
        assert type(ws.redis) is redis.Redis
        assert ws.redis.acl_whoami() == REDIS_USER.name
        assert ws.redis.connection_pool.connection_class is redis.SSLConnection
        report = ws.status()
        assert report["cache"].reachable, report.to_dict()
        _assert_no_password(json.dumps(report.to_dict()) + repr(ws) + repr(settings))
        assert f"{REDIS_USER.name}:***@" in str(report["cache"].url)


def test_tls_without_the_ca_is_refused_and_said(home: Path, redis_tls: TlsRedisServer) -> None:
    env = _tls_env(redis_tls.port, redis_tls.certs)
    del env["AZORA_REDIS_CA_FILE"]
    with az.Workspace(_load(home, **env)) as ws:
        report = ws.status()
    assert report["cache"].reachable is False and report.overall == "degraded"
    assert "certificate verify failed" in str(report["cache"].error)
    _assert_no_password(json.dumps(report.to_dict()))


def test_a_wrong_password_is_said_and_not_shown(home: Path, redis_tls: TlsRedisServer) -> None:
    wrong = REDIS_USER.url("rediss", redis_tls.port).replace("%40", "%41", 1)
    env = {**_tls_env(redis_tls.port, redis_tls.certs), "AZORA_REDIS_URL": wrong}
    with az.Workspace(_load(home, **env)) as ws:
        report = ws.status()
    assert report["cache"].reachable is False
    assert "password" in str(report["cache"].error).lower()
    text = json.dumps(report.to_dict())
    assert "pAss" not in text and quote("pAss") not in text


@pytest.fixture
def redis_mutual_tls(tmp_path: Path, redis_certs: Certificates) -> Iterator[TlsRedisServer]:
    """A TLS server that accepts only clients presenting a certificate from the test CA."""
    server = TlsRedisServer(
        tmp_path / "mtls", redis_certs, require_client_certs=True, password="admin-pw"
    ).start()

    server.add_user(REDIS_USER, REDIS_USER_RULES)
    yield server
    server.stop()


def test_client_certificates_from_settings(
    home: Path, redis_mutual_tls: TlsRedisServer, redis_certs: Certificates
) -> None:
    without = _load(home, **_tls_env(redis_mutual_tls.port, redis_certs))
    with az.Workspace(without) as ws:
        assert ws.status()["cache"].reachable is False
    with_cert = _load(
        home,
        **_tls_env(
            redis_mutual_tls.port,
            redis_certs,
            AZORA_REDIS_CERT_FILE=str(redis_certs.client_cert),
            AZORA_REDIS_KEY_FILE=str(redis_certs.client_key),
        ),
    )
    with az.Workspace(with_cert) as ws:
        assert ws.redis.acl_whoami() == REDIS_USER.name


def test_a_managed_cluster_with_tls_and_an_acl_user(
    home: Path, redis_tls_cluster: RedisClusterServers, redis_certs: Certificates
) -> None:
    port = int(redis_tls_cluster.url.rsplit(":", 1)[1].split("/")[0])
    prefix = f"azt-managed-{uuid.uuid4().hex[:8]}"
    settings = _load(home, **_tls_env(port, redis_certs, AZORA_CACHE_PREFIX=prefix))
    with az.Workspace(settings) as ws:
        client = ws.redis
        assert isinstance(client, redis.cluster.RedisCluster)
        keys = [f"azt-managed-{n}" for n in range(12)]
        for key in keys:
            client.set(key, "x", px=60_000)
        assert client.mget_nonatomic(keys) == [b"x"] * len(keys)
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set("outside-the-prefix", "x")
        client.delete(*keys)
        ws.execute("create table t (id integer)")
        ws.sql("select count(*) as n from t", cache=True)
        assert az.provenance(ws.sql("select count(*) as n from t", cache=True)).cached
        report = ws.status()
        assert report["cache"].state == "ok", report.to_dict()
        _assert_no_password(json.dumps(report.to_dict()))
        ws.cache.clear()


def test_status_command_masks_the_password(
    home: Path, redis_tls: TlsRedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "AZORA_HOME": str(home),
        **_tls_env(redis_tls.port, redis_tls.certs),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(home)
    for args in (["status"], ["status", "--json"]):
        result = CliRunner().invoke(main, args)
        assert REDIS_USER.name in result.output, result.output
        _assert_no_password(result.output)


def test_the_docstring_example_runs() -> None:
    import doctest

    assert doctest.testmod(redis_client).failed == 0
