"""File questions (a copy of a passport, a mortgage offer): see forms.files for how a file
reaches the library."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from babel.numbers import format_decimal
from pydantic import Field, field_validator

from forms.files import FILE_EXTENSIONS, FILE_TYPES, MIB, FileAnswer, UploadRefused, is_file_answer
from forms.language import Language
from forms.questions.base import Context, Invalid, Question, RawForm, wrong_type


class FileUpload(Question):
    type: Literal["file"]
    #: The kinds of file allowed, by name (see forms.files.FILE_TYPES).
    accept: tuple[str, ...] = ("pdf", "jpeg", "png")
    max_mb: int = Field(default=10, ge=1, le=100)

    widget: ClassVar[str] = "file"
    stored_as: ClassVar[tuple[type, ...]] = (dict,)

    @field_validator("accept")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in FILE_TYPES]
        if unknown or not value:
            raise ValueError(
                f"accept must list file types from: {', '.join(FILE_TYPES)} "
                f"(unknown: {', '.join(unknown) or 'none given'})"
            )
        return value

    def read(self, form: RawForm, name: str, ctx: Context) -> Any:
        return {
            "field": name,
            "uploaded": ctx.uploads is not None and ctx.uploads.posted(name),
            "keep": form.get(f"{name}.keep").strip(),
            "remove": bool(form.get(f"{name}.remove")),
        }

    def empty(self, raw: Any) -> bool:
        return not raw["uploaded"] and (raw["remove"] or not raw["keep"])

    def redisplay(self, raw: Any, value: Any) -> Any:
        """The file itself (the page shows its name and posts it back as `.keep`)."""
        return value

    def parse(self, raw: Any, ctx: Context) -> Any:
        """A new upload wins; otherwise a kept file, if it is one the service knows for this
        questionnaire; a ticked `.remove` drops the kept one."""
        _ = ctx.lang.gettext
        if raw["uploaded"] and ctx.uploads is not None:
            try:
                stored = ctx.uploads.store(raw["field"], max_bytes=self.max_mb * MIB)
            except UploadRefused as refused:
                raise Invalid(self._refusal(refused.reason, ctx.lang)) from None
            if stored is not None:
                ctx.new_files.append(stored)
                return self._allowed(stored, ctx)
        if raw["remove"] or not raw["keep"]:
            return None
        known = ctx.known_files.get(raw["keep"])
        if known is None:
            raise Invalid(_("Dit bestand is niet meer beschikbaar. Kies het opnieuw."))
        return self._allowed(known, ctx)

    def _allowed(self, file: FileAnswer, ctx: Context) -> FileAnswer:
        if file["content_type"] not in {FILE_TYPES[name] for name in self.accept}:
            raise Invalid(self._refusal("type_not_allowed", ctx.lang))
        if file["size"] > self.max_mb * MIB:
            raise Invalid(self._refusal("too_large", ctx.lang))
        return FileAnswer(
            sha256=file["sha256"],
            filename=file["filename"],
            content_type=file["content_type"],
            size=file["size"],
        )

    def _refusal(self, reason: str, lang: Language) -> str:
        if reason == "too_large":
            return lang.gettext("Dit bestand is te groot: ten hoogste %(max)s MB.") % {
                "max": self.max_mb
            }
        if reason == "empty":
            return lang.gettext("Dit bestand is leeg. Kies een ander bestand.")
        return lang.gettext(
            "Dit soort bestand kan hier niet. Kies een bestand van het type %(types)s."
        ) % {"types": self.type_names(lang)}

    def type_names(self, lang: Language) -> str:
        """ "PDF, JPEG of PNG" / "PDF, JPEG or PNG"."""
        names = [name.upper() for name in self.accept]
        if len(names) == 1:
            return names[0]
        return lang.gettext("%(some)s of %(last)s") % {
            "some": ", ".join(names[:-1]),
            "last": names[-1],
        }

    def coerce(self, value: Any, ctx: Context) -> Any:
        if not is_file_answer(value):
            raise wrong_type(ctx.lang)
        return self._allowed(value, ctx)

    def to_raw(self, value: Any, lang: Language) -> Any:
        return value

    def display(self, value: Any, lang: Language) -> str:
        return f"{value['filename']} ({self.size_text(value['size'], lang)})"

    @staticmethod
    def size_text(size: int, lang: Language) -> str:
        if size < MIB:
            return lang.gettext("%(size)s kB") % {
                "size": format_decimal(max(1, round(size / 1024)), locale=lang.locale)
            }
        return lang.gettext("%(size)s MB") % {
            "size": format_decimal(round(size / MIB, 1), locale=lang.locale)
        }

    def required_message(self, lang: Language) -> str:
        return lang.gettext("Kies een bestand.")

    def input_attributes(self) -> dict[str, Any]:
        extensions = [ext for name in self.accept for ext in FILE_EXTENSIONS[name]]
        return {"accept": ",".join(extensions + [FILE_TYPES[name] for name in self.accept])}
