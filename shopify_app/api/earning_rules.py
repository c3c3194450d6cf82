"""/v1/earning-rules: awarding a rule to a customer."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop
from shopify_app.db import get_session
from shopify_app.loyalty.earning.awards import award_rule
from shopify_app.web import serializers
from shopify_app.web.bodies import Body, Text, parse_body


class AwardBody(Body):
    customer_identifier: Text


def award(rule_id: str) -> ResponseReturnValue:
    body = parse_body(request, AwardBody)
    session = get_session()
    entry = award_rule(session, current_shop(), rule_id, body.customer_identifier)
    session.commit()
    return serializers.earning_history_entry(entry, status=201)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/earning-rules/<rule_id>/award", view_func=award, methods=["POST"])
