"""Posting to the points ledger: the one writer of customers' balances and lots' remaining points.

Every move of ``current_points``, ``lifetime_points``, ``redeemed_points`` or a lot's
``points_remaining`` is an entry written here, with its source, and one UPDATE of the balances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    CursorResult,
    FromClause,
    Integer,
    Row,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert

from shopify_app.clock import utcnow
from shopify_app.db import UTCDateTime, hold_write_lock
from shopify_app.errors import Conflict, NotFound, quote
from shopify_app.ids import new_id
from shopify_app.loyalty.ledger import effects
from shopify_app.loyalty.ledger.tiers import tier_for_lifetime
from shopify_app.models import (
    Customer,
    EarningEntry,
    EarningRule,
    EntrySource,
    EntryStatus,
    LotAllocation,
    RuleCategory,
    Shop,
    VipTier,
)
from shopify_app.models.customer import oldest_first
from shopify_app.portable_sql import days_after, dialect_name, execute_compiled, one_on_driver
from shopify_app.upserts import insert_new

# The ``action`` of entries no rule gave, as the API has always shown them; others show their source.
MANUAL_ADJUSTMENT = "manual_adjustment"
POINTS_EXPIRED = "points_expired"
_ACTIONS = {EntrySource.MANUAL: MANUAL_ADJUSTMENT, EntrySource.EXPIRY: POINTS_EXPIRED}


def earn(
    session: Session,
    *,
    shop: Shop,
    customer: Customer,
    rule: EarningRule,
    base_points: int,
    dedupe_key: str,
    now: dt.datetime | None = None,
    order_id: str | None = None,
    order_number: str | None = None,
) -> EarningEntry:
    """Record points earned under ``rule``; raises Conflict when ``dedupe_key`` was used already.

    The unique (customer, dedupe_key) constraint decides: the INSERT skips a duplicate
    instead of failing, so concurrent requests get exactly one entry and the transaction
    stays usable for the caller. ``customer`` takes the new balances and tier."""
    row = post_earning(session, _EARN_BY_ID, {
        "shop": shop.id, "rule": rule.id, "value": customer.id, "base_points": base_points,
        "dedupe_key": dedupe_key, "now": now or utcnow(), "expiry_at": expiry_for(shop, now or utcnow()),
        "order_id": order_id, "order_number": order_number,
    })
    if row["id"] is None:
        raise Conflict(f"Customer '{customer.shopify_customer_id}' already earned points for rule '{rule.id}'")
    for name in _BALANCE_COLUMNS:
        set_committed_value(customer, name, row[name])
    session.expire(customer, ["vip_tier"])
    entry = entry_of(row)
    make_transient_to_detached(entry)
    session.add(entry)
    return entry


def entry_of(row: Mapping[Any, Any]) -> EarningEntry:
    """The entry ``post_earning`` wrote, as an object outside any session (for a response to read)."""
    return EarningEntry(**{name: row[name] for name in _ENTRY_COLUMNS})


@dataclass(frozen=True)
class Earning:
    """The statements of an earning (``earning``): PostgreSQL runs ``together``, one round trip;
    elsewhere they run in turn (``post_earning``). Both are built from the same definitions."""

    candidate: Select[Any]
    insert: dict[str, Insert]
    move: Update
    activity: Insert
    sync: Insert
    tier_activity: Insert
    together: Select[Any]


def earning(candidate: Select[Any]) -> Earning:
    """An earning's statements from ``candidate``, a SELECT of one row labelled ``shop``,
    ``customer``, ``shopify_customer_id``, ``customer_tier`` (before the change), ``multiplier``,
    ``rule``, ``rule_active``, ``rule_name``, ``rule_action``, ``category``, ``approval_time``, ``base``
    (points before the multiplier) and ``allowed`` (anything but true writes nothing). Built once,
    at import; the parameters are the candidate's, ``dedupe_key``, ``now``, ``expiry_at`` (the
    shop's expiry of points given now), ``order_id`` and ``order_number``.

    The entry is ``INSERT … SELECT … ON CONFLICT DO NOTHING``: a duplicate writes nothing, and so
    neither do the balance UPDATE, the activity row and the outbox rows that read the entry."""
    checked = candidate.cte("candidate")
    entry = postgresql.insert(_entries).from_select(_ENTRY_COLUMNS, _entry_row(checked))
    entry_cte = entry.on_conflict_do_nothing(index_elements=_ONCE).returning(*_entries.c).cte("entry")
    moved = _move_by(entry_cte).cte("balance")
    together = (
        select(checked, *(entry_cte.c[name] for name in _ENTRY_COLUMNS), *(moved.c[name] for name in _BALANCE_COLUMNS))
        .select_from(checked.outerjoin(entry_cte, true()).outerjoin(moved, true()))
        .add_cte(
            effects.points_awarded(entry_cte, select(checked.c.rule_name).scalar_subquery()).cte("activity"),
            effects.points_awarded_sync(entry_cte).cte("sync"),
            effects.tier_changed_with(moved, select(checked.c.customer_tier).scalar_subquery()).cte("tier"),
        )
    )
    # In turn: each statement reads what the one before wrote, by the ids the runner passes.
    written = select(_entries).where(_entries.c.id == bindparam("entry_id")).subquery("entry")
    balance = select(_customers).where(_customers.c.id == bindparam("customer_id")).subquery("balance")
    return Earning(
        candidate=candidate,
        # Each dialect's own INSERT … ON CONFLICT (PostgreSQL runs these in turn too, in tests).
        insert={
            name: dialect.insert(_entries).from_select(_ENTRY_COLUMNS, _entry_row(candidate.subquery("candidate")))
            .on_conflict_do_nothing(index_elements=_ONCE).returning(*(_entries.c[column] for column in _ENTRY_COLUMNS))
            for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
        },
        move=_move_by(written),
        activity=effects.points_awarded(written, bindparam("rule_name", type_=String())),
        sync=effects.points_awarded_sync(written),
        tier_activity=effects.tier_changed_with(
            balance, bindparam("customer_tier", type_=_customers.c.vip_tier_id.type)),
        together=together,
    )


def earning_candidate(
    customer: Callable[[FromClause], ColumnElement[bool]], *, base_points: ColumnElement[int] | None = None,
    allowed: Callable[[FromClause, FromClause], ColumnElement[bool]] | None = None, lock: bool = False,
) -> Select[Any]:
    """``earning``'s candidate: the rule named by the ``rule`` parameter and the customer that
    ``customer`` picks (the first created), both of the ``shop`` parameter's shop, each NULL when
    missing; ``base_points`` (the rule's points by default) and ``allowed``, its extra conditions.
    ``lock``: the customer's row locked (PostgreSQL), and not found if a change meanwhile unpicks it."""
    rule = (select(*(_rules.c[name] for name in ("id", "is_active", "name", "action", "category", "approval_time",
                                                  "points_to_give")))
            .where(_rules.c.shop_id == bindparam("shop"), _rules.c.id == bindparam("rule")).subquery("rule"))
    member_select = (
        select(_customers.c.id, _customers.c.shopify_customer_id, _customers.c.is_excluded, _customers.c.vip_tier_id,
               func.coalesce(_tiers.c.points_multiplier, literal(Decimal(1))).label("multiplier"))
        .select_from(_customers.outerjoin(_tiers, _tiers.c.id == _customers.c.vip_tier_id))
        .where(_customers.c.shop_id == bindparam("shop"), customer(_customers))
        .order_by(*oldest_first(_customers)).limit(1)
    )
    member = (member_select.with_for_update(of=_customers) if lock else member_select).subquery("member")
    one = select(literal(1).label("one")).subquery("one")
    found = and_(rule.c.id.is_not(None), member.c.id.is_not(None))
    return select(
        bindparam("shop", type_=String).label("shop"), member.c.id.label("customer"),
        member.c.shopify_customer_id, member.c.is_excluded, member.c.vip_tier_id.label("customer_tier"),
        member.c.multiplier, rule.c.id.label("rule"), rule.c.is_active.label("rule_active"),
        rule.c.name.label("rule_name"), rule.c.action.label("rule_action"), rule.c.category, rule.c.approval_time,
        (rule.c.points_to_give if base_points is None else base_points).label("base"),
        (found if allowed is None else and_(found, allowed(rule, member))).label("allowed"),
    ).select_from(one.outerjoin(rule, true()).outerjoin(member, true()))


def with_new_row_ids(parameters: dict[str, Any]) -> dict[str, Any]:
    """A points change's parameters and the ids of the rows it may write: the entry, its activity row
    and the tier change's."""
    return {**parameters, "entry_id": new_id("cer"), "activity_id": new_id("act"), "tier_activity_id": new_id("act")}


def post_earning(on: Session | Connection, statements: Earning, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """Run an earning, on a session or a connection (``db.lone_statement_connection``); the row has
    the candidate's columns, the entry's (``id`` None when nothing was written: not ``allowed``, or
    the dedupe key was used) and the customer's new balances."""
    parameters = with_new_row_ids(parameters)
    if dialect_name(on) == "postgresql":
        return post_together(on, statements, parameters)
    return post_in_turn(on, statements, parameters)


def post_together(on: Session | Connection, statements: Earning, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """``post_earning`` in one statement, one round trip (PostgreSQL), on the driver's cursor."""
    return one_on_driver(on, statements.together, parameters)


def post_in_turn(on: Session | Connection, statements: Earning, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """``post_earning`` as a sequence of statements, for SQLite (which has no data-modifying CTE)."""
    row: dict[str, Any] = {**execute_compiled(on, statements.candidate, parameters).one()._mapping,
                           **dict.fromkeys(_ENTRY_COLUMNS)}
    entry = (execute_compiled(on, statements.insert[dialect_name(on)], parameters).first()
             if row["allowed"] else None)
    if entry is None:
        return row
    row.update(entry._mapping)
    parameters = {**parameters, "customer_id": row["customer"], "rule_name": row["rule_name"],
                  "customer_tier": row["customer_tier"]}
    balance = execute_compiled(on, statements.move, parameters).one()._mapping
    row.update({name: balance[name] for name in _BALANCE_COLUMNS})
    for statement in (statements.activity, statements.sync, statements.tier_activity):
        execute_compiled(on, statement, parameters)
    return row


def _entry_row(candidate: FromClause) -> Select[Any]:
    """The entry's columns (``_ENTRY_COLUMNS``) from the candidate, when ``allowed``: points are the
    base times the tier's multiplier, halves up (integers, so both databases round alike)."""
    c = candidate.c
    pending = c.approval_time > 0
    now = bindparam("now", type_=UTCDateTime)
    points = (c.base * func.round(c.multiplier * 1000).cast(Integer) + 500) // 1000
    return select(
        bindparam("entry_id", type_=String), c.shop, c.customer, c.rule, bindparam("dedupe_key", type_=String),
        c.rule_action, case(*((c.category == category, literal(category)) for category in _RULE_SOURCES),
                            else_=literal(EntrySource.RULE_AWARD.value)),
        c.base, c.multiplier, points, case((pending, literal(0)), else_=points),
        case((pending, literal(EntryStatus.PENDING.value)), else_=literal(EntryStatus.APPROVED.value)),
        case((pending, null()), else_=now), case((pending, days_after(now, c.approval_time)), else_=null()),
        case((pending, null()), else_=bindparam("expiry_at", type_=UTCDateTime)),
        bindparam("order_id", type_=String), bindparam("order_number", type_=String), false(), null(), now, now,
    ).where(c.allowed)


def _move_by(entry: FromClause) -> Update:
    """The balance UPDATE of an earning ``entry``: an approved one credits balance and lifetime
    points and moves the tier; a pending one only bumps the sync version (its outbox rows say so)."""
    approved = entry.c.status == EntryStatus.APPROVED.value
    gained = case((approved, entry.c.points), else_=literal(0))
    lifetime = _customers.c.lifetime_points + gained
    return (
        update(_customers).where(_customers.c.id == entry.c.customer_id, _customers.c.shop_id == entry.c.shop_id)
        .values(current_points=_customers.c.current_points + gained, lifetime_points=lifetime,
                vip_tier_id=case((approved, tier_for_lifetime(lifetime)), else_=_customers.c.vip_tier_id),
                updated_at=bindparam("now", type_=UTCDateTime), sync_version=_customers.c.sync_version + 1)
        .returning(_customers.c.id, _customers.c.shop_id, *(_customers.c[name] for name in _BALANCE_COLUMNS))
    )


def expiry_for(shop: Shop, given_at: dt.datetime | None) -> dt.datetime | None:
    days = shop.settings.points_expiry_days if shop.settings else 0
    if given_at is None or days <= 0:
        return None
    return given_at + dt.timedelta(days=days)


@dataclass(frozen=True)
class Change:
    """The statements of points given or taken outright (``change``): PostgreSQL runs ``together``,
    one round trip; elsewhere they run in turn (``post_change``). Both are built from the same
    definitions: the decision, the entry's row, the take from the lots, the balance UPDATE, the
    effects and the tier's activity row."""

    credit: bool
    decision: Select[Any]
    insert: Insert
    take: Select[Any]
    draw: Update
    allocate: Insert
    move: Update
    effects: tuple[Insert, ...]
    tier_activity: Insert
    together: Select[Any]


def change(*, credit: bool, side_effects: Callable[[FromClause], Iterable[Insert]] = lambda entry: (),
           allowed: Callable[[FromClause], ColumnElement[bool]] | None = None) -> Change:
    """A change's statements: a credit (a new lot of the ``points`` parameter) or a debit (up to
    ``points`` taken from the open lots, oldest first); ``side_effects`` are the rows it writes besides
    (an activity row, outbox rows, a redemption) from the entry written; ``allowed``, a check of
    the locked customer (``_member``'s columns) that comes before the balance's, the decision's
    ``permitted``. Built once, at import; the parameters are ``change_points``'s, the check's and
    the effects'.

    On PostgreSQL the customer's row is locked first (``lock``'s order), then the open lots; what a
    statement reads of rows another transaction committed while it waited for them is their
    newest version, but a lot committed meanwhile is not seen at all. The decision then finds the
    lots short of the balance (they add up to it: ``audit``) and writes nothing; run again, the
    statement holds the lock and sees everything (``post_change``).

    The lots and the balance are written from what the locked reads saw, not added to in place:
    an UPDATE first computes its row from the version its snapshot sees, and PostgreSQL checks
    the constraints on that row before it finds the newer one it must move to, so a debit
    measured against a balance another transaction just raised would fail its check on the old
    one.

    ``allowed`` may read rows the lock does not cover (a customer's redemptions): one committed
    while the statement waited for the lock is not seen either. The decision knows it by the
    customer's sync version, which every change moves: the locked read's is newer than the one
    its snapshot holds, and it runs again, like a stale debit."""
    member = _member().cte("member")
    lots = _open_lots(select(member.c.id).scalar_subquery()).cte("lots")
    decided = _decision(member, lots, credit=credit, allowed=allowed).cte("decision")
    entry = insert(_entries).from_select(_ENTRY_COLUMNS, _change_row(decided, credit=credit)) \
        .returning(*_entries.c).cte("entry")
    taking = _taking(lots, select(-entry.c.points).scalar_subquery()).cte("take")
    drawn = _draw(taking.c.lot, taking.c.left).cte("draw")
    allocated = insert(_allocations).from_select(
        ["entry_id", "lot_id", "shop_id", "points"],
        select(entry.c.id, taking.c.lot, entry.c.shop_id, taking.c.used).select_from(entry.join(taking, true())),
    ).cte("allocate")
    moved = _change_balance(entry, member).cte("balance")
    together = (
        select(decided, *(entry.c[name] for name in _ENTRY_COLUMNS), *(moved.c[name] for name in _BALANCE_COLUMNS))
        .select_from(decided.outerjoin(entry, true()).outerjoin(moved, true()))
        .add_cte(drawn, allocated, *(effect.cte(f"effect_{n}") for n, effect in enumerate(side_effects(entry))),
                 effects.tier_changed_with(moved, select(decided.c.customer_tier).scalar_subquery())
                 .cte("tier"))
    )
    # In turn: each statement reads what the one before wrote, by the ids the runner passes.
    in_turn = _decision(_member().subquery("member"), _open_lots(bindparam("customer")).subquery("lots"),
                        credit=credit, allowed=allowed)
    written = select(_entries).where(_entries.c.id == bindparam("entry_id")).subquery("entry")
    balance = select(_customers).where(_customers.c.id == bindparam("customer")).subquery("balance")
    return Change(
        credit=credit,
        decision=in_turn,
        insert=insert(_entries).from_select(_ENTRY_COLUMNS, _change_row(in_turn.subquery("decision"), credit=credit))
        .returning(*(_entries.c[name] for name in _ENTRY_COLUMNS)),
        take=_taking(_open_lots(bindparam("customer")).subquery("lots"), bindparam("taken", type_=Integer)),
        draw=_draw(bindparam("lot", type_=String), bindparam("left", type_=Integer)),
        allocate=insert(_allocations),
        move=_change_balance(written, _customers),
        effects=tuple(side_effects(written)),
        tier_activity=effects.tier_changed_with(
            balance, bindparam("customer_tier", type_=_customers.c.vip_tier_id.type)),
        together=together,
    )


def post_change(session: Session, statements: Change, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """Run a change; the row has the decision's columns, the entry's (``id`` None when nothing was
    written) and the customer's new balances. A debit that saw the lots short of the balance
    (another transaction committed a lot while it waited for the customer's lock) runs once more,
    under that lock."""
    parameters = {**with_new_row_ids(parameters), "locked": False}
    run = post_change_together if session.get_bind().dialect.name == "postgresql" else post_change_in_turn
    row = run(session, statements, parameters)
    if row["stale"]:
        row = run(session, statements, {**parameters, "locked": True})
    return row


def post_change_together(session: Session, statements: Change, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """``post_change`` in one statement, one round trip (PostgreSQL)."""
    return execute_compiled(session, statements.together, parameters).one()._mapping


def post_change_in_turn(session: Session, statements: Change, parameters: dict[str, Any]) -> Mapping[Any, Any]:
    """``post_change`` as a sequence of statements, for SQLite (which has no data-modifying CTE)."""
    hold_write_lock(session)
    row: dict[str, Any] = {**execute_compiled(session, statements.decision, parameters).one()._mapping,
                           **dict.fromkeys(_ENTRY_COLUMNS)}
    if not row["allowed"]:
        return row
    row.update(execute_compiled(session, statements.insert, parameters).one()._mapping)
    parameters = {**parameters, "customer_tier": row["customer_tier"], "taken": -row["points"]}
    taken = execute_compiled(session, statements.take, parameters).all() if row["points"] < 0 else []
    if taken:
        execute_compiled(session, statements.draw,
                         [{**parameters, "lot": lot, "left": left} for lot, _, left in taken])
        session.execute(statements.allocate, [
            {"entry_id": row["id"], "lot_id": lot, "shop_id": row["shop_id"], "points": used}
            for lot, used, _ in taken])
    balance = execute_compiled(session, statements.move, parameters).one()._mapping
    row.update({name: balance[name] for name in _BALANCE_COLUMNS})
    for statement in (*statements.effects, statements.tier_activity):
        execute_compiled(session, statement, parameters)
    return row


def _member() -> Select[Any]:
    """The customer the ``customer`` parameter names, of the ``shop`` parameter's shop, locked."""
    return (select(_customers.c.id, _customers.c.shopify_customer_id, _customers.c.is_excluded,
                   _customers.c.vip_tier_id, _customers.c.current_points, _customers.c.lifetime_points,
                   _customers.c.redeemed_points, _customers.c.sync_version)
            .where(_customers.c.shop_id == bindparam("shop", type_=String), _customers.c.id == bindparam("customer"))
            .with_for_update())


def _open_lots(customer: ColumnElement[str]) -> Select[Any]:
    """The customer's lots holding points, locked (after the customer: ``customer`` reads the member)."""
    return (select(_entries.c.id, _entries.c.points_remaining, _entries.c.points_given_at)
            .where(_entries.c.shop_id == bindparam("shop", type_=String), _entries.c.customer_id == customer,
                   _entries.c.points_remaining > 0)
            .with_for_update())


def _decision(member: FromClause, lots: FromClause, *, credit: bool,
              allowed: Callable[[FromClause], ColumnElement[bool]] | None) -> Select[Any]:
    """One row, the member's columns NULL when there is none: ``change`` (the entry's points: the
    ``points`` parameter as a credit; as a debit, minus what the balance covers of it), ``balance``
    (before), ``permitted`` (``allowed`` passed), ``allowed`` (all the checks passed: anything else
    writes nothing) and ``stale`` (a debit that saw the lots short of the balance, or a check that
    saw the customer changed since its snapshot, and did not hold the lock before: whatever it
    decided, run it again)."""
    points = bindparam("points", type_=_customers.c.current_points.type)
    locked = bindparam("locked", type_=Boolean)
    m = member.c
    covered = case((m.current_points < points, m.current_points), else_=points)
    stocked = select(func.coalesce(func.sum(lots.c.points_remaining), 0)).scalar_subquery() == m.current_points
    fresh = true() if credit else or_(stocked, locked)
    permitted = true() if allowed is None else allowed(member)
    if allowed is not None:  # the customer's row as the statement's snapshot holds it, unlocked
        seen = select(_customers.c.sync_version).where(
            _customers.c.shop_id == bindparam("shop", type_=String), _customers.c.id == m.id).scalar_subquery()
        fresh = and_(fresh, or_(seen == m.sync_version, locked))
    checks = (and_(m.id.is_not(None), or_(m.is_excluded.is_(False), bindparam("refuse_excluded", type_=Boolean)
                                          .is_(False))) if credit
              else and_(m.id.is_not(None), or_(m.current_points >= points,
                                               bindparam("up_to_balance", type_=Boolean).is_(True))))
    checks = and_(checks, permitted)
    one = select(literal(1).label("one")).subquery("one")
    return select(
        bindparam("shop", type_=String).label("shop"), m.id.label("customer"), m.shopify_customer_id,
        m.is_excluded, m.vip_tier_id.label("customer_tier"), m.current_points.label("balance"),
        (points if credit else -covered).label("change"), permitted.label("permitted"),
        and_(checks, fresh).label("allowed"), and_(m.id.is_not(None), not_(fresh)).label("stale"),
    ).select_from(one.outerjoin(member, true()))


def _change_row(decision: FromClause, *, credit: bool) -> Select[Any]:
    """The entry's columns (``_ENTRY_COLUMNS``) from the decision, when ``allowed``: approved, its
    points given now; a credit is a lot (its points remain, with the ``expiry_at`` parameter)."""
    c = decision.c
    now = bindparam("now", type_=UTCDateTime)
    lifetime = case((bindparam("lifetime", type_=Boolean), c.change), else_=literal(0)) if credit else c.change
    return select(
        bindparam("entry_id", type_=String), c.shop, c.customer, null(), null(), bindparam("action", type_=String),
        bindparam("source", type_=String), lifetime, literal(Decimal(1), _entries.c.points_multiplier.type),
        c.change, c.change if credit else literal(0), literal(EntryStatus.APPROVED.value), now, null(),
        bindparam("expiry_at", type_=UTCDateTime) if credit else null(), null(), null(),
        bindparam("manual", type_=Boolean), bindparam("note", type_=String), now, now,
    ).where(c.allowed)


def _taking(lots: FromClause, taken: ColumnElement[int]) -> Select[Any]:
    """What a debit of ``taken`` points takes from each of ``lots`` (``lot``, ``used``, and what
    is ``left`` in it): the oldest first, each up to what it holds (expiry reads
    ``points_remaining``, so spending must not leave old points behind)."""
    held = lots.c.points_remaining
    ordered = select(lots.c.id, held, (func.sum(held).over(order_by=(lots.c.points_given_at, lots.c.id)) - held)
                     .label("before")).subquery("ordered")
    wanted = taken - ordered.c.before
    used = case((ordered.c.points_remaining < wanted, ordered.c.points_remaining), else_=wanted)
    return select(ordered.c.id.label("lot"), used.label("used"), (ordered.c.points_remaining - used).label("left")
                  ).where(ordered.c.before < taken)


def _draw(lot: ColumnElement[str], left: ColumnElement[int]) -> Update:
    """Leave ``left`` points in ``lot``."""
    return (update(_entries).where(_entries.c.id == lot, _entries.c.shop_id == bindparam("shop", type_=String))
            .values(points_remaining=left, updated_at=bindparam("now", type_=UTCDateTime)))


def _change_balance(entry: FromClause, held: FromClause) -> Update:
    """The balance UPDATE of a change's ``entry``, from the customer's balances as ``held`` (the
    locked read, or the row itself): the balance moves by its points, lifetime by what a credit
    gave it (``base_points``), redeemed by a redemption's points, the tier with lifetime, and the
    sync version."""
    lifetime = held.c.lifetime_points + case((entry.c.points > 0, entry.c.base_points), else_=literal(0))
    return (
        update(_customers)
        .where(_customers.c.id == entry.c.customer_id, _customers.c.shop_id == entry.c.shop_id)
        .values(current_points=held.c.current_points + entry.c.points, lifetime_points=lifetime,
                redeemed_points=held.c.redeemed_points + case(
                    (entry.c.source == EntrySource.REDEMPTION.value, -entry.c.points), else_=literal(0)),
                vip_tier_id=tier_for_lifetime(lifetime), updated_at=bindparam("now", type_=UTCDateTime),
                sync_version=held.c.sync_version + 1)
        .returning(_customers.c.id, _customers.c.shop_id, *(_customers.c[name] for name in _BALANCE_COLUMNS))
    )


def grant(
    session: Session, shop: Shop, customer: Customer, points: int, *, source: EntrySource, note: str | None = None,
    manual: bool = False, lifetime: bool = True, now: dt.datetime | None = None,
) -> EarningEntry:
    """Approved points given outright (a merchant's addition, an opening balance): a new lot.

    ``lifetime=False`` leaves lifetime points (and so the tier) where they are; the entry's
    ``base_points`` say what lifetime gained, 0 then, which is what the audit adds up."""
    return change_points(session, _GRANT, customer, points, source=source, note=note, manual=manual,
                         lifetime=lifetime, now=now, expiring_in=shop)


def spend(
    session: Session, customer: Customer, points: int, *, source: EntrySource, note: str | None = None,
    manual: bool = False, up_to_balance: bool = False, now: dt.datetime | None = None,
) -> EarningEntry:
    """Take ``points`` from the balance, oldest lots first, recording what each lot gave
    (``refund_allocation`` puts them back). A redemption also counts as redeemed.

    Conflict when the balance is short, unless ``up_to_balance``: then it takes what there is
    (the entry's points say how much). Lifetime points stay: spent points were still earned."""
    return change_points(session, _SPEND, customer, points, source=source, note=note, manual=manual,
                         up_to_balance=up_to_balance, now=now)


EXCLUDED = "The customer is excluded from the loyalty program and cannot be given points"


def change_points(
    session: Session, statements: Change, customer: Customer, points: int, *, source: EntrySource,
    note: str | None = None, manual: bool = False, lifetime: bool = True, up_to_balance: bool = False,
    refuse_excluded: bool = False, expiring_in: Shop | None = None, now: dt.datetime | None = None,
    **parameters: Any,
) -> EarningEntry:
    """Run a ``change`` of ``points`` (a positive amount, credited or debited as the statements
    say) for ``customer``, who takes the new balances and tier; returns the entry written.

    Checks in this order, nothing written when one fails: the customer is there (NotFound), not
    excluded when ``refuse_excluded`` (Conflict), the balance covers a debit unless
    ``up_to_balance`` (Conflict). ``expiring_in``: the shop whose expiry a credit's lot takes;
    ``parameters``: those of the statements' effects."""
    row = run_change(session, statements, customer, points, source=source, note=note, manual=manual,
                     lifetime=lifetime, up_to_balance=up_to_balance, refuse_excluded=refuse_excluded,
                     expiring_in=expiring_in, now=now, **parameters)
    if row["customer"] is None:
        raise NotFound(f"Customer '{quote(customer.shopify_customer_id)}' not found")
    if row["id"] is None and refuse_excluded and row["is_excluded"]:
        raise Conflict(EXCLUDED)
    if row["id"] is None:
        raise Conflict(f"The customer has {row['balance']} points, fewer than {points}")
    return settle(session, customer, row)


def run_change(
    session: Session, statements: Change, customer: Customer, points: int, *, source: EntrySource,
    note: str | None = None, manual: bool = False, lifetime: bool = True, up_to_balance: bool = False,
    refuse_excluded: bool = False, expiring_in: Shop | None = None, now: dt.datetime | None = None,
    **parameters: Any,
) -> Mapping[Any, Any]:
    """``change_points``'s statements run, their row (``post_change``'s) for the caller to check and
    ``settle``: for a change whose refusals the caller words itself."""
    now = now or utcnow()
    return post_change(session, statements, {
        **parameters, "shop": customer.shop_id, "customer": customer.id, "points": points, "source": source.value,
        "action": _ACTIONS.get(source, source.value), "note": note, "manual": manual, "lifetime": lifetime,
        "up_to_balance": up_to_balance, "refuse_excluded": refuse_excluded, "now": now,
        "expiry_at": expiry_for(expiring_in, now) if expiring_in is not None else None,
    })


def settle(session: Session, customer: Customer, row: Mapping[Any, Any]) -> EarningEntry:
    """A written change's row taken into the session: the customer's new balances and tier, the
    lots it took from read again, and the entry (returned)."""
    for name in _BALANCE_COLUMNS:
        set_committed_value(customer, name, row[name])
    session.expire(customer, ["vip_tier"])
    if row["points"] < 0:  # the lots it took from, if loaded, are read again
        for held in list(session.identity_map.values()):
            if isinstance(held, EarningEntry) and held.customer_id == customer.id and held.points_remaining > 0:
                session.expire(held, ["points_remaining", "updated_at"])
    entry = entry_of(row)
    make_transient_to_detached(entry)
    session.add(entry)
    return entry


def refund_allocation(session: Session, customer: Customer, redemption: EarningEntry, *,
                      now: dt.datetime | None = None) -> EarningEntry | None:
    """Give back what a redemption took, into the lots it took it from, as a ``redemption_refund``
    entry; None (and no change) when it was given back already. A lot whose expiry passed
    meanwhile expires at the next run."""
    if redemption.source != EntrySource.REDEMPTION.value:
        raise Conflict(f"Entry '{redemption.id}' is not a redemption")
    now = now or utcnow()
    lock(session, customer)
    allocations = session.execute(
        select(LotAllocation.lot_id, LotAllocation.points).where(LotAllocation.entry_id == redemption.id)
    ).tuples().all()
    points = sum(given for _, given in allocations)
    refund = insert_new(session, EarningEntry, _values(
        customer, source=EntrySource.REDEMPTION_REFUND, points=points, remaining=0, now=now,
        dedupe_key=f"refund:{redemption.id}"), ["customer_id", "dedupe_key", "shop_id"])
    if refund is None:
        return None
    for lot_id, given in allocations:
        session.execute(_RETURN_TO_LOT, {"lot": lot_id, "given": given, "now": now})
    _move_balances(session, customer, now, current=points, redeemed=-points)
    return refund


def reverse(
    session: Session, *, customer: Customer, entry: EarningEntry, points: int, dedupe_key: str, reason: str,
    now: dt.datetime | None = None,
) -> EarningEntry | None:
    """Reverse ``points`` of an approved entry with a negative entry keyed ``dedupe_key``;
    None (and no change) when that reversal was recorded already.

    The caller holds the customer's lock (``lock``). Lifetime points lose all ``points`` (the
    entry's ``base_points``); the balance loses at most what it holds (its ``points``): what the
    customer spent already is not taken twice. The points come out of the entry's own lot first,
    then the oldest others."""
    now = now or utcnow()
    taken = min(points, customer.current_points)
    points = min(points, customer.lifetime_points)
    values = _values(customer, source=EntrySource.REVERSAL, points=-taken, remaining=0, now=now,
                     dedupe_key=dedupe_key, action=reason, earning_rule_id=entry.earning_rule_id,
                     order_id=entry.order_id, order_number=entry.order_number)
    values["base_points"] = -points
    reversal = insert_new(session, EarningEntry, values, ["customer_id", "dedupe_key", "shop_id"])
    if reversal is None:
        return None
    _take_from_lots(session, customer, reversal, taken, now, first=entry)
    _move_balances(session, customer, now, current=-taken, lifetime=-points)
    effects.points_changed(session, reversal, customer, kind="points_reversed", version_bumped=True,
                           message=f"{points} points reversed: {reason.replace('_', ' ')}")
    return reversal


def expire(session: Session, customer: Customer, lots: Iterable[EarningEntry], *,
           now: dt.datetime | None = None) -> int:
    """Expire what is left of each of ``lots``: one negative ``expiry`` entry per lot, allocated
    to it; returns the points expired. The caller holds the customer's lock."""
    now = now or utcnow()
    expired = 0
    for lot in lots:
        points = lot.points_remaining
        if points <= 0:
            continue
        entry = _insert(session, customer, source=EntrySource.EXPIRY, points=-points, remaining=0, now=now)
        _allocate(session, entry, lot, points, now)
        _move_balances(session, customer, now, current=-points)
        expired += points
    return expired


def lock(session: Session, customer: Customer) -> None:
    """Lock the customer's row until commit and take its current balances.

    Whatever changes a customer's entries (adjustments, approvals, refunds, expiry) takes this
    lock first and the entries' rows after it: one lock order, so two of them never wait on
    each other, and the second reads what the first committed."""
    hold_write_lock(session)
    # By shop too: Citus routes a locking read only when it names the shard key. OF customers:
    # PostgreSQL locks no row of an outer join's nullable side (a tier loaded with the customer).
    session.execute(
        select(Customer).where(Customer.id == customer.id, Customer.shop_id == customer.shop_id)
        .with_for_update(of=Customer).execution_options(populate_existing=True)
    ).one()


def lock_free(session: Session, customers: Iterable[tuple[str, str]]) -> list[Customer]:
    """``lock`` for the scheduled jobs: of these customers (id, shop id), those no one else holds,
    locked in id order, with their current balances; the others wait for the next run rather
    than hold up a worker."""
    keys = set(customers)
    if not keys:
        return []
    hold_write_lock(session)
    return list(session.scalars(
        select(Customer).where(tuple_(Customer.id, Customer.shop_id).in_(keys)).order_by(Customer.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ))


def approve(session: Session, shop: Shop, entry: EarningEntry, customer: Customer, *,
            now: dt.datetime | None = None) -> bool:
    """Credit a pending entry now; False, and nothing changed, when it is no longer pending (``_decide``)."""
    now = now or utcnow()
    if not _decide(session, entry, now, status=EntryStatus.APPROVED.value, points_given_at=now,
                   points_remaining=entry.points, points_expiry_at=expiry_for(shop, now)):
        return False
    _move_balances(session, customer, now, current=entry.points, lifetime=entry.points)
    return True


def reject(session: Session, entry: EarningEntry, *, now: dt.datetime | None = None) -> bool:
    """A pending entry that will never be credited; False when it is no longer pending (``_decide``)."""
    return _decide(session, entry, now or utcnow(), status=EntryStatus.REJECTED.value, points_remaining=0,
                   points_due_at=None)


def _decide(session: Session, entry: EarningEntry, now: dt.datetime, **values: Any) -> bool:
    """Move a pending entry on in one UPDATE that checks it is still pending, so of two deciders
    only one wins whatever locks they took. The loser's ``entry`` is read again and shows what
    was decided, for the caller to act on."""
    values["updated_at"] = now
    # An UPDATE's result is a CursorResult, which Session.execute's type does not say.
    decided = cast("CursorResult[Any]", session.execute(
        update(EarningEntry).where(EarningEntry.id == entry.id, EarningEntry.status == EntryStatus.PENDING.value)
        .values(values).execution_options(synchronize_session=False)
    )).rowcount
    if not decided:
        session.refresh(entry)
        return False
    for name, value in values.items():
        set_committed_value(entry, name, value)
    return True


def _insert(session: Session, customer: Customer, **fields: Any) -> EarningEntry:
    entry = EarningEntry(**_values(customer, **fields))
    session.add(entry)
    session.flush([entry])
    return entry


def _values(
    customer: Customer, *, source: EntrySource, points: int, remaining: int, now: dt.datetime,
    action: str | None = None, **fields: Any,
) -> dict[str, Any]:
    """An approved entry's columns."""
    return dict(
        id=new_id("cer"), shop_id=customer.shop_id, customer_id=customer.id, source=source.value,
        action=action or _ACTIONS.get(source, source.value), base_points=fields.pop("base_points", points),
        points_multiplier=Decimal(1),
        points=points, points_remaining=remaining, status=EntryStatus.APPROVED.value, points_given_at=now,
        created_at=now, updated_at=now, **fields,
    )


def _take_from_lots(session: Session, customer: Customer, entry: EarningEntry, points: int, now: dt.datetime, *,
                    first: EarningEntry | None = None) -> None:
    """Take ``points`` out of the customer's open lots for ``entry``: ``first`` if given, then
    the oldest (expiry reads ``points_remaining``, so spending must not leave old points behind)."""
    if points <= 0:
        return
    lots = list(session.scalars(
        select(EarningEntry)
        .where(EarningEntry.shop_id == customer.shop_id, EarningEntry.customer_id == customer.id,
               EarningEntry.points_remaining > 0)
        .order_by(EarningEntry.points_given_at, EarningEntry.id)
        .with_for_update().execution_options(populate_existing=True)
    ))
    if first is not None:
        lots.sort(key=lambda lot: lot.id != first.id)  # stable: the rest keep their age order
    for lot in lots:
        if points <= 0:
            break
        used = min(points, lot.points_remaining)
        _allocate(session, entry, lot, used, now)
        points -= used


def _allocate(session: Session, entry: EarningEntry, lot: EarningEntry, points: int, now: dt.datetime) -> None:
    lot.points_remaining -= points
    lot.updated_at = now
    session.add(LotAllocation(entry_id=entry.id, lot_id=lot.id, shop_id=entry.shop_id, points=points))


def _move_balances(session: Session, customer: Customer, now: dt.datetime, *, current: int, lifetime: int = 0,
                   redeemed: int = 0) -> None:
    """One UPDATE moving balance, lifetime and redeemed points by these amounts, the tier with
    lifetime, and the sync version. Debits are worked out under the customer's lock, so the
    amounts never take a balance below 0 (and the database's CHECK refuses it if they did)."""
    previous_tier_id = customer.vip_tier_id
    row = session.execute(_MOVE, {"customer": customer.id, "current": current, "lifetime": lifetime,
                                  "redeemed": redeemed, "now": now}).one()
    _refresh_balances(session, customer, row)
    if customer.vip_tier_id != previous_tier_id:
        effects.tier_changed(session, customer, previous_tier_id=previous_tier_id)


# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_customers = Customer.__table__
_entries = EarningEntry.__table__


def _delta(name: str) -> ColumnElement[int]:
    return bindparam(name, type_=_customers.c.current_points.type)


_new_lifetime = _customers.c.lifetime_points + _delta("lifetime")
_MOVE = (
    update(_customers)
    .where(_customers.c.id == bindparam("customer"))
    .values(
        current_points=_customers.c.current_points + _delta("current"),
        lifetime_points=_new_lifetime,
        redeemed_points=_customers.c.redeemed_points + _delta("redeemed"),
        vip_tier_id=tier_for_lifetime(_new_lifetime),
        updated_at=bindparam("now", type_=_customers.c.updated_at.type),
        sync_version=_customers.c.sync_version + 1,
    )
    .returning(_customers.c.current_points, _customers.c.lifetime_points, _customers.c.redeemed_points,
               _customers.c.vip_tier_id)
)
_RETURN_TO_LOT = (
    update(_entries).where(_entries.c.id == bindparam("lot"))
    .values(points_remaining=_entries.c.points_remaining + _delta("given"),
            updated_at=bindparam("now", type_=_entries.c.updated_at.type))
)
_RULE_SOURCES: dict[str, str] = {category.value: category.value for category in (
    RuleCategory.PURCHASE, RuleCategory.SIGNUP, RuleCategory.BIRTHDAY, RuleCategory.ANNIVERSARY)}
_rules = EarningRule.__table__
_tiers = VipTier.__table__
_ONCE = ["customer_id", "dedupe_key", "shop_id"]
# In ``_entry_row``'s order.
_ENTRY_COLUMNS = ["id", "shop_id", "customer_id", "earning_rule_id", "dedupe_key", "action", "source", "base_points",
                  "points_multiplier", "points", "points_remaining", "status", "points_given_at", "points_due_at",
                  "points_expiry_at", "order_id", "order_number", "manual_intervention", "note", "created_at",
                  "updated_at"]
_BALANCE_COLUMNS = ["current_points", "lifetime_points", "redeemed_points", "vip_tier_id", "sync_version"]
_allocations = LotAllocation.__table__
_GRANT = change(credit=True)
_SPEND = change(credit=False)
_EARN_BY_ID = earning(earning_candidate(lambda customers: customers.c.id == bindparam("value"),
                                        base_points=bindparam("base_points", type_=_customers.c.current_points.type)))


def _refresh_balances(session: Session, customer: Customer, row: Row[Any]) -> None:
    """Take the database's new balances and tier as the customer's committed state."""
    for name, value in row._mapping.items():
        set_committed_value(customer, name, value)
    session.expire(customer, ["vip_tier"])
