"""Per-shop integration settings: the vendor API key, encrypted at rest, and an enabled flag."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import crypto
from shopify_app.config import Config
from shopify_app.errors import BadRequest
from shopify_app.models import IntegrationSetting, Service, Shop


def _service(name: str) -> str:
    try:
        return Service(name).value
    except ValueError:
        raise BadRequest(f"unknown service '{name}'; one of {', '.join(s.value for s in Service)}") from None


def _setting(session: Session, shop_id: str, service: str) -> IntegrationSetting | None:
    return session.scalar(
        select(IntegrationSetting).where(IntegrationSetting.shop_id == shop_id, IntegrationSetting.service == service)
    )


def set_api_key(session: Session, shop: Shop, service: str, api_key: str, config: Config) -> IntegrationSetting:
    """Store (or replace) the service's key and enable it; the caller commits."""
    service = _service(service)
    if not api_key.strip():
        raise BadRequest("the API key is empty")
    setting = _setting(session, shop.id, service) or IntegrationSetting(shop_id=shop.id, service=service)
    setting.api_key_ciphertext = crypto.encrypt(api_key.strip(), config.shopify_api_secret)
    setting.key_hint = api_key.strip()[-4:]
    setting.enabled = True
    # A new key has not been checked yet; an old check says nothing about it.
    setting.last_checked_at = setting.last_check_ok = setting.last_check_message = None
    session.add(setting)
    return setting


def disable(session: Session, shop: Shop, service: str) -> None:
    setting = _setting(session, shop.id, _service(service))
    if setting is not None:
        setting.enabled = False


def api_key_for(session: Session, shop_id: str, service: str, config: Config) -> str | None:
    """The usable key of an enabled service, or None (the delivery is then skipped)."""
    setting = _setting(session, shop_id, service)
    if setting is None or not setting.enabled or not setting.api_key_ciphertext:
        return None
    return crypto.decrypt(setting.api_key_ciphertext, config.shopify_api_secret, config.shopify_api_secret_previous)
