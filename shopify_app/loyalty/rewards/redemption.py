"""Spending points on a reward: the checks, the spend and the code, and each later state of the code.

A redemption commits in state ``creating`` with its code fixed before Shopify is asked to create
it, so a retry never makes a second code; it then becomes ``active`` (Shopify has the code) or
``refunded`` (Shopify has none, the points go back). Every move checks the state it leaves in one
conditional UPDATE taken under the customer's lock, so of two movers only one wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    FromClause,
    Insert,
    Integer,
    Row,
    String,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from shopify_app.clock import utcnow
from shopify_app.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable, quote
from shopify_app.ids import new_id
from shopify_app.loyalty.ledger import effects, postings
from shopify_app.loyalty.members.lookup import customer_not_found, find_customer
from shopify_app.loyalty.rewards import codes
from shopify_app.loyalty.rewards.catalogue import is_live, shop_reward
from shopify_app.models import (
    Customer,
    EarningEntry,
    EntrySource,
    Pricing,
    RedemptionState,
    Reward,
    RewardRedemption,
    RewardType,
    Shop,
)
from shopify_app.paging import Page, PageRequest, read_page

# A redemption left ``creating`` this long lost its request (the process died): the sweep finishes it.
STALE_AFTER = dt.timedelta(minutes=1)


class RedemptionLimitReached(Unprocessable):
    title = "Redemption Limit Reached"


class InsufficientPoints(Unprocessable):
    title = "Insufficient Points"


def purchase(session: Session, shop: Shop, reward_id: str, customer: Customer | str, *, points: int | None = None,
             now: dt.datetime | None = None) -> RewardRedemption:
    """Spend a reward's points and record its code, state ``creating``; checks in contract order:
    points of a per-point reward (400), reward (404), customer (404), exclusion (403), tier (403),
    the customer's limit (422), balance (422). The limit, the balance, the spend and the
    redemption row are one statement on PostgreSQL (``postings.change``), taken under the
    customer's lock, so concurrent purchases neither overdraw nor pass the limit."""
    now = now or utcnow()
    reward = shop_reward(session, shop.id, reward_id)
    if reward is not None and reward.pricing == Pricing.PER_POINT.value:
        _check_points(reward, points)
    if reward is None or not is_live(reward):
        raise NotFound(f"Reward '{quote(reward_id)}' not found")
    if isinstance(customer, str):
        customer = find_customer(session, shop.id, customer)
    if customer.is_excluded:
        raise Forbidden(f"Customer '{customer.shopify_customer_id}' is excluded from the loyalty program")
    if reward.reward_type == RewardType.TIER.value and customer.vip_tier_id != reward.vip_tier_id:
        raise Forbidden(f"Reward '{reward.id}' is for members of another VIP tier")
    cost = points if reward.pricing == Pricing.PER_POINT.value and points is not None else reward.points_cost
    made: dict[str, Any] = dict(
        id=new_id("cr"), shop_id=shop.id, customer_id=customer.id, reward_id=reward.id,
        state=RedemptionState.CREATING.value, points_spent=cost, discount_amount=_value(reward, cost),
        discount_code=codes.new_code(shop.settings.reward_code_prefix if shop.settings else codes.DEFAULT_PREFIX),
        expires_at=now + dt.timedelta(days=reward.expiry_days) if reward.expiry_days else None,
        created_at=now, updated_at=now,
    )
    row = postings.run_change(
        session, _SPEND_ON_REWARD, customer, cost, source=EntrySource.REDEMPTION, note=reward.name, now=now,
        max_redemptions=reward.max_redemptions, **{f"redemption_{name}": made[name] for name in _GIVEN})
    if row["customer"] is None:
        raise customer_not_found(customer.shopify_customer_id)
    if not row["permitted"]:
        raise RedemptionLimitReached(f"Customer '{customer.shopify_customer_id}' has redeemed reward "
                                     f"'{reward.id}' {reward.max_redemptions} times, its limit")
    if row["id"] is None:
        raise InsufficientPoints(f"The customer has {row['balance']} points; reward '{reward.id}' costs {cost}")
    redemption = RewardRedemption(**made, entry_id=postings.settle(session, customer, row).id, code_in_doubt=False)
    make_transient_to_detached(redemption)
    session.add(redemption)
    set_committed_value(redemption, "reward", reward)
    set_committed_value(redemption, "customer", customer)
    return redemption


_redemptions = RewardRedemption.__table__
# The redemption's columns its purchase gives as parameters (``redemption_<name>``); the rest come from the entry.
_GIVEN = ("id", "reward_id", "state", "discount_amount", "discount_code", "expires_at")


def _within_limit(member: FromClause) -> ColumnElement[bool]:
    """The customer's redemptions of the ``redemption_reward_id`` parameter's reward that count
    against its limit (all but refunded ones) are fewer than the ``max_redemptions`` parameter, if any."""
    limit = bindparam("max_redemptions", type_=Integer)
    counted = (select(func.count()).select_from(_redemptions)
               .where(_redemptions.c.shop_id == bindparam("shop", type_=String),
                      _redemptions.c.customer_id == member.c.id,
                      _redemptions.c.reward_id == bindparam("redemption_reward_id", type_=String),
                      _redemptions.c.state != RedemptionState.REFUNDED.value)
               .scalar_subquery())
    return or_(limit.is_(None), counted < limit)


def _redemption_row(entry: FromClause) -> tuple[Insert, ...]:
    """The redemption, from its spend ``entry``: state ``creating``, what it cost and its code."""
    given = {name: bindparam(f"redemption_{name}", type_=_redemptions.c[name].type) for name in _GIVEN}
    columns = {**given, "shop_id": entry.c.shop_id, "customer_id": entry.c.customer_id, "entry_id": entry.c.id,
               "points_spent": -entry.c.points, "code_in_doubt": false(), "created_at": entry.c.created_at,
               "updated_at": entry.c.created_at}
    return (insert(_redemptions).from_select(list(columns), select(*columns.values())),)


_SPEND_ON_REWARD = postings.change(credit=False, allowed=_within_limit, side_effects=_redemption_row)


def activate(session: Session, redemption: RewardRedemption, shopify_discount_id: str, *,
             now: dt.datetime | None = None) -> bool:
    """Shopify has the code: ``creating`` becomes ``active``; False when it was finished already."""
    now = now or utcnow()
    customer = redemption.customer
    postings.lock(session, customer)
    if not _move(session, redemption, RedemptionState.CREATING, RedemptionState.ACTIVE, now,
                 shopify_discount_id=shopify_discount_id):
        return False
    effects.record_activity(
        session, customer, kind="reward_redeemed", entry_id=redemption.entry_id,
        message=f"{redemption.points_spent} points spent on {redemption.reward.name}",
        data={"points": -redemption.points_spent, "reward_id": redemption.reward_id, "redemption_id": redemption.id},
    )
    effects.enqueue_customer_sync(session, customer, reason="reward_redeemed", redemption_id=redemption.id)
    return True


def give_back(session: Session, redemption: RewardRedemption, *, in_doubt: bool = False,
              now: dt.datetime | None = None) -> bool:
    """Shopify has no code, or did not say (``in_doubt``: the sweep deletes one made after all):
    ``creating`` becomes ``refunded`` and the points go back into their lots. False when it was
    finished already."""
    return _refund(session, redemption, RedemptionState.CREATING, now or utcnow(), code_in_doubt=in_doubt)


def refundable(session: Session, shop: Shop, redemption_id: str) -> RewardRedemption:
    """A redemption of the shop whose code may be refunded: 404 when none, 409 unless ``active``."""
    redemption = shop_redemption(session, shop.id, redemption_id)
    if redemption is None:
        raise NotFound(f"Reward history entry '{quote(redemption_id)}' not found")
    if redemption.state != RedemptionState.ACTIVE.value:
        raise Conflict(f"Reward history entry '{redemption_id}' is {redemption.state}; only an active, unrefunded "
                       "code can be refunded")
    return redemption


def refund(session: Session, redemption: RewardRedemption, *, now: dt.datetime | None = None) -> None:
    """The code was deleted in Shopify: ``active`` becomes ``refunded``, the points go back into the
    lots they came from with their expiry; 409 when another request refunded it first or it was used."""
    if not _refund(session, redemption, RedemptionState.ACTIVE, now or utcnow()):
        raise Conflict(f"Reward history entry '{redemption.id}' is {redemption.state}; only an active, "
                       "unrefunded code can be refunded")


def mark_used(session: Session, shop_id: str, discount_codes: list[str], *, order_id: str, used_at: dt.datetime,
              now: dt.datetime | None = None) -> int:
    """An order used these codes: the shop's active reward codes among them become ``used``, each an activity."""
    if not discount_codes:
        return 0
    used = session.execute(
        update(RewardRedemption)
        .where(RewardRedemption.shop_id == shop_id, RewardRedemption.state == RedemptionState.ACTIVE.value,
               func.upper(RewardRedemption.discount_code).in_([code.upper() for code in discount_codes]))
        .values(state=RedemptionState.USED.value, used_at=used_at, used_order_id=order_id, updated_at=now or utcnow())
        .returning(*_CODE_EVENT).execution_options(synchronize_session=False)
    ).all()
    _code_activity(session, used, "reward_code_used", lambda code: f"Reward code {code} used on order {order_id}")
    return len(used)


def expire_codes(session: Session, *, now: dt.datetime | None = None) -> int:
    """Active codes past their end become ``expired`` (Shopify refuses them already), each an activity."""
    now = now or utcnow()
    expired = session.execute(
        update(RewardRedemption)
        .where(RewardRedemption.state == RedemptionState.ACTIVE.value, RewardRedemption.expires_at < now)
        .values(state=RedemptionState.EXPIRED.value, updated_at=now)
        .returning(*_CODE_EVENT).execution_options(synchronize_session=False)
    ).all()
    _code_activity(session, expired, "reward_code_expired", lambda code: f"Reward code {code} expired")
    return len(expired)


# What the activity of a code's move names.
_CODE_EVENT = (RewardRedemption.id, RewardRedemption.shop_id, RewardRedemption.customer_id,
               RewardRedemption.reward_id, RewardRedemption.discount_code)


def _code_activity(session: Session, moved: Sequence[Row[Any]], kind: str, message: Callable[[str], str]) -> None:
    effects.log_activities(session, [
        dict(shop_id=row.shop_id, customer_id=row.customer_id, entry_id=None, kind=kind,
             message=message(row.discount_code), data={"reward_id": row.reward_id, "redemption_id": row.id})
        for row in moved
    ])


def stale_creating(session: Session, *, now: dt.datetime | None = None, limit: int = 100) -> list[str]:
    """Ids of redemptions left ``creating`` longer than ``STALE_AFTER``, oldest first."""
    cutoff = (now or utcnow()) - STALE_AFTER
    return list(session.scalars(
        select(RewardRedemption.id)
        .where(RewardRedemption.state == RedemptionState.CREATING.value, RewardRedemption.created_at < cutoff)
        .order_by(RewardRedemption.created_at).limit(limit)
    ))


def codes_in_doubt(session: Session, *, now: dt.datetime | None = None, limit: int = 100) -> list[str]:
    """Ids of redemptions refunded while Shopify's answer to their code was unknown, a while ago."""
    cutoff = (now or utcnow()) - STALE_AFTER
    return list(session.scalars(
        select(RewardRedemption.id)
        .where(RewardRedemption.code_in_doubt.is_(True), RewardRedemption.updated_at < cutoff)
        .order_by(RewardRedemption.updated_at).limit(limit)
    ))


def history(session: Session, customer: Customer, request: PageRequest, *,
            status: str | None = None) -> Page[RewardRedemption]:
    """One page of the customer's codes, of one state if given: every redemption Shopify made a
    code for (not those whose code was never made)."""
    ids = select(RewardRedemption.id).where(RewardRedemption.customer_id == customer.id,
                                            RewardRedemption.shopify_discount_id.is_not(None))
    if status is not None:
        ids = ids.where(RewardRedemption.state == status)
    return read_page(session, RewardRedemption, ids, request, joinedload(RewardRedemption.reward))


def shop_redemption(session: Session, shop_id: str, redemption_id: str) -> RewardRedemption | None:
    if "\x00" in redemption_id:  # no id holds one, and PostgreSQL refuses it in a parameter
        return None
    return session.scalar(select(RewardRedemption).where(RewardRedemption.shop_id == shop_id,
                                                         RewardRedemption.id == redemption_id))


def _check_points(reward: Reward, points: int | None) -> None:
    unit, low, high = reward.points_per_unit or 1, reward.min_points or 0, reward.max_points
    if points is None:
        raise BadRequest("'points' is required for a per-point reward")
    if points < low or (high is not None and points > high):
        raise BadRequest(f"'points' must be between {low} and {high}")
    if points % unit:
        raise BadRequest(f"'points' must be a multiple of {unit}")


def _value(reward: Reward, points: int) -> Decimal:
    """What the code takes off: a per-point reward's points bought ``points / points_per_unit`` of currency."""
    if reward.pricing == Pricing.PER_POINT.value:
        return (Decimal(points) / Decimal(reward.points_per_unit or 1)).quantize(Decimal("0.01"))
    return reward.discount_amount


def _refund(session: Session, redemption: RewardRedemption, leaving: RedemptionState, now: dt.datetime,
            **values: Any) -> bool:
    customer = redemption.customer
    postings.lock(session, customer)
    if not _move(session, redemption, leaving, RedemptionState.REFUNDED, now, refunded_at=now, **values):
        return False
    spend = session.get_one(EarningEntry, redemption.entry_id)
    given_back = postings.refund_allocation(session, customer, spend, now=now)
    if given_back is not None:
        redemption.refund_entry_id = given_back.id
    if leaving == RedemptionState.ACTIVE:
        effects.record_activity(session, customer, kind="reward_refunded", entry_id=redemption.refund_entry_id,
                                message=f"{redemption.points_spent} points given back for {redemption.reward.name}",
                                data={"points": redemption.points_spent, "redemption_id": redemption.id})
        effects.enqueue_customer_sync(session, customer, reason="reward_refunded")
    session.flush([redemption])
    return True


def _move(session: Session, redemption: RewardRedemption, leaving: RedemptionState, to: RedemptionState,
          now: dt.datetime, **values: Any) -> bool:
    moved = _rowcount(session.execute(
        update(RewardRedemption)
        .where(RewardRedemption.id == redemption.id, RewardRedemption.state == leaving.value)
        .values(state=to.value, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ))
    session.refresh(redemption)
    return bool(moved)


def _rowcount(result: object) -> int:
    # An UPDATE's result is a CursorResult, which Session.execute's type does not say.
    return cast("CursorResult[Any]", result).rowcount
