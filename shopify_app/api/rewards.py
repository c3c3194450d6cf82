"""/v1/rewards and /v1/reward-history: the shop's rewards listed and read, a customer's codes,
spending points on a reward's code, refunding a code."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop, current_shop_id
from shopify_app.api.customers import customer_history
from shopify_app.db import get_session
from shopify_app.jobs import reward_codes
from shopify_app.loyalty.rewards import catalogue, redemption
from shopify_app.models import RedemptionState, RewardType
from shopify_app.web import listing, serializers
from shopify_app.web.bodies import Body, Text, parse_body
from shopify_app.web.jsonapi import collection, respond

REWARD_SORTS = {"created_at": "created_at", "points_cost": "points_cost", "name": "name"}
REWARD_TYPES = tuple(t.value for t in RewardType)
HISTORY_SORTS = {"created_at": "created_at", "points_spent": "points_spent"}
# Mage's active, used and expired, and refunded; a code still being made is not listed.
HISTORY_STATUSES = tuple(s.value for s in RedemptionState if s is not RedemptionState.CREATING)


class PurchaseBody(Body):
    customer_identifier: Text
    points: int | None = None  # a per-point reward's choice; the reward checks it


def list_rewards() -> ResponseReturnValue:
    filters = listing.filters(request.args, ("is_active", "reward_type"))
    page_request = listing.page_request(request.args, REWARD_SORTS)
    active = listing.boolean("filter[is_active]", filters["is_active"]) if "is_active" in filters else None
    reward_type = (listing.one_of("filter[reward_type]", filters["reward_type"], REWARD_TYPES)
                   if "reward_type" in filters else None)
    page = catalogue.list_rewards(get_session(), current_shop_id(), page_request, active=active,
                                  reward_type=reward_type)
    return collection([serializers.reward(r) for r in page.rows], listing.meta(page))


def show_reward(reward_id: str) -> ResponseReturnValue:
    """An inactive reward is shown (is_active false), as the list shows it; a deleted one is 404."""
    return respond({"data": serializers.reward(catalogue.get_reward(get_session(), current_shop_id(), reward_id))},
                   200)


def reward_history(identifier: str) -> ResponseReturnValue:
    return customer_history(identifier, HISTORY_SORTS, HISTORY_STATUSES, redemption.history,
                            serializers.reward_history)


def purchase(reward_id: str) -> ResponseReturnValue:
    body = parse_body(request, PurchaseBody)
    made = reward_codes.purchase(get_session(), current_shop(), reward_id, body.customer_identifier,
                                 points=body.points)
    return serializers.reward_history_entry(made, status=201)


def refund(redemption_id: str) -> ResponseReturnValue:
    refunded = reward_codes.refund(get_session(), current_shop(), redemption_id)
    return serializers.reward_history_entry(refunded)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/rewards", view_func=list_rewards, methods=["GET"])
    bp.add_url_rule("/rewards/<reward_id>", view_func=show_reward, methods=["GET"])
    bp.add_url_rule("/rewards/<reward_id>/purchase", view_func=purchase, methods=["POST"])
    bp.add_url_rule("/customers/<identifier>/reward-history", view_func=reward_history, methods=["GET"])
    bp.add_url_rule("/reward-history/<redemption_id>/refund", view_func=refund, methods=["POST"])
