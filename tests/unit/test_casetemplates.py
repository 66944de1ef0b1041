"""Case template validation: the shipped templates load, and every kind of mistake is refused
with a message naming the file, the step and what is wrong."""

import textwrap
from pathlib import Path

import pytest
import yaml

from casemodel.casetemplates import (
    TemplateError,
    TemplateRegistry,
    load_template_file,
    parse_template,
)

GOOD = {
    "key": "test-case",
    "version": 1,
    "office_kind": "notary",
    "title": {"nl": "Testzaak", "en": "Test case"},
    "steps": [
        {"key": "intake", "title": {"nl": "Intake", "en": "Intake"}, "kind": "staff_task"},
        {
            "key": "plan",
            "title": {"nl": "Plannen", "en": "Planning"},
            "kind": "staff_task",
            "settings": {"asks_date": "signing"},
        },
        {
            "key": "wait",
            "title": {"nl": "Wachten", "en": "Waiting"},
            "kind": "wait_until",
            "progress": False,
            "settings": {"date": "signing"},
        },
        {
            "key": "done",
            "title": {"nl": "Klaar", "en": "Done"},
            "kind": "automatic",
            "settings": {"action": "record_milestone"},
        },
    ],
}


def with_step(index, **changes):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["steps"][index].update(changes)
    return data


def test_shipped_templates_load_with_their_progress_steps():
    registry = TemplateRegistry.from_folder()
    transfer = registry.latest("levering-woning")
    annual = registry.latest("jaarrekening-ib")
    assert transfer.office_kind == "notary" and annual.office_kind == "accountancy"
    assert [s.key for s in transfer.steps][:4] == [
        "intake", "buyer-questionnaire", "registers", "client-documents",
    ]  # fmt: skip
    # Version 3: the client approves the draft deed (transfer), the accounts and the return.
    assert sum(s.counts_toward_progress for s in transfer.steps) == 11
    assert sum(s.counts_toward_progress for s in annual.steps) == 12
    assert [s.key for s in annual.steps if s.kind == "approval"] == [
        "accounts-approval", "tax-return-approval",
    ]  # fmt: skip
    # Earlier versions stay for the dossiers opened with them.
    assert sum(s.counts_toward_progress for s in registry.get("levering-woning", 2).steps) == 10
    assert sum(s.counts_toward_progress for s in registry.get("levering-woning", 1).steps) == 9
    assert transfer.title("en") == "Transfer of a home"


def test_a_good_template_parses_into_steps():
    template = parse_template(GOOD, "test.yaml")
    assert [s.kind for s in template.steps] == [
        "staff_task",
        "staff_task",
        "wait_until",
        "automatic",
    ]
    assert template.steps[2].counts_toward_progress is False
    assert template.steps[1].settings == {"asks_date": "signing"}


def test_a_template_without_steps_is_allowed():
    template = parse_template({**GOOD, "steps": []}, "empty.yaml")
    assert template.steps == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_step(0, kind="telepathy"), "step 1 ('intake'): kind must be one of"),
        (with_step(3, settings={}), "step 4 ('done'): settings.action is required"),
        (
            with_step(3, settings={"action": "launch_rockets"}),
            "step 4 ('done'): unknown action 'launch_rockets'",
        ),
        (with_step(2, settings={}), "step 3 ('wait'): settings.date is required"),
        (with_step(0, title={"nl": "Intake"}), "step 1 ('intake'): title must have exactly"),
        (with_step(1, key="intake"), "step 2 ('intake'): the key is used twice"),
        (with_step(0, colour="red"), "step 1 ('intake'): unknown field(s): colour"),
        (with_step(0, settings={"role": "janitor"}), "settings.role must be"),
        (with_step(0, progress="yes"), "progress must be true or false"),
        ({**GOOD, "version": 0}, "version must be a whole number"),
        ({**GOOD, "office_kind": "bakery"}, "office_kind must be"),
        ({**GOOD, "key": "Bad Key"}, "key must be a lower-case key"),
        ({**GOOD, "steps": "intake"}, "steps must be a list"),
    ],
)
def test_mistakes_name_the_file_the_step_and_the_problem(data, message):
    with pytest.raises(TemplateError) as raised:
        parse_template(data, "broken.yaml")
    assert str(raised.value).startswith("broken.yaml: ")
    assert message in str(raised.value)


def test_invalid_yaml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("key: [unclosed\n")
    with pytest.raises(TemplateError, match=r"^broken.yaml: not valid YAML"):
        load_template_file(path)


def test_the_registry_keeps_versions_and_serves_the_newest(tmp_path: Path):
    for version in (1, 2):
        data = {**GOOD, "version": version, "steps": GOOD["steps"][:version]}
        (tmp_path / f"case.v{version}.yaml").write_text(yaml.safe_dump(data))
    registry = TemplateRegistry.from_folder(tmp_path)
    assert registry.latest("test-case").version == 2
    assert len(registry.get("test-case", 1).steps) == 1


def test_the_same_version_twice_is_refused(tmp_path: Path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(GOOD))
    with pytest.raises(TemplateError, match="also defined in a.yaml"):
        TemplateRegistry.from_folder(tmp_path)


def test_a_broken_file_in_the_folder_stops_loading(tmp_path: Path):
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "bad.yaml").write_text(
        textwrap.dedent(
            """
            key: bad
            version: 1
            office_kind: notary
            title: {nl: Slecht, en: Bad}
            steps:
              - {key: one, title: {nl: Een, en: One}, kind: automatic}
            """
        )
    )
    with pytest.raises(TemplateError, match=r"bad.yaml: step 1 \('one'\): settings.action"):
        TemplateRegistry.from_folder(tmp_path)


# --- publish and upload_request ------------------------------------------------------------------

PUBLISH = {
    "key": "send-deed",
    "title": {"nl": "Concept akte", "en": "Draft deed"},
    "kind": "publish",
    "settings": {
        "folder": "documents",
        "source": "intake",
        "title": {"nl": "Concept akte", "en": "Draft deed"},
        "instructions": {"nl": "Plaats de akte.", "en": "Place the deed."},
    },
}
UPLOAD_REQUEST = {
    "key": "papers",
    "title": {"nl": "Stukken", "en": "Papers"},
    "kind": "upload_request",
    "settings": {
        "files": [
            {"key": "id", "title": {"nl": "Kopie paspoort", "en": "Copy of passport"}},
            {"key": "woz", "title": {"nl": "WOZ-beschikking", "en": "WOZ"}, "required": False},
        ],
        "instructions": {"nl": "Graag voor vrijdag.", "en": "Before Friday, please."},
    },
}


def with_new_steps(*, publish=None, upload=None, publish_first=False):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    step_p = yaml.safe_load(yaml.safe_dump(PUBLISH))
    step_u = yaml.safe_load(yaml.safe_dump(UPLOAD_REQUEST))
    if publish is not None:
        step_p["settings"] = publish
    if upload is not None:
        step_u["settings"] = upload
    data["steps"] = [step_p, *data["steps"]] if publish_first else [*data["steps"], step_p]
    data["steps"].append(step_u)
    return data


def test_publish_and_upload_request_steps_parse():
    template = parse_template(with_new_steps(), "new.yaml")
    publish, upload = template.steps[-2], template.steps[-1]
    assert (publish.kind, publish.settings["source"], publish.settings["folder"]) == (
        "publish",
        "intake",
        "documents",
    )
    assert [f["key"] for f in upload.settings["files"]] == ["id", "woz"]
    minimal = {"folder": "correspondence", "source": "done"}
    assert parse_template(with_new_steps(publish=minimal), "min.yaml").steps[-2].settings == minimal


def test_shipped_templates_use_the_new_kinds_with_earlier_sources():
    registry = TemplateRegistry.from_folder()
    for key, publish_key, source, request_key in [
        ("levering-woning", "draft-deed-published", "draft-deed", "client-documents"),
        ("jaarrekening-ib", "engagement", "engagement-letter", "records"),
    ]:
        steps = {s.key: s for s in registry.latest(key).steps}
        assert steps[publish_key].kind == "publish"
        assert steps[publish_key].settings["source"] == source
        assert steps[request_key].kind == "upload_request"
    annual = {s.key: s for s in registry.latest("jaarrekening-ib").steps}
    assert annual["engagement-letter"].settings == {"action": "engagement_letter"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            with_new_steps(publish={"folder": "documents", "source": "papers"}),
            "step 5 ('send-deed'): settings.source must be the key of an earlier step "
            "(got 'papers')",
        ),
        (
            with_new_steps(publish={"folder": "documents", "source": "intake"}, publish_first=True),
            "step 1 ('send-deed'): settings.source must be the key of an earlier step",
        ),
        (
            with_new_steps(publish={"folder": "documents", "source": "nowhere"}),
            "must be the key of an earlier step (got 'nowhere')",
        ),
        (with_new_steps(publish={"folder": "documents"}), "settings.source is required"),
        (
            with_new_steps(publish={"folder": "supplied", "source": "intake"}),
            "settings.folder must be 'correspondence' or 'documents'",
        ),
        (
            with_new_steps(publish={"folder": "documents", "source": "intake", "to": "x"}),
            "unknown setting(s): to",
        ),
        (
            with_new_steps(
                publish={"folder": "documents", "source": "intake", "title": {"nl": "Akte"}}
            ),
            "settings.title must have exactly 'nl' and 'en'",
        ),
        (with_new_steps(upload={}), "step 6 ('papers'): settings.files must be a list"),
        (with_new_steps(upload={"files": []}), "settings.files must be a list"),
        (
            with_new_steps(upload={"files": [{"key": "id"}]}),
            "settings.files[1].title must have exactly 'nl' and 'en'",
        ),
        (
            with_new_steps(upload={"files": [{"key": "ID card", "title": {"nl": "a", "en": "b"}}]}),
            "settings.files[1].key must be a lower-case key",
        ),
        (
            with_new_steps(
                upload={
                    "files": [
                        {"key": "id", "title": {"nl": "a", "en": "b"}},
                        {"key": "id", "title": {"nl": "c", "en": "d"}},
                    ]
                }
            ),
            "settings.files[2]: the key 'id' is used twice",
        ),
        (
            with_new_steps(
                upload={"files": [{"key": "id", "title": {"nl": "a", "en": "b"}, "required": "ja"}]}
            ),
            "settings.files[1].required must be true or false",
        ),
        (
            with_new_steps(
                upload={"files": [{"key": "id", "title": {"nl": "a", "en": "b"}, "size": 3}]}
            ),
            "settings.files[1]: unknown field(s): size",
        ),
        (
            with_new_steps(
                upload={
                    "files": [{"key": "id", "title": {"nl": "a", "en": "b"}}],
                    "instructions": {"nl": " ", "en": "x"},
                }
            ),
            "settings.instructions.nl must be a non-empty text",
        ),
    ],
)
def test_mistakes_in_publish_and_upload_request_steps(data, message):
    with pytest.raises(TemplateError) as raised:
        parse_template(data, "broken.yaml")
    assert str(raised.value).startswith("broken.yaml: ")
    assert message in str(raised.value)


# --- the questionnaire step kind and a step's `when:` -------------------------------------------


def with_questionnaire(settings=None, when=None, *, office_kind="notary", when_on="done"):
    """GOOD with an intake questionnaire as its second step, and a `when:` on a later step."""
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["office_kind"] = office_kind
    data["steps"].insert(1, {
        "key": "buyer", "title": {"nl": "Vragenlijst koper", "en": "Buyer's questionnaire"},
        "kind": "questionnaire",
        "settings": {"definition": "intake-koper"} if settings is None else settings,
    })  # fmt: skip
    if when is not None:
        next(step for step in data["steps"] if step["key"] == when_on)["when"] = when
    return data


MORTGAGE = {"question": "mortgage", "equals": True}


def test_a_questionnaire_step_and_a_when_on_its_answers_parse():
    template = parse_template(
        with_questionnaire(
            {"definition": "intake-koper", "filled_by": "client", "due_in_days": 14},
            {
                "step": "buyer",
                "condition": {
                    "all": [MORTGAGE, {"question": "purchase_price", "greater_than": 0.5}]
                },
            },
        ),  # fmt: skip
        "q.yaml",
    )
    step = template.steps[1]
    assert (step.kind, step.settings["due_in_days"]) == ("questionnaire", 14)
    done = template.steps[-1]
    # Stored as JSON for the step mirror: decimals (and dates) as text, exactly.
    assert done.when == {
        "step": "buyer",
        "condition": {"all": [MORTGAGE, {"question": "purchase_price", "greater_than": "0.5"}]},
    }


@pytest.mark.parametrize(
    "data, message",
    [
        (with_questionnaire({}), "step 2 ('buyer'): settings.definition is required"),
        (
            with_questionnaire({"definition": "intake"}),
            "settings.definition: no questionnaire 'intake'; known: aangifte-ib, intake-koper",
        ),
        (
            with_questionnaire({"definition": "aangifte-ib"}),
            "'aangifte-ib' is for a accountancy office, not a notary office",
        ),
        (
            with_questionnaire({"definition": "intake-koper", "filled_by": "staff"}),
            "settings.filled_by must be one of: client",
        ),
        (
            with_questionnaire({"definition": "intake-koper", "due_in_days": 0}),
            "settings.due_in_days must be a whole number of days, at least 1",
        ),
        (
            with_questionnaire({"definition": "intake-koper", "reminder": True}),
            "unknown setting(s): reminder",
        ),
        (
            with_questionnaire(when={"step": "buyer"}),
            "step 5 ('done'): when must have 'step' (an earlier questionnaire step) and "
            "'condition'",
        ),
        (
            with_questionnaire(when={"step": "later", "condition": MORTGAGE}),
            "when.step must be the key of an earlier step (got 'later')",
        ),
        (
            with_questionnaire(when={"step": "buyer", "condition": MORTGAGE}, when_on="buyer"),
            "step 2 ('buyer'): when.step must be the key of an earlier step (got 'buyer')",
        ),
        (
            with_questionnaire(when={"step": "intake", "condition": MORTGAGE}),
            "when.step 'intake' is a staff_task step; a condition needs the answers of a "
            "questionnaire step",
        ),
        (
            with_questionnaire(
                when={"step": "buyer", "condition": {"question": "hypotheek", "equals": True}}
            ),  # fmt: skip
            "when.condition: the condition refers to 'hypotheek', which is no question of "
            "intake-koper version 2",
        ),
        (
            with_questionnaire(
                when={"step": "buyer", "condition": {"question": "mortgage", "equals": "ja"}}
            ),  # fmt: skip
            "when.condition: a condition on 'mortgage': 'ja' is not true or false",
        ),
        (
            with_questionnaire(
                when={"step": "buyer", "condition": {"question": "mortgage", "is": True}}
            ),  # fmt: skip
            "when.condition:",
        ),
    ],
)
def test_mistakes_in_questionnaire_steps_and_whens(data, message):
    with pytest.raises(TemplateError) as caught:
        parse_template(data, "q.yaml")
    assert str(caught.value).startswith("q.yaml: ")
    assert message in str(caught.value)


def test_the_shipped_templates_send_the_three_questionnaires_and_branch_on_them():
    registry = TemplateRegistry.from_folder()
    sent = {
        step.settings["definition"]: (template.key, step.key)
        for template in registry.all_latest()
        for step in template.steps
        if step.kind == "questionnaire"
    }
    assert sent == {
        "intake-koper": ("levering-woning", "buyer-questionnaire"),
        "aangifte-ib": ("jaarrekening-ib", "tax-questionnaire"),
        "testament": ("testament", "will-questionnaire"),
    }
    mortgage = {s.key: s for s in registry.latest("levering-woning").steps}["mortgage-deed"]
    assert mortgage.when == {"step": "buyer-questionnaire", "condition": MORTGAGE}
