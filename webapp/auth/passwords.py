"""The password rules' verdict in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _

from casemodel.services.passwords import PasswordVerdict


def repeat_differs(form) -> list[str]:
    """A new-password form whose repeat field differs: the one problem to show, before the
    password rules are asked (both the set-password and the change-password forms)."""
    if form.password.data != form.repeat.data:
        return [_("De twee wachtwoorden zijn niet gelijk.")]
    return []


def explain(verdict: PasswordVerdict) -> list[str]:
    messages = {
        "too_short": _(
            "Gebruik minstens %(count)s tekens; een zin van een paar woorden is makkelijk te "
            "onthouden en moeilijk te raden.",
            count=verdict.min_length,
        ),
        "too_long": _("Gebruik hoogstens 128 tekens."),
        "guessable": _(
            "Dit wachtwoord is te makkelijk te raden (bijvoorbeeld een bekend woord met een "
            "jaartal). Kies iets langers of minder voorspelbaars."
        ),
        "context_word": _(
            "Gebruik geen woorden die met u of met ons te maken hebben, zoals uw naam, uw "
            "e-mailadres of de naam van het kantoor of het portaal."
        ),
    }
    return [messages[problem] for problem in verdict.problems]


def strength_label(score: int) -> str:
    return [_("Zeer zwak"), _("Zwak"), _("Matig"), _("Sterk"), _("Zeer sterk")][score]
