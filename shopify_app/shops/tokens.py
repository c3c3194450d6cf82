"""A shop's offline access token: stored encrypted, refreshed ahead of expiry, one refresher at a time."""

from __future__ import annotations

import datetime as dt

import httpx
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopify_app import crypto
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.models import Shop
from shopify_app.shopify.oauth import TokenGrant, refresh_offline_token

REFRESH_AHEAD = dt.timedelta(minutes=5)
LOCK_TIMEOUT_SECONDS = 30


class ShopNotConnected(Exception):
    """The shop has no usable token: uninstalled, never installed, or its refresh token expired."""


def store_grant(shop: Shop, grant: TokenGrant, config: Config) -> None:
    """Keep the new access and refresh tokens together; the caller commits."""
    shop.access_token_ciphertext = crypto.encrypt(grant.access_token, config)
    shop.access_token_expires_at = grant.expires_at
    shop.refresh_token_ciphertext = (
        crypto.encrypt(grant.refresh_token, config) if grant.refresh_token else None
    )
    shop.refresh_token_expires_at = grant.refresh_token_expires_at
    shop.scopes = grant.scope


def forget_tokens(shop: Shop) -> None:
    shop.access_token_ciphertext = None
    shop.access_token_expires_at = None
    shop.refresh_token_ciphertext = None
    shop.refresh_token_expires_at = None


def has_valid_token(shop: Shop, now: dt.datetime | None = None) -> bool:
    """A stored token that works now or can be refreshed (no exchange needed)."""
    now = now or utcnow()
    if shop.access_token_ciphertext is None:
        return False
    if shop.access_token_expires_at is None or shop.access_token_expires_at > now:
        return True
    return shop.refresh_token_ciphertext is not None and (
        shop.refresh_token_expires_at is None or shop.refresh_token_expires_at > now
    )


def _needs_refresh(shop: Shop, now: dt.datetime) -> bool:
    return shop.access_token_expires_at is not None and shop.access_token_expires_at - now < REFRESH_AHEAD


def _decrypt(ciphertext: str, config: Config) -> str:
    return crypto.decrypt(ciphertext, config)


def fresh_access_token(
    sessions: sessionmaker[Session], shop_id: str, config: Config, redis: Redis, http: httpx.Client
) -> str:
    """An access token valid for at least a few minutes, refreshing it if needed.

    A refresh retires the previous refresh token, so refreshes of one shop are serialized
    with a Redis lock shared by every web and worker process, and the new pair is committed
    in its own transaction before anyone uses it. Should that commit fail, Shopify still
    accepts the previous refresh token until its replacement is first used, so a retry works."""
    with sessions() as session:
        shop = _connected_shop(session, shop_id)
        if not _needs_refresh(shop, utcnow()):
            return _decrypt(shop.access_token_ciphertext or "", config)
    with redis.lock(f"shop-token-refresh:{shop_id}", timeout=LOCK_TIMEOUT_SECONDS,
                    blocking_timeout=LOCK_TIMEOUT_SECONDS):
        with sessions.begin() as session:
            shop = _connected_shop(session, shop_id)
            now = utcnow()
            if not _needs_refresh(shop, now):  # another process refreshed while we waited
                return _decrypt(shop.access_token_ciphertext or "", config)
            if shop.refresh_token_ciphertext is None or (
                shop.refresh_token_expires_at is not None and shop.refresh_token_expires_at <= now
            ):
                raise ShopNotConnected(f"{shop.domain}: the refresh token expired; the merchant must open the app")
            grant = refresh_offline_token(http, config, shop.domain, _decrypt(shop.refresh_token_ciphertext, config))
            store_grant(shop, grant, config)
            return grant.access_token


def _connected_shop(session: Session, shop_id: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.id == shop_id))
    if shop is None or shop.uninstalled_at is not None or shop.access_token_ciphertext is None:
        raise ShopNotConnected(f"shop {shop_id} has no access token")
    return shop
