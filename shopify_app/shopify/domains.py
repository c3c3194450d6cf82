"""Shop domains: every shop string is hostile until this anchored pattern accepts it."""

from __future__ import annotations

import re

_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def valid_shop_domain(value: str | None) -> str | None:
    """The lower-cased ``*.myshopify.com`` host, or None for anything else (URLs, paths, suffixes)."""
    if not value or len(value) > 255:
        return None
    domain = value.strip().lower()
    return domain if _SHOP_DOMAIN.fullmatch(domain) else None
