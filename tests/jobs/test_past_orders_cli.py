"""`flask orders past`: the preview, then the points, read from the (fake) Admin API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask

from tests.fakes.shopify import order_node
from tests.webhooks.test_orders import entries


def test_the_command_previews_then_gives_the_points(sync_app: Flask, shop: dict[str, Any],
                                                    fakes: SimpleNamespace) -> None:
    fakes.shopify.orders.append(order_node("5601", "#1601", "40.00", "0.00", ("7001", "a@example.com", "A", "B")))
    runner = sync_app.test_cli_runner()
    preview = runner.invoke(args=["orders", "past", shop["domain"], "--days", "7"])
    assert preview.exit_code == 0, preview.output
    assert "Would give 40 points to 1 members for 1 orders" in preview.output
    assert entries(sync_app, "5601") == []
    given = runner.invoke(args=["orders", "past", shop["domain"], "--days", "7", "--run"])
    assert "Gave 40 points to 1 members for 1 orders" in given.output
    assert [entry.points for entry in entries(sync_app, "5601")] == [40]
    refused = runner.invoke(args=["orders", "past", shop["domain"], "--days", "400"])
    assert refused.exit_code != 0 and "Choose from 0 to 365 days" in refused.output
