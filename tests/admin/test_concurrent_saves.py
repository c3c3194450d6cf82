"""Identical admin saves at the same moment: one wins, the others get the form back with the field's error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import IntegrationSetting, VipTier
from tests.admin.conftest import TokenClient

REQUESTS = 10


def post_at_once(app: Flask, shop: dict[str, Any], url: str, forms: list[dict[str, str]]) -> list[Any]:
    """Each form posted from its own thread and client, all released by one barrier."""
    start = threading.Barrier(len(forms))

    def post(form: dict[str, str]) -> Any:
        client = TokenClient(app, shop["domain"])
        start.wait()
        return client.post(url, data=form)

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, forms))


def test_concurrent_identical_tier_creations_give_one_tier_and_422s(app: Flask, demo_shop: dict[str, Any],
                                                                    session: Session) -> None:
    form = {"name": "Platinum", "points_required": "5000", "points_multiplier": "2", "badge_color": "#e5e4e2"}
    responses = post_at_once(app, demo_shop, "/admin/tiers/new", [form] * REQUESTS)
    assert sorted(r.status_code for r in responses) == [303] + [422] * (REQUESTS - 1)
    for refused in (r for r in responses if r.status_code == 422):
        assert 'error="Another tier already starts at this many points"' in refused.get_data(as_text=True)
    assert session.scalars(select(VipTier.name).where(VipTier.points_required == 5000)).all() == ["Platinum"]


def test_concurrent_first_integration_key_saves_never_give_a_500(app: Flask, demo_shop: dict[str, Any],
                                                                session: Session) -> None:
    keys = [f"pk_concurrent_{n:02d}" for n in range(REQUESTS)]
    responses = post_at_once(app, demo_shop, "/admin/settings/integrations/klaviyo",
                             [{"klaviyo_api_key": key} for key in keys])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {303, 422} and 303 in statuses
    for refused in (r for r in responses if r.status_code == 422):
        assert ('error="Another save of this key came at the same moment; save it again"'
                in refused.get_data(as_text=True))
    [row] = session.scalars(select(IntegrationSetting)).all()
    assert (row.service, row.enabled, row.key_hint in {key[-4:] for key in keys}) == ("klaviyo", True, True)
