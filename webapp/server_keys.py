"""The server's keys in a deployment. Run locally, the portal makes each key it is not given
once under instance/, so that the demo and a checkout start without configuration. A deployment
(its public address, DOSSIERFLOW_BASE_URL, is not the loopback) refuses to start without them:
a key made on one machine would differ between the portal's processes on two machines, be
lost with the instance folder, and end up in its backups.

- DOSSIERFLOW_SECRET_KEY signs the session cookie and form tokens.
- DOSSIERFLOW_CODE_KEY keys the stored hashes of SMS and recovery codes (config.code_key).
- DOSSIERFLOW_TOTP_KEY seals the authenticators' secrets (config.totp_keys, casemodel.sealing).
"""

from __future__ import annotations

import os

from webapp.demo_settings import is_loopback_url

SERVER_KEYS = ("DOSSIERFLOW_SECRET_KEY", "DOSSIERFLOW_CODE_KEY", "DOSSIERFLOW_TOTP_KEY")


class MissingServerKeys(RuntimeError):
    """A deployment started without one of its keys in the environment."""


def check_server_keys(base_url: str, *, secret_key_given: bool) -> None:
    """Refuse to start a deployment without its keys; a configured TOTP key must be usable.

    Args:
        secret_key_given: the app's SECRET_KEY came from the environment or the caller's
            configuration, not from instance/.
    Raises:
        MissingServerKeys: naming the keys missing and how to make them.
        ValueError: a DOSSIERFLOW_TOTP_KEY that is not a Fernet key (config.totp_keys).
    """
    from casemodel.config import totp_keys

    if os.environ.get("DOSSIERFLOW_TOTP_KEY"):
        totp_keys()  # a bad key stops the start, not the first login with an authenticator
    if is_loopback_url(base_url):
        return
    missing = [name for name in SERVER_KEYS if not os.environ.get(name)]
    if secret_key_given and "DOSSIERFLOW_SECRET_KEY" in missing:
        missing.remove("DOSSIERFLOW_SECRET_KEY")
    if missing:
        raise MissingServerKeys(
            f"{', '.join(missing)} must be set for a deployment (DOSSIERFLOW_BASE_URL is "
            f"{base_url}, not the loopback): keys made under instance/ are for running on this "
            "machine only. DOSSIERFLOW_TOTP_KEY is a Fernet key (Fernet.generate_key()), the "
            "others long random strings (secrets.token_hex(32)); see README, 'Deploying'."
        )
