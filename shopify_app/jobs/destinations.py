"""What one delivery sends per outbox topic (the Shopify metafields and the three vendors), in two steps:
``prepare`` reads what it needs inside the delivery's read transaction and returns the call to make
after that transaction has ended, with plain values only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shopify_app.clock import isoformat_z
from shopify_app.integrations import metafields
from shopify_app.integrations.http import AwaitingReconnect, Skipped
from shopify_app.integrations.klaviyo import Klaviyo
from shopify_app.integrations.limits import CostBucket
from shopify_app.integrations.omnisend import Omnisend
from shopify_app.integrations.postscript import Postscript
from shopify_app.integrations.profile import Event, LoyaltyState, PointsEvent, RewardEvent
from shopify_app.integrations.settings import api_key_for
from shopify_app.integrations.shopify_graphql import ATTEMPTS, GraphQLClient, graphql_url
from shopify_app.jobs.runtime import Context
from shopify_app.models import EarningEntry, OutboxMessage, OutboxTopic, RewardRedemption, Service, Shop
from shopify_app.shops.tokens import ShopNotConnected, awaits_reconnect, forget_refused_access_token, fresh_access_token

# The vendor calls of one delivery, run with no transaction open and no ORM object in reach.
Send = Callable[[], None]


@dataclass(frozen=True)
class Delivery:
    """What the read transaction gives ``prepare``; none of it may be used by the Send it returns."""

    ctx: Context
    session: Session
    shop: Shop
    rows: list[OutboxMessage]
    state: LoyaltyState | None  # None for shop-level topics
    push_profile: bool  # False when this state (or a newer one) already reached the destination


def shopify_client(ctx: Context, shop: Shop, *, attempts: int = ATTEMPTS) -> GraphQLClient:
    """The shop's Admin API client; it keeps the shop's id and domain, not the row.

    A token Shopify refuses (a 401, or ``invalid_grant`` on refresh) is cleared, and the work waits
    (AwaitingReconnect) for the merchant's next admin load to exchange a new one."""
    if shop.access_token_ciphertext is None:
        if awaits_reconnect(shop):
            raise AwaitingReconnect(f"{shop.domain} has no valid token until the merchant opens the app")
        raise Skipped("the shop has no Admin API access token")  # never installed, e.g. the local demo shop
    shop_id = shop.id

    def token() -> str:
        try:
            return fresh_access_token(ctx.sessions, shop_id, ctx.config, ctx.redis, ctx.http)
        except ShopNotConnected as error:
            raise AwaitingReconnect(str(error)) from None

    def refused(access_token: str) -> None:
        forget_refused_access_token(ctx.sessions, shop_id, access_token, ctx.config)

    return GraphQLClient(ctx.http, graphql_url(ctx.config, shop.domain), token, CostBucket(ctx.redis, shop_id),
                         refused, attempts=attempts)


def events(session: Session, rows: list[OutboxMessage]) -> list[Event]:
    """One event per ledger change (an approval is an event of its own, so its id differs) and one
    per reward code made."""
    found: list[Event] = []
    for row in rows:
        if "redemption_id" in row.payload:
            redemption = session.get(RewardRedemption, row.payload["redemption_id"])
            if redemption is not None:
                found.append(reward_event(redemption, row.created_at))
            continue
        entry = session.get(EarningEntry, row.entry_id) if row.entry_id else None
        if entry is None:
            continue
        reason = row.payload.get("reason", "points_awarded")
        found.append(PointsEvent(
            unique_id=entry.id if reason == "points_awarded" else f"{entry.id}-{reason}",
            points=entry.points,
            earning_rule=entry.earning_rule.name if entry.earning_rule else entry.action,
            status=row.payload.get("status", entry.status),
            occurred_at=row.created_at,
        ))
    return found


def reward_event(redemption: RewardRedemption, occurred_at: dt.datetime) -> RewardEvent:
    return RewardEvent(unique_id=redemption.id, reward_name=redemption.reward.name,
                       points_spent=redemption.points_spent, discount_type=redemption.reward.discount_type,
                       discount_code=redemption.discount_code, expires_at=isoformat_z(redemption.expires_at),
                       occurred_at=occurred_at)


def _key(d: Delivery, service: Service) -> str:
    key = api_key_for(d.session, d.shop.id, service.value, d.ctx.config)
    if key is None:
        raise Skipped(f"{service.value} is not set up for this shop")
    return key


def customer_metafield(d: Delivery) -> Send:
    state = d.state
    assert state is not None
    if not d.push_profile:
        return lambda: None
    client = shopify_client(d.ctx, d.shop)
    return lambda: metafields.write_customer(client, state)


def shop_metafield(d: Delivery) -> Send:
    client, value = shopify_client(d.ctx, d.shop), metafields.program(d.session, d.shop.id)
    return lambda: metafields.write_program(client, value)


def _profile_and_events(d: Delivery, client: Klaviyo | Omnisend) -> Send:
    state, push_profile, found = d.state, d.push_profile, events(d.session, d.rows)
    assert state is not None

    def send() -> None:
        if push_profile:
            client.update_profile(state)
        for event in found:
            client.send_event(state, event)
    return send


def klaviyo(d: Delivery) -> Send:
    config = d.ctx.config
    return _profile_and_events(d, Klaviyo(d.ctx.http, d.ctx.redis, config.klaviyo_api_url, config.klaviyo_revision,
                                          _key(d, Service.KLAVIYO), d.shop.id))


def omnisend(d: Delivery) -> Send:
    config = d.ctx.config
    return _profile_and_events(d, Omnisend(d.ctx.http, d.ctx.redis, config.omnisend_api_url,
                                           config.omnisend_version, _key(d, Service.OMNISEND), d.shop.id))


def postscript(d: Delivery) -> Send:
    state, push_profile, found = d.state, d.push_profile, events(d.session, d.rows)
    assert state is not None
    client = Postscript(d.ctx.http, d.ctx.redis, d.ctx.config.postscript_api_url,
                        _key(d, Service.POSTSCRIPT), d.shop.id)

    def send() -> None:
        subscriber_id = client.find_subscriber(state)
        if push_profile:
            client.update_properties(subscriber_id, state)
        for event in found:
            client.send_event(subscriber_id, state, event)
    return send


DESTINATIONS: dict[str, Callable[[Delivery], Send]] = {
    OutboxTopic.SHOPIFY_CUSTOMER_METAFIELD.value: customer_metafield,
    OutboxTopic.SHOPIFY_SHOP_METAFIELD.value: shop_metafield,
    OutboxTopic.KLAVIYO.value: klaviyo,
    OutboxTopic.OMNISEND.value: omnisend,
    OutboxTopic.POSTSCRIPT.value: postscript,
}
