"""The overview's figures: members, points by day, top earning rules, top rewards and sync health."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Row, Select, String, and_, bindparam, case, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import UTCDateTime
from shopify_app.models import (
    EARNING_SOURCES,
    Customer,
    EarningEntry,
    EarningRule,
    EntrySource,
    EntryStatus,
    OutboxMessage,
    OutboxStatus,
    RedemptionState,
    Reward,
    RewardRedemption,
)
from shopify_app.models.outbox import CUSTOMER_SYNC_TOPICS

PERIODS = (30, 90)
HISTORY_CACHE_SECONDS = 60
TOP = 5  # rules and rewards the overview lists
SERIES = ("issued", "redeemed", "pending", "expired")
# A redemption's entry is negative and its refund positive: their negated sum is what stays spent.
REDEEMED = (EntrySource.REDEMPTION.value, EntrySource.REDEMPTION_REFUND.value)
# Points the program gave: earning sources but opening balances, which were given before the app kept them.
ISSUED = EARNING_SOURCES - {EntrySource.OPENING_BALANCE.value}
# Codes whose points stay spent, as "Redeemed" counts them: not refunded, nor still being made.
KEPT_CODES = (RedemptionState.ACTIVE.value, RedemptionState.USED.value, RedemptionState.EXPIRED.value)


@dataclass
class PointsByDay:
    days: list[dt.date]
    series: dict[str, list[int]]

    @property
    def totals(self) -> dict[str, int]:
        return {name: sum(values) for name, values in self.series.items()}


@dataclass
class SyncHealth:
    topic: str
    last_success_at: dt.datetime | None = None
    failed: int = 0
    waiting: int = 0


@dataclass
class History:
    """What the overview reads of the period's ledger and codes: cached a minute."""

    points: PointsByDay
    top_rules: list[tuple[str, int, int]]
    top_rewards: list[tuple[str, int, int]]


@dataclass
class Overview:
    members: int
    excluded: int
    points: PointsByDay
    top_rules: list[tuple[str, int, int]]
    top_rewards: list[tuple[str, int, int]]
    sync: list[SyncHealth] = field(default_factory=list)


def overview(
    session: Session, shop_id: str, days: int, *, cache: Redis | None = None, now: dt.datetime | None = None
) -> Overview:
    """Members and sync health are read live; the history (chart, top rules and rewards) comes from
    ``cache`` when another load computed it in the last minute."""
    now = now or utcnow()
    since = (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = dict(session.connection().execute(_MEMBERS, {"shop_id": shop_id}).tuples().all())
    key = f"admin:overview:{shop_id}:{days}:{now.date().isoformat()}"
    history = _cached(cache, key, lambda: History(points_by_day(session, shop_id, since, now),
                                                  *top_rules_and_rewards(session, shop_id, since)))
    return Overview(
        members=counts.get(False, 0), excluded=counts.get(True, 0), points=history.points,
        top_rules=history.top_rules, top_rewards=history.top_rewards, sync=sync_health(session, shop_id),
    )


def _cached(cache: Redis | None, key: str, compute: Callable[[], History]) -> History:
    # The history scans months of ledger; a minute-old copy is fine for a dashboard. Redis
    # trouble only costs the scan, never the page.
    try:
        # redis-py types a reply as ``Awaitable | Any``, for its asyncio client's sake.
        raw = cast("bytes | None", cache.get(key)) if cache is not None else None
    except RedisError:
        cache, raw = None, None
    if raw:
        data = json.loads(raw)
        points = PointsByDay(days=[dt.date.fromisoformat(d) for d in data["days"]], series=data["series"])
        return History(points, [tuple(row) for row in data["top_rules"]], [tuple(row) for row in data["top_rewards"]])
    history = compute()
    if cache is not None:
        points = history.points
        value = {"days": [d.isoformat() for d in points.days], "series": points.series,
                 "top_rules": history.top_rules, "top_rewards": history.top_rewards}
        try:
            cache.set(key, json.dumps(value), ex=HISTORY_CACHE_SECONDS)
        except RedisError:
            pass
    return history


# The overview's statements are built once, at import, with the shop and the period's start as
# parameters: building a statement and its cache key costs SQLAlchemy more CPU than running these
# (docs/architecture.md, "Hot-path statements"), and a cold overview runs seven. They run as Core on
# the session's connection, skipping the ORM's execution, since they read no entities.
_e, _r, _o = EarningEntry, RewardRedemption, OutboxMessage
_SHOP = bindparam("shop_id", type_=String())
_SINCE = bindparam("since", type_=UTCDateTime())
_APPROVED = _e.status == EntryStatus.APPROVED.value

_MEMBERS = select(Customer.is_excluded, func.count()).where(Customer.shop_id == _SHOP).group_by(Customer.is_excluded)


def _sums_by_day(column: Any, conditions: list[Any], *sums: Any) -> Select[Any]:
    """One grouped scan of the shop's entries whose ``column`` falls on or after the period's start, by day."""
    # date() exists on both backends; SQLite answers a string and PostgreSQL a date, so keys are str.
    day = func.date(column)
    return select(day, *sums).where(column >= _SINCE, _e.shop_id == _SHOP, *conditions).group_by(day)


# Redeemed counts points spent on rewards less those refunded: a merchant's removal or a
# refund's reversal spends nothing.
_GIVEN_BY_DAY = _sums_by_day(
    _e.points_given_at, [_APPROVED],
    func.sum(case((and_(_e.points > 0, _e.source.in_(sorted(ISSUED))), _e.points), else_=0)),
    func.sum(case((_e.source.in_(REDEEMED), -_e.points), else_=0)),
    func.sum(case((_e.source == EntrySource.EXPIRY.value, -_e.points), else_=0)),
)
_PENDING_BY_DAY = _sums_by_day(_e.created_at, [_e.status == EntryStatus.PENDING.value], func.sum(_e.points))


def points_by_day(session: Session, shop_id: str, since: dt.datetime, now: dt.datetime) -> PointsByDay:
    day_list = [(since + dt.timedelta(days=i)).date() for i in range((now.date() - since.date()).days + 1)]
    connection, parameters = session.connection(), {"shop_id": shop_id, "since": since}
    issued, redeemed, expired = _by_day(connection.execute(_GIVEN_BY_DAY, parameters), 3)
    (pending,) = _by_day(connection.execute(_PENDING_BY_DAY, parameters), 1)
    series = {"issued": issued, "redeemed": redeemed, "pending": pending, "expired": expired}
    return PointsByDay(
        days=day_list, series={name: [values.get(str(d), 0) for d in day_list] for name, values in series.items()}
    )


def _by_day(rows: Iterable[Row[Any]], sums: int) -> list[dict[str, int]]:
    """A day -> total map per sum of a ``_sums_by_day`` statement's rows."""
    rows = list(rows)
    return [{str(row[0]): int(row[i + 1] or 0) for row in rows} for i in range(sums)]


# (rule, points, entries) of the rules that gave the most approved points since the period's start.
_RULE_TOTALS = (
    select(_e.shop_id, _e.earning_rule_id.label("id"), func.sum(_e.points).label("first"),
           func.count().label("second"))
    .where(_e.shop_id == _SHOP, _e.created_at >= _SINCE, _APPROVED, _e.earning_rule_id.is_not(None))
    .group_by(_e.shop_id, _e.earning_rule_id)
    .order_by(func.sum(_e.points).desc())
    .limit(TOP)
    .subquery()
)
# (reward, redemptions, points spent) of the rewards redeemed most since then, counting the codes
# whose points stay spent (KEPT_CODES).
_REWARD_TOTALS = (
    select(_r.shop_id, _r.reward_id.label("id"), func.count().label("first"), func.sum(_r.points_spent).label("second"))
    .where(_r.shop_id == _SHOP, _r.created_at >= _SINCE, _r.state.in_(KEPT_CODES))
    .group_by(_r.shop_id, _r.reward_id)
    .order_by(func.count().desc(), func.sum(_r.points_spent).desc())
    .limit(TOP)
    .subquery()
)
# Both lists in one round trip: a "rule" or "reward" row each, every list in its own order.
_TOP = union_all(*(
    select(literal(kind).label("list"), named.name.label("name"), totals.c.first, totals.c.second)
    .join(totals, and_(totals.c.shop_id == named.shop_id, totals.c.id == named.id))
    for kind, named, totals in (("rule", EarningRule, _RULE_TOTALS), ("reward", Reward, _REWARD_TOTALS))
)).order_by(literal_column("list"), literal_column("first").desc(), literal_column("second").desc(),
            literal_column("name"))


def top_rules_and_rewards(
    session: Session, shop_id: str, since: dt.datetime
) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """The TOP rules by approved points (name, points, entries) and the TOP rewards by redemptions
    (name, redemptions, points spent) since ``since``."""
    lists: dict[str, list[tuple[str, int, int]]] = {"rule": [], "reward": []}
    for kind, name, first, second in session.connection().execute(_TOP, {"shop_id": shop_id, "since": since}):
        lists[kind].append((name, int(first), int(second)))
    return lists["rule"], lists["reward"]


# One MAX per topic, each a single probe of the (shop, status, topic, processed_at) index, rather
# than a GROUP BY over every row the shop ever synced.
_LAST_SUCCESS = select(*(
    select(func.max(_o.processed_at))
    .where(_o.shop_id == _SHOP, _o.status == OutboxStatus.DONE.value, _o.topic == topic.value)
    .scalar_subquery()
    for topic in CUSTOMER_SYNC_TOPICS
))
_UNFINISHED = (
    select(_o.topic, _o.status, func.count())
    .where(_o.shop_id == _SHOP,
           _o.status.in_((OutboxStatus.FAILED.value, OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value)))
    .group_by(_o.topic, _o.status)
)


def sync_health(session: Session, shop_id: str) -> list[SyncHealth]:
    """Per service: the last successful push, failed jobs, and changes still waiting."""
    connection, parameters = session.connection(), {"shop_id": shop_id}
    health = {topic.value: SyncHealth(topic=topic.value) for topic in CUSTOMER_SYNC_TOPICS}
    for item, last_success in zip(health.values(), connection.execute(_LAST_SUCCESS, parameters).one(), strict=True):
        item.last_success_at = last_success
    for topic, status, count in connection.execute(_UNFINISHED, parameters).tuples():
        item = health.setdefault(topic, SyncHealth(topic=topic))
        if status == OutboxStatus.FAILED.value:
            item.failed = count
        else:
            item.waiting += count
    return list(health.values())
