"""Fixtures shared by every test tier, one module per concern under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.prefect",
    "tests.fixtures.domain",
    "tests.fixtures.web",
]
