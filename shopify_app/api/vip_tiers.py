"""/v1/vip-tiers: every tier of the shop by threshold, each with its own rewards, not paginated."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop_id
from shopify_app.db import get_session
from shopify_app.loyalty.program.tiers import tiers
from shopify_app.loyalty.rewards.catalogue import tier_rewards
from shopify_app.web import listing, serializers
from shopify_app.web.jsonapi import collection


def list_tiers() -> ResponseReturnValue:
    listing.unpaged(request.args)
    session, shop_id = get_session(), current_shop_id()
    rewards = tier_rewards(session, shop_id)
    return collection([serializers.vip_tier(t, rewards.get(t.id, [])) for t in tiers(session, shop_id)])


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/vip-tiers", view_func=list_tiers, methods=["GET"])
