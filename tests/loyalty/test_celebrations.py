"""Birthday and anniversary points: once a year per member, on the day or the few days after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.jobs.scheduled import run_daily
from shopify_app.models import Customer, EarningEntry, Shop
from tests import factories

UTC = dt.timezone.utc


def points_by_customer(session: Session) -> dict[str, list[str]]:
    session.expire_all()
    result: dict[str, list[str]] = {}
    for shopify_id, key in session.execute(select(Customer.shopify_customer_id, EarningEntry.dedupe_key)
                                           .join(EarningEntry.customer).order_by(EarningEntry.dedupe_key)
                                           .where(EarningEntry.source != "opening_balance")):
        result.setdefault(shopify_id, []).append(key.split(":")[0] + ":" + key.split(":")[-1])
    return result


def test_birthdays_and_anniversaries_once_a_year(app: Flask, demo_shop: dict[str, Any], session: Session) -> None:
    shop = session.get(Shop, demo_shop["shop_id"])
    assert shop is not None
    factories.rule(session, shop, "anniversary", category="anniversary", points=20)
    factories.customer(session, shop, "1", date_of_birth=dt.date(1990, 3, 14))
    factories.customer(session, shop, "2", date_of_birth=dt.date(1992, 2, 29))
    factories.customer(session, shop, "3", shopify_created_at=dt.datetime(2024, 3, 14, 23, 30, tzinfo=UTC))
    factories.customer(session, shop, "4", shopify_created_at=dt.datetime(2026, 3, 14, 9, 0, tzinfo=UTC))
    factories.customer(session, shop, "5", date_of_birth=dt.date(1990, 3, 15))
    factories.customer(session, shop, "6", date_of_birth=dt.date(1990, 3, 14), is_excluded=True)
    session.commit()
    sessions = sessionmaker_for(app)

    assert run_daily(sessions, dt.date(2026, 3, 14)) == 2
    assert points_by_customer(session) == {"1": ["birthday:2026"], "3": ["anniversary:2026"]}
    # The next days look back over the 14th again without paying twice.
    assert run_daily(sessions, dt.date(2026, 3, 15)) == 1
    assert run_daily(sessions, dt.date(2026, 3, 16)) == 0
    assert points_by_customer(session)["5"] == ["birthday:2026"]
    # 29 February birthdays are celebrated on the 28th in other years, and next year again.
    assert run_daily(sessions, dt.date(2027, 2, 28)) == 1
    assert run_daily(sessions, dt.date(2027, 3, 14)) == 3
    assert points_by_customer(session)["2"] == ["birthday:2027"]
    assert points_by_customer(session)["4"] == ["anniversary:2027"]
    gold = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1")).one()
    assert gold.current_points == 250 * 2
