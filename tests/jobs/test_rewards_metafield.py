"""The shop's program metafield lists the active rewards: every reward change writes its outbox row in
the change's own transaction, and the delivery writes the whole list, the same however often it runs."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.jobs import runtime
from shopify_app.jobs.delivery import deliver
from shopify_app.models import OutboxMessage, Reward
from tests.admin.conftest import TokenClient
from tests.admin.test_rewards_page import FORM
from tests.jobs.conftest import work

TOPIC = "shopify.shop_metafield"


def open_rows(app: Flask) -> int:
    with sessionmaker_for(app)() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.topic == TOPIC, OutboxMessage.status == "pending")) or 0


def reward_id(app: Flask, name: str) -> str:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Reward.id).where(Reward.name == name)).one()


def program_writes(fakes: SimpleNamespace) -> list[dict[str, Any]]:
    """The variables of each metafieldsSet the shop's program went out in."""
    return [r.json["variables"] for r in fakes.shopify.received("POST")
            if "LoyaltyMetafieldsSet" in r.json.get("query", "")
            and r.json["variables"]["metafields"][0]["key"] == "loyalty_program"]


def test_each_reward_change_writes_its_outbox_row_with_it(sync_app: Flask, shop: dict[str, Any]) -> None:
    admin = TokenClient(sync_app, shop["domain"])
    before = open_rows(sync_app)
    assert admin.post("/admin/rewards/new", data={**FORM, "points_cost": "0"}).status_code == 422
    assert open_rows(sync_app) == before  # a save refused writes nothing
    assert admin.post("/admin/rewards/new", data=FORM).status_code == 303
    assert open_rows(sync_app) == before + 1
    created = reward_id(sync_app, "$10 off")
    for url, data in [(f"/admin/rewards/{created}", {**FORM, "points_cost": "950"}),
                      (f"/admin/rewards/{created}/active", {"active": "0"}),
                      (f"/admin/rewards/{created}/active", {"active": "1"}),
                      (f"/admin/rewards/{created}/delete", {})]:
        rows = open_rows(sync_app)
        assert admin.post(url, data=data).status_code == 303
        assert open_rows(sync_app) == rows + 1, url


def test_the_delivery_writes_the_active_rewards_exactly(sync_app: Flask, shop: dict[str, Any],
                                                        fakes: SimpleNamespace) -> None:
    admin = TokenClient(sync_app, shop["domain"])
    assert admin.post("/admin/rewards/new", data={**FORM, "reward_type": "tier", "points_cost": "1200",
                                                  "vip_tier_id": shop["tiers"]["Gold"]}).status_code == 303
    assert admin.post(f"/admin/rewards/{shop['rewards']['10% off']}/active", data={"active": "0"}).status_code == 303
    work(sync_app)

    variables = program_writes(fakes)[-1]
    [metafield] = variables["metafields"]
    program = json.loads(metafield["value"])
    gold = {"id": shop["tiers"]["Gold"], "name": "Gold"}
    assert program["rewards"] == [  # cheapest first; the inactive "10% off" and "Free tote bag" left out
        {"id": shop["rewards"]["Points for dollars"], "name": "Points for dollars", "points_cost": 100,
         "discount_type": "fixed_amount", "pricing": "per_point", "tier": None},
        {"id": shop["rewards"]["Free shipping"], "name": "Free shipping", "points_cost": 300,
         "discount_type": "free_shipping", "pricing": "fixed", "tier": None},
        {"id": shop["rewards"]["$5 off"], "name": "$5 off", "points_cost": 500,
         "discount_type": "fixed_amount", "pricing": "fixed", "tier": None},
        {"id": reward_id(sync_app, "$10 off"), "name": "$10 off", "points_cost": 1200,
         "discount_type": "fixed_amount", "pricing": "fixed", "tier": gold},
        {"id": shop["rewards"]["Gold: $20 off"], "name": "Gold: $20 off", "points_cost": 1500,
         "discount_type": "fixed_amount", "pricing": "fixed", "tier": gold},
    ]
    assert variables == {"metafields": [{
        "ownerId": "gid://shopify/Shop/1", "namespace": "$app", "key": "loyalty_program", "type": "json",
        "value": json.dumps(program, separators=(",", ":"), sort_keys=True),
    }]}
    assert fakes.shopify.metafields[("gid://shopify/Shop/1", "loyalty_program")] == program


def test_the_delivery_run_again_writes_the_same_list(sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace,
                                                     session: Session) -> None:
    admin = TokenClient(sync_app, shop["domain"])
    assert admin.post(f"/admin/rewards/{shop['rewards']['$5 off']}/delete").status_code == 303
    work(sync_app)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == TOPIC)
                          .order_by(OutboxMessage.id.desc())).first()
    assert row is not None and row.status == "done"
    first = program_writes(fakes)[-1]
    assert shop["rewards"]["$5 off"] not in first["metafields"][0]["value"]

    runtime.bind(sync_app)
    assert deliver(row.topic, row.shop_id, row.customer_id, row.id) == "nothing to do"
    row.status = "enqueued"  # relayed again, say after the relay died before recording the first enqueue
    session.commit()
    assert deliver(row.topic, row.shop_id, row.customer_id, row.id) == "done"
    writes = program_writes(fakes)
    assert writes[-1] == first and len(writes) == 2
