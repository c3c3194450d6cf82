"""The admin's connection check: one cheap authenticated read with the saved key, its outcome kept on the row."""

from __future__ import annotations

import httpx

from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.crypto import decrypt
from shopify_app.integrations import klaviyo, omnisend, postscript
from shopify_app.models import IntegrationSetting

CHECK_TIMEOUT_SECONDS = 5.0


def _probe(config: Config, service: str, api_key: str) -> httpx.Request:
    """The cheapest authenticated read each service offers, authenticated as its client is."""
    if service == "klaviyo":
        return httpx.Request("GET", f"{config.klaviyo_api_url}{klaviyo.PROBE_PATH}",
                             headers=klaviyo.auth_headers(api_key, config.klaviyo_revision))
    if service == "omnisend":
        return httpx.Request("GET", f"{config.omnisend_api_url}{omnisend.PROBE_PATH}",
                             headers=omnisend.auth_headers(api_key, config.omnisend_version))
    return httpx.Request("GET", f"{config.postscript_api_url}{postscript.PROBE_PATH}",
                         headers=postscript.auth_headers(api_key))


def check_connection(config: Config, row: IntegrationSetting) -> bool:
    """Call the service with the saved key and keep the outcome on the row for the page to show."""
    api_key = decrypt(row.api_key_ciphertext or "", config)
    try:
        with httpx.Client(timeout=CHECK_TIMEOUT_SECONDS) as client:
            response = client.send(_probe(config, row.service, api_key))
        ok = response.is_success
        message = "Connected" if ok else (
            f"The key was refused (HTTP {response.status_code})" if response.status_code in (401, 403)
            else f"The service answered HTTP {response.status_code}"
        )
    except httpx.HTTPError as error:
        ok, message = False, f"Could not reach {row.service}: {type(error).__name__}"
    row.last_checked_at, row.last_check_ok, row.last_check_message = utcnow(), ok, message
    return ok
