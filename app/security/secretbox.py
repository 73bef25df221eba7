"""Secrets kept in the database, sealed with keys derived from HOMEWARD_SECRET_KEY.

Authenticator secrets are encrypted (Fernet: AES with an HMAC), so a copy of the database
alone cannot produce anyone's one-time codes. Changing HOMEWARD_SECRET_KEY makes the sealed
secrets unreadable: people then sign in with a recovery code and set up their app again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=4)
def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )


def seal(secret_key: str, plaintext: str) -> str:
    key = base64.urlsafe_b64encode(_derive(secret_key, b"homeward sealed secrets"))
    return Fernet(key).encrypt(plaintext.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str | None:
    """The plaintext, or None when it was sealed under another key (or altered)."""
    key = base64.urlsafe_b64encode(_derive(secret_key, b"homeward sealed secrets"))
    try:
        return Fernet(key).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def keyed_digest(secret_key: str, value: str) -> str:
    """A hash of `value` that cannot be reversed by guessing without the secret key."""
    key = _derive(secret_key, b"homeward keyed digests")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
