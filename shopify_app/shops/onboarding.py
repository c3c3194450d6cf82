"""The overview's set-up checklist: what a new shop still has to do before its program runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import NotFound
from shopify_app.models import IntegrationSetting, Reward, Shop

# The app embed's block, extensions/loyalty-widget/blocks/<handle>.liquid: the theme editor's
# activateAppId names it after the app's client id.
EMBED_HANDLE = "loyalty-widget"
# Steps only the merchant can tick: the app has no theme access to read the embed's state.
TICKABLE = ("embed", "rules")


@dataclass(frozen=True)
class Step:
    key: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def remaining(self) -> int:
        return sum(1 for step in self.steps if not step.done)

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)


def checklist(session: Session, shop: Shop) -> Checklist:
    connected = session.scalar(
        select(IntegrationSetting.id).where(
            IntegrationSetting.shop_id == shop.id, IntegrationSetting.enabled.is_(True),
            IntegrationSetting.api_key_ciphertext.is_not(None),
        ).limit(1)
    )
    return Checklist((
        Step("embed", shop.embed_confirmed_at is not None),
        Step("rules", shop.rules_reviewed_at is not None),
        Step("rewards", session.scalar(select(Reward.id).where(
            Reward.shop_id == shop.id, Reward.is_active.is_(True), Reward.deleted_at.is_(None)).limit(1)) is not None),
        Step("marketing", connected is not None),
    ))


def tick(shop: Shop, key: str) -> None:
    """The merchant says a step is done; saving or switching a rule ticks "rules" too."""
    if key not in TICKABLE:
        raise NotFound(f"No set-up step '{key}' to tick")
    now = utcnow()
    if key == "embed":
        shop.embed_confirmed_at = shop.embed_confirmed_at or now
    else:
        shop.rules_reviewed_at = shop.rules_reviewed_at or now


def theme_editor_url(shop: Shop, api_key: str) -> str:
    """The theme editor of the live theme, opened on App embeds with ours switched on, ready to save."""
    return f"https://{shop.domain}/admin/themes/current/editor?context=apps&activateAppId={api_key}/{EMBED_HANDLE}"
