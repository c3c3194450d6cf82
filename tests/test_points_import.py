"""`flask import points`: Smile, LoyaltyLion and generic exports, a dry run by line, opening
balances posted once, and the ledger audit agreeing after."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.members import points_import
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.models import Customer, EarningEntry, Shop
from tests import factories

SHOP = "demo-loyalty.myshopify.com"


def run(app: Flask, tmp_path: Path, text: str, *options: str) -> Any:
    path = tmp_path / "points.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import", "points", SHOP, str(path), *options])


def balances(app: Flask) -> dict[str, tuple[int, int, str | None]]:
    with sessionmaker_for(app)() as session:
        return {c.shopify_customer_id: (c.current_points, c.lifetime_points, c.vip_tier.name if c.vip_tier else None)
                for c in session.scalars(select(Customer))}


def opening_balances(app: Flask) -> list[tuple[str, int]]:
    with sessionmaker_for(app)() as session:
        return sorted((e.customer.shopify_customer_id, e.points) for e in session.scalars(
            select(EarningEntry).where(EarningEntry.source == "opening_balance")))


GENERIC = ("email,points,lifetime_points,vip_tier\n"
           "new@example.com,600,900,Silver\n"
           "nobody@example.com,5,,\n"
           "NEW@example.com,7,,\n"
           "excluded@example.com,abc,,\n"
           "gold@example.com,10,,\n")


def test_a_dry_run_reports_every_row_by_line_and_writes_nothing(app: Flask, demo_shop: dict[str, Any],
                                                                tmp_path: Path) -> None:
    before = opening_balances(app)
    result = run(app, tmp_path, GENERIC, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "line 2: new@example.com: import 600 points" in result.stdout
    assert "line 3: unknown customer: nobody@example.com" in result.stderr
    assert "line 4: duplicate row: the customer is on line 2" in result.stderr
    assert "line 5: bad number of points: abc" in result.stderr
    assert "line 6: gold@example.com: already imported 10 points" in result.stdout  # the demo's own balance
    assert "1 balances would import (600 points)" in result.stdout and "3 rows skipped with errors" in result.stdout
    assert opening_balances(app) == before


def test_the_real_run_posts_once_the_tier_follows_and_the_audit_agrees(app: Flask, demo_shop: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    first = run(app, tmp_path, GENERIC)
    assert first.exit_code == 0, first.output
    assert "1 balances imported (600 points)" in first.stdout
    assert balances(app)["1002"] == (600, 600, "Silver")
    again = run(app, tmp_path, GENERIC)
    assert "0 balances imported (0 points); 2 already imported" in again.stdout
    assert opening_balances(app) == [("1001", 1200), ("1002", 600)]
    audit = app.test_cli_runner().invoke(args=["ledger", "audit"])
    assert audit.exit_code == 0 and "customers agree" in audit.output


@pytest.mark.parametrize("text,option", [
    ('Customer email,Points balance,Tier\nnew@example.com,"1,250",Gold\n', None),
    ('Customer email,Points balance\nnew@example.com,1250\n', "smile"),
    ("merchant_id,email,points_approved,points_pending,tier\n1002,someone.else@example.com,1250,40,Gold\n", None),
])
def test_smile_and_loyaltylion_exports(app: Flask, demo_shop: dict[str, Any], tmp_path: Path, text: str,
                                       option: str | None) -> None:
    result = run(app, tmp_path, text, *(["--format", option] if option else []))
    assert result.exit_code == 0, result.output
    assert balances(app)["1002"][:2] == (1250, 1250)


def test_a_header_of_no_known_format_is_refused(app: Flask, demo_shop: dict[str, Any], tmp_path: Path) -> None:
    result = run(app, tmp_path, "name,balance\nAnn,5\n")
    assert result.exit_code != 0 and "none of Smile's" in result.stderr
    wrong = run(app, tmp_path, "email,points\nnew@example.com,5\n", "--format", "smile")
    assert wrong.exit_code != 0 and "no customer email, points balance column" in wrong.stderr
    assert opening_balances(app) == [("1001", 1200)]


def test_rows_are_matched_in_batches_as_one_lookup_would(app: Flask, demo_shop: dict[str, Any], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Across batch boundaries a customer named twice is still a duplicate, and an email two
    customers share is the older one's, as find_customer has it."""
    monkeypatch.setattr(points_import, "BATCH", 2)
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, demo_shop["shop_id"])
        older = factories.customer(session, shop, "3001", "shared@example.com")
        factories.customer(session, shop, "3002", "shared@example.com",
                           created_at=older.created_at + dt.timedelta(seconds=1))
    result = run(app, tmp_path, "email,points\nshared@example.com,40\nnobody@example.com,1\n"
                                "new@example.com,30\nSHARED@example.com,5\ngid://shopify/Customer/3002,20\n")
    assert result.exit_code == 0, result.output
    assert "line 5: duplicate row: the customer is on line 2" in result.stderr
    with sessionmaker_for(app)() as session:
        older = find_customer(session, demo_shop["shop_id"], "shared@example.com").shopify_customer_id
    assert older == "3001"
    assert opening_balances(app) == [("1001", 1200), ("1002", 30), ("3001", 40), ("3002", 20)]
