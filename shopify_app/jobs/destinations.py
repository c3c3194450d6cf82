"""What one delivery does per outbox topic: the Shopify metafields and the three vendors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shopify_app.integrations import metafields
from shopify_app.integrations.http import Permanent, Skipped
from shopify_app.integrations.klaviyo import Klaviyo
from shopify_app.integrations.limits import CostBucket
from shopify_app.integrations.omnisend import Omnisend
from shopify_app.integrations.postscript import Postscript
from shopify_app.integrations.profile import LoyaltyState, PointsEvent
from shopify_app.integrations.settings import api_key_for
from shopify_app.integrations.shopify_graphql import ATTEMPTS, GraphQLClient, graphql_url
from shopify_app.jobs.runtime import Context
from shopify_app.models import EarningEntry, OutboxMessage, OutboxTopic, Service, Shop
from shopify_app.shops.tokens import ShopNotConnected, fresh_access_token


@dataclass(frozen=True)
class Delivery:
    ctx: Context
    session: Session
    shop: Shop
    rows: list[OutboxMessage]
    state: LoyaltyState | None  # None for shop-level topics
    push_profile: bool  # False when this state (or a newer one) already reached the destination


def shopify_client(ctx: Context, shop: Shop, *, attempts: int = ATTEMPTS) -> GraphQLClient:
    if shop.access_token_ciphertext is None:
        raise Skipped("the shop has no Admin API access token")  # never installed, e.g. the local demo shop

    def token() -> str:
        try:
            return fresh_access_token(ctx.sessions, shop.id, ctx.config, ctx.redis, ctx.http)
        except ShopNotConnected as error:
            raise Permanent(str(error)) from None

    return GraphQLClient(ctx.http, graphql_url(ctx.config, shop.domain), token, CostBucket(ctx.redis, shop.id),
                         attempts=attempts)


def events(session: Session, rows: list[OutboxMessage]) -> list[PointsEvent]:
    """One event per ledger change; an approval is an event of its own, so its id differs."""
    found = []
    for row in rows:
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


def _key(d: Delivery, service: Service) -> str:
    key = api_key_for(d.session, d.shop.id, service.value, d.ctx.config)
    if key is None:
        raise Skipped(f"{service.value} is not set up for this shop")
    return key


def customer_metafield(d: Delivery) -> None:
    assert d.state is not None
    if d.push_profile:
        metafields.write_customer(shopify_client(d.ctx, d.shop), d.state)


def shop_metafield(d: Delivery) -> None:
    metafields.write_program(shopify_client(d.ctx, d.shop), metafields.program(d.session, d.shop.id))


def _profile_and_events(d: Delivery, client: Klaviyo | Omnisend) -> None:
    assert d.state is not None
    if d.push_profile:
        client.update_profile(d.state)
    for event in events(d.session, d.rows):
        client.send_event(d.state, event)


def klaviyo(d: Delivery) -> None:
    config = d.ctx.config
    _profile_and_events(d, Klaviyo(d.ctx.http, d.ctx.redis, config.klaviyo_api_url, config.klaviyo_revision,
                                   _key(d, Service.KLAVIYO), d.shop.id))


def omnisend(d: Delivery) -> None:
    config = d.ctx.config
    _profile_and_events(d, Omnisend(d.ctx.http, d.ctx.redis, config.omnisend_api_url, config.omnisend_version,
                                    _key(d, Service.OMNISEND), d.shop.id))


def postscript(d: Delivery) -> None:
    assert d.state is not None
    client = Postscript(d.ctx.http, d.ctx.redis, d.ctx.config.postscript_api_url,
                        _key(d, Service.POSTSCRIPT), d.shop.id)
    subscriber_id = client.find_subscriber(d.state)
    if d.push_profile:
        client.update_properties(subscriber_id, d.state)
    for event in events(d.session, d.rows):
        client.send_event(subscriber_id, d.state, event)


DESTINATIONS: dict[str, Callable[[Delivery], None]] = {
    OutboxTopic.SHOPIFY_CUSTOMER_METAFIELD.value: customer_metafield,
    OutboxTopic.SHOPIFY_SHOP_METAFIELD.value: shop_metafield,
    OutboxTopic.KLAVIYO.value: klaviyo,
    OutboxTopic.OMNISEND.value: omnisend,
    OutboxTopic.POSTSCRIPT.value: postscript,
}
