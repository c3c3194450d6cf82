"""POST /v1/customers: enrolment read from Shopify's GraphQL Admin API (a fake Shopify here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Customer, EarningEntry, EarningRule, RuleCategory
from tests.api.test_award import customer_row, error_of
from tests.fakes.shopify import FakeShopify

ANN = {"id": "gid://shopify/Customer/5550001", "firstName": "Ann", "lastName": "Enrolled",
       "createdAt": "2021-06-07T08:09:10Z", "updatedAt": "2024-01-01T00:00:00Z",
       "defaultEmailAddress": {"emailAddress": "Ann@Example.com"}}


def enrol(app: Flask, key: str, body: Any) -> Any:
    return app.test_client().post("/v1/customers", data=json.dumps(body), headers={"Authorization": key},
                                  content_type="application/json")


def test_enrols_from_shopify_once(shopify_app: tuple[Flask, FakeShopify], demo_shop: dict[str, Any]) -> None:
    app, shopify = shopify_app
    shopify.customers[ANN["id"]] = ANN
    created = enrol(app, demo_shop["api_key"], {"shopify_customer_id": "5550001"})
    assert created.status_code == 201, created.get_data(as_text=True)
    attributes = created.get_json(force=True)["data"]["attributes"]
    assert (attributes["email"], attributes["first_name"], attributes["last_name"]) == (
        "Ann@Example.com", "Ann", "Enrolled")
    assert attributes["vip_tier"] is not None  # the lowest tier
    with sessionmaker_for(app)() as session:
        signup = session.scalars(select(EarningRule).where(EarningRule.shop_id == demo_shop["shop_id"],
                                                           EarningRule.category == RuleCategory.SIGNUP.value,
                                                           EarningRule.is_active.is_(True))).all()
        member = customer_row(app, "5550001")
        assert member.shopify_created_at is not None and member.shopify_created_at.year == 2021
        earned = session.scalars(select(EarningEntry).where(EarningEntry.customer_id == member.id)).all()
    assert len(earned) == len(signup)
    assert attributes["current_points"] == sum(r.points_to_give for r in signup)

    again = enrol(app, demo_shop["api_key"], {"data": {"attributes": {"shopify_customer_id": "5550001"}}})
    assert again.status_code == 200
    assert again.get_json(force=True)["data"]["attributes"]["current_points"] == attributes["current_points"]


def test_already_enrolled_needs_no_shopify(shopify_app: tuple[Flask, FakeShopify], demo_shop: dict[str, Any]) -> None:
    app, shopify = shopify_app
    response = enrol(app, demo_shop["api_key"], {"shopify_customer_id": "1001"})
    assert response.status_code == 200
    assert not [r for r in shopify.requests if r.path.endswith("graphql.json")]


def test_no_such_shopify_customer_is_404(shopify_app: tuple[Flask, FakeShopify], demo_shop: dict[str, Any]) -> None:
    app, _shopify = shopify_app
    response = enrol(app, demo_shop["api_key"], {"shopify_customer_id": "5550002"})
    assert response.status_code == 404
    assert "5550002" in error_of(response)["detail"]


@pytest.mark.parametrize("body", [{}, {"shopify_customer_id": 5550001}, {"shopify_customer_id": "abc"},
                                  {"shopify_customer_id": ""}])
def test_bad_body_is_400(shopify_app: tuple[Flask, FakeShopify], demo_shop: dict[str, Any], body: Any) -> None:
    app, _shopify = shopify_app
    response = enrol(app, demo_shop["api_key"], body)
    assert response.status_code == 400
    assert "'shopify_customer_id'" in error_of(response)["detail"]


def test_shopify_unreachable_is_503(app_config: Any, demo_shop: dict[str, Any]) -> None:
    from shopify_app import create_app
    from tests.jobs.conftest import connect_shop
    app = create_app(app_config.model_copy(update={"shopify_admin_origin": "http://127.0.0.1:1"}))
    connect_shop(app, demo_shop["shop_id"])
    response = enrol(app, demo_shop["api_key"], {"shopify_customer_id": "5550001"})
    assert response.status_code == 503
    with sessionmaker_for(app)() as session:
        assert session.scalars(select(Customer).where(Customer.shopify_customer_id == "5550001")).all() == []
        assert session.scalars(select(EarningEntry).where(EarningEntry.source != "opening_balance")).all() == []


def test_a_shop_not_connected_is_503(app: Flask, demo_shop: dict[str, Any]) -> None:
    assert enrol(app, demo_shop["api_key"], {"shopify_customer_id": "5550001"}).status_code == 503
