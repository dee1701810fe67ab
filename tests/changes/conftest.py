"""Fixtures of the change tests: a CAB of three, an emergency CAB of two, a change manager."""

import pytest

from servicedesk.core.choices import TeamKind
from tests.changes.factories import make_cab_member, make_change_manager
from tests.factories import TeamFactory


@pytest.fixture
def cab(db):
    return TeamFactory(name="CAB", kind=TeamKind.CAB)


@pytest.fixture
def ecab(db):
    return TeamFactory(name="Emergency CAB", kind=TeamKind.EMERGENCY_CAB)


@pytest.fixture
def members(cab):
    return [make_cab_member(cab, username=name) for name in ("bea", "ben", "bob")]


@pytest.fixture
def emergency_members(ecab):
    return [make_cab_member(ecab, username=name) for name in ("eli", "emma")]


@pytest.fixture
def manager(db):
    return make_change_manager(username="carol")


@pytest.fixture
def board(members, manager):
    """The CAB members and the change manager who chairs it: four voters."""
    return [*members, manager]


@pytest.fixture
def api_as(db):
    """A fresh API client per user (the suite's one shares a client between sign-ins)."""
    from rest_framework.test import APIClient

    from servicedesk.core.models import User

    def sign_in(user):
        client = APIClient()
        client.force_authenticate(User.objects.get(pk=user.pk))
        return client

    return sign_in
