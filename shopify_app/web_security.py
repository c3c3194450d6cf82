"""What every response and the session cookie carry, whichever blueprint answered."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from shopify_app.config import Config


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, whose cookies are parsed and signer built only for a request that
    carries cookies: the API's and the storefront's requests never do, and both cost about what routing them does."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # A session left empty and untouched sets, deletes and varies on nothing: Flask's own check
        # comes after it has read the cookie's six settings from the config.
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


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
    app.session_interface = CookieSessions()
    app.after_request(nosniff)
