"""Five purchases at once by a customer who can afford three: three codes, never a fourth spend."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from shopify_app.db import sessionmaker_for
from shopify_app.models import Shop
from tests import factories
from tests.rewards.helpers import balance, redemptions

REQUESTS = 5


def test_five_purchases_affording_three(sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace,
                                        is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL's row locks")
    with sessionmaker_for(sync_app).begin() as session:
        factories.customer(session, session.get_one(Shop, shop["shop_id"]), "5001", current_points=1500)
    start = threading.Barrier(REQUESTS)

    def post(_: int) -> int:
        client = sync_app.test_client()
        start.wait()
        return client.post(f"/v1/rewards/{shop['rewards']['$5 off']}/purchase", json={"customer_identifier": "5001"},
                           headers={"Authorization": shop["api_key"]}).status_code

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        statuses = sorted(pool.map(post, range(REQUESTS)))

    assert statuses == [201, 201, 201, 422, 422]
    assert len(fakes.shopify.discounts) == 3
    assert sorted(r.state for r in redemptions(sync_app)) == ["active"] * 3
    assert balance(sync_app, "5001") == (0, 1500)
