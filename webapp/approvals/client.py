"""Approving a document, in the accountancy manual's four steps: (1) open the document (PDF in
the page's viewer, or downloaded), (2) "Akkoord" and a confirmation naming the document and the
recipient, (3) "Bevestiging & verzending": "Verstuur SMS-code", or the authenticator, (4) the
code and "Verzend document", then the result. Beside them "Vraag?" and "Niet akkoord".

Every step is authorised again on the server (casemodel.services.approvals): the right, that
this user opened this version, that what was agreed to is still what is put up.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casemodel.filestore import FileStore
from casemodel.models import ApprovalChallenge
from casemodel.queries.approvals import get_request_for
from casemodel.services.approvals import (
    ApprovalRefused,
    ClientInfo,
    Outcome,
    approve,
    ask_question,
    check_live,
    get_challenge,
    has_viewed,
    may_approve,
    record_view,
    reject,
    second_factor_of,
    send_code,
    start_challenge,
    version_of,
)
from casemodel.services.approvals.evidence import binding_hash, binding_of, confirmation_text
from casemodel.services.errors import InvalidMessage, InvalidState, TooManyWrongPasswords
from casemodel.services.quotas import QuotaExceeded
from webapp.approvals import bp, for_clients
from webapp.approvals.forms import (
    AgreeForm,
    ApproveForm,
    QuestionForm,
    RejectForm,
    SendCodeForm,
)
from webapp.approvals.refusals import ended_message, refusal_message
from webapp.auth.settings import signed_out_after_wrong_passwords
from webapp.downloads import send_stored
from webapp.extensions import db, limiter
from webapp.outbox import deliver_after_commit
from webapp.quota_messages import limit_message


def _locale() -> str:
    return str(get_locale())


def _client() -> ClientInfo:
    return ClientInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))


def _load(approval_id: int):
    return get_request_for(db.session, approval_id, current_user)


def _page(approval_id: int):
    return redirect(url_for("approvals.show_approval", approval_id=approval_id))


@bp.route("/approvals/<int:approval_id>")
@for_clients
def show_approval(approval_id: int):
    """Step 1 (and, once decided, what became of it)."""
    approval = _load(approval_id)
    return render_template(
        "approvals/approval.html",
        approval=approval,
        version=version_of(db.session, approval),
        may_approve=may_approve(db.session, current_user, approval.organisation_id,
                                approval.document),  # fmt: skip
        opened=has_viewed(db.session, approval, current_user),
    )


@bp.route("/approvals/<int:approval_id>/document")
@for_clients
def view_document(approval_id: int):
    """The version put up, inline (the page's viewer) or, with ?download=1, as a download;
    either way this user has now opened it. Only the bytes the request binds are served."""
    approval = _load(approval_id)
    version = version_of(db.session, approval)
    if approval.state == "open":
        record_view(db.session, request=approval, user=current_user, client=_client())
    response = send_stored(version.sha256, version.content_type, version.filename)
    if request.args.get("download") != "1" and version.content_type in INLINE_TYPES:
        # Shown in the page's own viewer: inline, and framed by this origin only.
        response.headers["Content-Disposition"] = response.headers[
            "Content-Disposition"
        ].replace("attachment", "inline", 1)
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


#: What a browser shows in the viewer itself; other types are downloaded.
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


@bp.route("/approvals/<int:approval_id>/confirm")
@for_clients
def show_confirmation(approval_id: int):
    """Step 2: the confirmation, naming the document and the recipient, to agree to."""
    approval = _load(approval_id)
    refusal = _cannot_agree(approval)
    if refusal:
        flash(refusal, "error")
        return _page(approval_id)
    form = AgreeForm(binding=binding_hash(binding_of(approval, current_user)))
    return render_template("approvals/confirm.html", approval=approval, form=form,
                           text=confirmation_text(approval, _locale()))  # fmt: skip


def _require_approve_right(approval) -> None:
    """403 with the reason for a member without the right (read now, not when the page was
    drawn): the pages offer no way here without it, and the server refuses anyway."""
    if not may_approve(db.session, current_user, approval.organisation_id, approval.document):
        reason = _("U heeft niet het recht om namens deze organisatie te accorderen.")
        abort(403, description=reason)


def _cannot_agree(approval) -> str | None:
    _require_approve_right(approval)
    if approval.state != "open":
        return refusal_message(ApprovalRefused("not_open"))
    if not has_viewed(db.session, approval, current_user):
        return refusal_message(ApprovalRefused("not_opened"))
    return None


@bp.route("/approvals/<int:approval_id>/agree", methods=["POST"])
@for_clients
def agree(approval_id: int):
    approval = _load(approval_id)
    _require_approve_right(approval)
    form = AgreeForm()
    if form.binding.data != binding_hash(binding_of(approval, current_user)):
        flash(ended_message("changed"), "error")
        return _page(approval_id)
    refusal = _cannot_agree(approval)
    if refusal:
        flash(refusal, "error")
        return _page(approval_id)
    try:
        start_challenge(db.session, request=approval, user=current_user, client=_client(),
                        locale=_locale())  # fmt: skip
    except ApprovalRefused as refused:
        flash(refusal_message(refused), "error")
        return _page(approval_id)
    return redirect(url_for("approvals.show_signing", approval_id=approval_id))


def _open_challenge(approval) -> ApprovalChallenge | None:
    return db.session.scalar(
        select(ApprovalChallenge)
        .where(ApprovalChallenge.request_id == approval.id,
               ApprovalChallenge.user_id == current_user.id,
               ApprovalChallenge.used_at.is_(None), ApprovalChallenge.cancelled_at.is_(None))
        .order_by(ApprovalChallenge.id.desc())
        .limit(1)
    )  # fmt: skip


@bp.route("/approvals/<int:approval_id>/sign")
@for_clients
def show_signing(approval_id: int):
    """Steps 3 and 4: "Bevestiging & verzending", the code, "Verzend document"."""
    approval = _load(approval_id)
    _require_approve_right(approval)
    challenge = _open_challenge(approval)
    if challenge is None:
        if approval.state == "approved" and approval.decided_by_id == current_user.id:
            return redirect(url_for("approvals.show_result", approval_id=approval_id))
        flash(ended_message(None), "error")
        return _page(approval_id)
    try:
        check_live(db.session, challenge, current_user)
    except ApprovalRefused as refused:
        flash(refusal_message(refused), "error")
        return _page(approval_id)
    method = _method(challenge)
    return render_template(
        "approvals/sign.html", approval=approval, challenge=challenge, method=method,
        can_use_sms=bool(current_user.mobile_number),
        sms_sent=challenge.code_id is not None,
        number_end=(current_user.mobile_number or "")[-2:],
        send_form=SendCodeForm(challenge_id=challenge.id),
        form=ApproveForm(challenge_id=challenge.id, method=method),
    )  # fmt: skip


def _method(challenge: ApprovalChallenge) -> str:
    """SMS when asked for (or sent already), else the user's own factor."""
    if request.args.get("method") == "sms" or challenge.code_id is not None:
        return "sms"
    return second_factor_of(current_user) or "sms"


@bp.route("/approvals/<int:approval_id>/code", methods=["POST"])
@for_clients
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def send_sms(approval_id: int):
    """"Verstuur SMS-code"."""
    approval = _load(approval_id)
    form = SendCodeForm()
    back = url_for("approvals.show_signing", approval_id=approval_id, method="sms")
    challenge = get_challenge(db.session, form.challenge_id.data or -1, current_user)
    if challenge.request_id != approval.id:
        return _page(approval_id)
    try:
        send_code(db.session, challenge=challenge, user=current_user, locale=_locale())
    except ApprovalRefused as refused:
        flash(refusal_message(refused), "error")
        return _page(approval_id)
    except QuotaExceeded as exc:
        flash(limit_message(exc), "error")
        return redirect(back)
    except InvalidState:  # a code was sent moments ago
        flash(_("Er is zojuist al een code verstuurd. Wacht even voordat u een nieuwe vraagt."),
              "info")  # fmt: skip
        return redirect(back)
    deliver_after_commit()
    flash(_("Er is een SMS-code verstuurd naar uw mobiele nummer dat eindigt op %(end)s.",
            end=(current_user.mobile_number or "")[-2:]), "success")  # fmt: skip
    return redirect(back)


@bp.route("/approvals/<int:approval_id>/approve", methods=["POST"])
@for_clients
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def approve_document(approval_id: int):
    """"Verzend document": the code approves (services.approvals.approve), in one
    transaction with the evidence, the certificate and the sending on."""
    approval = _load(approval_id)
    form = ApproveForm()
    challenge = get_challenge(db.session, form.challenge_id.data or -1, current_user)
    if challenge.request_id != approval.id or form.method.data not in ("sms", "totp"):
        return _page(approval_id)
    back = url_for("approvals.show_signing", approval_id=approval_id,
                   method="sms" if form.method.data == "sms" else None)  # fmt: skip
    if not form.code.data:
        flash(_("Vul de code in."), "error")
        return redirect(back)
    try:
        result = approve(
            db.session, challenge=challenge, user=current_user, method=form.method.data,
            code=form.code.data, client=_client(),
            # The certificate is the portal's own PDF: stored without the upload scanner.
            store=FileStore(current_app.config["FILES_PATH"]),
            locale=_locale(),
        )  # fmt: skip
    except TooManyWrongPasswords:
        return signed_out_after_wrong_passwords()
    except ApprovalRefused as refused:
        flash(refusal_message(refused), "error")
        return _page(approval_id)
    if result.outcome is Outcome.WRONG:
        flash(ngettext_tries(result.tries_left), "error")
        return redirect(back)
    if result.outcome is Outcome.ENDED:
        flash(ended_message(result.ended_because), "error")
        return _page(approval_id)
    deliver_after_commit()
    return redirect(url_for("approvals.show_result", approval_id=approval_id))


def ngettext_tries(left: int) -> str:
    return ngettext("De code is onjuist. U kunt het nog %(num)d keer proberen.",
                    "De code is onjuist. U kunt het nog %(num)d keer proberen.", left)  # fmt: skip


@bp.route("/approvals/<int:approval_id>/done")
@for_clients
def show_result(approval_id: int):
    """The result: approved, and sent (or being sent) to the office and the recipient."""
    approval = _load(approval_id)
    if approval.state != "approved":
        return _page(approval_id)
    return render_template("approvals/result.html", approval=approval)


@bp.route("/approvals/<int:approval_id>/question", methods=["GET", "POST"])
@for_clients
def ask(approval_id: int):
    """"Vraag?": a message to the handler; the approval stays open."""
    approval = _load(approval_id)
    _require_approve_right(approval)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            ask_question(db.session, request=approval, actor=current_user,
                         question=form.question.data, contact_by=form.contact_by.data,
                         phone=form.phone.data or "")  # fmt: skip
        except ApprovalRefused as refused:
            form.question.errors.append(refusal_message(refused))
        except InvalidMessage:
            form.question.errors.append(_("Uw vraag is te lang: ten hoogste 4.000 tekens."))
        except QuotaExceeded as exc:
            form.question.errors.append(limit_message(exc))
        else:
            deliver_after_commit()
            flash(_("Uw vraag is verstuurd aan %(office)s. Het document wacht nog op uw akkoord.",
                    office=approval.dossier.office.name), "success")  # fmt: skip
            return _page(approval_id)
    return render_template("approvals/question.html", approval=approval, form=form)


@bp.route("/approvals/<int:approval_id>/reject", methods=["GET", "POST"])
@for_clients
def reject_document(approval_id: int):
    """"Niet akkoord", with a reason (required)."""
    approval = _load(approval_id)
    _require_approve_right(approval)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            reject(db.session, request=approval, actor=current_user, reason=form.reason.data,
                   client=_client())  # fmt: skip
        except ApprovalRefused as refused:
            form.reason.errors.append(refusal_message(refused))
        else:
            deliver_after_commit()
            flash(_("U bent niet akkoord gegaan. %(office)s heeft uw reden ontvangen.",
                    office=approval.dossier.office.name), "success")  # fmt: skip
            return _page(approval_id)
    return render_template("approvals/reject.html", approval=approval, form=form)
