"""Renders the theme extension's app embed as a storefront would, with Shopify's ``t`` and
``json`` filters, so tests use the block's real markup."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from liquid import Environment, Undefined

from shopify_app.config import PROJECT_ROOT

EXTENSION = PROJECT_ROOT / "extensions" / "loyalty-widget"
BLOCK = EXTENSION / "blocks" / "loyalty-widget.liquid"
SCHEMA = re.compile(r"{%\s*schema\s*%}(.*?){%\s*endschema\s*%}", re.S)
PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")


def locale(name: str = "en.default.json") -> dict[str, Any]:
    return json.loads((EXTENSION / "locales" / name).read_text())  # type: ignore[no-any-return]


def lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        node = node[part]
    return node


def block_schema(path: Path = BLOCK) -> dict[str, Any]:
    match = SCHEMA.search(path.read_text())
    assert match, f"{path.name} has no schema"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def _json(value: Any) -> str:
    # Shopify's json filter escapes <, > and & so the output is safe inside a <script> element.
    encoded = json.dumps(None if isinstance(value, Undefined) else value)
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def environment() -> Environment:
    strings = locale()
    env = Environment()

    def translate(key: str, **values: Any) -> str:
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), lookup(strings, key))

    env.filters["t"] = translate
    env.filters["json"] = _json
    # The extension's own assets, which the browser tests serve from /assets/.
    env.filters["asset_url"] = lambda name: f"/assets/{name}"
    return env


def app_metafield(key: str, value: Any) -> dict[str, Any]:
    """An owner's ``metafields`` as Liquid sees an app-owned one: under the reserved ``$app`` namespace."""
    return {"$app": {key: {"value": value}}}


def render_block(*, customer: dict[str, Any] | None, shop: dict[str, Any] | None = None,
                 settings: dict[str, Any] | None = None) -> str:
    """The block's markup for a storefront page; ``customer`` and ``shop`` carry their ``metafields``
    (see ``app_metafield``)."""
    defaults = {s["id"]: s.get("default") for s in block_schema()["settings"]}
    source = SCHEMA.sub("", BLOCK.read_text())
    return environment().from_string(source).render(
        customer=customer,
        shop=shop or {"metafields": {}},
        block={"settings": {**defaults, **(settings or {})}},
        routes={"account_login_url": "/account/login"},
    )
