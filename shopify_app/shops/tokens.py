"""A shop's offline access token: stored encrypted, refreshed ahead of expiry, one refresher at a time,
cleared when Shopify refuses it (the merchant's next admin load exchanges a new one)."""

from __future__ import annotations

import datetime as dt

import httpx
from redis import Redis
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, sessionmaker

from shopify_app import crypto
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.models import Shop
from shopify_app.shopify.oauth import TokenGrant, TokenRequestError, refresh_offline_token

REFRESH_AHEAD = dt.timedelta(minutes=5)
LOCK_TIMEOUT_SECONDS = 30


class ShopNotConnected(Exception):
    """The shop has no usable token: uninstalled, never installed, or Shopify refused it."""


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


def awaits_reconnect(shop: Shop) -> bool:
    """Installed, but Shopify refused its token: the admin says "reconnect" and Admin API work waits."""
    return shop.installed_at is not None and shop.uninstalled_at is None and shop.access_token_ciphertext is None


# awaits_reconnect as SQL, for the relay to leave such a shop's Shopify work pending.
AWAITS_RECONNECT: ColumnElement[bool] = and_(
    Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None), Shop.access_token_ciphertext.is_(None))


def _needs_refresh(shop: Shop, now: dt.datetime) -> bool:
    return shop.access_token_expires_at is not None and shop.access_token_expires_at - now < REFRESH_AHEAD


def fresh_access_token(
    sessions: sessionmaker[Session], shop_id: str, config: Config, redis: Redis, http: httpx.Client
) -> str:
    """An access token valid for at least a few minutes, refreshing it if needed.

    A refresh retires the previous refresh token, so refreshes of one shop are serialized
    with a Redis lock shared by every web and worker process, and the new pair is committed
    before anyone uses it. Shopify is called between two short transactions, with no
    connection held. Should the commit fail, Shopify still accepts the previous refresh token
    until its replacement is first used, so a retry works. A refresh token Shopify refuses
    (``invalid_grant``) or that expired is cleared with its access token: ShopNotConnected."""
    with sessions() as session:
        shop = _connected_shop(session, shop_id)
        if not _needs_refresh(shop, utcnow()):
            return crypto.decrypt(shop.access_token_ciphertext or "", config)
    with redis.lock(f"shop-token-refresh:{shop_id}", timeout=LOCK_TIMEOUT_SECONDS,
                    blocking_timeout=LOCK_TIMEOUT_SECONDS):
        with sessions() as session:
            shop = _connected_shop(session, shop_id)
            now = utcnow()
            if not _needs_refresh(shop, now):  # another process refreshed while we waited
                return crypto.decrypt(shop.access_token_ciphertext or "", config)
            domain, refresh_ciphertext = shop.domain, shop.refresh_token_ciphertext
            expired = refresh_ciphertext is None or (
                shop.refresh_token_expires_at is not None and shop.refresh_token_expires_at <= now)
        if refresh_ciphertext is None or expired:
            _forget_if_unchanged(sessions, shop_id, refresh_token_ciphertext=refresh_ciphertext)
            raise ShopNotConnected(f"{domain}: the refresh token expired; the merchant must open the app")
        try:
            grant = refresh_offline_token(http, config, domain, crypto.decrypt(refresh_ciphertext, config))
        except TokenRequestError as error:
            if error.error != "invalid_grant":
                raise  # Shopify failing, not refusing: the caller retries with the same pair
            _forget_if_unchanged(sessions, shop_id, refresh_token_ciphertext=refresh_ciphertext)
            raise ShopNotConnected(
                f"{domain}: Shopify refused the refresh token; the merchant must open the app") from None
        with sessions.begin() as session:
            store_grant(_connected_shop(session, shop_id), grant, config)
        return grant.access_token


def forget_refused_access_token(sessions: sessionmaker[Session], shop_id: str, access_token: str,
                                config: Config) -> None:
    """The Admin API answered 401 to ``access_token``: clear the pair, unless a newer token replaced it meanwhile."""
    with sessions.begin() as session:
        shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(of=Shop))
        if shop is not None and shop.access_token_ciphertext is not None \
                and crypto.decrypt(shop.access_token_ciphertext, config) == access_token:
            forget_tokens(shop)


def _forget_if_unchanged(sessions: sessionmaker[Session], shop_id: str, *,
                         refresh_token_ciphertext: str | None) -> None:
    """Clear the pair whose refresh token was refused, not one an exchange stored since."""
    with sessions.begin() as session:
        shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(of=Shop))
        if shop is not None and shop.refresh_token_ciphertext == refresh_token_ciphertext:
            forget_tokens(shop)


def _connected_shop(session: Session, shop_id: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.id == shop_id))
    if shop is None or shop.uninstalled_at is not None or shop.access_token_ciphertext is None:
        raise ShopNotConnected(f"shop {shop_id} has no access token")
    return shop
