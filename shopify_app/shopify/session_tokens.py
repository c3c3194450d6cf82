"""Session (ID) tokens from App Bridge: HS256 JWTs signed with the app secret."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import jwt

from shopify_app.shopify.domains import valid_shop_domain

LEEWAY_SECONDS = 10
REQUIRED_CLAIMS = ["iss", "dest", "aud", "sub", "exp", "nbf", "iat", "jti", "sid"]


class InvalidSessionToken(Exception):
    """The token is missing, forged, expired, for another app, or names no valid shop."""


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str
    session_id: str
    claims: dict[str, object]


def decode_session_token(token: str, *, api_key: str, secrets: list[str]) -> SessionToken:
    """Verify signature (current or previous secret), ``aud``, ``exp``/``nbf`` with 10 s leeway,
    and that ``iss`` and ``dest`` name the same valid shop; the shop comes from ``dest``."""
    if not token:
        raise InvalidSessionToken("missing session token")
    last_error: Exception | None = None
    for secret in filter(None, secrets):
        try:
            claims = jwt.decode(
                token, secret, algorithms=["HS256"], audience=api_key, leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
            break
        except jwt.InvalidSignatureError as error:
            last_error = error
        except jwt.PyJWTError as error:
            raise InvalidSessionToken(str(error)) from None
    else:
        raise InvalidSessionToken(f"bad signature: {last_error}")
    dest_host = urlparse(str(claims["dest"])).hostname
    iss_host = urlparse(str(claims["iss"])).hostname
    shop = valid_shop_domain(dest_host)
    if shop is None or iss_host != dest_host:
        raise InvalidSessionToken("iss and dest must name the same *.myshopify.com shop")
    return SessionToken(shop=shop, user_id=str(claims["sub"]), session_id=str(claims["sid"]), claims=claims)
