"""Settings read once from the environment; production refuses development secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_API_KEY = "dev-loyalty-api-key"
DEV_API_SECRET = "dev-loyalty-api-secret-not-for-production"
DEV_SECRET_KEY = "dev-loyalty-session-key-not-for-production"
SHOPIFY_API_VERSION = "2026-10"
# The scopes the app needs (as in shopify.app.toml); the Shopify CLI passes them as SCOPES.
SHOPIFY_SCOPES = "read_customers,write_customers,read_orders,write_app_proxy"


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app safely."""


@dataclass(frozen=True)
class Config:
    env: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    redis_url: str = ""
    shopify_api_key: str = DEV_API_KEY
    shopify_api_secret: str = DEV_API_SECRET
    shopify_api_secret_previous: str = ""
    # Signs the Flask session cookie (the demo login's); never one of the Shopify secrets.
    secret_key: str = DEV_SECRET_KEY
    shopify_api_version: str = SHOPIFY_API_VERSION
    shopify_scopes: str = SHOPIFY_SCOPES
    app_url: str = "http://127.0.0.1:8000"
    # The storefront path Shopify forwards to /proxy ([app_proxy] prefix and subpath in shopify.app.toml);
    # Shopify signs it as path_prefix, and a request signed for another path is refused.
    app_proxy_path_prefix: str = "/apps/loyalty"
    shopify_admin_origin: str = ""
    klaviyo_api_url: str = "https://a.klaviyo.com"
    omnisend_api_url: str = "https://api.omnisend.com"
    postscript_api_url: str = "https://api.postscript.io"
    # The admin's demo login, off unless ADMIN_DEV_LOGIN=1; check() allows it only beside the
    # development Shopify secret, so it never opens a real app's shops.
    admin_dev_login: bool = False
    klaviyo_revision: str = "2026-07-15"
    omnisend_version: str = "2026-03-15"
    # Changes to one customer closer together than this are delivered as one update.
    sync_coalesce_seconds: float = 1.0
    # RQ retry intervals (seconds) of network jobs; their count is the number of retries.
    job_retry_intervals: tuple[int, ...] = (10, 30, 60, 300, 900)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def signing_secrets(self) -> list[str]:
        """The secrets a Shopify signature may use: the current one, then the one before a rotation."""
        return [s for s in (self.shopify_api_secret, self.shopify_api_secret_previous) if s]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'loyalty.db'}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Config:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "env": env.get("APP_ENV", "development"),
            "instance_path": Path(env.get("INSTANCE_PATH", PROJECT_ROOT / "instance")),
            "database_url": normalize_database_url(env.get("DATABASE_URL", "")),
            "redis_url": env.get("REDIS_URL", ""),
            "shopify_api_key": env.get("SHOPIFY_API_KEY", DEV_API_KEY),
            "shopify_api_secret": env.get("SHOPIFY_API_SECRET", DEV_API_SECRET),
            "shopify_api_secret_previous": env.get("SHOPIFY_API_SECRET_PREVIOUS", ""),
            "secret_key": env.get("SECRET_KEY", DEV_SECRET_KEY),
            "shopify_scopes": env.get("SCOPES") or env.get("SHOPIFY_SCOPES") or SHOPIFY_SCOPES,
            "app_url": env.get("APP_URL", "http://127.0.0.1:8000").rstrip("/"),
            "app_proxy_path_prefix": env.get("APP_PROXY_PATH_PREFIX", "/apps/loyalty"),
            "shopify_admin_origin": env.get("SHOPIFY_ADMIN_ORIGIN", "").rstrip("/"),
            "klaviyo_api_url": env.get("KLAVIYO_API_URL", "https://a.klaviyo.com").rstrip("/"),
            "omnisend_api_url": env.get("OMNISEND_API_URL", "https://api.omnisend.com").rstrip("/"),
            "postscript_api_url": env.get("POSTSCRIPT_API_URL", "https://api.postscript.io").rstrip("/"),
            "admin_dev_login": env.get("ADMIN_DEV_LOGIN", "0") == "1",
            "klaviyo_revision": env.get("KLAVIYO_REVISION", "2026-07-15"),
            "omnisend_version": env.get("OMNISEND_VERSION", "2026-03-15"),
            "sync_coalesce_seconds": float(env.get("SYNC_COALESCE_SECONDS", "1.0")),
            "job_retry_intervals": tuple(int(s) for s in env.get("JOB_RETRY_INTERVALS", "10,30,60,300,900").split(",")),
        }
        values.update(overrides)
        config = cls(**values)  # type: ignore[arg-type]
        config.check()
        return config

    def check(self) -> None:
        if self.admin_dev_login and self.is_production:
            raise ConfigError("ADMIN_DEV_LOGIN is for development only and cannot be enabled in production")
        if self.admin_dev_login and self.signing_secrets != [DEV_API_SECRET]:
            raise ConfigError("ADMIN_DEV_LOGIN=1 needs the development SHOPIFY_API_SECRET (and no previous secret): "
                              "the demo login must never run beside a real app's secret")
        if not self.is_production:
            return
        if self.shopify_api_secret == DEV_API_SECRET or not self.shopify_api_secret:
            raise ConfigError("SHOPIFY_API_SECRET must be set in production")
        if self.shopify_api_key == DEV_API_KEY or not self.shopify_api_key:
            raise ConfigError("SHOPIFY_API_KEY must be set in production")
        if not self.database_url or not self.redis_url:
            raise ConfigError("DATABASE_URL and REDIS_URL must be set in production")
        if self.secret_key == DEV_SECRET_KEY or not self.secret_key:
            raise ConfigError("SECRET_KEY must be set in production")
        if self.secret_key in self.signing_secrets:
            raise ConfigError("SECRET_KEY must differ from the Shopify secrets")


def loyalty_config(app: Flask) -> Config:
    """The settings ``create_app`` gave ``app``."""
    return app.config["LOYALTY"]  # type: ignore[no-any-return]


def normalize_database_url(url: str) -> str:
    """Point plain postgres:// URLs at the psycopg 3 driver that the app installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
