"""Installing and uninstalling a shop: its tokens, its Shopify id, its default program, its removal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from shopify import ApiAccess
from shopify.api_access import ApiAccessError
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.errors import BadRequest, Conflict, DomainError, Forbidden, Unauthorized
from shopify_app.ids import new_id
from shopify_app.loyalty.program.defaults import needs_program, set_up_default_program
from shopify_app.models import ProgramSettings, Shop
from shopify_app.shopify.domains import valid_shop_domain
from shopify_app.shopify.oauth import TokenGrant, TokenRequestError, exchange_session_token
from shopify_app.shopify.session_tokens import InvalidSessionToken, decode_session_token
from shopify_app.shopify.webhook_payloads import ScopesUpdate, as_shopify_id
from shopify_app.shops.lookup import get_or_create_shop
from shopify_app.shops.tokens import forget_tokens, has_valid_token, store_grant
from shopify_app.upserts import insert_new


class ShopifyUnavailable(DomainError):
    status = 502
    title = "Bad Gateway"


def missing_scopes(granted: str, required: str) -> list[str]:
    """Required scopes the grant lacks, by Shopify's library's rules (``write_x`` includes ``read_x``);
    a grant naming something that is no scope covers nothing."""
    try:
        have = ApiAccess(granted)
    except ApiAccessError:
        have = ApiAccess([])
    return sorted(scope for scope in ApiAccess(required) if not have.covers(ApiAccess([scope])))


def record_install(session: Session, domain: str, grant: TokenGrant, config: Config,
                   *, now: dt.datetime | None = None) -> Shop:
    """Store a granted token for a shop (new, or coming back after an uninstall); 403 when the
    merchant did not grant every scope the app needs."""
    lacking = missing_scopes(grant.scope, config.shopify_scopes)
    if lacking:
        raise Forbidden(f"The grant lacks required scopes: {', '.join(lacking)}")
    shop = get_or_create_shop(session, domain)
    store_grant(shop, grant, config)
    if shop.installed_at is None or shop.uninstalled_at is not None:
        shop.installed_at = now or utcnow()
    shop.uninstalled_at = None
    return shop


@dataclass(frozen=True)
class ManualInstall:
    """``shops install``: a shop registered by hand with a custom app's (non-expiring) Admin API token."""

    domain: str
    access_token: str
    shopify_shop_id: str | None  # None: to be read through the Admin API with the token


def manual_install(domain: str, access_token: str, shopify_shop_id: str | None = None) -> ManualInstall:
    """The command's input, checked before anything is read or written (400 otherwise)."""
    shop_domain = valid_shop_domain(domain)
    if shop_domain is None:
        raise BadRequest(f"'{domain}' is not a *.myshopify.com domain")
    if not access_token.strip():
        raise BadRequest("The access token is empty")
    if shopify_shop_id is not None:
        try:
            shopify_shop_id = as_shopify_id(shopify_shop_id.strip())
        except ValueError:
            raise BadRequest(f"'{shopify_shop_id}' is not a shop id (the N of gid://shopify/Shop/N)") from None
    return ManualInstall(shop_domain, access_token.strip(), shopify_shop_id)


def install_with_access_token(session: Session, install: ManualInstall, config: Config) -> Shop:
    """The shop registered with its token and Shopify id, its default program set up in the same transaction."""
    grant = TokenGrant(install.access_token, config.shopify_scopes, None, None, None)
    shop = record_install(session, install.domain, grant, config)
    if install.shopify_shop_id is not None:
        keep_shopify_shop_id(session, shop, install.shopify_shop_id)
    session.flush()
    set_up_default_program(session, shop.id)
    return shop


def lacks_shopify_shop_id(shop: Shop) -> bool:
    """The shop's id is not known yet and its token can still read it."""
    return shop.shopify_shop_id is None and shop.access_token_ciphertext is not None


def keep_time_zone(shop: Shop, iana_timezone: str) -> None:
    """The shop's time zone as Shopify names it; a name this server does not know leaves UTC."""
    try:
        ZoneInfo(iana_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return
    shop.iana_timezone = iana_timezone


def keep_shopify_shop_id(session: Session, shop: Shop, shopify_shop_id: str) -> None:
    """Store the id Shopify gave; webhook payloads naming another shop id are refused from then on."""
    holder = session.scalar(select(Shop.domain).where(Shop.shopify_shop_id == shopify_shop_id, Shop.id != shop.id))
    if holder is not None:
        # One Shopify shop held under two domains: for a person to sort out, not for a guess.
        raise Conflict(f"Shopify shop {shopify_shop_id} is already held as {holder}")
    shop.shopify_shop_id = shopify_shop_id


@dataclass(frozen=True)
class SessionInstall:
    shop: Shop
    exchanged: bool  # a token was just obtained: after commit, enqueue the program set-up


def install_from_session_token(session: Session, config: Config, http: httpx.Client, id_token: str) -> SessionInstall:
    """The shop of a verified session token, exchanging the token for an expiring offline token
    when no valid one is stored (first admin load, reinstall, refresh token expired).

    The shop comes from the token's ``dest``. 401 for a bad token or one Shopify refuses,
    502 when Shopify cannot be reached. The caller commits, then calls
    ``jobs.webhooks.enqueue_program_setup`` when ``exchanged``."""
    try:
        token = decode_session_token(id_token, api_key=config.shopify_api_key, secrets=config.signing_secrets)
    except InvalidSessionToken as error:
        raise Unauthorized(f"Invalid session token: {error}") from None
    shop = _locked_shop(session, token.shop)
    if shop.uninstalled_at is None and has_valid_token(shop):
        return SessionInstall(shop, exchanged=False)
    grant = obtain_grant(lambda: exchange_session_token(http, config, token.shop, id_token), refused=Unauthorized)
    return SessionInstall(record_install(session, token.shop, grant, config), exchanged=True)


def _locked_shop(session: Session, domain: str) -> Shop:
    """The shop's row, created if new, locked until commit: a new exchange retires the previous
    refresh token, so concurrent first loads of one shop must exchange one after the other."""
    now = utcnow()
    created = insert_new(session, Shop, dict(id=new_id("shop"), domain=domain, name=domain.split(".")[0],
                                             currency="USD", scopes="", created_at=now, updated_at=now), ["domain"])
    if created is not None:
        session.add(ProgramSettings(shop_id=created.id))
    return session.scalars(select(Shop).where(Shop.domain == domain).with_for_update(of=Shop)
                           .execution_options(populate_existing=True)).one()


def obtain_grant(request: Callable[[], TokenGrant], *, refused: type[DomainError]) -> TokenGrant:
    """Run a token request: Shopify's refusal (4xx) becomes ``refused``, anything else a 502."""
    try:
        return request()
    except TokenRequestError as error:
        if 400 <= error.status < 500:
            raise refused(f"Shopify refused the token request: {error.error}") from None
        raise ShopifyUnavailable(f"Shopify's token endpoint answered {error.status}") from None
    except httpx.HTTPError as error:
        raise ShopifyUnavailable(f"Shopify's token endpoint is unreachable: {type(error).__name__}") from None


def awaits_set_up(session: Session, shop: Shop) -> bool:
    """The set-up job has work left: the default program, or the shop's Shopify id."""
    return needs_program(session, shop.id) or lacks_shopify_shop_id(shop)


def uninstalled(session: Session, shop: Shop, *, triggered_at: dt.datetime | None = None,
                now: dt.datetime | None = None) -> None:
    """app/uninstalled: tokens deleted (they no longer work); data kept until shop/redact, which is
    honoured 48 hours after ``uninstalled_at``. A late delivery triggered before the latest install
    is ignored; a trigger time ahead of our clock counts as now."""
    now = now or utcnow()
    if triggered_at and shop.installed_at and triggered_at < shop.installed_at:
        return
    shop.uninstalled_at = shop.uninstalled_at or min(triggered_at or now, now)
    forget_tokens(shop)


def scopes_updated(session: Session, shop: Shop, update: ScopesUpdate) -> None:
    """app/scopes_update: the scopes the merchant granted now."""
    shop.scopes = ",".join(update.current)
