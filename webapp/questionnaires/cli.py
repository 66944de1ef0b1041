"""`flask --app webapp forms check`: every questionnaire definition loaded and checked (the
folder of DOSSIERFLOW_FORMS, the shipped forms/definitions/ by default)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from casemodel.config import forms_path
from forms import DefinitionError, check_all


@click.group("forms", cls=AppGroup, help="Questionnaire definitions (forms/definitions/).")
def forms_group() -> None:
    pass


@forms_group.command("check", help="Load and check every questionnaire definition.")
def forms_check() -> None:
    try:
        registry = check_all(forms_path())
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the definitions") from None
    for definition in registry:
        click.echo(
            f"{definition.key} v{definition.version}: {len(definition.pages)} pages, "
            f"{definition.question_count()} questions"
        )
