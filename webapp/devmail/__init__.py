"""The development mailbox: every mail the demo's mail sink received, so that a newcomer can
follow an activation in the browser. Registered only with DOSSIERFLOW_DEV_MAILBOX=1 (the demo);
absent in production."""

from email.message import EmailMessage

from flask import Blueprint, abort, render_template

from casemodel.config import instance_path
from devtools.mailsink import read_mailbox

bp = Blueprint("devmail", __name__, template_folder="templates")


def _mailbox() -> list[EmailMessage]:
    return read_mailbox(instance_path() / "mailbox")


@bp.route("/mailbox")
def list_mail():
    return render_template("devmail/mailbox.html", mails=list(enumerate(_mailbox())))


@bp.route("/mailbox/<int:index>")
def show_mail(index: int):
    mails = _mailbox()
    if not 0 <= index < len(mails):
        abort(404)
    mail = mails[index]
    body = mail.get_body(preferencelist=("plain",))
    return render_template("devmail/mail.html", mail=mail, text=body.get_content() if body else "")
