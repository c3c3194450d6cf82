"""The customer page's rewards: each code with its status and dates, and the refund of an active one,
the same as ``POST /v1/reward-history/{id}/refund`` (the code deleted in Shopify first)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Customer, RewardRedemption
from tests import factories
from tests.admin.conftest import TokenClient
from tests.jobs.conftest import fakes, shop, sync_app, sync_client
from tests.rewards.helpers import balance, purchase, redemptions

__all__ = ["fakes", "shop", "sync_app", "sync_client"]


def bought(client: FlaskClient, shop: dict[str, Any], reward: str = "$5 off") -> str:
    response = purchase(client, shop, reward, {"customer_identifier": "1001"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json(force=True)["data"]["id"])


def customer_id(app: Flask, shopify_id: str = "1001") -> str:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Customer.id).where(Customer.shopify_customer_id == shopify_id)).one()


def refund_url(app: Flask, redemption_id: str, shopify_id: str = "1001") -> str:
    return f"/admin/customers/{customer_id(app, shopify_id)}/rewards/{redemption_id}/refund"


def code_of(app: Flask, redemption_id: str) -> RewardRedemption:
    with sessionmaker_for(app)() as session:
        return session.get_one(RewardRedemption, redemption_id)


def test_the_page_lists_the_codes_with_a_refund_only_for_active_ones(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any]) -> None:
    active, used = bought(sync_client, shop), bought(sync_client, shop, "Free shipping")
    with sessionmaker_for(sync_app).begin() as session:
        session.get_one(RewardRedemption, used).state = "used"
    html = TokenClient(sync_app, shop["domain"]).get(f"/admin/customers/{customer_id(sync_app)}").get_data(
        as_text=True)
    rewards = html.split('id="rewards"')[1].split('heading="Activity"')[0]
    assert code_of(sync_app, active).discount_code in rewards and code_of(sync_app, used).discount_code in rewards
    assert "$5 off" in rewards and "Free shipping" in rewards and ">Active<" in rewards and ">Used<" in rewards
    assert "Redeemed " in rewards
    assert rewards.count('tone="critical" commandFor=') == 1  # one Refund opener: the active code's
    assert refund_url(sync_app, active) in rewards and refund_url(sync_app, used) not in rewards
    assert "Refund the code " + code_of(sync_app, active).discount_code in rewards


def test_a_refund_deletes_the_code_in_shopify_and_gives_the_points_back(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    redemption_id = bought(sync_client, shop)
    code = code_of(sync_app, redemption_id).discount_code
    assert code in fakes.shopify.discounts and balance(sync_app, "1001") == (700, 500)

    refunded = TokenClient(sync_app, shop["domain"]).post(refund_url(sync_app, redemption_id))
    assert refunded.status_code == 303
    assert "500+points+given+back" in refunded.headers["Location"]
    assert code not in fakes.shopify.discounts
    assert code_of(sync_app, redemption_id).state == "refunded"
    assert balance(sync_app, "1001") == (1200, 0)


def test_shopify_failing_shows_a_banner_and_changes_nothing(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    redemption_id = bought(sync_client, shop)
    fakes.shopify.down = True
    page = TokenClient(sync_app, shop["domain"]).post(refund_url(sync_app, redemption_id))
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert 'heading="Nothing was refunded"' in html
    assert "Shopify could not delete the discount code; nothing was refunded" in html
    fakes.shopify.down = False
    assert code_of(sync_app, redemption_id).state == "active"
    assert code_of(sync_app, redemption_id).discount_code in fakes.shopify.discounts
    assert balance(sync_app, "1001") == (700, 500)


def test_a_code_no_longer_active_is_not_refunded(sync_app: Flask, sync_client: FlaskClient,
                                                 shop: dict[str, Any]) -> None:
    redemption_id = bought(sync_client, shop)
    admin = TokenClient(sync_app, shop["domain"])
    assert admin.post(refund_url(sync_app, redemption_id)).status_code == 303
    again = admin.post(refund_url(sync_app, redemption_id))  # a second form, after the first refund
    assert again.status_code == 409
    assert "is refunded; only an active, unrefunded code can be refunded" in again.get_data(as_text=True)
    assert balance(sync_app, "1001") == (1200, 0)


def test_another_shops_or_customers_code_is_not_found(sync_app: Flask, sync_client: FlaskClient,
                                                      shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    redemption_id = bought(sync_client, shop)
    with sessionmaker_for(sync_app).begin() as session:
        other = factories.shop(session)
        other_customer, other_domain = factories.customer(session, other, "1001").id, other.domain
    # The other shop's admin, on its own customer 1001, naming this shop's code.
    theirs = TokenClient(sync_app, other_domain).post(
        f"/admin/customers/{other_customer}/rewards/{redemption_id}/refund")
    assert theirs.status_code == 404
    # This shop's admin, naming the code under another of its customers.
    assert TokenClient(sync_app, shop["domain"]).post(refund_url(sync_app, redemption_id, "1002")).status_code == 404
    assert code_of(sync_app, redemption_id).state == "active"
    assert code_of(sync_app, redemption_id).discount_code in fakes.shopify.discounts
    assert [r.state for r in redemptions(sync_app)] == ["active"]
