"""Colours of an office's theme: reading "#1f4e79", WCAG 2.1 contrast, and the shades the pages
derive from the one colour an office chooses. No Flask: the office settings service checks a
colour with these before it is accepted, and mails and letters draw with them."""

from __future__ import annotations

import re

#: WCAG 2.1 AA for normal text (1.4.3): the primary colour is the background of white button
#: text and the colour of links and headings on white.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
#: The portal's own colour, for pages of no office in particular (the login page).
DEFAULT_PRIMARY = "#1f4e79"

_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_hex(text: str) -> str | None:
    """A colour typed as "#1f4e79", "1F4E79" or "#17a", as lower-case "#rrggbb"; None for
    anything else (so nothing but a colour ever reaches a stylesheet)."""
    match = _HEX.fullmatch(text.strip())
    if match is None:
        return None
    digits = match[1].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return f"#{digits}"


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour "#rrggbb"."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """`share` of `other` mixed into `colour` (0: colour, 1: other), per sRGB channel."""
    mixed = (round(a + (b - a) * share) for a, b in zip(_channels(colour), _channels(other),
                                                       strict=True))  # fmt: skip
    return "#" + "".join(f"{c:02x}" for c in mixed)


def theme_colours(primary: str) -> dict[str, str]:
    """The shades pages use, from the office's primary colour (already checked for contrast):
    a darker one for hover and pressed (more contrast still), and a pale tint for backgrounds
    such as the selected tab and the footer, on which the primary colour stays readable."""
    return {
        "primary": primary,
        "primary-hover": mix(primary, "#000000", 0.2),
        "primary-active": mix(primary, "#000000", 0.35),
        "primary-subtle": mix(primary, WHITE, 0.92),
        "on-primary": WHITE,
    }
