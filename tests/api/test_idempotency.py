"""Idempotency-Key on /v1 writes: replayed, refused for another request, in flight, not stored for a 5xx, swept."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from shopify_app.db import sessionmaker_for
from shopify_app.models import ApiKey, EarningEntry, IdempotencyKey
from shopify_app.shops import idempotency
from tests.api.test_award import customer_row, error_of


def adjust(client: FlaskClient, key: str, body: Any, idempotency_key: str | None = "k-1",
           path: str = "/v1/customers/1002/points") -> Any:
    headers = {"Authorization": key}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post(path, data=json.dumps(body), headers=headers, content_type="application/json")


def entries(app: Flask) -> int:
    """Entries written since the demo's opening balances."""
    with sessionmaker_for(app)() as session:
        return session.scalar(select(func.count()).select_from(EarningEntry)
                              .where(EarningEntry.source != "opening_balance")) or 0


def test_same_key_replays_the_first_response(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    first = adjust(client, demo_shop["api_key"], {"adjustment": 25})
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    again = adjust(client, demo_shop["api_key"], {"adjustment": 25})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert customer_row(app, "1002").current_points == 25
    assert entries(app) == 1


def test_a_4xx_is_replayed_too(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    first = adjust(client, demo_shop["api_key"], {"adjustment": 0})
    again = adjust(client, demo_shop["api_key"], {"adjustment": 0})
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_body_or_path_is_422(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    adjust(client, demo_shop["api_key"], {"adjustment": 25})
    other_body = adjust(client, demo_shop["api_key"], {"adjustment": 26})
    assert other_body.status_code == 422
    other_path = adjust(client, demo_shop["api_key"], {"adjustment": 25}, path="/v1/customers/1001/points")
    assert other_path.status_code == 422
    assert error_of(other_path)["title"] == "Unprocessable Entity"


def test_keys_are_per_api_key(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        from shopify_app.models import Shop
        from tests import factories
        shop = session.get(Shop, demo_shop["shop_id"])
        assert shop is not None
        second_key = factories.api_key(session, shop)
    adjust(client, demo_shop["api_key"], {"adjustment": 25})
    response = adjust(client, second_key, {"adjustment": 25})
    assert "Idempotent-Replayed" not in response.headers
    assert customer_row(app, "1002").current_points == 50


@pytest.mark.parametrize("bad", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_key_is_400(client: FlaskClient, demo_shop: dict[str, Any], bad: str) -> None:
    response = client.post("/v1/customers/1002/points", data=b'{"adjustment": 1}',
                           headers={"Authorization": demo_shop["api_key"], "Idempotency-Key": bad},
                           content_type="application/json")
    assert response.status_code == 400


def test_in_flight_is_409(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        api_key = session.scalars(select(ApiKey).where(ApiKey.shop_id == demo_shop["shop_id"],
                                                       ApiKey.read_only.is_(False))).first()
        assert api_key is not None
        fingerprint = "0" * 64
        session.add(IdempotencyKey(shop_id=api_key.shop_id, api_key_id=api_key.id, key="k-1", fingerprint=fingerprint))
    response = adjust(client, demo_shop["api_key"], {"adjustment": 25})
    # The stored claim names another request, so a different fingerprint: 422. The same one while running: 409.
    assert response.status_code == 422
    with sessionmaker_for(app).begin() as session:
        row = session.scalars(select(IdempotencyKey)).one()
        row.fingerprint = _fingerprint_of(app, "/v1/customers/1002/points", {"adjustment": 25})
    assert adjust(client, demo_shop["api_key"], {"adjustment": 25}).status_code == 409
    assert entries(app) == 0


def _fingerprint_of(app: Flask, path: str, body: Any) -> str:
    from shopify_app.api.idempotency import _fingerprint
    with app.test_request_context(path, method="POST", data=json.dumps(body)):
        return _fingerprint()


def test_5xx_is_not_stored(client: FlaskClient, app: Flask, demo_shop: dict[str, Any],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    from shopify_app.api import customers

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(customers, "adjust_points", broken)
    assert adjust(client, demo_shop["api_key"], {"adjustment": 25}).status_code == 500
    monkeypatch.undo()
    retried = adjust(client, demo_shop["api_key"], {"adjustment": 25})
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert customer_row(app, "1002").current_points == 25


def test_expired_keys_run_again_and_are_swept(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    adjust(client, demo_shop["api_key"], {"adjustment": 25})
    with sessionmaker_for(app).begin() as session:
        for row in session.scalars(select(IdempotencyKey)):
            row.created_at -= dt.timedelta(hours=25)
    again = adjust(client, demo_shop["api_key"], {"adjustment": 25})
    assert "Idempotent-Replayed" not in again.headers
    assert customer_row(app, "1002").current_points == 50
    with sessionmaker_for(app).begin() as session:
        assert idempotency.sweep(session) == 0
        assert idempotency.sweep(session, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)) == 1


def test_concurrent_same_key_runs_once(app: Flask, demo_shop: dict[str, Any], is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("row-level concurrency is PostgreSQL's")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def one() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(adjust(client, demo_shop["api_key"], {"adjustment": 10}).status_code)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 409}
    assert customer_row(app, "1002").current_points == 10
    assert entries(app) == 1
