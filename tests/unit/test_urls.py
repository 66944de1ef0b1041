"""Where a `next=` parameter may lead: only to a path on this site."""

from __future__ import annotations

import pytest

from webapp.urls import same_origin


@pytest.mark.parametrize("target", ["/home", "/dossiers/3?tab=messages#m2", "/account/confirm"])
def test_paths_on_this_site_are_kept(target):
    assert same_origin(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None, "", "home", "https://evil.example/", "//evil.example/", "/\\evil.example",
        "/\t/evil.example/phish", "/\n/evil.example", "/\r//evil.example", "/ /evil.example",
        "/\x00/evil.example", "/\x7f/evil.example", "\t//evil.example", "javascript:alert(1)",
    ],
)  # fmt: skip
def test_anything_that_could_leave_the_site_is_refused(target):
    assert same_origin(target) is None
