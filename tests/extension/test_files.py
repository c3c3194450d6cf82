"""The theme app extension: Shopify CLI layout, valid schema, every string translated, small assets."""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from typing import Any

from shopify_app.config import PROJECT_ROOT
from tests.extension.theme import BLOCK, EXTENSION, app_metafield, block_schema, locale, lookup, render_block

MAX_GZIPPED_BYTES = 15 * 1024


def test_cli_layout_and_schema() -> None:
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme"
    schema = block_schema()
    assert schema["target"] == "body"  # an app embed
    for key in ("javascript", "stylesheet"):
        assert (EXTENSION / "assets" / schema[key]).is_file()


def test_every_schema_and_storefront_string_is_in_the_locales() -> None:
    schema_strings = locale("en.default.schema.json")
    schema_keys = re.findall(r'"t:([\w.]+)"', json.dumps(block_schema()))
    assert schema_keys
    for key in schema_keys:
        assert isinstance(lookup(schema_strings, key), str), key
    storefront_keys = re.findall(r"'(loyalty_widget\.\w+)' \| t", BLOCK.read_text())
    assert len(storefront_keys) > 20
    for key in storefront_keys:
        assert isinstance(lookup(locale(), key), str), key


def test_the_widget_is_under_15_kb_gzipped() -> None:
    assets = b"".join(path.read_bytes() for path in sorted((EXTENSION / "assets").iterdir()))
    assert len(gzip.compress(assets, compresslevel=9)) < MAX_GZIPPED_BYTES


def test_the_block_renders_the_metafield_for_the_first_paint() -> None:
    loyalty = {"points_balance": 1200, "vip_tier": {"name": "Gold"}, "status": "member"}
    html = render_block(customer={"metafields": app_metafield("loyalty", loyalty)})
    assert "1200 points" in html and "Gold member" in html
    assert 'data-logged-in="true"' in html
    state = re.search(r"<script type=\"application/json\" data-loyalty-state>(.*?)</script>", html, re.S)
    assert state and json.loads(state.group(1)) == loyalty
    i18n = re.search(r"data-loyalty-i18n>(.*?)</script>", html, re.S)
    assert i18n and json.loads(i18n.group(1))["tier_progress"] == "{points} points to {tier}"


def test_the_block_reads_app_owned_metafields_through_the_reserved_prefix_only() -> None:
    # Liquid's `metafields.app` is a namespace literally named "app", which the app never writes:
    # what the app writes under $app must not be looked for there.
    loyalty = {"points_balance": 1200, "vip_tier": {"name": "Gold"}, "status": "member"}
    html = render_block(customer={"metafields": {"app": {"loyalty": {"value": loyalty}}}},
                        shop={"metafields": {"app": {"loyalty_program": {"value": {"points_name": "Stars"}}}}})
    assert "1200" not in html and "0 points" in html and "Stars" not in html
    state = re.search(r"data-loyalty-state>(.*?)</script>", html, re.S)
    assert state and json.loads(state.group(1)) is None  # the widget fetches the balance from the app


def test_the_points_name_of_the_program_metafield_is_the_storefronts_word() -> None:
    loyalty = {"points_balance": 1200, "vip_tier": None, "status": "member"}
    shop = {"metafields": app_metafield("loyalty_program", {"points_name": "Stars", "earning_rules": [], "tiers": []})}
    html = render_block(customer={"metafields": app_metafield("loyalty", loyalty)}, shop=shop)
    markup = html.split("data-loyalty-launcher")[1]  # the launcher and the panel, after the JSON
    assert "1200 stars" in markup and "points" not in markup
    i18n = re.search(r"data-loyalty-i18n>(.*?)</script>", html, re.S)
    assert i18n
    strings = json.loads(i18n.group(1))
    assert (strings["balance"], strings["claim_rule"], strings["expires"]) == (
        "{points} stars", "Claim {points} stars for {rule}", "Your next stars expire on {date}")
    assert not [text for text in strings.values() if "points" in text.replace("{points}", "")]
    anonymous = render_block(customer=None, shop=shop)
    assert "Earn stars" in anonymous and "create an account to earn stars." in anonymous


def test_the_block_for_an_anonymous_shopper_prompts_to_log_in() -> None:
    html = render_block(customer=None)
    assert 'data-logged-in="false"' in html
    assert 'href="/account/login"' in html
    assert "data-loyalty-summary" not in html


def test_the_blocks_proxy_path_is_the_app_proxy_of_the_toml() -> None:
    # Where [app_proxy] url resolves to: tests/test_app_config.py::test_the_app_proxy_resolves_to_the_proxy_routes
    config = tomllib.loads((PROJECT_ROOT / "shopify.app.toml").read_text())
    proxy = config["app_proxy"]
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "loyalty")
    assert "write_app_proxy" in config["access_scopes"]["scopes"].split(",")
    assert block_schema()["settings"][0]["default"] == "/" + proxy["prefix"] + "/" + proxy["subpath"]


def test_the_birthday_form_is_shown_to_members_of_a_shop_with_birthday_points() -> None:
    def program(*actions: str) -> dict[str, Any]:
        return {"metafields": app_metafield("loyalty_program", {"earning_rules": [{"action": a} for a in actions]})}

    member = {"metafields": app_metafield("loyalty", {"points_balance": 0})}
    assert "data-loyalty-birthday" in render_block(customer=member, shop=program("place_order", "birthday"))
    assert "data-loyalty-birthday" not in render_block(customer=member, shop=program("place_order"))
    assert "data-loyalty-birthday" not in render_block(customer=None, shop=program("birthday"))
