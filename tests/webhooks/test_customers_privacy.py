"""customers/*, app/*, and the privacy topics: enrolment, profile, export, erasure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import JSON, String, Text, func, select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import Base, sessionmaker_for
from shopify_app.jobs.scheduled import reconcile_shop
from shopify_app.jobs.webhook_commands import customer_updated
from shopify_app.jobs.webhook_deliveries import record_delivery
from shopify_app.jobs.webhooks import MAX_ATTEMPTS
from shopify_app.loyalty.ledger.adjustments import adjust_points
from shopify_app.loyalty.members.birthdays import Birthday
from shopify_app.models import (
    ActivityLogEntry,
    ApiKey,
    BulkJob,
    Customer,
    CustomerDataExport,
    EarningEntry,
    EarningRule,
    IdempotencyKey,
    OutboxMessage,
    PointsImportFile,
    RedactedCustomer,
    Shop,
    ShopifyOrder,
    WebhookDelivery,
)
from shopify_app.privacy.erasure import PERSONAL_DATA, redact_customer
from shopify_app.shopify.webhook_payloads import CustomerData, CustomersRedact, Payload
from shopify_app.shops.tokens import has_valid_token
from tests.jobs.conftest import work
from tests.loyalty.test_reconciliation import FakeAdminApi, node
from tests.shopify_signing import SHOP, triggered_now
from tests.webhooks.test_orders import GOLD, deliver, member, order, refund

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
    assert [(e["source"], e["points"]) for e in export.data["ledger"]] == [("opening_balance", 1200), ("purchase", 150)]
    assert export.data["orders"][0]["order_number"] == "#8001"


def personal_values(session: Session, values: set[str]) -> list[str]:
    """Every cell, in every table of the schema, that contains one of ``values`` (as text)."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = list(table.columns)
        for row in session.execute(select(*columns)).all():
            for column, cell in zip(columns, row, strict=True):
                text = str(cell).lower()
                found += [f"{table.name}.{column.name}: {v}" for v in values if v.lower() in text]
    return found


def test_every_text_column_is_classified_for_redaction() -> None:
    text_columns = {f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables
                    for column in table.columns if isinstance(column.type, (String, Text, JSON))}
    classified = {f"{table}.{column}" for table, columns in PERSONAL_DATA.items() for column in columns}
    assert text_columns - classified == set(), "classify these in shopify_app.privacy.erasure.PERSONAL_DATA"
    every_column = {f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables for column in table.columns}
    assert classified - every_column == set(), "PERSONAL_DATA names columns the schema does not have"


def _personal_columns() -> set[str]:
    return {f"{table}.{column}" for table, columns in PERSONAL_DATA.items()
            for column, eraser in columns.items() if eraser is not None}


def _unapplied_delivery(session: Session, topic: str, payload: dict[str, Any], error: str) -> str:
    """A delivery that failed for good (the sweep no longer retries it), as the intake records one."""
    delivery_id = record_delivery(session, shop=SHOP, topic=topic, webhook_id=f"failed-{uuid.uuid4()}",
                                  payload=payload, headers={})
    assert delivery_id is not None
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                    .values(attempts=MAX_ATTEMPTS, last_error=error))
    return delivery_id


def test_redact_erases_every_classified_personal_column(client: FlaskClient, app: Flask, redis: Redis,
                                                        demo_shop: dict[str, Any], session: Session) -> None:
    ann = {**ANN, "id": 7777777701}
    deliver(client, app, redis, ("customers/update", ann), ("orders/paid", order(8002, customer=ann)),
            ("refunds/create", refund(82, 8002, "10.00")))
    with sessionmaker_for(app).begin() as write:
        row = write.scalars(select(Customer).where(Customer.shopify_customer_id == "7777777701")).one()
        row.date_of_birth = dt.date(1990, 5, 17)
        row.date_of_birth_changed_at = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.timezone.utc)
        adjust_points(write, write.get_one(Shop, row.shop_id), row, 25, "Parcel for Annabelle lost")
        write.add(OutboxMessage(shop_id=row.shop_id, topic="klaviyo", customer_id=row.id, payload={}, status="failed",
                                last_error=f"Permanent: POST /api/profile-import: 400 invalid email {ANN['email']}"))
        failed_order = _unapplied_delivery(write, "orders/paid", order(8009, customer=ann),
                                           f"ValueError: not a Shopify id: {ANN['email']!r}")
        failed_refund = _unapplied_delivery(write, "refunds/create", refund(83, 8002, "5.00"), "KeyError: 'id'")
        someone_else = _unapplied_delivery(write, "orders/paid", order(8010), "KeyError: 'id'")
        # A stored API response about her, kept to replay a retried write.
        api_key_id = write.scalars(select(ApiKey.id).where(ApiKey.shop_id == row.shop_id)).first()
        write.add(IdempotencyKey(shop_id=row.shop_id, api_key_id=api_key_id, key="retry-1", fingerprint="0" * 64,
                                 status=200,
                                 body=json.dumps({"data": {"attributes": {"shopify_customer_id": "7777777701",
                                                                          "email": ANN["email"]}}},
                                                 separators=(",", ":"))))
        # A points file from another app naming her, and its check's outcome.
        write.add(PointsImportFile(shop_id=row.shop_id, filename="smile.csv",
                                   content=f"email,points\n{ANN['email']},5\n"))
        write.add(BulkJob(shop_id=row.shop_id, kind="points_import_check",
                          result={"rows": [{"line": 2, "customer": ANN["email"], "outcome": "import"}]}))
    redact = {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [8002],
              "customer": {"id": 7777777701, "email": ANN["email"], "phone": ANN["phone"]}}
    deliver(client, app, redis, ("customers/data_request", {**redact, "data_request": {"id": 78}}))
    values = {ANN["email"], "Annabelle", "Privatewoman", "7777777701", ANN["phone"], "1990-05-17", "2024-03-01 15:00",
              "2025-06-01 08:30"}
    # The check sees the customer in every column classified as personal before the erasure.
    assert {hit.split(": ")[0] for hit in personal_values(session, values)} >= _personal_columns()

    deliver(client, app, redis, ("customers/redact", redact))
    session.expire_all()
    assert personal_values(session, values) == []
    # The ledger stays for the shop's totals, tied to the anonymised member; the activity says what happened.
    points = session.scalars(select(EarningEntry.points).where(EarningEntry.order_id == "8002")).all()
    assert sorted(points) == [-10, 100]  # Bronze x1: 100 earned, 10.00 of 100.99 refunded
    assert "+25 points adjusted by the merchant" in session.scalars(select(ActivityLogEntry.message)).all()
    # Deliveries about the customer or their orders are closed unapplied; another customer's stays.
    closed = [session.get_one(WebhookDelivery, d) for d in (failed_order, failed_refund)]
    assert [(d.payload, d.last_error, d.processed_at is not None) for d in closed] == [(None, None, True)] * 2
    assert session.get_one(WebhookDelivery, someone_else).payload == order(8010)
    # Known from now on only by a hash of the shop and the Shopify id.
    digest = hashlib.sha256(f"{demo_shop['shop_id']}:7777777701".encode()).hexdigest()
    assert session.scalars(select(RedactedCustomer.shopify_customer_id_hash)).all() == [digest]
    assert personal_values(session, {"gold@example.com"})  # other customers keep their data


REDACT_GOLDIE = {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [8101],
                 "customer": {"id": 1001, "email": GOLD["email"], "phone": None}}


@pytest.mark.parametrize("event", ["customers/update", "customers/create", "orders/paid", "reconciliation"])
def test_a_webhook_after_redact_does_not_re_enrol_the_customer(event: str, client: FlaskClient, app: Flask,
                                                               redis: Redis, demo_shop: dict[str, Any],
                                                               session: Session) -> None:
    deliver(client, app, redis, ("orders/paid", order(8101)), ("customers/redact", REDACT_GOLDIE))
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    members, entries_before = count(Customer), count(EarningEntry)
    if event == "reconciliation":
        assert reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], FakeAdminApi([node(8102)])) == 1
    elif event == "orders/paid":
        deliver(client, app, redis, ("orders/paid", order(8102)))
    else:
        deliver(client, app, redis, (event, {**GOLD, "updated_at": "2030-01-01T00:00:00Z"}))
    session.expire_all()
    assert personal_values(session, {GOLD["email"], GOLD["first_name"]}) == []
    assert (count(Customer), count(EarningEntry)) == (members, entries_before)  # no member, no points
    assert session.scalars(select(ShopifyOrder.shopify_customer_id)).all() == [None] * count(ShopifyOrder)


def test_data_request_export_includes_the_date_of_birth(client: FlaskClient, app: Flask, redis: Redis,
                                                        demo_shop: dict[str, Any], session: Session) -> None:
    changed = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with sessionmaker_for(app).begin() as write:
        write.execute(update(Customer).where(Customer.shopify_customer_id == "1001")
                      .values(date_of_birth=dt.date(1985, 2, 3), date_of_birth_changed_at=changed))
        # Given without its year.
        write.execute(update(Customer).where(Customer.shopify_customer_id == "1002")
                      .values(date_of_birth=Birthday(29, 2).as_date()))
    for customer_id, request_id in ((1001, 79), (1002, 80)):
        request = {"shop_id": 1, "shop_domain": SHOP, "orders_requested": [], "customer": {"id": customer_id},
                   "data_request": {"id": request_id}}
        deliver(client, app, redis, ("customers/data_request", request))
    exports = {e.shopify_customer_id: e.data["customer"] for e in session.scalars(select(CustomerDataExport))}
    assert (exports["1001"]["date_of_birth"], exports["1001"]["date_of_birth_changed_at"]) == (
        "1985-02-03", "2026-01-02T03:04:05.000Z")
    assert (exports["1002"]["date_of_birth"], exports["1002"]["date_of_birth_changed_at"]) == ("--02-29", None)


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
    deliver(client, app, redis, ("orders/paid", order(8003)), ("customers/create", ANN),
            ("customers/redact", {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [],
                                  "customer": {"id": ANN["id"]}}))
    deliver(client, app, redis, ("customers/create", ANN), shop=other)
    assert session.scalar(select(func.count()).select_from(RedactedCustomer)) == 1  # the tombstone goes too
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
    from shopify_app.shopify.oauth import TokenGrant
    from shopify_app.shops.installs import record_install

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


def test_failed_delivery_payloads_are_deleted_after_7_days(app: Flask, session: Session) -> None:
    with sessionmaker_for(app).begin() as write:
        old, recent = (_unapplied_delivery(write, "orders/paid", order(order_id), "KeyError: 'id'")
                       for order_id in (8201, 8202))
        for delivery_id, age in ((old, dt.timedelta(days=7, minutes=1)), (recent, dt.timedelta(days=6, hours=23))):
            write.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                          .values(received_at=utcnow() - age))
    work(app)  # the worker's periodic jobs
    session.expire_all()
    expired, kept = session.get_one(WebhookDelivery, old), session.get_one(WebhookDelivery, recent)
    assert (expired.payload, expired.processed_at is not None, expired.last_error) == (None, True, "KeyError: 'id'")
    assert (kept.payload, kept.processed_at) == (order(8202), None)


NEW_PROFILE = {**GOLD, "email": "goldie.new@example.com", "first_name": "Goldilocks"}


def test_a_customer_update_racing_the_redact_does_not_write_the_profile_back(
        app: Flask, demo_shop: dict[str, Any], session: Session, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite runs one writer at a time: the update cannot start until the redaction commits")
    sessions = sessionmaker_for(app)
    with sessions.begin() as redaction:
        redact_customer(redaction, redaction.get_one(Shop, demo_shop["shop_id"]),
                        CustomersRedact.model_validate(REDACT_GOLDIE))
        update = threading.Thread(target=lambda: _apply(sessions, demo_shop["shop_id"], customer_updated,
                                                        CustomerData.model_validate(NEW_PROFILE)))
        update.start()
        update.join(0.5)
        assert update.is_alive()  # waiting on the erasure's lock on the member
    update.join(10)
    assert not update.is_alive()
    assert personal_values(session, {GOLD["email"], NEW_PROFILE["email"], NEW_PROFILE["first_name"]}) == []


def _apply(sessions: Any, shop_id: str, handler: Any, payload: Payload) -> None:
    with sessions.begin() as write:
        handler(write, write.get_one(Shop, shop_id), payload)
