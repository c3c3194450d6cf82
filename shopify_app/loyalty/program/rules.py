"""Earning rules: the catalogue of actions a rule can reward, and the shop's rules as the admin edits them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.errors import FormErrors
from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import (
    Checkbox,
    CollectionIds,
    Form,
    OptionalText,
    ProductIds,
    Tags,
    Text,
    WebUrl,
    number_rule,
    text_rule,
)
from shopify_app.models import EarningRule, RuleCategory, Shop
from shopify_app.paging import Page, PageRequest, read_page
from shopify_app.shops.lookup import get_owned


@dataclass(frozen=True)
class CatalogueAction:
    """An action a rule can reward: the ``action`` stored on rules and ledger entries, its category,
    and ``name``, what merchants see (and a new rule's name).

    ``self_reported`` actions are honour-based: the shopper follows the link, then claims the points
    from the storefront. The others are verified: the app awards them when it sees them happen
    (an order, a Shopify account, an email-marketing subscription, a date), and no one can claim them."""

    action: str
    category: str
    name: str
    needs_url: bool = False
    self_reported: bool = False


def _social(network: str, verb: str = "follow") -> CatalogueAction:
    label = {"x": "X"}.get(network, network.title().replace("Tiktok", "TikTok").replace("Youtube", "YouTube"))
    title = f"Follow us on {label}" if verb == "follow" else f"Share on {label}"
    return CatalogueAction(f"{verb}_on_{network}", RuleCategory.SOCIAL.value, title, needs_url=True,
                           self_reported=True)


CATALOGUE: tuple[CatalogueAction, ...] = (
    CatalogueAction("place_order", RuleCategory.PURCHASE.value, "Place an order"),
    CatalogueAction("signup", RuleCategory.SIGNUP.value, "Create an account"),
    CatalogueAction("birthday", RuleCategory.BIRTHDAY.value, "Celebrate your birthday"),
    CatalogueAction("anniversary", RuleCategory.ANNIVERSARY.value, "Account anniversary"),
    CatalogueAction("refer_a_friend", RuleCategory.REFERRAL.value, "Refer a friend"),
    *(_social(n) for n in ("instagram", "tiktok", "facebook", "x", "youtube", "pinterest")),
    *(_social(n, "share") for n in ("facebook", "x", "pinterest")),
    CatalogueAction("join_newsletter", RuleCategory.ENGAGEMENT.value, "Join our newsletter"),
    CatalogueAction("custom", RuleCategory.ENGAGEMENT.value, "Custom action", needs_url=True, self_reported=True),
)
BY_ACTION = {item.action: item for item in CATALOGUE}
# What a shopper may claim from the storefront (unknown actions may not).
SELF_REPORTED_ACTIONS = frozenset(item.action for item in CATALOGUE if item.self_reported)


def is_self_reported(action: str) -> bool:
    """Whether a shopper may claim the action's points from the storefront (unknown actions may not)."""
    return action in SELF_REPORTED_ACTIONS


def action_label(action: str) -> str:
    """What a merchant reads for an action: its catalogue name, else the words of its name."""
    item = BY_ACTION.get(action)
    return item.name if item else action.replace("_", " ").capitalize()


def category_label(category: str) -> str:
    """What a merchant reads for a rule's category: "Sign-up", not the stored "signup"."""
    return {RuleCategory.SIGNUP.value: "Sign-up"}.get(category, category.capitalize())


def active_rules(session: Session, shop_id: str, *categories: RuleCategory) -> list[EarningRule]:
    """The shop's active rules, oldest first; only those of ``categories`` when any are given."""
    statement = select(EarningRule).where(EarningRule.shop_id == shop_id, EarningRule.is_active.is_(True))
    if categories:
        statement = statement.where(EarningRule.category.in_([category.value for category in categories]))
    return list(session.scalars(statement.order_by(EarningRule.created_at, EarningRule.id)))


def rules(session: Session, shop_id: str) -> list[EarningRule]:
    """Every rule of the shop, active or not, as the admin lists them."""
    return list(
        session.scalars(
            select(EarningRule).where(EarningRule.shop_id == shop_id).order_by(EarningRule.category, EarningRule.name)
        )
    )


def list_rules(session: Session, shop_id: str, request: PageRequest, *,
               active: bool | None = None) -> Page[EarningRule]:
    """One page of the shop's earning rules, active or inactive ones alone if asked."""
    ids = select(EarningRule.id).where(EarningRule.shop_id == shop_id)
    if active is not None:
        ids = ids.where(EarningRule.is_active.is_(active))
    return read_page(session, EarningRule, ids, request)


def get_rule(session: Session, shop_id: str, rule_id: str) -> EarningRule:
    return get_owned(session, EarningRule, shop_id, rule_id, "Earning rule")


class RuleInput(Form):
    """The rule form; ``action`` names a catalogue entry and is fixed once the rule exists."""

    action: str
    name: Text
    points_to_give: Annotated[int, number_rule(maximum=1_000_000)]
    approval_time: Annotated[int, number_rule(maximum=365)]
    customer_facing_label: OptionalText
    call_to_action_url: WebUrl
    description: Annotated[str, text_rule(required=False, max_length=2000)]
    # A purchase rule's exclusions (loyalty.earning.exclusions); other rules ignore them.
    excluded_product_ids: ProductIds
    excluded_collection_ids: CollectionIds
    excluded_customer_tags: Tags
    exclude_b2b: Checkbox


def save_rule(session: Session, shop: Shop, command: RuleInput, rule: EarningRule | None = None) -> EarningRule:
    """Create (rule None) or update a rule from the admin form; the action is fixed once created."""
    item = BY_ACTION.get(rule.action if rule else command.action)
    if item is None:
        raise FormErrors({"action": "Choose an action from the catalogue"})
    if rule is None:
        rule = EarningRule(shop_id=shop.id, action=item.action, category=item.category, is_active=True)
        session.add(rule)
    rule.name, rule.points_to_give, rule.approval_time = command.name, command.points_to_give, command.approval_time
    rule.customer_facing_label = command.customer_facing_label or None
    rule.call_to_action_url, rule.description = command.call_to_action_url, command.description or None
    if item.category == RuleCategory.PURCHASE.value:
        if command.excluded_collection_ids != (rule.excluded_collection_ids or []):
            # The products of the new collections are read through the Admin API next (jobs.collections).
            rule.collection_product_ids = [] if not command.excluded_collection_ids else rule.collection_product_ids
        rule.excluded_product_ids = command.excluded_product_ids
        rule.excluded_collection_ids = command.excluded_collection_ids
        rule.excluded_customer_tags, rule.exclude_b2b = command.excluded_customer_tags, command.exclude_b2b
    session.flush()
    program_changed(session, shop.id)
    return rule


def set_rule_active(session: Session, shop: Shop, rule: EarningRule, active: bool) -> None:
    rule.is_active = active
    program_changed(session, shop.id)


def purchase_rules_excluding_collections(session: Session, shop_id: str | None = None) -> list[EarningRule]:
    """Purchase rules with excluded collections (of one shop, or of every shop), whose products the
    Admin API is read for."""
    statement = select(EarningRule).where(EarningRule.category == RuleCategory.PURCHASE.value)
    if shop_id is not None:
        statement = statement.where(EarningRule.shop_id == shop_id)
    return [rule for rule in session.scalars(statement.order_by(EarningRule.id)) if rule.excluded_collection_ids]


def set_collection_products(session: Session, rule: EarningRule, collection_ids: list[str],
                            product_ids: list[str]) -> bool:
    """Keep the products the Admin API listed for the rule's excluded collections, unless the
    merchant changed the collections meanwhile (then a newer read follows); returns whether kept."""
    if list(rule.excluded_collection_ids or []) != collection_ids:
        return False
    rule.collection_product_ids = sorted(set(product_ids), key=int)
    return True
