"""The member summary's fields in the edge cases: no tier, the top tier, pending points, lots expiring
at the same moment, an excluded and a redacted member, and who is not found."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import NotFound
from shopify_app.loyalty.earning.awards import award_rule
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.members.summary import CustomerSummary, member_summary, summarize
from shopify_app.models import EarningRule, EntrySource
from shopify_app.privacy.erasure import redact_customer
from shopify_app.shopify.webhook_payloads import CustomersRedact
from tests import factories

SHOP = "summary-shop.myshopify.com"


def _read(session: Session, shop_id: str, identifier: str, now: dt.datetime | None = None) -> CustomerSummary:
    session.flush()
    return member_summary(session, shop_id, identifier, now=now)


def test_a_shop_without_tiers_has_no_current_or_next_tier(session: Session) -> None:
    shop = factories.shop(session, SHOP)
    factories.customer(session, shop, "501", current_points=120)
    summary = _read(session, shop.id, "501")
    assert (summary.current_tier, summary.next_tier, summary.points_to_next_tier) == (None, None, None)
    assert (summary.member.current_points, summary.member.lifetime_points, summary.pending_points) == (120, 120, 0)
    assert (summary.points_expire_at, summary.points_expiring) == (None, 0)


@pytest.mark.parametrize(("lifetime", "current", "following", "to_go"), [
    (1, "Bronze", "Gold", 499), (499, "Bronze", "Gold", 1), (500, "Gold", "Platinum", 1500),
    (2000, "Platinum", None, None), (9000, "Platinum", None, None)])
def test_the_current_and_next_tier_follow_lifetime_points(session: Session, lifetime: int, current: str,
                                                          following: str | None, to_go: int | None) -> None:
    shop = factories.shop(session, SHOP)
    for name, required, multiplier in (("Bronze", 0, "1"), ("Gold", 500, "1.5"), ("Platinum", 2000, "2")):
        factories.tier(session, shop, name, required, multiplier)
    factories.customer(session, shop, "502", current_points=lifetime // 2, lifetime_points=lifetime,
                       vip_tier_id=None)
    summary = _read(session, shop.id, "502")
    assert summary.current_tier is not None and summary.current_tier.name == current
    assert (summary.next_tier.name if summary.next_tier else None, summary.points_to_next_tier) == (following, to_go)
    if summary.next_tier is not None:
        assert summary.next_tier.points_required > lifetime
        assert float(summary.next_tier.points_multiplier) in (1.5, 2.0)


def test_pending_points_are_counted_apart_from_the_balance(session: Session) -> None:
    shop = factories.shop(session, SHOP)
    member = factories.customer(session, shop, "503", current_points=10)
    factories.rule(session, shop, "follow_on_tiktok", points=50, approval_time=14)
    factories.rule(session, shop, "follow_on_instagram", points=70, approval_time=14)
    award_rule(session, shop, _rule_id(session, shop.id, "follow_on_tiktok"), "503")
    award_rule(session, shop, _rule_id(session, shop.id, "follow_on_instagram"), "503")
    summary = _read(session, shop.id, "503")
    assert (summary.pending_points, summary.member.current_points) == (120, 10)
    assert summarize(session, member) == summary


def _rule_id(session: Session, shop_id: str, action: str) -> str:
    return session.scalars(select(EarningRule.id).where(EarningRule.shop_id == shop_id,
                                                        EarningRule.action == action)).one()


def test_lots_expiring_at_the_same_moment_are_added_up_and_later_or_spent_ones_left_out(session: Session) -> None:
    shop = factories.shop(session, SHOP, expiry_days=30)
    member = factories.customer(session, shop, "504")
    now = utcnow()
    given = now - dt.timedelta(days=5)
    postings.grant(session, shop, member, 400, source=EntrySource.MANUAL, now=now - dt.timedelta(days=40))  # expired
    postings.grant(session, shop, member, 100, source=EntrySource.MANUAL, now=given)
    postings.grant(session, shop, member, 200, source=EntrySource.MANUAL, now=given)  # the same moment
    postings.grant(session, shop, member, 300, source=EntrySource.MANUAL, now=given + dt.timedelta(hours=3))
    postings.spend(session, member, 450, source=EntrySource.MANUAL)  # the expired lot, then 50 of the next
    summary = _read(session, shop.id, "504", now=now)
    assert summary.points_expire_at == given + dt.timedelta(days=30)
    assert summary.points_expiring == 50 + 200
    later = _read(session, shop.id, "504", now=given + dt.timedelta(days=30, minutes=1))
    assert (later.points_expire_at, later.points_expiring) == (given + dt.timedelta(days=30, hours=3), 300)
    assert _read(session, shop.id, "504", now=now + dt.timedelta(days=60)).points_expire_at is None


def test_an_excluded_member_keeps_their_figures_and_says_excluded(session: Session) -> None:
    shop = factories.shop(session, SHOP)
    factories.customer(session, shop, "505", current_points=80, is_excluded=True)
    summary = _read(session, shop.id, "c505@example.com")
    assert (summary.member.loyalty_status, summary.member.current_points) == ("excluded", 80)
    assert _read(session, shop.id, "gid://shopify/Customer/505") == summary


def test_a_redacted_member_is_found_by_neither_shopify_id_nor_email_and_keeps_only_figures(session: Session) -> None:
    shop = factories.shop(session, SHOP)
    customer = factories.customer(session, shop, "507", "Ann@Example.com", current_points=60, first_name="Ann",
                       last_name="Lee", date_of_birth=dt.date(1990, 5, 17))
    assert _read(session, shop.id, "ann@example.com").member.first_name == "Ann"
    redact_customer(session, shop, CustomersRedact.model_validate(
        {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [], "customer": {"id": 507, "email": None}}))
    for identifier in ("507", "ann@example.com"):  # the storefront's and the API's lookups
        with pytest.raises(NotFound):
            _read(session, shop.id, identifier)
    member = summarize(session, customer).member  # the admin's, by the row it holds
    assert (member.shopify_customer_id, member.email, member.first_name, member.last_name,
            member.date_of_birth) == (customer.id, None, None, None, None)
    assert member.current_points == 60


@pytest.mark.parametrize("identifier", ["508", "c508@example.com", "not-an-id", ""])
def test_another_shops_customer_or_no_customer_is_not_found(session: Session, identifier: str) -> None:
    shop, other = factories.shop(session, SHOP), factories.shop(session, "other-summary.myshopify.com")
    factories.customer(session, other, "508")
    with pytest.raises(NotFound, match="not found"):
        _read(session, shop.id, identifier)
