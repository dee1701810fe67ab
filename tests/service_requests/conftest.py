"""Fixtures of the service request tests: a small organisation and a catalog."""

from __future__ import annotations

import pytest

from tests.factories import TeamFactory, make_agent, make_end_user
from tests.service_requests.factories import make_item


@pytest.fixture
def infra(db):
    return TeamFactory(name="Infrastructure")


@pytest.fixture
def ivan(infra):
    """An agent of Infrastructure."""
    return make_agent(infra, username="ivan")


@pytest.fixture
def manager(db):
    return make_end_user(username="mike", email="mike@example.com")


@pytest.fixture
def requester(manager):
    """Eve, whose manager is Mike."""
    return make_end_user(username="eve", manager=manager)


@pytest.fixture
def laptop(team, infra):
    """Needs the manager's approval; the Service Desk and Infrastructure each have a task."""
    return make_item(
        owner_team=team,
        name="New laptop",
        approvals=["manager"],
        tasks=[("Prepare the laptop", team), ("Enrol in device management", infra)],
    )


@pytest.fixture
def software(team):
    """No approval, one task for the Service Desk."""
    return make_item(
        owner_team=team,
        name="Software install",
        form=[{"name": "software", "label": "Software", "field_type": "text"}],
        tasks=[("Install it", team)],
    )


@pytest.fixture
def walk_fulfilling(laptop, requester, manager):
    """A new laptop order, approved: fulfilling, with its two tasks open."""
    from service_requests import services
    from tests.service_requests.factories import order

    def walk():
        return services.request_approve(service_request=order(laptop, requester), by=manager)

    return walk


@pytest.fixture
def walk_fulfilled(walk_fulfilling, agent, ivan):
    """A new laptop order whose two tasks are done."""
    from service_requests import services
    from tests.service_requests.factories import fresh, tasks_of

    def walk():
        service_request = walk_fulfilling()
        first, second = tasks_of(service_request)
        services.task_complete(task=first, by=agent)
        services.task_complete(task=second, by=ivan)
        return fresh(service_request)

    return walk
