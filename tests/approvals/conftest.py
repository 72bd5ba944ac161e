"""Fixtures for the declaration pages: the three seed declarations, logging in, media."""

import pytest

from declarations.models import Declaration
from tests.approvals.helpers import EZ_PROJECT, NY_GRID, NY_RELOCATION, PASSWORD, PREPARER_OF


@pytest.fixture
def seeds(demo) -> dict[str, Declaration]:
    """The three seed declarations that load_demo enters, by name."""
    return {name: Declaration.objects.get(name=name) for name in PREPARER_OF}


@pytest.fixture
def ez_project(seeds) -> Declaration:
    return seeds[EZ_PROJECT]


@pytest.fixture
def ny_relocation(seeds) -> Declaration:
    return seeds[NY_RELOCATION]


@pytest.fixture
def ny_grid(seeds) -> Declaration:
    return seeds[NY_GRID]


@pytest.fixture
def login(client):
    """Log the test client in as a demo account; returns the client."""

    def _login(username: str):
        client.logout()
        assert client.login(username=username, password=PASSWORD), username
        return client

    return _login


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
