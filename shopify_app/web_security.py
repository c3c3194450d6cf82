"""What every response and the session cookie carry, whichever blueprint answered."""

from __future__ import annotations

from flask import Flask, Response

from shopify_app.config import Config


def nosniff(response: Response) -> Response:
    """Browsers must take each body as the type it is served with (JSON stays JSON, never HTML)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(app: Flask, config: Config) -> None:
    app.config.update(
        # Sessions (the demo login's) are signed with a key of their own, never a Shopify secret.
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_SECURE=config.app_url.startswith("https://"),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.after_request(nosniff)
