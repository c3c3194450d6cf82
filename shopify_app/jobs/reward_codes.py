"""Reward codes in Shopify around the ledger's spend: created in the purchase request, finished by
the sweep when that request died, deleted before a refund gives the points back."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from shopify_app.errors import ServiceUnavailable
from shopify_app.integrations import discounts
from shopify_app.integrations.http import AwaitingReconnect, DeliveryError, Permanent, Skipped
from shopify_app.integrations.shopify_graphql import WAITED_ON_ATTEMPTS, GraphQLClient
from shopify_app.jobs import runtime
from shopify_app.jobs.destinations import shopify_client
from shopify_app.loyalty.rewards import redemption as redemptions
from shopify_app.models import Customer, RedemptionState, RewardRedemption, Shop

logger = logging.getLogger(__name__)
UNAVAILABLE = "Shopify could not create the discount code; no points were spent"


def purchase(session: Session, shop: Shop, reward_id: str, customer: Customer | str, *,
             points: int | None = None) -> RewardRedemption:
    """Spend and record the redemption (committed, ``creating``), then create its code in Shopify.

    Shopify refuses or cannot be reached: the points go back (committed) and ServiceUnavailable.
    When the request may have reached Shopify (a timeout, a 5xx), the redemption is marked in
    doubt and the sweep deletes a code made after all: never points without a code, nor a code
    without points."""
    redemption = redemptions.purchase(session, shop, reward_id, customer, points=points)
    session.commit()
    try:
        discount_id = discounts.create_code(
            shopify_client(runtime.context(), shop, attempts=WAITED_ON_ATTEMPTS), redemption)
    except (Skipped, AwaitingReconnect, Permanent) as error:  # no usable token, or Shopify refused the code
        logger.warning("no reward code for %s: %s", redemption.id, error)
        redemptions.give_back(session, redemption)
    except DeliveryError as error:
        logger.warning("reward code of %s in doubt: %s", redemption.id, error)
        redemptions.give_back(session, redemption, in_doubt=True)
    else:
        redemptions.activate(session, redemption, discount_id)
    session.commit()
    if redemption.state != RedemptionState.ACTIVE.value:
        raise ServiceUnavailable(UNAVAILABLE)
    return redemption


def refund(session: Session, shop: Shop, redemption_id: str) -> RewardRedemption:
    """Delete an active code in Shopify, then give its points back to their lots (409 unless active;
    503 and no change when Shopify cannot delete it)."""
    redemption = redemptions.refundable(session, shop, redemption_id)
    if redemption.shopify_discount_id is not None:
        try:
            discounts.delete_code(shopify_client(runtime.context(), shop, attempts=WAITED_ON_ATTEMPTS),
                                  redemption.shopify_discount_id)
        except (DeliveryError, Skipped):
            raise ServiceUnavailable("Shopify could not delete the discount code; nothing was refunded") from None
    redemptions.refund(session, redemption)
    session.commit()
    return redemption


def sweep_creating() -> int:
    """Redemptions left ``creating`` over a minute: activate those whose code Shopify has, give the
    points back for the others. Shopify is asked with no transaction open, and each outcome is
    written in a transaction of its own (a conditional move: what finished meanwhile stays as it is).
    Those Shopify cannot answer for wait."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        ids = redemptions.stale_creating(session)
    finished = 0
    for redemption_id in ids:
        asked = _code_to_ask(ctx, redemption_id, RedemptionState.CREATING)
        if asked is None:
            continue
        client, code = asked
        try:
            discount_id = discounts.find_code(client, code) if client is not None else None
        except DeliveryError as error:
            logger.warning("reward code %s left creating: %s", redemption_id, error)
            continue
        with ctx.sessions.begin() as session:
            finished += _finish(session, session.get_one(RewardRedemption, redemption_id), discount_id)
    return finished


def sweep_codes_in_doubt() -> int:
    """Codes whose create request's outcome was unknown, their points given back: deleted in Shopify
    if it made them after all, with no transaction open while Shopify answers. Returns how many were deleted."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        ids = redemptions.codes_in_doubt(session)
    deleted = 0
    for redemption_id in ids:
        asked = _code_to_ask(ctx, redemption_id, None)
        if asked is None:
            continue
        client, code = asked
        if client is not None:  # else the shop lost its token: it can make no codes either
            try:
                discount_id = discounts.find_code(client, code)
                if discount_id is not None:
                    discounts.delete_code(client, discount_id)
                    deleted += 1
            except DeliveryError as error:
                logger.warning("reward code %s still in doubt: %s", redemption_id, error)
                continue
        with ctx.sessions.begin() as session:
            session.get_one(RewardRedemption, redemption_id).code_in_doubt = False
    return deleted


def _code_to_ask(ctx: runtime.Context, redemption_id: str,
                 state: RedemptionState | None) -> tuple[GraphQLClient | None, str] | None:
    """What to ask Shopify about a redemption, read in a short transaction: the shop's client (None
    when the shop has no token) and the code; None when the redemption is gone or no longer in ``state``."""
    with ctx.sessions() as session:
        redemption = session.get(RewardRedemption, redemption_id)
        if redemption is None or (state is not None and redemption.state != state.value):
            return None
        try:
            client: GraphQLClient | None = shopify_client(ctx, session.get_one(Shop, redemption.shop_id))
        except Skipped:
            client = None
        return client, redemption.discount_code


def _finish(session: Session, redemption: RewardRedemption, discount_id: str | None) -> bool:
    if discount_id is None:
        return redemptions.give_back(session, redemption)
    return redemptions.activate(session, redemption, discount_id)
