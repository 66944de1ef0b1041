"""Who is signed in: server-side sessions behind Flask-Login, the pending login between the
password and the second factor, and the device cookie that exempts a known browser from the
account lock.

The login is a small state machine in dedicated session keys (after Flask-Security):
`pending_login` holds the token of a session that has passed the password only; `login_user()`
is called only once the second factor is done, with a new session token, so the cookie changes
at the password and again at the second factor.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import force_locale
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from casemodel.models import User, UserSession
from casemodel.services import sessions as session_service
from casemodel.services.account_links import end_open_links
from casemodel.services.accounts import device_stamp, is_trusted_device, signed_in
from casemodel.services.audit import record_event
from casemodel.services.sign_in_notices import notice_new_device
from webapp.auth.browsers import browser_label
from webapp.background import is_background_call
from webapp.extensions import db

PENDING_KEY = "pending_login"
DEVICE_COOKIE = "dossierflow_device"
DEVICE_MAX_AGE = 365 * 24 * 3600


def load_user(token: str) -> User | None:
    """Flask-Login's loader: the cookie's token must name a live, fully signed-in session. A
    background call reads it without renewing its idle timer (webapp/background.py)."""
    row = session_service.find_session(db.session, token, touch=not is_background_call())
    if row is None or row.stage != "full" or not row.user.is_active:
        return None
    row.user.session_token = token
    return row.user


def begin_login(user: User) -> None:
    """The password was right: keep only a pending session until the second factor."""
    locale = session.get("locale")
    session.clear()  # nothing of the anonymous session carries over
    if locale:
        session["locale"] = locale
    session[PENDING_KEY] = session_service.start_session(
        db.session, user=user, stage="password", ip=_ip(), user_agent=_agent()
    )


def pending_login() -> tuple[UserSession, User] | None:
    """The session between password and second factor, if it is still live."""
    token = session.get(PENDING_KEY)
    row = session_service.find_session(db.session, token) if token else None
    if row is None or row.stage != "password" or not row.user.is_active:
        return None
    return row, row.user


def current_session_row() -> UserSession | None:
    """This browser's session on the server: the signed-in one, or else the pending login."""
    token = getattr(current_user, "session_token", None) if current_user.is_authenticated else None
    if token:
        return session_service.find_session(db.session, token, touch=False)
    pending = pending_login()
    return pending[0] if pending else None


def finish_login(user: User, method: str | None) -> None:
    """Every factor is done: end the pending session, start a full one, log in. A browser
    that has not logged in as this user before gets the owner a mail about it."""
    token = session.pop(PENDING_KEY, None)
    if token:
        session_service.end_session(db.session, token, reason="second_factor")
    if not is_trusted_device(user, trusted_device()):
        with force_locale(user.locale):  # the mail is in the user's language
            device = browser_label(_agent())
        notice_new_device(db.session, user=user, device=device, ip=_ip())
    signed_in(user)
    # A set-password link mailed before this login is no longer needed: it stops working.
    end_open_links(db.session, user=user)
    kept = {key: session[key] for key in ("locale", "after_login") if key in session}
    session.clear()  # a new session: nothing of the half-way one carries over but these
    session.update(kept)
    user.session_token = session_service.start_session(
        db.session, user=user, stage="full", ip=_ip(), user_agent=_agent(), second_factor=method
    )
    login_user(user)
    session["trust_device"] = [user.id, device_stamp(user)]
    record_event(
        db.session, action="auth.login", actor=user, detail={"ip": _ip(), "method": method}
    )


def abandon_login(reason: str) -> None:
    token = session.pop(PENDING_KEY, None)
    if token:
        session_service.end_session(db.session, token, reason=reason)


def logout(user: User, reason: str = "logout") -> None:
    if user.session_token:
        session_service.end_session(db.session, user.session_token, reason=reason)
    record_event(db.session, action="auth.logout", actor=user,
                 detail={"reason": reason} if reason != "logout" else None)  # fmt: skip
    logout_user()
    session.clear()


def trusted_device() -> tuple[int, str] | None:
    """Whom this browser's device cookie names (set after a full login, at most DEVICE_MAX_AGE
    ago), and the credential stamp it was given with: (user id, stamp)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    user_id, stamp = value
    return (user_id, stamp) if isinstance(user_id, int) and isinstance(stamp, str) else None


def set_device_cookie(response):
    """Called for every response: marks the browser as known once a login has finished."""
    device = session.pop("trust_device", None)
    if device is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            _device_serializer().dumps(device),
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
        )
    return response


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="dossierflow-device-2")


def _ip() -> str | None:
    return request.remote_addr


def _agent() -> str | None:
    return request.headers.get("User-Agent")
