"""Settings, read once at the edge.

Precedence, highest first: the process environment, a ``.env`` file, an
``azora.toml`` file, then defaults. Both files are looked for in the
project directory: the nearest directory, from the current one upwards, that
holds ``azora.toml``, ``.env`` or ``.azora``; failing that, the current
directory. This is what lets a notebook kernel started in ``notebooks/``
find the same data as the CLI started at the repository root.

No other module reads the environment.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from azora_nb.config_check import RecordingEnv, unknown_settings
from azora_nb.exceptions import ConfigError, UnknownSource
from azora_nb.masking import mask_secrets as mask_secrets  # re-exported: callers import it here
from azora_nb.masking import mask_url, url_secrets

log = logging.getLogger("azora_nb")

SOURCES: tuple[str, ...] = ("core", "mint", "gateway", "compliance")
"""The service databases, in the order they are reported."""

DEFAULT_MONGO_DB = "azora_os"
_MARKERS = ("azora.toml", ".env", ".azora")
_SESSION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class Limits:
    """Connection limits of one store. Timeouts are in seconds."""

    pool_size: int = 5
    connect_timeout: float = 5.0
    statement_timeout: float | None = None


@dataclass(frozen=True)
class SourceSettings:
    """One service database. ``url`` is ``None`` for the embedded SQLite default."""

    name: str
    url: str | None
    limits: Limits
    setting: str
    session: Mapping[str, str] = field(default_factory=dict)
    """Session settings (``SET name = value``) every connection to this source gets,
    from ``AZORA_<SOURCE>_SESSION`` or ``[sources.<source>.session]``; sorted by name."""
    pgoptions: str = ""
    """``PGOPTIONS`` of the environment, which libpq would otherwise drop once
    azora-nb passes options of its own; merged in by the workspace."""

    @property
    def embedded(self) -> bool:
        return self.url is None

    def sqlalchemy_url(self, home: Path) -> str:
        """The URL to hand to SQLAlchemy, with the driver azora-nb uses."""
        if self.url is None:
            return f"sqlite:///{home / f'{self.name}.sqlite'}"
        return normalise_sql_url(self.url)

    def __repr__(self) -> str:
        return f"SourceSettings(name={self.name!r}, url={mask_url(self.url)!r})"


@dataclass(frozen=True)
class MongoSettings:
    url: str | None
    database: str
    limits: Limits

    def __repr__(self) -> str:
        return f"MongoSettings(url={mask_url(self.url)!r}, database={self.database!r})"


@dataclass(frozen=True)
class RedisSettings:
    """The Redis server or cluster. ``cluster`` is ``None`` to ask the server; the TLS files
    (``rediss://`` only) are a CA bundle to trust and an optional client certificate."""

    url: str | None
    limits: Limits
    cluster: bool | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def __repr__(self) -> str:
        return f"RedisSettings(url={mask_url(self.url)!r}, cluster={self.cluster!r})"


@dataclass(frozen=True)
class CacheSettings:
    """The query-result cache: Redis when a Redis URL is set, else local disk."""

    enabled: bool = True
    ttl: float = 3600.0
    prefix: str = "azora-nb"
    max_entry_bytes: int = 256 * 1024 * 1024
    disk_size_limit: int = 4 * 1024 * 1024 * 1024
    lock_timeout: float = 300.0
    max_staleness: float = 300.0
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything azora-nb needs to know about where the data lives.

    Build it with :meth:`Settings.load`; tests pass ``env`` and ``cwd`` so
    that nothing leaks in from the machine.
    """

    home: Path
    sources: Mapping[str, SourceSettings]
    mongo: MongoSettings
    redis: RedisSettings
    cache: CacheSettings = field(default_factory=CacheSettings)
    project_dir: Path | None = None
    progress: bool = True
    """Progress indicators for long reads (``AZORA_PROGRESS``)."""
    warnings: tuple[str, ...] = ()
    """Problems that do not stop azora-nb, such as unknown keys (see ``status``)."""

    def source(self, name: str) -> SourceSettings:
        try:
            return self.sources[name]
        except KeyError:
            raise UnknownSource(name, tuple(self.sources)) from None

    def secrets(self) -> tuple[str, ...]:
        """Every password and token in the configured URLs (as written and decoded) and
        the cache's signing secret, for masking free text."""
        urls = [s.url for s in self.sources.values()] + [self.mongo.url, self.redis.url]
        found = [secret for url in urls for secret in url_secrets(url)]
        if self.cache.secret:
            found.append(self.cache.secret)
        return tuple(found)

    def to_env(self) -> dict[str, str]:
        """The environment variables that make :meth:`load` rebuild these settings anywhere.

        Kernels and subprocesses get it, so a notebook started in any directory reads
        the same stores. The home is absolute; ``MONGO_URI`` is blanked, being already
        folded into ``AZORA_MONGO_URL``.

        >>> s = Settings.load(env={"AZORA_CORE_URL": "postgresql://db/core"}, cwd=Path("/tmp"))
        >>> Settings.load(env=s.to_env(), cwd=Path("/")).sources == s.sources
        True
        """
        env = {"AZORA_HOME": str(self.home.resolve()), "DATABASE_URL": "", "MONGO_URI": ""}
        for name, source in self.sources.items():
            env[f"AZORA_{name.upper()}_URL"] = ""
            env[source.setting] = source.url or ""  # errors keep naming what the user set
            env[f"AZORA_{name.upper()}_SESSION"] = json.dumps(dict(source.session))
            env.update(_limits_env(f"AZORA_{name.upper()}", source.limits))
        pgoptions = {s.pgoptions for s in self.sources.values()}
        env["PGOPTIONS"] = pgoptions.pop() if len(pgoptions) == 1 else ""
        env["AZORA_MONGO_URL"] = self.mongo.url or ""
        env["AZORA_MONGO_DB"] = self.mongo.database
        env.update(_limits_env("AZORA_MONGO", self.mongo.limits))
        redis = self.redis
        env["AZORA_REDIS_URL"] = redis.url or ""
        env.update(_limits_env("AZORA_REDIS", redis.limits))
        env["AZORA_REDIS_CLUSTER"] = {None: "auto", True: "true", False: "false"}[redis.cluster]
        for key, path in (
            ("CA", redis.ca_file),
            ("CERT", redis.cert_file),
            ("KEY", redis.key_file),
        ):
            env[f"AZORA_REDIS_{key}_FILE"] = str(path) if path is not None else ""
        env["AZORA_PROGRESS"] = "1" if self.progress else "0"
        cache = self.cache
        env.update(
            {
                "AZORA_CACHE": "1" if cache.enabled else "0",
                "AZORA_CACHE_TTL": repr(cache.ttl),
                "AZORA_CACHE_PREFIX": cache.prefix,
                "AZORA_CACHE_MAX_ENTRY_MB": repr(cache.max_entry_bytes / (1024 * 1024)),
                "AZORA_CACHE_DISK_LIMIT_MB": repr(cache.disk_size_limit / (1024 * 1024)),
                "AZORA_CACHE_LOCK_TIMEOUT": repr(cache.lock_timeout),
            }
        )
        return env

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment), ``.env`` and
        ``azora.toml``.

        >>> s = Settings.load(env={}, cwd=Path("/tmp"))
        >>> s.source("core").embedded
        True
        """
        cwd = (cwd or Path.cwd()).resolve()
        project = _find_project_dir(cwd)
        base = project or cwd
        merged: dict[str, str] = {}
        toml = _read_toml(base / "azora.toml")
        merged.update(toml)
        merged.update(_read_dotenv(base / ".env"))
        merged.update(os.environ if env is None else env)
        recording = RecordingEnv(merged)
        settings = _build(recording, base, project)
        from_toml = {k for k, v in toml.items() if merged.get(k) == v}
        warnings = tuple(unknown_settings(merged, recording.asked, from_toml))
        for warning in warnings:
            log.warning("%s", warning)
        return replace(settings, warnings=warnings)


def _find_project_dir(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in _MARKERS):
            return directory
    return None


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _read_toml(path: Path) -> dict[str, str]:
    """Flatten ``azora.toml`` into the environment variables it stands for.

    ``[sources] core = "..."`` becomes ``AZORA_CORE_URL``; ``[mongo] url`` becomes
    ``AZORA_MONGO_URL``; any other ``[section] key`` becomes ``AZORA_SECTION_KEY``;
    top-level keys become ``AZORA_KEY``.
    """
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file or remove it.") from exc
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                if key == "sources" and isinstance(subvalue, dict):
                    flat.update(_source_table(sub, subvalue, path))
                elif key == "sources":
                    flat[f"AZORA_{sub.upper()}_URL"] = str(subvalue)
                elif (key, sub) == ("mongo", "database"):
                    flat["AZORA_MONGO_DB"] = str(subvalue)
                else:
                    flat[f"AZORA_{key.upper()}_{sub.upper()}"] = _toml_scalar(subvalue)
        else:
            flat[f"AZORA_{key.upper()}"] = _toml_scalar(value)
    return flat


def _source_table(name: str, table: Mapping[str, Any], path: Path) -> dict[str, str]:
    """``[sources.core]`` with ``url`` and a ``[sources.core.session]`` table."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if key == "url":
            flat[f"AZORA_{name.upper()}_URL"] = str(value)
        elif key == "session" and isinstance(value, dict):
            flat[f"AZORA_{name.upper()}_SESSION"] = json.dumps(
                {k: _toml_scalar(v) for k, v in value.items()}
            )
        else:
            raise ConfigError(
                f"{path}: [sources.{name}] takes `url` and a [sources.{name}.session] "
                f"table, not {key!r}"
            )
    return flat


def parse_session(raw: str, setting: str) -> dict[str, str]:
    """Session settings from ``name=value`` pairs separated by ``;`` (or a JSON object).

    >>> parse_session("app.current_user_id = 42; app.tenant=eu", "AZORA_CORE_SESSION")
    {'app.current_user_id': '42', 'app.tenant': 'eu'}
    """
    text = raw.strip()
    pairs: dict[str, str] = {}
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{setting} is not valid JSON: {exc}", setting=setting) from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{setting} must be a JSON object", setting=setting)
        pairs = {str(k): _toml_scalar(v) for k, v in loaded.items()}
    else:
        for item in filter(None, (part.strip() for part in text.split(";"))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(
                    f"{setting} holds name=value pairs separated by ';' "
                    f"(app.current_user_id=42; app.tenant=eu), got {item!r}",
                    setting=setting,
                )
            pairs[name.strip()] = value.strip()
    for name in pairs:
        if not _SESSION_NAME.fullmatch(name):
            raise ConfigError(
                f"{setting}: {name!r} is not a PostgreSQL setting name "
                "(letters, digits and _, dotted like app.current_user_id)",
                setting=setting,
            )
    return dict(sorted(pairs.items()))


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def normalise_sql_url(url: str) -> str:
    """Pick the drivers azora-nb is built on: psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _build(env: Mapping[str, str], base: Path, project: Path | None) -> Settings:
    home_raw = env.get("AZORA_HOME") or ".azora"
    home = Path(home_raw).expanduser()
    if not home.is_absolute():
        home = (base / home).resolve()
    if home.exists() and not home.is_dir():
        raise ConfigError(
            f"AZORA_HOME is {home}, which is a file; point AZORA_HOME at a directory "
            "(it is created when missing)",
            setting="AZORA_HOME",
        )

    defaults = _limits(env, "AZORA", Limits())
    sources: dict[str, SourceSettings] = {}
    for name in SOURCES:
        setting = f"AZORA_{name.upper()}_URL"
        url = env.get(setting) or None
        if name == "core" and url is None and env.get("DATABASE_URL"):
            url, setting = env["DATABASE_URL"], "DATABASE_URL"
        if url is not None:
            _check_sql_url(url, setting)
        session_setting = f"AZORA_{name.upper()}_SESSION"
        sources[name] = SourceSettings(
            name=name,
            url=url,
            setting=setting,
            limits=_limits(env, f"AZORA_{name.upper()}", defaults),
            session=parse_session(env.get(session_setting) or "", session_setting),
            pgoptions=env.get("PGOPTIONS") or "",
        )

    mongo_url = env.get("AZORA_MONGO_URL") or env.get("MONGO_URI") or None
    if mongo_url and not mongo_url.startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError(
            "AZORA_MONGO_URL must start with mongodb:// or mongodb+srv://, "
            f"got {mask_url(mongo_url)}",
            setting="AZORA_MONGO_URL",
        )
    mongo = MongoSettings(
        url=mongo_url,
        database=env.get("AZORA_MONGO_DB") or DEFAULT_MONGO_DB,
        limits=_limits(env, "AZORA_MONGO", defaults),
    )
    redis_url = env.get("AZORA_REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"AZORA_REDIS_URL must start with redis://, rediss:// or unix://, "
            f"got {mask_url(redis_url)}",
            setting="AZORA_REDIS_URL",
        )
    redis = _redis(env, base, redis_url, _limits(env, "AZORA_REDIS", defaults))
    cache = CacheSettings(
        enabled=_bool(env, "AZORA_CACHE", True),
        ttl=_number(env, "AZORA_CACHE_TTL", 3600.0),
        prefix=env.get("AZORA_CACHE_PREFIX") or "azora-nb",
        max_entry_bytes=int(_number(env, "AZORA_CACHE_MAX_ENTRY_MB", 256.0) * 1024 * 1024),
        disk_size_limit=int(_number(env, "AZORA_CACHE_DISK_LIMIT_MB", 4096.0) * 1024 * 1024),
        lock_timeout=_number(env, "AZORA_CACHE_LOCK_TIMEOUT", 300.0),
        max_staleness=_number(env, "AZORA_CACHE_MAX_STALENESS", 300.0),
        secret=env.get("AZORA_CACHE_SECRET") or None,
    )
    return Settings(
        home=home,
        sources=sources,
        mongo=mongo,
        redis=redis,
        cache=cache,
        project_dir=project,
        progress=_bool(env, "AZORA_PROGRESS", True),
    )


def _redis(env: Mapping[str, str], base: Path, url: str | None, limits: Limits) -> RedisSettings:
    mode = (env.get("AZORA_REDIS_CLUSTER") or "auto").strip().lower()
    try:
        cluster = None if mode == "auto" else _bool(env, "AZORA_REDIS_CLUSTER", False)
    except ConfigError:
        raise ConfigError(
            f"AZORA_REDIS_CLUSTER must be auto (ask the server), true or false, got {mode!r}",
            setting="AZORA_REDIS_CLUSTER",
        ) from None
    files: dict[str, Path | None] = {}
    for key in ("CA", "CERT", "KEY"):
        setting = f"AZORA_REDIS_{key}_FILE"
        raw = env.get(setting) or None
        path = None if raw is None else Path(raw).expanduser()
        if path is not None:
            path = path if path.is_absolute() else (base / path).resolve()
            if not path.is_file():
                raise ConfigError(f"{setting} names {path}, which is not a file", setting=setting)
            if not (url or "").startswith("rediss://"):
                raise ConfigError(
                    f"{setting} is set but AZORA_REDIS_URL does not use TLS: "
                    "start it with rediss:// (or unset the TLS files)",
                    setting=setting,
                )
        files[key] = path
    if (files["CERT"] is None) != (files["KEY"] is None):
        raise ConfigError(
            "a client certificate needs both AZORA_REDIS_CERT_FILE and AZORA_REDIS_KEY_FILE",
            setting="AZORA_REDIS_CERT_FILE",
        )
    return RedisSettings(url, limits, cluster, files["CA"], files["CERT"], files["KEY"])


def _check_sql_url(url: str, setting: str) -> None:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme.startswith(("postgres", "sqlite")):
        raise ConfigError(
            f"{setting} must be a PostgreSQL or SQLite URL (postgresql://user@host/db or "
            f"sqlite:////path/file.sqlite), got {mask_url(url)!r}",
            setting=setting,
        )


def _limits(env: Mapping[str, str], prefix: str, fallback: Limits) -> Limits:
    statement = env.get(f"{prefix}_STATEMENT_TIMEOUT")
    return Limits(
        pool_size=int(_number(env, f"{prefix}_POOL_SIZE", fallback.pool_size)),
        connect_timeout=_number(env, f"{prefix}_CONNECT_TIMEOUT", fallback.connect_timeout),
        statement_timeout=(
            _number(env, f"{prefix}_STATEMENT_TIMEOUT", 0.0) or None
            if statement is not None
            else fallback.statement_timeout
        ),
    )


def _limits_env(prefix: str, limits: Limits) -> dict[str, str]:
    return {
        f"{prefix}_POOL_SIZE": str(limits.pool_size),
        f"{prefix}_CONNECT_TIMEOUT": repr(limits.connect_timeout),
        f"{prefix}_STATEMENT_TIMEOUT": repr(limits.statement_timeout or 0.0),
    }


def _number(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}", setting=key) from None
    if value < 0:
        raise ConfigError(f"{key} must not be negative, got {raw!r}", setting=key)
    return value


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key} must be true or false, got {raw!r}", setting=key)
