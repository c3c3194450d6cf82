"""The set-up checklist on the overview, and integrations that can be disconnected and say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from shopify_app.integrations.settings import api_key_for
from shopify_app.models import Shop
from shopify_app.shops.onboarding import EMBED_HANDLE
from tests.admin.conftest import TokenClient

EXTENSION_BLOCKS = Path(__file__).resolve().parents[2] / "extensions" / "loyalty-widget" / "blocks"
KLAVIYO = "/admin/settings/integrations/klaviyo"


def _overview(admin: TokenClient) -> str:
    return str(admin.get("/admin/").get_data(as_text=True))


def _step_done(page: str, step: str) -> bool:
    return f'data-step="{step}" data-done="true"' in page


def test_a_new_shop_sees_the_checklist_until_its_steps_are_done(app, admin: TokenClient, session: Session,
                                                                demo_shop: dict[str, Any]) -> None:
    page = _overview(admin)
    api_key = app.config["LOYALTY"].shopify_api_key
    assert "Set up your program" in page and "3 of 4 steps left" in page
    assert (f"https://{demo_shop['domain']}/admin/themes/current/editor?context=apps&amp;activateAppId="
            f"{api_key}/{EMBED_HANDLE}") in page
    assert (EXTENSION_BLOCKS / f"{EMBED_HANDLE}.liquid").is_file()  # the deep link names the real embed
    assert _step_done(page, "rewards")  # the demo shop has active rewards

    assert admin.post("/admin/setup/embed").status_code == 303
    assert _step_done(_overview(admin), "embed")
    rule = demo_shop["rules"]["follow_on_instagram"]
    assert admin.post(f"/admin/rules/{rule}/active", data={"active": "0"}).status_code == 303
    assert _step_done(_overview(admin), "rules")  # switching a rule is reviewing the rules
    assert admin.post(KLAVIYO, data={"klaviyo_api_key": "pk_a_real_looking_key"}).status_code == 303
    assert "Set up your program" not in _overview(admin)
    assert admin.post("/admin/setup/rewards").status_code == 404


def test_a_disconnected_integration_forgets_its_key_and_says_not_connected(app, admin: TokenClient, session: Session,
                                                                          demo_shop: dict[str, Any]) -> None:
    config = app.config["LOYALTY"]
    assert admin.post(KLAVIYO, data={"klaviyo_api_key": "pk_a_real_looking_key"}).status_code == 303
    settings = admin.get("/admin/settings").get_data(as_text=True)
    klaviyo = settings.split('data-service="klaviyo"')[1].split('data-service="omnisend"')[0]
    assert "Connected" in klaviyo and "…_key is in use" in klaviyo and "Disconnect" in klaviyo
    assert api_key_for(session, demo_shop["shop_id"], "klaviyo", config) == "pk_a_real_looking_key"

    assert admin.post(f"{KLAVIYO}/disconnect").status_code == 303
    session.expire_all()
    assert api_key_for(session, demo_shop["shop_id"], "klaviyo", config) is None
    klaviyo = admin.get("/admin/settings").get_data(as_text=True).split('data-service="klaviyo"')[1]
    klaviyo = klaviyo.split('data-service="omnisend"')[0]
    assert "Not connected" in klaviyo and "saved" not in klaviyo.lower() and "Disconnect" not in klaviyo
    assert not _step_done(_overview(admin), "marketing")
    assert session.get_one(Shop, demo_shop["shop_id"]).embed_confirmed_at is None
