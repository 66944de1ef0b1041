"""Secrets the portal must read back, sealed at rest: the authenticator's TOTP secret. Unlike a
code (kept as a keyed hash), a TOTP secret is needed in the clear to compute the expected code,
so it is encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under the
keys of config.totp_keys: a copy of the database alone (a dump, a backup) no longer lets
anyone make a person's login and approval codes.

Rotating the key: put a new key first in DOSSIERFLOW_TOTP_KEY and keep the old one after it
(every key opens, the first seals), run `flask --app webapp secrets reseal` (every secret
sealed again with the new key), then remove the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from casemodel import config


class SealBroken(RuntimeError):
    """A sealed secret that none of the configured keys opens: the key was changed without
    keeping the old one, or the value was altered."""


def seal(secret: str) -> str:
    """The secret sealed with the newest key, as text for a String column."""
    return _keys().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    """The secret a sealed value holds.

    Raises:
        SealBroken: no configured key opens it (the message says what to check).
    """
    try:
        return _keys().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise SealBroken(
            "a sealed TOTP secret cannot be opened with any key in DOSSIERFLOW_TOTP_KEY: was "
            "the key replaced without keeping the old one after it?"
        ) from None


def reseal(sealed: str) -> str:
    """The same secret sealed with the newest key (key rotation).

    Raises:
        SealBroken: as unseal.
    """
    try:
        return _keys().rotate(sealed.encode("ascii")).decode("ascii")
    except InvalidToken:
        unseal(sealed)  # raises SealBroken with its message
        raise


def _keys() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in config.totp_keys()])
