"""Five purchases at once by a customer who can afford three: three codes, never a fourth spend; five of a
reward limited to one: one code, never a second."""

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
    statuses = _at_once(sync_app, shop, "$5 off")
    assert [status for status, _ in statuses] == [201, 201, 201, 422, 422]
    assert len(fakes.shopify.discounts) == 3
    assert sorted(r.state for r in redemptions(sync_app)) == ["active"] * 3
    assert balance(sync_app, "5001") == (0, 1500)


def test_five_purchases_of_a_reward_limited_to_one(sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace,
                                                   is_postgres: bool) -> None:
    """Those waiting for the first one's lock began before its redemption was committed: they must count it."""
    if not is_postgres:
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL's row locks")
    members = [str(5001 + n) for n in range(3)]  # a round each
    with sessionmaker_for(sync_app).begin() as session:
        for member in members:
            factories.customer(session, session.get_one(Shop, shop["shop_id"]), member, current_points=1500)
    for member in members:
        statuses = _at_once(sync_app, shop, "Free shipping", member)
        assert statuses == [(201, None)] + [(422, "Redemption Limit Reached")] * (REQUESTS - 1)
        assert balance(sync_app, member) == (1200, 300)
    assert len(fakes.shopify.discounts) == len(members)
    assert [r.state for r in redemptions(sync_app)] == ["active"] * len(members)


def _at_once(app: Flask, shop: dict[str, Any], reward: str, customer: str = "5001") -> list[tuple[int, str | None]]:
    """``REQUESTS`` purchases of ``reward`` by ``customer`` released together: each status and error title."""
    start = threading.Barrier(REQUESTS)

    def post(_: int) -> tuple[int, str | None]:
        client = app.test_client()
        start.wait()
        answer = client.post(f"/v1/rewards/{shop['rewards'][reward]}/purchase", json={"customer_identifier": customer},
                             headers={"Authorization": shop["api_key"]})
        return answer.status_code, answer.json["errors"][0]["title"] if answer.status_code >= 400 else None

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return sorted(pool.map(post, range(REQUESTS)), key=repr)
