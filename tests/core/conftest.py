"""Fixtures for the core API tests."""

import pytest
from rest_framework.test import APIClient

from servicedesk.core.models import User


def client_for(user: User | None) -> APIClient:
    """An API client for a freshly loaded ``user`` (no permission cache carried over)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(User.objects.get(pk=user.pk))
    return client


@pytest.fixture
def as_user(db):
    """An API client per user, each with its own freshly loaded user; None: anonymous."""
    return client_for


@pytest.fixture
def list_queries(django_assert_num_queries):
    """GET ``url`` as ``user`` and check it costs exactly ``expected`` SQL queries."""

    def run(user: User, url: str, expected: int) -> dict:
        client = client_for(user)
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200, response.content
        return response.json()

    return run
