"""What the registry knows of a step kind (StepKind), and the checks its settings share.

A kind's module (casemodel/stepkinds/<kind>.py) holds everything of that kind: the check of its
template settings, what happens when a dossier's run reaches it (`start`, inside the flow's
task), the services that complete it when a person acts (they end in
casemodel.services.steps.finish_task: the step done, the run's resume queued), and how a failure
is recorded. It ends with `KIND = StepKind(...)`, which the template loader
(casemodel.casetemplates) and the one generic flow (flows/steps.py) read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casemodel.services.failures import fail_step

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")

Settings = dict[str, Any]
#: (key, kind) of each step before the one checked, in order.
EarlierSteps = list[tuple[str, str]]


def no_order_rule(settings: Settings, earlier: EarlierSteps) -> None:
    """For kinds whose settings name no earlier step."""


@dataclass(frozen=True)
class StepKind:
    """One kind of step. Every check raises ValueError saying what is wrong; the template
    loader adds the file and the step."""

    name: str
    #: check_settings(settings, office_kind): the step's `settings:` in a template.
    check_settings: Callable[[Settings, str], None]
    #: start(session, dossier_id=, step_key=): the run reached the step (in this attempt).
    #: Idempotent: the flow's task may run it again after a crash before its commit. It
    #: finishes the step itself, or leaves it waiting (for a person, or a date).
    start: Callable[..., Any]
    #: Who does the step's task: "staff" (on "Mijn stappen"), "client" (under "Acties"), or
    #: None for a step no person does.
    audience: str | None = None
    #: Whether the run may suspend on the step until it is finished in the portal.
    waits: bool = True
    #: `start` runs again on every pass of the flow body after a resume, uncached, because
    #: what it decides on may have changed meanwhile (a date moved).
    start_each_pass: bool = False
    #: check_order(settings, earlier): settings that name earlier steps name the right ones.
    check_order: Callable[[Settings, EarlierSteps], None] = no_order_rule
    #: The rights a client needs for the step's task to be theirs to do (rights.Rights names).
    client_rights: tuple[str, ...] = ("view",)
    #: fail(session, dossier_id=, step_key=, error=): the run failed at the step; the step and
    #: the dossier are failed with the error kept, for staff to see and retry.
    fail: Callable[..., Any] = fail_step
    #: Listed as the office's work in the engagement letter (casemodel.letters).
    in_engagement_letter: bool = True

    @property
    def human(self) -> bool:
        """Whether a person does the step (it opens a task for them)."""
        return self.audience is not None


# --- checks the kinds' settings share --------------------------------------------------------


def only(settings: Settings, allowed: set[str]) -> None:
    """No setting outside `allowed`."""
    unknown = set(settings) - allowed
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")


def key(value: Any, where: str) -> str:
    """A lower-case key such as a step's or a date's name."""
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise ValueError(f"{where} must be a lower-case key like 'signing' (got {value!r})")
    return value


def bilingual(value: Any, where: str) -> tuple[str, str]:
    """A text in Dutch and English: {nl: .., en: ..}, both non-empty."""
    if not isinstance(value, dict) or set(value) != {"nl", "en"}:
        raise ValueError(f"{where} must have exactly 'nl' and 'en'")
    for lang in ("nl", "en"):
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise ValueError(f"{where}.{lang} must be a non-empty text")
    return value["nl"].strip(), value["en"].strip()


def due_in_days(settings: Settings) -> None:
    """The optional `due_in_days`: a whole number of days, at least 1."""
    days = settings.get("due_in_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise ValueError("settings.due_in_days must be a whole number of days, at least 1")
