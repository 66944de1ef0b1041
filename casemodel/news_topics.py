"""The topics an office's news can be about (accountancy manual, "Actueel": "Onder 'Meer' kunt
u uw voorkeuren opgeven, zodat u alleen het nieuws van uw interesse getoond krijgt"). A fixed,
short list for notary offices and accountancy firms alike: the key is stored (news_items.topic,
users.news_topics) and never changes; the label is Dutch, the source language, translated
where it is shown (`gettext(topic.label)`)."""

from __future__ import annotations

from typing import NamedTuple


def _(label: str) -> str:
    """Marks a label for the catalogs (pybabel extracts `_()`); it is translated where shown."""
    return label


class NewsTopic(NamedTuple):
    key: str
    label: str


NEWS_TOPICS: tuple[NewsTopic, ...] = (
    NewsTopic("belastingen", _("Belastingen")),
    NewsTopic("personeel", _("Personeel en salaris")),
    NewsTopic("ondernemen", _("Ondernemen")),
    NewsTopic("subsidies", _("Subsidies en regelingen")),
    NewsTopic("prive", _("Privéfinanciën")),
    NewsTopic("wonen", _("Wonen en vastgoed")),
    NewsTopic("erven", _("Erven en schenken")),
    NewsTopic("juridisch", _("Recht en regelgeving")),
)
TOPIC_KEYS: frozenset[str] = frozenset(topic.key for topic in NEWS_TOPICS)
TOPIC_LABELS: dict[str, str] = {topic.key: topic.label for topic in NEWS_TOPICS}
