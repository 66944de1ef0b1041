"""The development mailbox: every mail the demo's mail sink received and every SMS its SMS sink
stored, so that a newcomer can follow an activation or a login code in the browser. Registered
only with DOSSIERFLOW_DEV_MAILBOX=1 (the demo); absent in production."""

import datetime as dt
from email.message import EmailMessage
from typing import Any

from flask import Blueprint, abort, render_template

from casemodel.config import instance_path
from casemodel.sms import read_sms
from devtools.mailsink import read_mailbox

bp = Blueprint("devmail", __name__, template_folder="templates")


def _mailbox() -> list[EmailMessage]:
    return read_mailbox(instance_path() / "mailbox")


def _text_messages() -> list[dict[str, Any]]:
    return [{**sms, "sent_at": dt.datetime.fromisoformat(sms["sent_at"])} for sms in read_sms()]


@bp.route("/mailbox")
def list_mail():
    return render_template(
        "devmail/mailbox.html", mails=list(enumerate(_mailbox())), text_messages=_text_messages()
    )


@bp.route("/mailbox/<int:index>")
def show_mail(index: int):
    mails = _mailbox()
    if not 0 <= index < len(mails):
        abort(404)
    mail = mails[index]
    body = mail.get_body(preferencelist=("plain",))
    return render_template("devmail/mail.html", mail=mail, text=body.get_content() if body else "")
