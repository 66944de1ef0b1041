"""The step kinds' registry (casemodel/stepkinds/): one module per kind, and what the loader, the
flow and the task lists read from it."""

from __future__ import annotations

import pkgutil

import pytest

from casemodel import stepkinds
from casemodel.casetemplates import TemplateError, TemplateRegistry, parse_template
from casemodel.stepkinds import kind_names, kind_of

EVERY_KIND = {"approval", "automatic", "publish", "questionnaire", "staff_task",
              "upload_request", "wait_until"}  # fmt: skip


def test_each_kind_is_one_module_of_its_name():
    modules = {m.name for m in pkgutil.iter_modules(stepkinds.__path__)} - {"base"}
    assert set(kind_names()) == modules == EVERY_KIND
    assert all(kind_of(name).name == name for name in kind_names())


def test_who_does_a_step_and_whether_the_run_waits_for_it():
    audiences = {name: kind_of(name).audience for name in kind_names()}
    assert audiences == {
        "staff_task": "staff", "publish": "staff", "approval": "staff",
        "upload_request": "client", "questionnaire": "client",
        "automatic": None, "wait_until": None,
    }  # fmt: skip
    # Every person's step and the date wait; only the automatic step runs straight through.
    assert {name for name in kind_names() if not kind_of(name).waits} == {"automatic"}
    assert [name for name in kind_names() if kind_of(name).start_each_pass] == ["wait_until"]


def test_the_rights_a_client_needs_for_a_task_of_each_kind():
    assert kind_of("questionnaire").client_rights == ("fill",)
    assert kind_of("upload_request").client_rights == ("view", "upload")
    assert kind_of("approval").client_rights == ("approve",)
    assert kind_of("staff_task").client_rights == ("view",)


def test_an_unknown_kind_is_refused_naming_every_known_one():
    template = {
        "key": "t", "version": 1, "office_kind": "notary", "title": {"nl": "T", "en": "T"},
        "steps": [{"key": "a", "title": {"nl": "A", "en": "A"}, "kind": "telepathy"}],
    }  # fmt: skip
    with pytest.raises(TemplateError) as refused:
        parse_template(template, "t.v1.yaml")
    message = str(refused.value)
    assert message.startswith("t.v1.yaml: step 1 ('a'): kind must be one of")
    assert all(name in message for name in EVERY_KIND)


def test_the_shipped_templates_load_from_their_own_folder():
    registry = TemplateRegistry.from_folder()
    assert {t.key: t.version for t in registry.all_latest()} == {
        "levering-woning": 3, "jaarrekening-ib": 3, "testament": 1,
    }
    assert registry.get("levering-woning", 1).source == "levering-woning.v1.yaml"
    assert {step.kind for t in registry.all_latest() for step in t.steps} <= EVERY_KIND
