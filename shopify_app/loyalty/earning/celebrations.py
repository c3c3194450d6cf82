"""Birthday and anniversary points, each once a year per member (the daily job runs it per shop)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, func, or_, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import Conflict
from shopify_app.loyalty.ledger.postings import earn
from shopify_app.loyalty.program.rules import active_rules
from shopify_app.models import Customer, Shop
from shopify_app.models.earning_rule import RuleCategory

# A run that was missed (worker down for a day) is made up by the next; the once-a-year key
# keeps the days it looks back over from paying twice.
LOOKBACK_DAYS = 3
_DATE_COLUMNS = {RuleCategory.BIRTHDAY.value: Customer.date_of_birth,
                 RuleCategory.ANNIVERSARY.value: Customer.shopify_created_at}


def _part(name: str, column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql" and column is Customer.shopify_created_at:
        column = func.timezone("UTC", column)  # the anniversary is the UTC date of account creation
    return extract(name, column)


def _falls_on(column: Any, day: dt.date, dialect: str) -> ColumnElement[bool]:
    """Month and day of ``column`` are ``day``'s; 29 February counts on the 28th in other years."""
    same = and_(_part("month", column, dialect) == day.month, _part("day", column, dialect) == day.day)
    leapling = and_(_part("month", column, dialect) == 2, _part("day", column, dialect) == 29)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        return or_(same, leapling)
    return same


def award_celebrations(session: Session, shop: Shop, today: dt.date) -> int:
    """Points of the shop's active birthday and anniversary rules for the last few days; returns
    how many entries it wrote."""
    dialect = session.get_bind().dialect.name
    written = 0
    for rule in active_rules(session, shop.id, RuleCategory.BIRTHDAY, RuleCategory.ANNIVERSARY):
        column = _DATE_COLUMNS[rule.category]
        for day in (today - dt.timedelta(days=back) for back in range(LOOKBACK_DAYS)):
            query = select(Customer).options(joinedload(Customer.vip_tier)).where(
                Customer.shop_id == shop.id, Customer.is_excluded.is_(False), column.is_not(None),
                _falls_on(column, day, dialect),
            )
            if rule.category == RuleCategory.ANNIVERSARY.value:
                query = query.where(_part("year", column, dialect) < day.year)  # a first year completed
            for customer in session.scalars(query):
                try:
                    earn(session, shop=shop, customer=customer, rule=rule, base_points=rule.points_to_give,
                         dedupe_key=f"{rule.category}:{rule.id}:{day.year}")
                    written += 1
                except Conflict:
                    pass  # this year's was given already
    return written
