"""The `approval` step kind in case templates: its settings, and that `source` and `on_reject`
name earlier steps of the right kinds (a typo there would leave an approval waiting for ever, or
send a rejected dossier back over the client's own steps)."""

from __future__ import annotations

import pytest

from casemodel.casetemplates import TemplateError, parse_template

STEPS = [
    {"key": "compile", "title": {"nl": "Samenstellen", "en": "Compile"}, "kind": "staff_task"},
    {"key": "intake", "title": {"nl": "Vragen", "en": "Questions"}, "kind": "upload_request",
     "settings": {"files": [{"key": "a", "title": {"nl": "A", "en": "A"}}]}},
    {"key": "review", "title": {"nl": "Review", "en": "Review"}, "kind": "staff_task"},
]  # fmt: skip


def template(**settings):
    approval = {"key": "approve", "title": {"nl": "Akkoord", "en": "Approval"},
                "kind": "approval", "settings": {"recipient": "kvk", **settings}}  # fmt: skip
    return {"key": "t", "version": 1, "office_kind": "accountancy",
            "title": {"nl": "T", "en": "T"}, "steps": [*STEPS, approval]}  # fmt: skip


def test_an_approval_step_with_its_settings_loads():
    title = {"nl": "Jaarrekening", "en": "Accounts"}
    loaded = parse_template(template(on_reject="review", due_in_days=14, title=title), "t.yaml")
    step = loaded.steps[-1]
    assert step.kind == "approval"
    assert step.settings == {"recipient": "kvk", "on_reject": "review", "due_in_days": 14,
                             "title": {"nl": "Jaarrekening", "en": "Accounts"}}  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"recipient": "nasa"}, "settings.recipient must be one of office, belastingdienst"),
        ({"on_reject": "nowhere"}, "settings.on_reject must be the key of an earlier step"),
        ({"on_reject": "intake"}, "settings.on_reject 'intake' is a upload_request step"),
        ({"on_reject": "compile"}, "would repeat the upload_request step 'intake'"),
        ({"source": "review"}, "settings.source 'review' is a staff_task step"),
        ({"due_in_days": 0}, "settings.due_in_days must be a whole number"),
        ({"folder": "supplied"}, "settings.folder must be"),
        ({"title": {"nl": "Alleen Nederlands"}}, "settings.title must have"),
        ({"colour": "green"}, "unknown setting(s): colour"),
    ],
)
def test_mistakes_in_an_approval_step_are_named(settings, message):
    with pytest.raises(TemplateError) as raised:
        parse_template(template(**settings), "broken.yaml")
    assert str(raised.value).startswith("broken.yaml: step 4 ('approve'): ")
    assert message in str(raised.value)
