"""Migration 0009 (ledger): existing entries get the source their action, rule or order key says."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, MetaData, create_engine, insert, text
from sqlalchemy.engine import make_url

from shopify_app import migrations
from shopify_app.db import engine_for

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def empty_database(app: Flask, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, on the suite's backend, for a migration to run on from scratch."""
    suite = engine_for(app)
    if suite.dialect.name != "postgresql":
        engine = create_engine(f"sqlite:///{tmp_path / 'migration.db'}")
        yield engine
        engine.dispose()
        return
    name = f"loyalty_migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(suite.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(suite.url).set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_entries_get_their_source(empty_database: Engine) -> None:
    migrations.upgrade(empty_database, "0008")
    tables = MetaData()
    tables.reflect(empty_database)
    stamps = {"created_at": NOW, "updated_at": NOW}
    entries = [  # (id, rule, action, points, dedupe key) -> the source expected
        (("e1", "social", "follow_on_x", 100, "rule:r1"), "rule_award"),
        (("e2", "purchase", "place_order", 50, "order:9:rule:r2"), "purchase"),
        (("e3", "signup", "signup", 20, "signup:r3"), "signup"),
        (("e4", "birthday", "birthday", 250, "birthday:r4:2026"), "birthday"),
        (("e5", "anniversary", "anniversary", 30, "anniversary:r5:2026"), "anniversary"),
        (("e6", None, "manual_adjustment", -10, None), "manual"),
        (("e7", None, "points_expired", -5, None), "expiry"),
        (("e8", "purchase", "order_refunded", -25, "order:9:rule:r2:refund:1"), "reversal"),
        (("e9", None, "place_order", 40, "order:10:rule:gone"), "purchase"),  # its rule deleted since
        (("e10", None, "follow_on_y", 40, "rule:gone"), "rule_award"),
    ]
    with empty_database.begin() as connection:
        connection.execute(insert(tables.tables["shops"]), [dict(id="s", domain="m.myshopify.com", name="m",
                                                                  currency="USD", **stamps)])
        connection.execute(insert(tables.tables["customers"]), [dict(
            id="c", shop_id="s", shopify_customer_id="1", is_excluded=False, current_points=0, lifetime_points=0,
            redeemed_points=0, sync_version=0, **stamps)])
        categories = {"social": "r1", "purchase": "r2", "signup": "r3", "birthday": "r4", "anniversary": "r5"}
        connection.execute(insert(tables.tables["earning_rules"]), [dict(
            id=rule_id, shop_id="s", name=category, action=category, category=category, points_to_give=1,
            approval_time=0, is_active=True, **stamps) for category, rule_id in categories.items()])
        connection.execute(insert(tables.tables["earning_entries"]), [dict(
            id=entry_id, shop_id="s", customer_id="c", earning_rule_id=categories.get(category or ""),
            dedupe_key=key, action=action, base_points=points, points_multiplier=1, points=points,
            points_remaining=0, status="approved", manual_intervention=False, **stamps)
            for (entry_id, category, action, points, key), _ in entries])

    migrations.upgrade(empty_database)
    with empty_database.connect() as connection:
        sources = dict(connection.execute(text("SELECT id, source FROM earning_entries")).tuples().all())
    assert sources == {entry_id: source for (entry_id, *_), source in entries}
