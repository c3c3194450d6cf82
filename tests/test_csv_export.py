"""`flask export members|ledger`: CSV streamed a batch at a time."""

from __future__ import annotations

import csv
import io
import tracemalloc
from typing import Any

from flask import Flask
from sqlalchemy import insert

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.ids import new_id
from shopify_app.loyalty.members.csv_export import MEMBER_COLUMNS, member_rows
from shopify_app.models import Customer

SHOP = "demo-loyalty.myshopify.com"
MEMBERS = 20_000


def test_members_and_the_ledger_as_csv(app: Flask, demo_shop: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    members = list(csv.reader(io.StringIO(runner.invoke(args=["export", "members", SHOP]).stdout)))
    assert members[0] == list(MEMBER_COLUMNS)
    gold = next(row for row in members if row[0] == "1001")
    assert gold[1:9] == ["gold@example.com", "Goldie", "Member", "member", "1200", "1200", "0", "Gold"]
    ledger = list(csv.reader(io.StringIO(runner.invoke(args=["export", "ledger", SHOP]).stdout)))
    assert [(row[2], row[4], row[6]) for row in ledger[1:]] == [("1001", "opening_balance", "1200")]
    assert runner.invoke(args=["export", "members", "nowhere.myshopify.com"]).exit_code != 0


def test_many_members_are_streamed_in_bounded_memory(app: Flask, demo_shop: dict[str, Any]) -> None:
    now = utcnow()
    with sessionmaker_for(app).begin() as session:
        session.execute(insert(Customer), [
            dict(id=new_id("cus"), shop_id=demo_shop["shop_id"], shopify_customer_id=str(3_000_000 + n),
                 email=f"member{n}@example.com", email_normalized=f"member{n}@example.com", is_excluded=False,
                 current_points=0, lifetime_points=0, redeemed_points=0, created_at=now, updated_at=now)
            for n in range(MEMBERS)])
    with sessionmaker_for(app)() as session:
        tracemalloc.start()
        try:
            rows = 0
            for _ in member_rows(session, demo_shop["shop_id"]):
                rows += 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert rows == 1 + 3 + MEMBERS
    # A few batches at most, not every member: all 20,000 rows take well over 10 MB as objects.
    assert peak < 8_000_000, peak
