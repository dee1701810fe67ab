"""Fixtures shared by the whole suite."""

import contextlib
import os

import pytest
from rest_framework.test import APIClient

from tests.factories import TeamFactory, make_admin, make_agent, make_end_user

# Playwright's sync API runs an event loop in the test thread; the ORM calls in
# browser tests are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def team(db):
    return TeamFactory(name="Service Desk")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Network")


@pytest.fixture
def agent(team):
    return make_agent(team, username="alice")


@pytest.fixture
def lead(team):
    return make_agent(team, lead=True, username="lena")


@pytest.fixture
def other_agent(other_team):
    return make_agent(other_team, username="oscar")


@pytest.fixture
def end_user(db):
    return make_end_user(username="eve")


@pytest.fixture
def other_end_user(db):
    return make_end_user(username="mallory")


@pytest.fixture
def admin_user(db):
    return make_admin(username="adam")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """An API client signed in as the given user."""

    def sign_in(user):
        api_client.force_authenticate(user)
        return api_client

    return sign_in


@pytest.fixture
def api_with_token(api_client):
    """An API client that sends the given user's token, as integrations do: each request
    loads the user afresh, so query counts do not depend on what an earlier one cached."""

    def sign_in(user):
        from rest_framework.authtoken.models import Token

        api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return api_client

    return sign_in


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's SQLite test database files (the WAL files outlive Django's cleanup)."""
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME") or ""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(test_name + suffix)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (throttle counters live there)."""
    from django.core.cache import cache

    cache.clear()
