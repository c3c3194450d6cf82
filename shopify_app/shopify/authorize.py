"""The authorization code grant's URLs and checks, no Flask: authorize URL, callback, App Home."""

from __future__ import annotations

import base64
import binascii
import re
import time
from urllib.parse import urlencode

from shopify_app.config import Config

# Shopify's own libraries allow 90 s between Shopify signing a redirect and the app checking it.
TIMESTAMP_TOLERANCE_SECONDS = 90
_APP_HOME_HOST = re.compile(
    r"^(admin\.shopify\.com/store/[a-z0-9][a-z0-9-]*|[a-z0-9][a-z0-9-]*\.myshopify\.com/admin)$"
)


def callback_url(config: Config) -> str:
    return f"{config.app_url}/auth/callback"


def authorize_url(config: Config, shop: str, state: str) -> str:
    """The grant screen for an offline token (no ``grant_options[]``) with the app's scopes."""
    query = urlencode({"client_id": config.shopify_api_key, "scope": config.shopify_scopes,
                       "redirect_uri": callback_url(config), "state": state})
    return f"https://{shop}/admin/oauth/authorize?{query}"


def fresh_timestamp(value: str, now: float | None = None) -> bool:
    try:
        stamp = int(value)
    except ValueError:
        return False
    return abs((now if now is not None else time.time()) - stamp) <= TIMESTAMP_TOLERANCE_SECONDS


def app_home_url(config: Config, shop: str, host: str | None) -> str:
    """Where the merchant lands after install: App Home in the admin when ``host`` (base64 with the
    padding stripped) names a Shopify admin, else the app URL. Any other host is ignored, so the
    callback cannot be turned into an open redirect."""
    if host:
        try:
            decoded = base64.b64decode(host + "=" * (-len(host) % 4), validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if _APP_HOME_HOST.fullmatch(decoded):
            return f"https://{decoded}/apps/{config.shopify_api_key}/"
    return f"{config.app_url}/?{urlencode({'shop': shop})}"
