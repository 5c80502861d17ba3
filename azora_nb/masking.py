"""Masking passwords and tokens, whatever their characters.

URLs are parsed with SQLAlchemy's URL parser (:func:`sqlalchemy.engine.make_url`),
never with regular expressions. A password may hold ``/ : ? #`` or percent
escapes; it may even hold an unencoded ``@``, which the parser reads as the end
of the password: everything up to the *last* ``@`` of the authority is then
taken as credentials and masked, so no part of such a password is shown.

>>> mask_url("postgresql://ana:p/ss@w0rd@db:5432/core")
'postgresql://ana:***@db:5432/core'
>>> mask_url("redis://db:6379/0?password=x&db=1")
'redis://db:6379/0?password=***&db=1'
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"
SECRET_KEYS = frozenset(
    {"password", "passwd", "pwd", "token", "secret", "api_key", "apikey", "sslpassword"}
)


def _parts(url: str) -> tuple[str, str | None, str | None, str] | None:
    """``(scheme, username, raw password, rest)`` of ``url``, or ``None`` if it is not a
    URL the parser accepts. The raw password is the text as written (maybe escaped)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return None
    if parsed.password is None and parsed.username is None:
        return scheme, None, None, rest
    userinfo, _, host = rest.rpartition("@") if parsed.password is not None else ("", "", rest)
    if parsed.password is None:
        return scheme, None, None, rest
    username, _, password = userinfo.partition(":")
    return scheme, username, password, host


def _mask_query(rest: str) -> str:
    """``rest`` with the values of secret query parameters masked."""
    path, sep, query = rest.partition("?")
    if not sep:
        return rest
    pairs = []
    for pair in query.split("&"):
        key, eq, _ = pair.partition("=")
        pairs.append(f"{key}={MASK}" if eq and unquote(key).lower() in SECRET_KEYS else pair)
    return f"{path}?{'&'.join(pairs)}"


def mask_url(url: str | None) -> str | None:
    """``url`` with its password and any secret query parameter replaced by ``***``;
    the text unchanged when it holds neither. Unparseable text that looks like it
    holds credentials is masked whole after the scheme."""
    if url is None:
        return None
    parts = _parts(url)
    if parts is None:
        # Not one URL to the parser (several hosts, say): credentials still end at the
        # last "@", and the user name at the first ":" before it.
        scheme, sep, rest = url.partition("://")
        if not sep or "@" not in rest:
            return url
        userinfo, _, host = rest.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        return f"{scheme}://{user}{':' + MASK if colon else ''}@{_mask_query(host)}"
    scheme, username, password, rest = parts
    masked_rest = _mask_query(rest)
    if password is None:
        return url if masked_rest == rest else f"{scheme}://{masked_rest}"
    return f"{scheme}://{username}:{MASK}@{masked_rest}"


def url_secrets(url: str | None) -> list[str]:
    """The secrets in ``url``: its password as written and decoded, and the values of
    secret query parameters, for masking free text."""
    if not url:
        return []
    parts = _parts(url)
    if parts is None:
        # Not a URL the parser accepts; whatever stands between the user name and the
        # last "@" may still be a password, so treat it as one.
        userinfo = url.partition("://")[2].rpartition("@")[0]
        raw = userinfo.partition(":")[2]
        return [s for s in dict.fromkeys((raw, unquote(raw))) if s]
    _, _, password, rest = parts
    found = [] if password is None else [password, unquote(password)]
    _, sep, query = rest.partition("?")
    if sep:
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            if eq and unquote(key).lower() in SECRET_KEYS and value:
                found += [value, unquote(value)]
    return [s for s in dict.fromkeys(found) if s]


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` masked verbatim (longest first) and every URL in it
    (a whitespace-separated word holding ``://``) masked by :func:`mask_url`."""
    out = text
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    if "://" not in out:
        return out
    words = out.split(" ")
    return " ".join(_mask_word(w) if "://" in w else w for w in words)


def _mask_word(word: str) -> str:
    # Quotes and brackets around a URL in a message are not part of it.
    start = 0
    while start < len(word) and word[start] in "'\"(<[":
        start += 1
    end = len(word)
    while end > start and word[end - 1] in "'\")>],;.":
        end -= 1
    return word[:start] + (mask_url(word[start:end]) or "") + word[end:]
