"""Secrets at rest: Fernet encryption under DATA_ENCRYPTION_KEY, the previous key still read during a rotation."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shopify_app.config import Config

_INFO = b"loyalty-app secrets at rest v1"


@lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    # HKDF, so the setting can be any long random string (e.g. `openssl rand -base64 32`).
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys(config: Config) -> MultiFernet:
    """The current key first (MultiFernet encrypts with it), then the previous one, which only decrypts."""
    keys = [config.data_encryption_key, config.data_encryption_key_previous]
    return MultiFernet([_fernet(key) for key in keys if key])


def encrypt(plaintext: str, config: Config) -> str:
    """Always under the current key: a value written after a rotation no longer needs the previous one."""
    return _keys(config).encrypt(plaintext.encode()).decode()


def reencrypt(ciphertext: str, config: Config) -> str:
    """The same secret under the current key (unchanged in meaning when it already is)."""
    try:
        return _keys(config).rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: wrong DATA_ENCRYPTION_KEY or corrupted value") from None


def decrypt(ciphertext: str, config: Config) -> str:
    try:
        return _keys(config).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: wrong DATA_ENCRYPTION_KEY or corrupted value") from None
