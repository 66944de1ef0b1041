"""The session check a page makes after it told its reader they were signed out."""

from flask import jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from webapp.auth import bp
from webapp.background import background_call, signed_out_answer


@bp.route("/session")
@background_call
def session_state():
    """Whether this browser is signed in, for a page that told its reader they were signed out:
    once they have logged in again (in another tab), the page takes a fresh form token, so what
    they typed can still be sent."""
    if not current_user.is_authenticated:
        return signed_out_answer()
    return jsonify(signed_in=True, csrf_token=generate_csrf())
