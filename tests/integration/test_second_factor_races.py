"""Single-use codes under two requests at the same moment (both backends, real commits): one
gets in, the other is refused. The second request reads before the first commits and then
waits for its lock, as two browsers posting the same code would."""

from __future__ import annotations

import secrets

import pyotp
import pytest

from casemodel.models import User
from casemodel.services.accounts import create_user
from casemodel.services.second_factor import (
    CodeCheck,
    check_totp,
    enrol_totp,
    regenerate_recovery_codes,
    use_recovery_code,
)
from tests.concurrency import two_at_once


@pytest.fixture
def factory(own_session_factory):
    return own_session_factory


@pytest.fixture
def totp_user(factory):
    with factory() as session:
        user = create_user(session, email=f"race-{secrets.token_hex(4)}@example.nl",
                           name="Race", password=None)  # fmt: skip
        user.second_factor, user.totp_secret = "totp", pyotp.random_base32()
        codes = regenerate_recovery_codes(session, user=user)
        session.commit()
        return user.id, user.totp_secret, codes


def test_a_recovery_code_posted_twice_at_once_lets_one_in(factory, totp_user):
    user_id, _secret, codes = totp_user
    results = two_at_once(
        factory, lambda s: use_recovery_code(s, user=s.get(User, user_id), code=codes[0])
    )
    assert sorted(results) == [CodeCheck.OK, CodeCheck.WRONG]


def test_an_authenticator_code_posted_twice_at_once_lets_one_in(factory, totp_user):
    user_id, secret, _codes = totp_user
    code = pyotp.TOTP(secret).now()
    results = two_at_once(factory, lambda s: check_totp(s, user=s.get(User, user_id), code=code))
    assert sorted(results) == [CodeCheck.OK, CodeCheck.REPLAYED]


def test_a_failed_enrolment_keeps_the_replay_guard(factory, totp_user):
    user_id, secret, _codes = totp_user
    code = pyotp.TOTP(secret).now()
    with factory() as session:
        user = session.get(User, user_id)
        assert check_totp(session, user=user, code=code) is CodeCheck.OK
        assert enrol_totp(session, user=user, secret=pyotp.random_base32(), code="000000") in (
            CodeCheck.WRONG, CodeCheck.REPLAYED,
        )  # fmt: skip
        session.commit()
    with factory() as session:
        user = session.get(User, user_id)
        assert check_totp(session, user=user, code=code) is CodeCheck.REPLAYED


def test_a_set_password_link_used_twice_at_once_sets_one_password(factory, totp_user):
    from casemodel.services.account_links import (
        check_token,
        request_password_link,
        set_password_through_link,
    )
    from casemodel.services.errors import InvalidToken

    user_id, _secret, _codes = totp_user
    tokens = []
    with factory() as session:
        email = session.get(User, user_id).email
        request_password_link(
            session, email=email, link_for=lambda token, _purpose: tokens.append(token) or "x"
        )
        session.commit()
        link_id = check_token(session, token=tokens[0], purpose="activation").id

    def set_password(password):
        def request(session):
            try:
                set_password_through_link(session, link_id=link_id, purpose="activation",
                                          password=password, portal_link="x")  # fmt: skip
                return "set"
            except InvalidToken as refused:
                return refused.reason

        return request

    results = two_at_once(factory, set_password("paardenbloem zonnig fietspad"),
                          set_password("een heel andere lange zin"))  # fmt: skip
    assert sorted(results) == ["set", "used"]
