"""The overview's figures: members, points by day, top earning rules, top rewards and sync health."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
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
    counts = dict(
        session.execute(
            select(Customer.is_excluded, func.count()).where(Customer.shop_id == shop_id).group_by(Customer.is_excluded)
        ).tuples().all()
    )
    key = f"admin:overview:{shop_id}:{days}:{now.date().isoformat()}"
    history = _cached(cache, key, lambda: History(points_by_day(session, shop_id, since, now),
                                                  top_rules(session, shop_id, since),
                                                  top_rewards(session, shop_id, since)))
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


def points_by_day(session: Session, shop_id: str, since: dt.datetime, now: dt.datetime) -> PointsByDay:
    e = EarningEntry
    approved = e.status == EntryStatus.APPROVED.value
    day_list = [(since + dt.timedelta(days=i)).date() for i in range((now.date() - since.date()).days + 1)]
    # Redeemed counts points spent on rewards less those refunded: a merchant's removal or a
    # refund's reversal spends nothing.
    issued, redeemed, expired = _sums_by_day(
        session, e.points_given_at, since, [e.shop_id == shop_id, approved],
        func.sum(case((and_(e.points > 0, e.source.in_(ISSUED)), e.points), else_=0)),
        func.sum(case((e.source.in_(REDEEMED), -e.points), else_=0)),
        func.sum(case((e.source == EntrySource.EXPIRY.value, -e.points), else_=0)),
    )
    (pending,) = _sums_by_day(
        session, e.created_at, since, [e.shop_id == shop_id, e.status == EntryStatus.PENDING.value],
        func.sum(e.points),
    )
    series = {"issued": issued, "redeemed": redeemed, "pending": pending, "expired": expired}
    return PointsByDay(
        days=day_list, series={name: [values.get(str(d), 0) for d in day_list] for name, values in series.items()}
    )


def _sums_by_day(
    session: Session, column: Any, since: dt.datetime, conditions: list[Any], *sums: Any
) -> list[dict[str, int]]:
    """One grouped scan of the entries whose ``column`` falls on or after ``since``: a day -> total map per sum."""
    # date() exists on both backends; SQLite answers a string and PostgreSQL a date, so keys are str.
    day = func.date(column)
    rows = session.execute(select(day, *sums).where(column >= since, *conditions).group_by(day)).all()
    return [{str(row[0]): int(row[i + 1] or 0) for row in rows} for i in range(len(sums))]


def top_rules(session: Session, shop_id: str, since: dt.datetime, limit: int = 5) -> list[tuple[str, int, int]]:
    """(rule name, points, entries) of the rules that gave the most approved points since ``since``."""
    e = EarningEntry
    totals = (
        select(e.shop_id, e.earning_rule_id, func.sum(e.points).label("points"), func.count().label("entries"))
        .where(e.shop_id == shop_id, e.created_at >= since, e.status == EntryStatus.APPROVED.value,
               e.earning_rule_id.is_not(None))
        .group_by(e.shop_id, e.earning_rule_id)
        .order_by(func.sum(e.points).desc())
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(EarningRule.name, totals.c.points, totals.c.entries)
        .join(totals, and_(totals.c.shop_id == EarningRule.shop_id, totals.c.earning_rule_id == EarningRule.id))
        .order_by(totals.c.points.desc())
    ).tuples()
    return [(name, int(points), int(entries)) for name, points, entries in rows]


def top_rewards(session: Session, shop_id: str, since: dt.datetime, limit: int = 5) -> list[tuple[str, int, int]]:
    """(reward name, redemptions, points spent) of the rewards redeemed most since ``since``, counting
    the codes whose points stay spent (KEPT_CODES)."""
    r = RewardRedemption
    totals = (
        select(r.shop_id, r.reward_id, func.count().label("redemptions"), func.sum(r.points_spent).label("points"))
        .where(r.shop_id == shop_id, r.created_at >= since, r.state.in_(KEPT_CODES))
        .group_by(r.shop_id, r.reward_id)
        .order_by(func.count().desc(), func.sum(r.points_spent).desc())
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Reward.name, totals.c.redemptions, totals.c.points)
        .join(totals, and_(totals.c.shop_id == Reward.shop_id, totals.c.reward_id == Reward.id))
        .order_by(totals.c.redemptions.desc(), totals.c.points.desc(), Reward.name)
    ).tuples()
    return [(name, int(redemptions), int(points)) for name, redemptions, points in rows]


def sync_health(session: Session, shop_id: str) -> list[SyncHealth]:
    """Per service: the last successful push, failed jobs, and changes still waiting."""
    o = OutboxMessage
    health = {topic.value: SyncHealth(topic=topic.value) for topic in CUSTOMER_SYNC_TOPICS}
    # One MAX per topic, each a single probe of the (shop, status, topic, processed_at) index,
    # rather than a GROUP BY over every row the shop ever synced.
    last = session.execute(select(*(
        select(func.max(o.processed_at))
        .where(o.shop_id == shop_id, o.status == OutboxStatus.DONE.value, o.topic == topic)
        .scalar_subquery()
        for topic in health
    ))).one()
    for item, last_success in zip(health.values(), last, strict=True):
        item.last_success_at = last_success
    unfinished = (OutboxStatus.FAILED.value, OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value)
    rows = session.execute(
        select(o.topic, o.status, func.count())
        .where(o.shop_id == shop_id, o.status.in_(unfinished))
        .group_by(o.topic, o.status)
    ).tuples()
    for topic, status, count in rows:
        item = health.setdefault(topic, SyncHealth(topic=topic))
        if status == OutboxStatus.FAILED.value:
            item.failed = count
        else:
            item.waiting += count
    return list(health.values())
