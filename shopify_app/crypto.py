"""Secrets at rest: Fernet encryption with a key derived from the app secret."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"loyalty-app secrets at rest v1"


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str, secret: str) -> str:
    return _fernet(secret).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, secret: str, previous_secret: str = "") -> str:
    """Decrypt with the current app secret, or the previous one during a rotation."""
    keys = [_fernet(secret)] + ([_fernet(previous_secret)] if previous_secret else [])
    try:
        return MultiFernet(keys).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: wrong app secret or corrupted value") from None
