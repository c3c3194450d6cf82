"""Reward discount codes: unguessable, readable, with the shop's prefix."""

from __future__ import annotations

import secrets

# No 0/O or 1/I, which read alike; 32 symbols give 5 random bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10  # 50 random bits
DEFAULT_PREFIX = "LOYAL"


def new_code(prefix: str = DEFAULT_PREFIX) -> str:
    """``PREFIX-XXXXXXXXXX``. A repeat within a shop is refused by the unique (shop, code) constraint."""
    return f"{prefix or DEFAULT_PREFIX}-{''.join(secrets.choice(ALPHABET) for _ in range(LENGTH))}"
