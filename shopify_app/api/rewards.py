"""/v1/rewards and /v1/reward-history: spending points on a reward's code, refunding a code."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop
from shopify_app.db import get_session
from shopify_app.jobs import reward_codes
from shopify_app.web import serializers
from shopify_app.web.bodies import Body, Text, parse_body


class PurchaseBody(Body):
    customer_identifier: Text
    points: int | None = None  # a per-point reward's choice; the reward checks it


def purchase(reward_id: str) -> ResponseReturnValue:
    body = parse_body(request, PurchaseBody)
    redemption = reward_codes.purchase(get_session(), current_shop(), reward_id, body.customer_identifier,
                                       points=body.points)
    return serializers.reward_history_entry(redemption, status=201)


def refund(redemption_id: str) -> ResponseReturnValue:
    redemption = reward_codes.refund(get_session(), current_shop(), redemption_id)
    return serializers.reward_history_entry(redemption)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/rewards/<reward_id>/purchase", view_func=purchase, methods=["POST"])
    bp.add_url_rule("/reward-history/<redemption_id>/refund", view_func=refund, methods=["POST"])
