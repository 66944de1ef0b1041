"""The questionnaire definitions the portal and its flow runs use: every version in the folder
of casemodel.config.forms_path() (the shipped forms/definitions/ by default), loaded and checked
once per process and folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from casemodel import config
from forms import DefinitionRegistry


def questionnaire_definitions() -> DefinitionRegistry:
    """Every version of every definition; raises forms.DefinitionError if a file is broken."""
    return _load(config.forms_path())


@cache
def _load(folder: Path) -> DefinitionRegistry:
    return DefinitionRegistry.from_folder(folder)
