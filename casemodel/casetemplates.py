"""Case templates: the steps a kind of dossier goes through, written as YAML by the office.

A template file looks like this (see flows/templates/ for real ones)::

    key: levering-woning
    version: 1
    office_kind: notary
    title: {nl: Levering woning, en: Transfer of a home}
    steps:
      - key: intake
        title: {nl: Intakegesprek, en: Intake meeting}
        kind: staff_task
        progress: true            # counts toward the client's "(done/total)"; default true
        settings: {role: staff}   # per kind, see STEP_KINDS
      - key: mortgage-deed
        ...
        when:                     # optional: the step runs only if an earlier questionnaire
          step: intake            # step's answers satisfy the condition (forms' format);
          condition: {question: mortgage, equals: true}   # else it is skipped

Every file is validated on load; a broken one raises TemplateError naming the file, the step and
what is wrong, so a typo never reaches a running dossier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casemodel import config
from casemodel.definitions import questionnaire_definitions
from forms import (
    ConditionError,
    check_condition,
    condition_to_json,
    parse_condition,
)

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")


class TemplateError(ValueError):
    """A case template that cannot be used, with where and why."""


@dataclass(frozen=True)
class StepDefinition:
    key: str
    title_nl: str
    title_en: str
    kind: str
    counts_toward_progress: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    #: {step, condition} (the condition as JSON), or None: see casemodel.services.step_conditions.
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class CaseTemplate:
    key: str
    version: int
    office_kind: str
    title_nl: str
    title_en: str
    steps: tuple[StepDefinition, ...]
    source: str = ""

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_nl


# --- the step kinds and what each needs in its settings -----------------------------------------


def _check_staff_task(settings: dict[str, Any]) -> None:
    _only(settings, {"role", "asks_date", "instructions"})
    if settings.get("role", "staff") not in ("staff", "manager"):
        raise TemplateError("settings.role must be 'staff' or 'manager'")
    if "asks_date" in settings:
        _key(settings["asks_date"], "settings.asks_date")
    if "instructions" in settings:
        _bilingual(settings["instructions"], "settings.instructions")


def _check_automatic(settings: dict[str, Any]) -> None:
    from casemodel.actions import ACTIONS

    _only(settings, {"action"})
    action = settings.get("action")
    if not action:
        raise TemplateError("settings.action is required")
    if action not in ACTIONS:
        raise TemplateError(f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}")


def _check_wait_until(settings: dict[str, Any]) -> None:
    _only(settings, {"date"})
    if "date" not in settings:
        raise TemplateError("settings.date is required (the name of a dossier date)")
    _key(settings["date"], "settings.date")


def _check_publish(settings: dict[str, Any]) -> None:
    # That the source is an EARLIER step is checked in _parse, which knows the steps before.
    _only(settings, {"folder", "source", "title", "instructions"})
    if settings.get("folder") not in ("correspondence", "documents"):
        raise TemplateError("settings.folder must be 'correspondence' or 'documents'")
    if "source" not in settings:
        raise TemplateError("settings.source is required (the key of an earlier step)")
    _key(settings["source"], "settings.source")
    for name in ("title", "instructions"):
        if name in settings:
            _bilingual(settings[name], f"settings.{name}")


def _check_upload_request(settings: dict[str, Any]) -> None:
    _only(settings, {"files", "instructions"})
    files = settings.get("files")
    if not isinstance(files, list) or not files:
        raise TemplateError("settings.files must be a list of the files asked for")
    seen = set()
    for number, item in enumerate(files, start=1):
        where = f"settings.files[{number}]"
        if not isinstance(item, dict):
            raise TemplateError(f"{where} must be a mapping with key and title")
        unknown = set(item) - {"key", "title", "required"}
        if unknown:
            raise TemplateError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
        key = _key(item.get("key"), f"{where}.key")
        if key in seen:
            raise TemplateError(f"{where}: the key {key!r} is used twice")
        seen.add(key)
        _bilingual(item.get("title"), f"{where}.title")
        if not isinstance(item.get("required", True), bool):
            raise TemplateError(f"{where}.required must be true or false")
    if "instructions" in settings:
        _bilingual(settings["instructions"], "settings.instructions")


def _check_questionnaire(settings: dict[str, Any], office_kind: str) -> None:
    from casemodel.services.questionnaires.step_kind import check_settings

    try:
        check_settings(settings, office_kind)
    except ValueError as exc:
        raise TemplateError(str(exc)) from None


def _check_approval(settings: dict[str, Any], office_kind: str) -> None:
    from casemodel.services.approvals.step_kind import check_settings

    try:
        check_settings(settings, office_kind)
    except ValueError as exc:
        raise TemplateError(str(exc)) from None


#: Each kind with the check of its settings (and the office kind of the template);
#: flows/steps.py:RUNNERS has a runner for each.
STEP_KINDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "staff_task": lambda settings, _office_kind: _check_staff_task(settings),
    "automatic": lambda settings, _office_kind: _check_automatic(settings),
    "wait_until": lambda settings, _office_kind: _check_wait_until(settings),
    "publish": lambda settings, _office_kind: _check_publish(settings),
    "upload_request": lambda settings, _office_kind: _check_upload_request(settings),
    "questionnaire": _check_questionnaire,
    "approval": _check_approval,
}

#: The kinds that suspend the flow run until a person acts (publish: only while it has nothing
#: to publish and waits for staff to upload the document).
HUMAN_KINDS = frozenset({"staff_task", "publish", "upload_request", "questionnaire", "approval"})


def _only(settings: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(settings) - allowed
    if unknown:
        raise TemplateError(f"unknown setting(s): {', '.join(sorted(unknown))}")


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise TemplateError(f"{where} must be a lower-case key like 'signing' (got {value!r})")
    return value


def _bilingual(value: Any, where: str) -> tuple[str, str]:
    if not isinstance(value, dict) or set(value) != {"nl", "en"}:
        raise TemplateError(f"{where} must have exactly 'nl' and 'en'")
    for lang in ("nl", "en"):
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise TemplateError(f"{where}.{lang} must be a non-empty text")
    return value["nl"].strip(), value["en"].strip()


def parse_template(data: Any, source: str = "<string>") -> CaseTemplate:
    """Validate one template's parsed YAML and return it. Raises TemplateError."""
    try:
        return _parse(data, source)
    except TemplateError as exc:
        raise TemplateError(f"{source}: {exc}") from None


def _parse(data: Any, source: str) -> CaseTemplate:
    if not isinstance(data, dict):
        raise TemplateError("a template is a mapping with key, version, title and steps")
    unknown = set(data) - {"key", "version", "office_kind", "title", "steps"}
    if unknown:
        raise TemplateError(f"unknown field(s): {', '.join(sorted(unknown))}")
    key = _key(data.get("key"), "key")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TemplateError("version must be a whole number of at least 1")
    office_kind = data.get("office_kind")
    if office_kind not in ("notary", "accountancy"):
        raise TemplateError("office_kind must be 'notary' or 'accountancy'")
    title_nl, title_en = _bilingual(data.get("title"), "title")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        raise TemplateError("steps must be a list (it may be empty)")
    steps, seen = [], set()
    for index, raw in enumerate(raw_steps, start=1):
        step = _parse_step(raw, index, office_kind, steps)
        if step.key in seen:
            raise TemplateError(f"step {index} ({step.key!r}): the key is used twice")
        if step.kind == "publish" and step.settings["source"] not in seen:
            raise TemplateError(
                f"step {index} ({step.key!r}): settings.source must be the key of an earlier "
                f"step (got {step.settings['source']!r})"
            )
        if step.kind == "approval":
            _check_approval_order(step, index, steps)
        seen.add(step.key)
        steps.append(step)
    return CaseTemplate(key, version, office_kind, title_nl, title_en, tuple(steps), source)


def _check_approval_order(step: StepDefinition, index: int, earlier: list[StepDefinition]) -> None:
    """An approval's `source` and `on_reject` name earlier steps of the right kinds."""
    from casemodel.services.approvals.step_kind import check_order

    try:
        check_order(step.settings, [(s.key, s.kind) for s in earlier])
    except ValueError as exc:
        raise TemplateError(f"step {index} ({step.key!r}): {exc}") from None


def _parse_step(
    raw: Any, index: int, office_kind: str, earlier: list[StepDefinition]
) -> StepDefinition:
    name = raw.get("key", "?") if isinstance(raw, dict) else "?"
    try:
        if not isinstance(raw, dict):
            raise TemplateError("a step is a mapping with key, title and kind")
        unknown = set(raw) - {"key", "title", "kind", "progress", "settings", "when"}
        if unknown:
            raise TemplateError(f"unknown field(s): {', '.join(sorted(unknown))}")
        key = _key(raw.get("key"), "key")
        title_nl, title_en = _bilingual(raw.get("title"), "title")
        kind = raw.get("kind")
        if kind not in STEP_KINDS:
            raise TemplateError(f"kind must be one of {', '.join(STEP_KINDS)} (got {kind!r})")
        progress = raw.get("progress", True)
        if not isinstance(progress, bool):
            raise TemplateError("progress must be true or false")
        settings = raw.get("settings") or {}
        if not isinstance(settings, dict):
            raise TemplateError("settings must be a mapping")
        STEP_KINDS[kind](settings, office_kind)
        when = _check_when(raw["when"], earlier) if "when" in raw else None
        return StepDefinition(key, title_nl, title_en, kind, progress, dict(settings), when)
    except TemplateError as exc:
        raise TemplateError(f"step {index} ({name!r}): {exc}") from None


def _check_when(when: Any, earlier: list[StepDefinition]) -> dict[str, Any]:
    """A step's `when:`, checked against the definition of the questionnaire step it names (its
    newest version, which new dossiers get); returned as stored in the step mirror."""
    if not isinstance(when, dict) or set(when) != {"step", "condition"}:
        raise TemplateError("when must have 'step' (an earlier questionnaire step) and 'condition'")
    source = next((step for step in earlier if step.key == when["step"]), None)
    if source is None:
        raise TemplateError(f"when.step must be the key of an earlier step (got {when['step']!r})")
    if source.kind != "questionnaire":
        raise TemplateError(
            f"when.step {source.key!r} is a {source.kind} step; a condition needs the answers "
            "of a questionnaire step"
        )
    try:
        condition = parse_condition(when["condition"])
        definition = questionnaire_definitions().latest(source.settings["definition"])
        check_condition(definition, condition)
    except (ConditionError, ValueError) as exc:
        raise TemplateError(f"when.condition: {exc}") from None
    return {"step": source.key, "condition": condition_to_json(condition)}


def load_template_file(path: Path) -> CaseTemplate:
    """Read and validate one YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_template(data, path.name)


class TemplateRegistry:
    """Every version of every template found in a folder. New dossiers take the newest version;
    running dossiers keep the steps they were opened with (copied into their step mirror)."""

    def __init__(self, templates: Iterable[CaseTemplate]):
        self._by_key: dict[str, dict[int, CaseTemplate]] = {}
        for template in templates:
            versions = self._by_key.setdefault(template.key, {})
            if template.version in versions:
                raise TemplateError(
                    f"{template.source}: {template.key} version {template.version} "
                    f"is also defined in {versions[template.version].source}"
                )
            versions[template.version] = template

    @classmethod
    def from_folder(cls, folder: Path | None = None) -> TemplateRegistry:
        folder = folder or config.templates_path()
        return cls(load_template_file(path) for path in sorted(folder.glob("*.yaml")))

    def latest(self, key: str) -> CaseTemplate:
        versions = self._by_key.get(key)
        if not versions:
            raise KeyError(key)
        return versions[max(versions)]

    def get(self, key: str, version: int) -> CaseTemplate:
        return self._by_key[key][version]

    def all_latest(self) -> list[CaseTemplate]:
        return sorted((self.latest(key) for key in self._by_key), key=lambda t: t.title_nl)
