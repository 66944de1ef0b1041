"""Approvals ("accorderen", accountancy manual "Actueel & Accordering", "Accorderen
documenten"; SECURITY.md "Approvals"): the office puts a document version up to the client
organisation (an `approval` step, or ad hoc), its people with the approve right open it, agree
to a confirmation that names the document and the recipient, and confirm with a code bound to
that confirmation; the approved bytes are then sent on once, with a certificate of the evidence.

    rights       may_approve, approval_right: the one place that decides who may approve
    requests     put_up, approvers, record_view, cancel_challenges, ApprovalRefused, ClientInfo
    challenges   start_challenge, send_code, approve (the one transaction), Outcome
    decisions    reject, ask_question, withdraw, change_recipient, replace_on_new_version,
                 put_up_ad_hoc
    evidence     the binding, the confirmation and SMS texts, the evidence per approval
    certificate  the approval certificate PDF, sealed with pyHanko when configured
    delivery     sending on (http, email) through the outbox, exactly once; retry
    step_kind    the `approval` step kind: check_settings, open_for_step, place_document
"""

from casemodel.services.approvals.challenges import (
    ApproveResult,
    Outcome,
    approve,
    check_live,
    get_challenge,
    second_factor_of,
    send_code,
    start_challenge,
)
from casemodel.services.approvals.decisions import (
    CONTACT_BY,
    MAX_REASON,
    ask_question,
    change_recipient,
    put_up_ad_hoc,
    reject,
    replace_on_new_version,
    withdraw,
)
from casemodel.services.approvals.delivery import SEND_KIND, deliver, get_delivery_for, retry
from casemodel.services.approvals.requests import (
    ApprovalRefused,
    ClientInfo,
    approvers,
    has_viewed,
    put_up,
    record_view,
    version_of,
)
from casemodel.services.approvals.rights import ApprovalRight, approval_right, may_approve

__all__ = [
    "CONTACT_BY",
    "MAX_REASON",
    "SEND_KIND",
    "ApprovalRefused",
    "ApprovalRight",
    "ApproveResult",
    "ClientInfo",
    "Outcome",
    "approval_right",
    "approve",
    "approvers",
    "ask_question",
    "change_recipient",
    "check_live",
    "deliver",
    "get_challenge",
    "get_delivery_for",
    "has_viewed",
    "may_approve",
    "put_up",
    "put_up_ad_hoc",
    "record_view",
    "reject",
    "replace_on_new_version",
    "retry",
    "second_factor_of",
    "send_code",
    "start_challenge",
    "version_of",
    "withdraw",
]
