"""Once per customer per rule holds under concurrency: the database constraint decides."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Customer, EarningEntry, OutboxMessage

REQUESTS = 50


def test_concurrent_identical_awards_give_exactly_one_201(app: Flask, demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["follow_on_instagram"]
    start = threading.Barrier(REQUESTS)

    def post(_: int) -> int:
        client = app.test_client()
        start.wait()
        response = client.post(f"/v1/earning-rules/{rule_id}/award", json={"customer_identifier": "1001"},
                               headers={"Authorization": demo_shop["api_key"]})
        return response.status_code

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        statuses = list(pool.map(post, range(REQUESTS)))

    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    with sessionmaker_for(app)() as session:
        assert session.scalar(select(func.count()).select_from(EarningEntry)
                              .where(EarningEntry.source != "opening_balance")) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
        gold = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    assert (gold.current_points, gold.lifetime_points) == (1350, 1350)
