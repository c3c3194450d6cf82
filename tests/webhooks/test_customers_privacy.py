"""customers/*, app/*, and the privacy topics: enrolment, profile, export, erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from shopify_app.db import Base, sessionmaker_for
from shopify_app.loyalty.shop_tokens import has_valid_token
from shopify_app.models import Customer, CustomerDataExport, EarningEntry, EarningRule, OutboxMessage, Shop
from tests.shopify_signing import SHOP, triggered_now
from tests.webhooks.test_orders import deliver, member, order, refund

ANN = {"id": 501, "email": "ann.private@example.com", "first_name": "Annabelle", "last_name": "Privatewoman",
       "phone": "+15550001111", "created_at": "2024-03-01T10:00:00-05:00"}


def test_customer_create_enrols_with_signup_points_once(client: FlaskClient, app: Flask, redis: Redis,
                                                        demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        session.add_all([_signup_rule(demo_shop["shop_id"], 100), _signup_rule(demo_shop["shop_id"], 7, active=False)])
    deliver(client, app, redis, ("customers/create", ANN), ("customers/create", ANN))
    created = member(app, "501")
    assert (created.current_points, created.email, created.first_name) == (100, ANN["email"], "Annabelle")
    assert created.shopify_created_at == dt.datetime(2024, 3, 1, 15, 0, tzinfo=dt.timezone.utc)


def _signup_rule(shop_id: str, points: int, *, active: bool = True) -> EarningRule:
    return EarningRule(shop_id=shop_id, name=f"Sign up {points}", action="signup", category="signup",
                       points_to_give=points, is_active=active)


def test_customer_update_keeps_email_and_names_in_step_even_before_create(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("customers/update", {**ANN, "email": "New@Example.com", "last_name": "Wed"}))
    updated = member(app, "501")
    assert (updated.email, updated.email_normalized, updated.last_name) == ("New@Example.com", "new@example.com", "Wed")
    deliver(client, app, redis, ("customers/update", {"id": 1001, "email": "gold2@example.com",
                                                      "first_name": "G", "last_name": None}))
    assert (member(app).email, member(app).last_name, member(app).current_points) == ("gold2@example.com", None, 1200)


def test_an_older_customer_update_never_overwrites_a_newer_one(client: FlaskClient, app: Flask, redis: Redis,
                                                                demo_shop: dict[str, Any]) -> None:
    newer = {**ANN, "email": "newer@example.com", "updated_at": "2026-11-29T12:00:05+00:00"}
    older = {**ANN, "email": "older@example.com", "updated_at": "2026-11-29T07:00:00-05:00"}
    deliver(client, app, redis, ("customers/update", newer), ("customers/update", older))
    assert member(app, "501").email == "newer@example.com"
    deliver(client, app, redis, ("customers/create", {**ANN, "updated_at": "2026-11-29T11:00:00Z"}))
    assert member(app, "501").email == "newer@example.com"
    deliver(client, app, redis, ("customers/update", {**newer, "email": "latest@example.com",
                                                      "updated_at": "2026-11-29T12:00:06Z"}))
    assert member(app, "501").email == "latest@example.com"


def test_data_request_stores_an_export_for_the_merchant(client: FlaskClient, app: Flask, redis: Redis,
                                                        demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(8001)))
    request = {"shop_id": 1, "shop_domain": SHOP, "orders_requested": [8001],
               "customer": {"id": 1001, "email": "gold@example.com", "phone": None}, "data_request": {"id": 77}}
    deliver(client, app, redis, ("customers/data_request", request), ("customers/data_request", request))
    with sessionmaker_for(app)() as session:
        [export] = session.scalars(select(CustomerDataExport)).all()
    assert (export.shop_id, export.shopify_customer_id, export.data_request_id) == (demo_shop["shop_id"], "1001", "77")
    assert export.data["customer"]["email"] == "gold@example.com"
    assert export.data["customer"]["points_balance"] == 1350
    assert [e["points"] for e in export.data["ledger"]] == [150]
    assert export.data["orders"][0]["order_number"] == "#8001"


def personal_values(session: Session, values: set[str]) -> list[str]:
    """Every text or JSON cell, in every table of the schema, that contains one of ``values``."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        for row in session.execute(select(*columns)).all():
            for column, cell in zip(columns, row, strict=True):
                text = str(cell).lower()
                found += [f"{table.name}.{column.name}: {v}" for v in values if v.lower() in text]
    return found


def test_customer_redact_leaves_no_personal_data_in_any_table(client: FlaskClient, app: Flask, redis: Redis,
                                                              demo_shop: dict[str, Any], session: Session) -> None:
    ann = {**ANN, "id": 7777777701}
    deliver(client, app, redis, ("customers/update", ann), ("orders/paid", order(8002, customer=ann)),
            ("refunds/create", refund(82, 8002, "10.00")))
    with sessionmaker_for(app).begin() as write:
        row = write.scalars(select(Customer).where(Customer.shopify_customer_id == "7777777701")).one()
        row.date_of_birth = dt.date(1990, 5, 17)
        write.add(OutboxMessage(shop_id=row.shop_id, topic="klaviyo", customer_id=row.id, payload={}))
    redact = {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [8002],
              "customer": {"id": 7777777701, "email": ANN["email"], "phone": ANN["phone"]}}
    export = {**redact, "data_request": {"id": 78}}
    deliver(client, app, redis, ("customers/data_request", export))
    values = {ANN["email"], "Annabelle", "Privatewoman", "7777777701", ANN["phone"], "1990-05-17"}
    assert personal_values(session, values)  # the check can see them before the erasure
    deliver(client, app, redis, ("customers/redact", redact))
    session.expire_all()
    assert personal_values(session, values) == []
    # The ledger stays for the shop's totals, tied to the anonymised member.
    points = session.scalars(select(EarningEntry.points).where(EarningEntry.order_id == "8002")).all()
    assert sorted(points) == [-10, 100]  # Bronze x1: 100 earned, 10.00 of 100.99 refunded
    assert personal_values(session, {"gold@example.com"})  # other customers keep their data


def uninstalled(app: Flask, shop: str = SHOP, *, ago: dt.timedelta) -> None:
    """The shop uninstalled the app ``ago``, as app/uninstalled leaves it."""
    with sessionmaker_for(app).begin() as session:
        session.scalars(select(Shop).where(Shop.domain == shop)).one().uninstalled_at = (
            dt.datetime.now(dt.timezone.utc) - ago)


def test_shop_redact_deletes_every_row_of_that_shop_only(client: FlaskClient, app: Flask, redis: Redis,
                                                         demo_shop: dict[str, Any], session: Session) -> None:
    other = "other-shop.myshopify.com"
    with sessionmaker_for(app).begin() as write:
        write.add(Shop(domain=other, name="other"))
    deliver(client, app, redis, ("orders/paid", order(8003)), ("customers/create", ANN))
    deliver(client, app, redis, ("customers/create", ANN), shop=other)
    uninstalled(app, ago=dt.timedelta(hours=49))
    deliver(client, app, redis, ("shop/redact", {"shop_id": 1, "shop_domain": SHOP}))
    for table in Base.metadata.sorted_tables:
        for column in ("shop_id", "shop_domain", "domain"):
            if column in table.columns:
                values = {v for v in session.scalars(select(table.columns[column]))}
                assert demo_shop["shop_id"] not in values and SHOP not in values, table.name
    assert member(app, "501", shop=other).email == ANN["email"]


def test_uninstall_deletes_tokens_stops_points_and_a_reinstall_restores(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    from shopify_app.loyalty.installs import record_install
    from shopify_app.shopify.oauth import TokenGrant

    config = app.config["LOYALTY"]
    grant = TokenGrant("shpat_1", config.shopify_scopes, None, None, None)
    with sessionmaker_for(app).begin() as write:
        record_install(write, SHOP, grant, config)
    deliver(client, app, redis, ("app/uninstalled", {"id": 1, "myshopify_domain": SHOP}),
            triggered_at=(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat())
    with sessionmaker_for(app)() as session:
        shop = session.scalars(select(Shop).where(Shop.domain == SHOP)).one()
        assert shop.uninstalled_at is not None and not has_valid_token(shop)
        assert shop.access_token_ciphertext is None and shop.refresh_token_ciphertext is None
    deliver(client, app, redis, ("orders/paid", order(8004)))
    assert member(app).current_points == 1200
    with sessionmaker_for(app).begin() as write:
        record_install(write, SHOP, grant, config)
    # A late uninstall delivery, triggered before the reinstall, changes nothing.
    deliver(client, app, redis, ("app/uninstalled", {"id": 1, "myshopify_domain": SHOP}),
            triggered_at=triggered_now(ago=dt.timedelta(minutes=5)))
    deliver(client, app, redis, ("orders/paid", order(8005)))
    assert member(app).current_points == 1350
