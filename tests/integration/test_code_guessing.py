"""Guessing second-factor codes is capped per account, whatever the concurrency (both
backends, real commits, each request its own transaction as the portal's requests are).

A try is counted before its code is compared, in the statement that asks whether a try is
left: of fifty wrong codes sent at once exactly MAX_FAILED_LOGINS are compared (each compared
wrong code leaves a `second_factor.code_wrong` event), and a right code that arrives after them
is refused without being compared, for SMS, authenticator and recovery codes alike."""

from __future__ import annotations

import re
import secrets
import time

import pyotp
import pytest
from sqlalchemy import func, select

from casemodel.db import utcnow
from casemodel.models import AuditEvent, OutboxMessage, User
from casemodel.services.accounts import MAX_FAILED_LOGINS, create_user
from casemodel.services.second_factor import (
    CodeCheck,
    check_login_code,
    regenerate_recovery_codes,
    send_sms_code,
)
from tests.concurrency import all_at_once

BURST = 50


@pytest.fixture
def factory(own_session_factory):
    return own_session_factory


@pytest.fixture
def account(factory):
    """A user with every method: an authenticator, recovery codes and an SMS code sent."""
    with factory() as session:
        user = create_user(session, email=f"guess-{secrets.token_hex(4)}@example.nl",
                           name="Guess", password=None)  # fmt: skip
        user.second_factor, user.totp_secret = "totp", pyotp.random_base32()
        user.mobile_number = "+31612345678"
        recovery = regenerate_recovery_codes(session, user=user)
        send_sms_code(session, user=user, purpose="login")
        session.commit()
        sms = session.scalar(select(OutboxMessage.payload).where(OutboxMessage.kind == "send_sms"))
        return {
            "id": user.id,
            "sms": re.search(r"\b(\d{6})\b", sms["text"]).group(1),
            "totp": pyotp.TOTP(user.totp_secret).now(),
            "recovery": recovery[0],
        }


def wrong_codes(method: str, right: str) -> list[str]:
    if method == "recovery":
        return [f"{k:05d}-wrong" for k in range(BURST)]
    return [f"{(int(right) + 7 + k) % 10**6:06d}" for k in range(BURST)]


def send_code(factory, user_id: int, method: str, code: str):
    """One request: its own session and transaction, committed as the portal commits."""

    def request():
        with factory() as session:
            outcome = check_login_code(session, user=session.get(User, user_id),
                                       method=method, code=code)  # fmt: skip
            session.commit()
            return outcome

    return request


def compared_wrong(factory, user_id: int) -> int:
    with factory() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "second_factor.code_wrong", AuditEvent.actor_id == user_id)
        )  # fmt: skip


def locked_until(factory, user_id: int):
    with factory() as session:
        return session.get(User, user_id).locked_until


@pytest.mark.parametrize("method", ["sms", "totp", "recovery"])
def test_fifty_wrong_codes_at_once_compare_exactly_the_limit(factory, account, method):
    user_id, right = account["id"], account[method]

    def right_code_once_locked():
        # In the burst, but only once the limit is reached: the lock must hold against it.
        deadline = time.monotonic() + 60
        while locked_until(factory, user_id) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return send_code(factory, user_id, method, right)()

    requests = [send_code(factory, user_id, method, code) for code in wrong_codes(method, right)]
    outcomes = all_at_once([*requests, right_code_once_locked])

    checks = [outcome.check for outcome in outcomes]
    assert compared_wrong(factory, user_id) == MAX_FAILED_LOGINS
    assert checks.count(CodeCheck.NO_TRIES_LEFT) == BURST + 1 - MAX_FAILED_LOGINS
    assert CodeCheck.OK not in checks
    assert checks[-1] is CodeCheck.NO_TRIES_LEFT  # the right code, refused uncompared
    assert locked_until(factory, user_id) > utcnow()  # and the lock was not lifted
    assert sum(outcome.login_ended for outcome in outcomes) == len(outcomes) - (
        MAX_FAILED_LOGINS - 1
    )


def test_a_right_code_within_the_limit_still_gets_in_and_starts_the_count_again(factory, account):
    user_id = account["id"]
    for code in ("000000", "111111"):
        send_code(factory, user_id, "totp", code)()
    assert send_code(factory, user_id, "totp", account["totp"])().check is CodeCheck.OK
    with factory() as session:
        # The caller (the login) calls signed_in after an OK; the count was 3 until then.
        assert session.get(User, user_id).failed_logins == 3


def test_a_known_browser_gets_its_tries_during_a_lock(factory, account):
    user_id = account["id"]
    for code in wrong_codes("totp", account["totp"])[:MAX_FAILED_LOGINS]:
        send_code(factory, user_id, "totp", code)()
    assert locked_until(factory, user_id) > utcnow()
    assert send_code(factory, user_id, "totp", account["totp"])().check is CodeCheck.NO_TRIES_LEFT
    with factory() as session:
        outcome = check_login_code(session, user=session.get(User, user_id), method="totp",
                                   code=account["totp"], trusted_device=True)  # fmt: skip
        session.commit()
    assert outcome.check is CodeCheck.OK
