"""Signing app-proxy requests as Shopify does, for tests and the browser test's forwarding."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from shopify_app.config import DEV_API_SECRET
from shopify_app.shopify.app_proxy import sign

DEMO_SHOP = "demo-loyalty.myshopify.com"
PATH_PREFIX = "/apps/loyalty"


def signed_params(
    customer_id: str | None,
    *,
    shop: str = DEMO_SHOP,
    params: list[tuple[str, str]] | None = None,
    secret: str = DEV_API_SECRET,
    timestamp: int | None = None,
    path_prefix: str = PATH_PREFIX,
) -> list[tuple[str, str]]:
    """The query pairs Shopify would forward: the shopper's params plus the signed ones."""
    pairs = list(params or []) + [
        ("shop", shop),
        ("logged_in_customer_id", customer_id or ""),
        ("path_prefix", path_prefix),
        ("timestamp", str(int(time.time()) if timestamp is None else timestamp)),
    ]
    return pairs + [("signature", sign(pairs, secret))]


def signed_query(customer_id: str | None, **signing: Any) -> str:
    """The query string Shopify would forward (see ``signed_params``)."""
    return urlencode(signed_params(customer_id, **signing))
