"""Creating, checking and revoking REST API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
import weakref
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, bindparam, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.errors import BadRequest, Conflict, NotFound, Unauthorized
from shopify_app.models import ApiKey, Shop
from shopify_app.shops.cache import TtlCache

KEY_PREFIX = "lk_"
PREFIX_LENGTH = 12
# Writing last_used_at on every request would add a write to every read;
# a minute's precision is what the admin shows anyway.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# Built once, at import (docs/architecture.md, "Hot-path statements"). The key's shop and the
# shop's settings come joined with it: their relationships are eager.
_KEY_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("key_hash"))
# How long a process trusts a key it found live (``authenticate``); README, "API keys".
KEY_CACHE_TTL = dt.timedelta(seconds=5)
# Per database (engine): the live keys by hash, on the wall clock (``authenticate`` is told the time).
_KNOWN_KEYS: weakref.WeakKeyDictionary[Any, TtlCache[str, LiveKey]] = weakref.WeakKeyDictionary()
_M = TypeVar("_M", bound=Base)


@dataclass(frozen=True)
class LiveKey:
    """A key found live, as a request needs it: its own fields, and its shop with the shop's settings
    as objects of no session (``shop_in``), so a request that needs only ids touches no ORM state."""

    id: str
    key_hash: str
    shop_id: str
    read_only: bool
    rate_limit: int | None
    shop: Shop

    def shop_in(self, session: Session) -> Shop:
        """The shop and its settings as the session's own, merged without a query."""
        return session.merge(self.shop, load=False)


@dataclass(frozen=True)
class IssuedKey:
    """A key as shown once to its owner: the raw secret and its stored row."""

    raw: str
    row: ApiKey


def hash_key(raw: str) -> str:
    # Keys carry 256 random bits, so a fast hash is as safe as a slow one and keeps auth cheap.
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_key(
    session: Session, shop: Shop, *, read_only: bool = False, name: str = "", raw: str | None = None,
    rate_limit: int | None = None,
) -> IssuedKey:
    raw = raw or KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(shop_id=shop.id, key_hash=hash_key(raw), prefix=raw[:PREFIX_LENGTH], read_only=read_only, name=name,
                 rate_limit=rate_limit)
    session.add(row)
    return IssuedKey(raw=raw, row=row)


def derived_key(secret: str, shop_domain: str, purpose: str) -> str:
    """A key derived from the app secret, so the demo seed can print the same valid key every run."""
    digest = hmac.new(secret.encode(), f"{purpose}:{shop_domain}".encode(), hashlib.sha256).hexdigest()
    return KEY_PREFIX + digest


def ensure_key(session: Session, shop: Shop, raw: str, *, read_only: bool, name: str) -> IssuedKey:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))
    if row is None:
        return issue_key(session, shop, read_only=read_only, name=name, raw=raw)
    row.revoked_at = None
    return IssuedKey(raw=raw, row=row)


def authenticate(session: Session, header: str | None, *, now: dt.datetime | None = None) -> LiveKey:
    """The live key named by an ``Authorization`` header (raw key, or ``Bearer <key>``).

    A key found live is kept, with its shop and settings, for ``KEY_CACHE_TTL`` in this process:
    most requests then read no row to authenticate. So a key revoked (or a shop uninstalled) in
    another process is refused within that time; this process's own revocations at once. A key read
    afresh has its ``last_used_at`` moved in the session when a minute has passed (``LAST_USED_PRECISION``)."""
    if not header or not header.strip():
        raise Unauthorized("Missing Authorization header")
    hashed = hash_key(_raw_key(header))
    now = now or utcnow()
    known = _known_keys(session.get_bind())
    cached = known.get(hashed, now.timestamp())
    if cached is not None:
        return cached
    key = session.scalar(_KEY_BY_HASH, {"key_hash": hashed})
    if key is None or key.revoked_at is not None:
        raise Unauthorized("Invalid or revoked API key")
    if key.shop.uninstalled_at is not None:
        raise Unauthorized("The shop of this API key has uninstalled the app")
    live = LiveKey(id=key.id, key_hash=key.key_hash, shop_id=key.shop_id, read_only=key.read_only,
                   rate_limit=key.rate_limit, shop=_detached_shop(key.shop))
    known.put(hashed, live, now.timestamp())
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        key.last_used_at = now
    return live


def kept_key(database: Engine, header: str | None) -> LiveKey | None:
    """The live key the header names if this process keeps it (``authenticate`` then reads nothing),
    found without a session; None otherwise, and ``authenticate`` decides."""
    if not header or not header.strip():
        return None
    return _known_keys(database).get(hash_key(_raw_key(header)))


def _raw_key(header: str) -> str:
    """The key of an ``Authorization`` header: the raw key, or ``Bearer <key>``."""
    raw = header.strip()
    return raw[7:].strip() if raw[:7].lower() == "bearer " else raw


def forget_keys() -> None:
    """Drop every kept key (the tests empty the database between tests)."""
    _KNOWN_KEYS.clear()


def _known_keys(database: Any) -> TtlCache[str, LiveKey]:
    """The keys kept for a database (one process may serve several, as tests do)."""
    known = _KNOWN_KEYS.get(database)
    if known is None:
        known = _KNOWN_KEYS.setdefault(database, TtlCache(KEY_CACHE_TTL.total_seconds(), clock=time.time))
    return known


def _forget(key: ApiKey) -> None:
    for known in _KNOWN_KEYS.values():
        known.forget(key.key_hash)


def _detached_shop(shop: Shop) -> Shop:
    """The shop and its settings as objects of no session, as if just loaded."""
    def copy(instance: _M) -> _M:
        mapper = inspect(instance).mapper
        return cast(_M, mapper.class_(**{column.key: getattr(instance, column.key) for column in mapper.column_attrs}))

    duplicate = copy(shop)
    duplicate.settings = copy(shop.settings)
    for instance in (duplicate.settings, duplicate):
        make_transient_to_detached(instance)
    return duplicate


def revoke_by_prefix(session: Session, prefix: str, *, now: dt.datetime | None = None) -> ApiKey:
    """Revoke the one live key whose shown prefix starts with ``prefix`` (a whole key works too)."""
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < len(KEY_PREFIX) + 4:
        raise BadRequest("Give at least four characters after the key prefix")
    keys = list(
        session.scalars(
            select(ApiKey).where(ApiKey.prefix.startswith(prefix, autoescape=True), ApiKey.revoked_at.is_(None))
        )
    )
    if not keys:
        raise NotFound(f"No live API key starts with '{prefix}'")
    if len(keys) > 1:
        raise Conflict(f"{len(keys)} live keys start with '{prefix}'; give more characters")
    keys[0].revoked_at = now or utcnow()
    _forget(keys[0])
    return keys[0]


def shop_keys(session: Session, shop_id: str) -> list[ApiKey]:
    """The shop's keys, live ones first, newest first."""
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.shop_id == shop_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
        )
    )


def revoke(session: Session, shop_id: str, key_id: str, *, now: dt.datetime | None = None) -> ApiKey:
    """Revoke one of this shop's keys by id; a key of another shop is not found."""
    key = session.scalar(select(ApiKey).where(ApiKey.shop_id == shop_id, ApiKey.id == key_id))
    if key is None:
        raise NotFound(f"API key '{key_id}' not found")
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
    _forget(key)
    return key
