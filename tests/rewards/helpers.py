"""Requests and reads the rewards tests share."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Customer, RewardRedemption


def purchase(client: FlaskClient, shop: dict[str, Any], reward: str, body: Any, *, key: str | None = None) -> Any:
    reward_id = shop["rewards"].get(reward, reward)
    return client.post(f"/v1/rewards/{reward_id}/purchase", json=body,
                       headers={"Authorization": key or shop["api_key"]})


def balance(app: Flask, shopify_id: str) -> tuple[int, int]:
    """(current, redeemed) points of a customer."""
    with sessionmaker_for(app)() as session:
        customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == shopify_id)).one()
        return customer.current_points, customer.redeemed_points


def redemptions(app: Flask) -> list[RewardRedemption]:
    with sessionmaker_for(app)() as session:
        return list(session.scalars(select(RewardRedemption).order_by(RewardRedemption.created_at)))
