"""GET /proxy/customer, /earning-rules, /vip-tiers, /history, /rewards, /my-rewards and
POST /earning-rules/{id}/claim, /customer/birthday, /rewards/{id}/redeem."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.clock import utcnow
from shopify_app.db import get_session, lone_statement_connection
from shopify_app.errors import BadRequest
from shopify_app.jobs import reward_codes
from shopify_app.loyalty.earning.awards import award_rule, ways_to_earn
from shopify_app.loyalty.members import directory
from shopify_app.loyalty.members.birthdays import Birthday, set_birthday
from shopify_app.loyalty.members.summary import CustomerSummary, member_summary, summarize
from shopify_app.loyalty.program import tiers as program_tiers
from shopify_app.loyalty.rewards import catalogue, redemption
from shopify_app.paging import PageRequest
from shopify_app.proxy import documents
from shopify_app.proxy.auth import (
    current_shop,
    current_shop_id,
    is_logged_in,
    logged_in_customer,
    logged_in_customer_id,
    optional_customer,
)
from shopify_app.web import jsonapi, listing, serializers
from shopify_app.web.bodies import Body, parse_body

MAX_PAGE_NUMBER = 1_000_000


def customer() -> ResponseReturnValue:
    summary = member_summary(lone_statement_connection(), current_shop_id(), logged_in_customer_id())
    return _customer_document(summary)


class BirthdayBody(Body):
    day: int
    month: int
    year: int | None = None


def birthday() -> ResponseReturnValue:
    member = logged_in_customer()
    body = parse_body(request, BirthdayBody)
    session, now = get_session(), utcnow()
    date = Birthday.of(body.day, body.month, body.year, today=now.date())
    set_birthday(session, member, date, now)
    session.commit()
    return _customer_document(summarize(session, member))


def _customer_document(summary: CustomerSummary) -> ResponseReturnValue:
    return jsonapi.document("loyalty_customer", summary.member.shopify_customer_id,
                            documents.customer_attributes(summary))


def earning_rules() -> ResponseReturnValue:
    ways = ways_to_earn(get_session(), current_shop_id(), optional_customer())
    return jsonapi.collection([documents.way_to_earn(way, logged_in=is_logged_in()) for way in ways])


def claim(rule_id: str) -> ResponseReturnValue:
    session = get_session()
    # The identifier, not a loaded customer, so award_rule reports a missing rule before a missing customer.
    entry = award_rule(session, current_shop(), rule_id, logged_in_customer_id(), claimed=True)
    session.commit()
    return serializers.earning_history_entry(entry, status=201)


def vip_tiers() -> ResponseReturnValue:
    tiers = program_tiers.tiers(get_session(), current_shop_id())
    return jsonapi.collection([documents.vip_tier(tier) for tier in tiers])


def history() -> ResponseReturnValue:
    page = directory.history(
        get_session(), logged_in_customer(), page=_int_arg("page", 1), per_page=_int_arg("per_page", 20)
    )
    return jsonapi.collection(
        [jsonapi.resource("earning_history_entry", entry.id, serializers.earning_history_entry_attributes(entry))
         for entry in page.entries],
        meta={"page": page.page, "per_page": page.per_page, "total": page.total},
    )


class RedeemBody(Body):
    points: int | None = None  # a per-point reward's choice


def rewards() -> ResponseReturnValue:
    items = catalogue.rewards(get_session(), current_shop_id())
    customer = optional_customer()
    return jsonapi.collection([documents.reward(item, customer) for item in items])


def redeem(reward_id: str) -> ResponseReturnValue:
    # An empty body is a fixed-price reward's; request.get_data keeps it for parse_body.
    body = parse_body(request, RedeemBody) if request.get_data() else RedeemBody()
    made = reward_codes.purchase(get_session(), current_shop(), reward_id, logged_in_customer_id(),
                                 points=body.points)
    return serializers.reward_history_entry(made, status=201)


MAX_CODES_PAGE = 100


def my_rewards() -> ResponseReturnValue:
    newest_first = PageRequest(number=_int_arg("page", 1), size=min(_int_arg("per_page", 20), MAX_CODES_PAGE),
                               sort="created_at", descending=True)
    page = redemption.history(get_session(), logged_in_customer(), newest_first)
    return jsonapi.collection([serializers.reward_history(code) for code in page.rows],
                              meta={"page": page.number, "per_page": page.size, "total": page.total})


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    # Bounded so a huge page cannot overflow the database's OFFSET.
    number = listing.whole_number(value, MAX_PAGE_NUMBER)
    if number is None:
        raise BadRequest(f"'{name}' must be an integer from 1 to {MAX_PAGE_NUMBER}")
    return number


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/customer", view_func=customer, methods=["GET"])
    bp.add_url_rule("/customer/birthday", view_func=birthday, methods=["POST"])
    bp.add_url_rule("/earning-rules", view_func=earning_rules, methods=["GET"])
    bp.add_url_rule("/earning-rules/<rule_id>/claim", view_func=claim, methods=["POST"])
    bp.add_url_rule("/vip-tiers", view_func=vip_tiers, methods=["GET"])
    bp.add_url_rule("/history", view_func=history, methods=["GET"])
    bp.add_url_rule("/rewards", view_func=rewards, methods=["GET"])
    bp.add_url_rule("/rewards/<reward_id>/redeem", view_func=redeem, methods=["POST"])
    bp.add_url_rule("/my-rewards", view_func=my_rewards, methods=["GET"])
