"""The authenticator's QR code, as inline SVG (no image files, nothing for the CSP to allow)."""

import segno
from markupsafe import Markup


def qr_svg(uri: str) -> Markup:
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2))  # noqa: S704
