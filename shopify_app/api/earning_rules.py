"""/v1/earning-rules: the shop's rules listed, one read, and awarding a rule to a customer."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop, kept_shop
from shopify_app.db import get_session, lone_statement_connection
from shopify_app.loyalty.earning.awards import awarded
from shopify_app.loyalty.program.rules import get_rule, list_rules
from shopify_app.web import listing, serializers
from shopify_app.web.bodies import Body, Text, parse_body
from shopify_app.web.jsonapi import collection, respond

RULE_SORTS = {"created_at": "created_at", "name": "name"}


class AwardBody(Body):
    customer_identifier: Text


def award(rule_id: str) -> ResponseReturnValue:
    body = parse_body(request, AwardBody)
    connection = lone_statement_connection()
    entry = awarded(connection, kept_shop(), rule_id, body.customer_identifier)
    connection.commit()
    return serializers.earning_history_entry(entry, status=201)


def list_earning_rules() -> ResponseReturnValue:
    filters = listing.filters(request.args, ("is_active",))
    page_request = listing.page_request(request.args, RULE_SORTS)
    active = listing.boolean("filter[is_active]", filters["is_active"]) if "is_active" in filters else None
    page = list_rules(get_session(), current_shop().id, page_request, active=active)
    return collection([serializers.earning_rule(r) for r in page.rows], listing.meta(page))


def show_earning_rule(rule_id: str) -> ResponseReturnValue:
    return respond({"data": serializers.earning_rule(get_rule(get_session(), current_shop().id, rule_id))}, 200)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/earning-rules", view_func=list_earning_rules, methods=["GET"])
    bp.add_url_rule("/earning-rules/<rule_id>", view_func=show_earning_rule, methods=["GET"])
    bp.add_url_rule("/earning-rules/<rule_id>/award", view_func=award, methods=["POST"])
