"""The password rules of SECURITY.md (ASVS 5.0 level 2, 6.2): length, not guessable, no
composition rule.

Passwords must be at least 8 characters when the account has two-step verification (12
otherwise) and at most 128; any characters count, nothing is truncated. Instead of "one capital
and one digit" (which the notary manual asks for and ASVS forbids) a password is refused when a
strength estimator (zxcvbn) finds it guessable, or when it contains a word of the context: the
portal's name, the office's name, the user's own name or e-mail address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zxcvbn import zxcvbn

MIN_LENGTH_WITH_SECOND_FACTOR = 8
MIN_LENGTH_WITHOUT_SECOND_FACTOR = 12
MAX_LENGTH = 128
#: zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline attacks".
MIN_SCORE = 3
#: zxcvbn refuses longer input; its judgement of the first 72 characters is kept.
ESTIMATOR_MAX = 72
PORTAL_WORDS = ("dossierflow", "klantenportaal", "portaal", "notaris", "notariskantoor")
#: Words Dutch users build weak passwords from, which zxcvbn's English lists lack; given to the
#: estimator as known words, so "Welkom2026!" counts as weak as "Welcome2026!".
COMMON_DUTCH = (
    "welkom", "wachtwoord", "geheim", "zomer", "winter", "lente", "herfst", "voorjaar",
    "najaar", "januari", "februari", "maart", "april", "juni", "juli", "augustus", "september",
    "oktober", "november", "december", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag",
    "zaterdag", "zondag", "hallo", "schatje", "liefde", "voetbal", "ajax", "feyenoord", "psv",
    "nederland", "holland", "amsterdam", "rotterdam", "utrecht", "kantoor", "administratie",
    "boekhouding", "belasting", "accountant", "welkom01", "wachtwoord1",
)  # fmt: skip


@dataclass(frozen=True)
class PasswordVerdict:
    """Problems are codes ("too_short", "too_long", "guessable", "context_word"): the web layer
    turns them into sentences in the user's language."""

    problems: tuple[str, ...]
    score: int
    min_length: int

    @property
    def acceptable(self) -> bool:
        return not self.problems


def judge_password(
    password: str, *, context: tuple[str, ...] = (), second_factor: bool = True
) -> PasswordVerdict:
    """Judge a new password against the rules, with the words of its context (office name, the
    user's name and e-mail address)."""
    min_length = (
        MIN_LENGTH_WITH_SECOND_FACTOR if second_factor else MIN_LENGTH_WITHOUT_SECOND_FACTOR
    )
    if len(password) > MAX_LENGTH:
        return PasswordVerdict(("too_long",), 0, min_length)
    problems = []
    if len(password) < min_length:
        problems.append("too_short")
    words = context_words(context)
    if any(word in password.lower() for word in words):
        problems.append("context_word")
    known = [*words, *COMMON_DUTCH]
    score = zxcvbn(password[:ESTIMATOR_MAX], user_inputs=known)["score"] if password else 0
    if score < MIN_SCORE:
        problems.append("guessable")
    return PasswordVerdict(tuple(problems), score, min_length)


def context_words(context: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case words of four letters or more from the context, plus the portal's own."""
    words = set(PORTAL_WORDS)
    for text in context:
        words.update(w for w in re.split(r"[^\w]+", text.lower()) if len(w) >= 4)
    return tuple(sorted(words))
