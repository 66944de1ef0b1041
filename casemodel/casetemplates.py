"""Case templates: the steps a kind of dossier goes through, written as YAML by the office.

A template file looks like this (see casetemplates/ at the project's root for real ones)::

    key: levering-woning
    version: 1
    office_kind: notary
    title: {nl: Levering woning, en: Transfer of a home}
    steps:
      - key: intake
        title: {nl: Intakegesprek, en: Intake meeting}
        kind: staff_task
        progress: true            # counts toward the client's "(done/total)"; default true
        settings: {role: staff}   # per kind: casemodel/stepkinds/<kind>.py
      - key: mortgage-deed
        ...
        when:                     # optional: the step runs only if an earlier questionnaire
          step: intake            # step's answers satisfy the condition (forms' format);
          condition: {question: mortgage, equals: true}   # else it is skipped

Every file is validated on load; a broken one raises TemplateError naming the file, the step and
what is wrong, so a typo never reaches a running dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casemodel import config
from casemodel.definitions import questionnaire_definitions
from casemodel.stepkinds import kind_names, kind_of
from casemodel.stepkinds.base import bilingual, key
from forms import (
    ConditionError,
    check_condition,
    condition_to_json,
    parse_condition,
)


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


def parse_template(data: Any, source: str = "<string>") -> CaseTemplate:
    """Validate one template's parsed YAML and return it. Raises TemplateError."""
    try:
        return _parse(data, source)
    except ValueError as exc:  # TemplateError, or a shared check's ValueError
        raise TemplateError(f"{source}: {exc}") from None


def _parse(data: Any, source: str) -> CaseTemplate:
    if not isinstance(data, dict):
        raise TemplateError("a template is a mapping with key, version, title and steps")
    unknown = set(data) - {"key", "version", "office_kind", "title", "steps"}
    if unknown:
        raise TemplateError(f"unknown field(s): {', '.join(sorted(unknown))}")
    template_key = key(data.get("key"), "key")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TemplateError("version must be a whole number of at least 1")
    office_kind = data.get("office_kind")
    if office_kind not in ("notary", "accountancy"):
        raise TemplateError("office_kind must be 'notary' or 'accountancy'")
    title_nl, title_en = bilingual(data.get("title"), "title")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        raise TemplateError("steps must be a list (it may be empty)")
    steps, seen = [], set()
    for index, raw in enumerate(raw_steps, start=1):
        step = _parse_step(raw, index, office_kind, steps)
        if step.key in seen:
            raise TemplateError(f"step {index} ({step.key!r}): the key is used twice")
        try:
            kind_of(step.kind).check_order(step.settings, [(s.key, s.kind) for s in steps])
        except ValueError as exc:
            raise TemplateError(f"step {index} ({step.key!r}): {exc}") from None
        seen.add(step.key)
        steps.append(step)
    return CaseTemplate(
        template_key, version, office_kind, title_nl, title_en, tuple(steps), source
    )


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
        step_key = key(raw.get("key"), "key")
        title_nl, title_en = bilingual(raw.get("title"), "title")
        kind = raw.get("kind")
        if kind not in kind_names():
            raise TemplateError(f"kind must be one of {', '.join(kind_names())} (got {kind!r})")
        progress = raw.get("progress", True)
        if not isinstance(progress, bool):
            raise TemplateError("progress must be true or false")
        settings = raw.get("settings") or {}
        if not isinstance(settings, dict):
            raise TemplateError("settings must be a mapping")
        kind_of(kind).check_settings(settings, office_kind)
        when = _check_when(raw["when"], earlier) if "when" in raw else None
        return StepDefinition(step_key, title_nl, title_en, kind, progress, dict(settings), when)
    except ValueError as exc:  # TemplateError, or the kind's check
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
