"""Questionnaire definitions, validation and PDF rendering (reportlab). No Flask here: rendering
takes a babel.support.Translations object, because flask_babel.force_locale silently does
nothing outside an app context."""
