"""What the approver is told, in their language, when the server refuses a step of approving
(casemodel.services.approvals.ApprovalRefused and the outcomes of a code)."""

from __future__ import annotations

from flask_babel import gettext as _

from casemodel.services.approvals import MAX_REASON, ApprovalRefused


def refusal_message(refused: ApprovalRefused) -> str:
    return {
        "not_open": _("Dit document wacht niet meer op uw akkoord: het is intussen goedgekeurd, "
                      "afgewezen of door het kantoor ingetrokken."),
        "not_opened": _("Open eerst het document. Pas als u het heeft bekeken, kunt u akkoord "
                        "geven."),
        "challenge_ended": ended_message("changed"),
        "challenge_expired": _("Uw akkoord is verlopen: u had 10 minuten om de code in te "
                               "vullen. Geef opnieuw akkoord."),
        "no_second_factor": _("Voor accorderen is 2-staps verificatie nodig. Stel die eerst in "
                              "bij Mijn gegevens."),
        "code_not_sent": _("Vraag eerst een SMS-code aan."),
        "reason_required": _("Vul de reden in waarom u niet akkoord gaat."),
        "reason_too_long": _("De reden is te lang: ten hoogste %(max)s tekens.", max=MAX_REASON),
        "question_required": _("Vul uw vraag in."),
    }.get(refused.reason, _("Dit kan nu niet."))  # fmt: skip


def ended_message(because: str | None) -> str:
    """Why the approver has to agree again."""
    if because == "too_many_codes":
        return _("U heeft vijf keer een onjuiste code ingevuld. Geef opnieuw akkoord om een "
                 "nieuwe code te krijgen.")  # fmt: skip
    if because == "new_version":
        return _("Het kantoor heeft intussen een nieuwe versie van het document geplaatst. "
                 "Bekijk de nieuwe versie en geef opnieuw akkoord.")  # fmt: skip
    if because == "recipient_changed":
        return _("Het kantoor heeft intussen de ontvanger gewijzigd. Bekijk het opnieuw en geef "
                 "opnieuw akkoord.")  # fmt: skip
    if because == "withdrawn":
        return _("Het kantoor heeft dit verzoek om akkoord ingetrokken.")
    return _("Uw akkoord geldt niet meer: het document, de versie of de ontvanger is gewijzigd. "
             "Bekijk het document en geef opnieuw akkoord.")  # fmt: skip
