"""The Redis client: one server or a Redis Cluster, over TLS with an ACL user if asked.

``AZORA_REDIS_URL`` says where (``redis://`` or ``rediss://user:password@host:port``);
``AZORA_REDIS_CLUSTER`` says whether it is a cluster (``auto``, the default, asks the
server); ``AZORA_REDIS_CA_FILE`` / ``AZORA_REDIS_CERT_FILE`` / ``AZORA_REDIS_KEY_FILE``
give the TLS files. A cluster gets redis-py's cluster client, which routes every key
to the primary that holds its slot.

>>> from pathlib import Path
>>> from azora_nb.settings import Settings
>>> settings = Settings.load(env={"AZORA_REDIS_URL": "redis://:pw@cache:6379/0",
...                               "AZORA_REDIS_CLUSTER": "false"}, cwd=Path("/"))
>>> type(connect(settings.redis)).__name__      # no round trip: the server is not asked
'Redis'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from azora_nb.settings import RedisSettings, mask_secrets, mask_url

if TYPE_CHECKING:
    import redis
    import redis.cluster

RedisClient: TypeAlias = "redis.Redis | redis.cluster.RedisCluster"
_CLUSTER_RETRIES = 2


def failures() -> tuple[type[BaseException], ...]:
    """Every exception a Redis call may raise because of the server or the network.

    redis-py's cluster errors (no node reachable, a slot nobody serves) do not derive
    from ``RedisError``; catch this tuple instead.
    """
    import redis

    return (redis.RedisError, redis.exceptions.RedisClusterException, OSError)


def is_cluster_client(client: Any) -> bool:
    import redis.cluster

    return isinstance(client, redis.cluster.RedisCluster)


def connect(settings: RedisSettings) -> RedisClient:
    """A client of the server or cluster ``settings`` name.

    With ``AZORA_REDIS_CLUSTER=auto`` the server is asked whether it is in cluster
    mode, and a cluster client asks for the cluster's layout: both need the server.
    When it cannot be reached, :class:`redis.ConnectionError` is raised (password
    masked), so that the caller can try again later.
    """
    import redis
    import redis.cluster

    url = settings.url
    if url is None:
        raise ValueError("no Redis URL is set (AZORA_REDIS_URL)")
    options = _options(settings)
    cluster = settings.cluster
    if cluster is None:
        cluster = not url.startswith("unix://") and _in_cluster_mode(url, options)
    if not cluster:
        return standalone(settings)
    from redis.backoff import ExponentialWithJitterBackoff
    from redis.retry import Retry

    # redis-py retries a cluster command up to 10 times with backoff, which waits out a
    # failover inside one query (seconds on a managed Redis). The cache is worth less than
    # that wait: fail within a few hundred ms and let the caller run uncached instead.
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.2), retries=_CLUSTER_RETRIES)
    try:
        return redis.cluster.RedisCluster.from_url(url, retry=retry, **options)
    except redis.exceptions.RedisClusterException as exc:
        # The cluster client reads the layout as it is built: an unreachable cluster
        # is a connection failure like any other, and is retried the same way.
        detail = mask_secrets(str(exc), _secrets(url))
        raise redis.ConnectionError(
            f"Redis Cluster at {mask_url(url)} cannot be reached: {detail}"
        ) from None


def standalone(settings: RedisSettings) -> redis.Redis:
    """A client of one server; it connects on first use."""
    import redis

    if settings.url is None:
        raise ValueError("no Redis URL is set (AZORA_REDIS_URL)")
    return redis.Redis.from_url(settings.url, **_options(settings))


def _options(settings: RedisSettings) -> dict[str, Any]:
    limits = settings.limits
    options: dict[str, Any] = {
        "socket_connect_timeout": limits.connect_timeout,
        "socket_timeout": limits.statement_timeout or max(limits.connect_timeout, 10.0),
        "max_connections": max(limits.pool_size, 2) * 4,
        "health_check_interval": 30,
    }
    if settings.ca_file is not None:
        options["ssl_ca_certs"] = str(settings.ca_file)
    if settings.cert_file is not None and settings.key_file is not None:
        options["ssl_certfile"] = str(settings.cert_file)
        options["ssl_keyfile"] = str(settings.key_file)
    return options


def _in_cluster_mode(url: str, options: dict[str, Any]) -> bool:
    """Ask the server: ``INFO cluster`` says ``cluster_enabled:1`` on a cluster node.

    An ACL user without ``INFO`` is asked ``CLUSTER SLOTS`` instead, which a cluster
    client needs anyway and a standalone server refuses.
    """
    import redis

    probe = redis.Redis.from_url(url, **{**options, "max_connections": 1})
    try:
        try:
            return bool(int(probe.info("cluster").get("cluster_enabled", 0)))
        except redis.exceptions.NoPermissionError:
            pass
        try:
            probe.execute_command("CLUSTER SLOTS")
        except redis.exceptions.ResponseError:
            return False
        return True
    except redis.ConnectionError as exc:
        detail = mask_secrets(str(exc), _secrets(url))
        raise type(exc)(f"Redis at {mask_url(url)}: {detail}") from None
    finally:
        probe.close()


def _secrets(url: str) -> tuple[str, ...]:
    from urllib.parse import unquote, urlsplit

    password = urlsplit(url).password
    return (password, unquote(password)) if password else ()
