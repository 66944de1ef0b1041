"""The portal: clients, office staff and managers in one Flask app, behind roles."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from casemodel import config as settings
from casemodel.i18n import translations_folder
from casemodel.services.errors import NotFound
from relay.wake import ADDRESSES_ENV as RELAY_WAKE_ENV
from relay.wake import DEFAULT_ADDRESSES as DEFAULT_RELAY_WAKE
from webapp.demo_settings import check_demo_settings
from webapp.extensions import (
    babel,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    wait_for_the_answer_time,
)
from webapp.form_base import refused_forms_answer_422
from webapp.server_keys import check_server_keys
from webapp.static_files import favicon, static_url_version
from webapp.urls import LOCALES, same_origin


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment (DOSSIERFLOW_*), then `config`."""
    app = Flask(__name__, instance_path=str(settings.instance_path()))
    app.config.update(
        DATABASE_URL=settings.database_url(),
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_TRANSLATION_DIRECTORIES=translations_folder(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("DOSSIERFLOW_INSECURE_COOKIES") != "1",
        SESSION_COOKIE_NAME="dossierflow_session",
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=None,
        #: The outbox relays' wake addresses (relay.wake: "host:port", comma separated): a
        #: commit that queued messages wakes them; empty, none (they deliver on their rounds).
        RELAY_WAKE=os.environ.get(RELAY_WAKE_ENV, DEFAULT_RELAY_WAKE),
        #: WTForms' own messages ("Dit veld is vereist.") in the request's language, from
        #: WTForms' catalogs (Flask-WTF's documented i18n; on by default, said here on purpose).
        WTF_I18N_ENABLED=True,
        PREFECT_UI_URL=os.environ.get("DOSSIERFLOW_PREFECT_UI_URL", "http://127.0.0.1:4200"),
        PAGE_SIZE=20,
        #: The portal's public address, for links in mails (behind a proxy: the proxy's).
        BASE_URL=os.environ.get("DOSSIERFLOW_BASE_URL", "http://127.0.0.1:5000"),
        #: The development mailbox page (/dev/mailbox): only where a mail sink is running.
        DEV_MAILBOX=os.environ.get("DOSSIERFLOW_DEV_MAILBOX") == "1",
        #: The demo's environment (devtools/demo.py sets it): only there do the demo commands
        #: (`flask demo seed`) run.
        DEMO=os.environ.get("DOSSIERFLOW_DEMO") == "1",
        #: The file store (content-addressed, outside the web root).
        FILES_PATH=str(settings.files_path()),
        #: One file at most; a request body larger than this is refused with 413 before it is
        #: read (MAX_CONTENT_LENGTH, with a little room for the form around the file).
        MAX_FILE_BYTES=int(os.environ.get("DOSSIERFLOW_MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        #: ClamAV's clamd (socket path or host:port): every upload is scanned, and refused
        #: while clamd cannot be reached. None: no scanning.
        CLAMD_ADDRESS=settings.clamd_address(),
        RATELIMIT_STORAGE_URI=os.environ.get("DOSSIERFLOW_RATELIMIT_STORAGE", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        #: Off only for load benchmarks from a single address.
        RATELIMIT_ENABLED=os.environ.get("DOSSIERFLOW_RATELIMIT_ENABLED", "1") == "1",
        #: Compressed: the stylesheets and scripts (static, the same for everyone). Not the
        #: pages and JSON answers: they carry form tokens beside what a person typed, and
        #: compressing both lets an attacker guess a token by the response's size (BREACH).
        COMPRESS_MIMETYPES=["text/css", "text/javascript", "application/javascript",
                            "image/svg+xml"],  # fmt: skip
        #: Static files are cached for a year: their URLs carry a digest of their content
        #: (static_url_version), so a changed file has a new URL. One stylesheet request on
        #: the first page, none after: nothing holds up the first paint of the next page.
        SEND_FILE_MAX_AGE_DEFAULT=365 * 24 * 3600,
    )
    app.config["SECRET_KEY"] = os.environ.get("DOSSIERFLOW_SECRET_KEY") or _local_secret_key()
    if config:
        app.config.update(config)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_FILE_BYTES"] + 1024 * 1024
    check_demo_settings(app.config)  # refuses to start with demo settings on a public address
    check_server_keys(app.config["BASE_URL"], secret_key_given=bool(
        os.environ.get("DOSSIERFLOW_SECRET_KEY") or (config or {}).get("SECRET_KEY")))

    from webapp.auth.identity import load_user, set_device_cookie
    from webapp.background import unauthorized
    from webapp.logmasking import mask_request_log

    mask_request_log()  # `flask run`'s request log; gunicorn's: gunicorn.conf.py

    proxy_hops = int(os.environ.get("DOSSIERFLOW_PROXY_HOPS", "0"))
    if proxy_hops:
        # Behind a TLS proxy: take the client's address and scheme from X-Forwarded-* (only
        # that many hops: a client cannot forge its way past the proxy), so that rate limits,
        # audit events and Secure cookies see the real client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops)
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Not Flask-Login's "strong" protection: it ends the session whenever the client's address
    # changes, which logs out every phone that moves between networks. The server-side session
    # (rotated at the password and at the second factor), re-authentication before sensitive
    # changes and a mail about logins from new browsers stand in its place (DESIGN-notes).
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    # A script's call after the session ended gets 401 JSON, a person the login page.
    login_manager.unauthorized_handler(unauthorized)
    limiter.init_app(app)
    compress.init_app(app)
    app.url_defaults(static_url_version)

    from webapp import (
        archive,
        attachments,
        beheer,
        documents,
        errors,
        messages,
        office_settings,
        support,
        upload_requests,
    )
    from webapp.approvals import bp as approvals_bp
    from webapp.audience import dossier_page_url
    from webapp.auth import bp as auth_bp
    from webapp.cli import register_cli
    from webapp.office import bp as office_bp
    from webapp.portal import bp as portal_bp
    from webapp.questionnaires import bp as questionnaires_bp
    from webapp.questionnaires.cli import forms_group
    from webapp.theming import theme_context
    from webapp.uploads import refused_file

    app.register_blueprint(auth_bp)
    # The two audiences' own pages (home and lists, the dossier's page, tasks, accounts)...
    app.register_blueprint(portal_bp)
    app.register_blueprint(office_bp, url_prefix="/office")
    # ...and the features both use, one set of routes each; casemodel decides who may do what.
    for feature in (documents, messages, attachments, upload_requests, archive, office_settings):
        app.register_blueprint(feature.bp)
    app.add_template_global(dossier_page_url)
    app.add_template_global(refused_file)
    app.register_blueprint(questionnaires_bp)
    app.register_blueprint(approvals_bp)
    # The organisation's people and details ("Beheer"), and whom to turn to ("Ondersteuning").
    app.register_blueprint(beheer.bp)
    app.register_blueprint(support.bp)
    app.cli.add_command(forms_group)
    if app.config["DEV_MAILBOX"]:
        from webapp.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp, url_prefix="/dev")
    errors.register(app)
    register_cli(app)
    if app.config["DEMO"]:
        from webapp.demo_gate import wait_for_the_seed

        app.before_request(wait_for_the_seed)

    app.after_request(set_device_cookie)
    app.after_request(refused_forms_answer_422)
    app.after_request(_commit_and_secure)
    app.context_processor(_layout_context)
    app.context_processor(theme_context)
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_url_rule("/language", "set_language", set_language, methods=["POST"])
    return app


def _local_secret_key() -> str:
    """A per-installation key kept under instance/, for running locally without configuration.
    Production sets DOSSIERFLOW_SECRET_KEY."""
    path = settings.instance_path() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LOCALES else "nl"


def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("office.list_dossiers"))
    return redirect(url_for("portal.home"))


def set_language():
    """Switch the language at once, for this session and (when logged in) for good."""
    locale = request.form.get("locale")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    return redirect(same_origin(request.form.get("next")) or url_for("index"))


#: Answers the browser may keep: the same for everyone (stylesheets, scripts, the favicon; their
#: addresses carry a version, static_url_version) or naming their content in their address
#: (an office's logo). Every other signed-in answer is "no-store".
CACHEABLE_ENDPOINTS = frozenset({"static", "favicon", "office_settings.show_logo"})


def _commit_and_secure(response):
    # One transaction per request, committed once, before the response leaves; a failing commit
    # becomes a 500 instead of a success page for lost work.
    if response.status_code < 500:
        db.commit()
    wait_for_the_answer_time()
    headers = response.headers
    # style-src: the page's one <style> block (the office's colours) by this response's nonce.
    nonce = g.get("csp_nonce")
    styles = f"style-src 'self' 'nonce-{nonce}'; " if nonce else ""
    headers.setdefault(
        "Content-Security-Policy",
        # img-src: the upload dialog (Uppy) draws its icons from data: URLs in its CSS and
        # previews the chosen pictures from blob: URLs.
        f"default-src 'self'; {styles}img-src 'self' data: blob:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if app_config_secure():
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint not in CACHEABLE_ENDPOINTS and (
        request.blueprint == "auth" or (current_user and current_user.is_authenticated)
    ):
        # Signed-in pages, and every page of the way in (a code form, an authenticator's
        # secret before the login is done, a set-password link's form).
        headers["Cache-Control"] = "no-store"
    return response


def app_config_secure() -> bool:
    from flask import current_app

    return current_app.config["SESSION_COOKIE_SECURE"]


def _layout_context() -> dict[str, Any]:
    return {"current_locale": select_locale(), "locales": LOCALES, "g": g}


__all__ = ["create_app", "NotFound"]
