"""Routing rules pick the team; round robin and least-open-work pick the agent, fairly."""

import threading

import pytest
from django.db import connection

from incidents import services
from incidents.models import AssignmentMethod, Category, Incident, RoutingRule
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import NotPermitted
from servicedesk.core.models import AuditEvent
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_agent,
    make_end_user,
)


@pytest.fixture
def network(db):
    return TeamFactory(name="Network")


@pytest.fixture
def apps_team(db):
    return TeamFactory(name="Applications")


@pytest.fixture
def hardware(db):
    return Category.objects.create(name="Hardware")


def log(by, **fields):
    fields.setdefault("title", "Something is broken")
    return services.incident_create(by=by, **fields)


def test_the_most_specific_rule_wins_and_is_named_on_the_timeline(
    network, apps_team, hardware, end_user
):
    vpn = ServiceFactory(name="VPN")
    RoutingRule.objects.create(name="All VPN", service=vpn, team=apps_team)
    RoutingRule.objects.create(name="VPN hardware", service=vpn, category=hardware, team=network)
    incident = log(end_user, service=vpn, category=hardware)
    assert incident.assignment_group == network
    event = AuditEvent.objects.filter(ticket_id=incident.pk, action=AuditAction.ASSIGNED).get()
    assert event.actor is None
    assert event.note == "Routed to Network by rule “VPN hardware”."


def test_a_rule_on_a_parent_category_covers_its_children(network, hardware, end_user):
    printer = Category.objects.create(name="Printer", parent=hardware)
    RoutingRule.objects.create(name="Hardware", category=hardware, team=network)
    assert log(end_user, category=printer).assignment_group == network


def test_a_rule_on_a_ci_matches_any_affected_ci(network, end_user):
    router = ConfigurationItemFactory(name="core-router")
    RoutingRule.objects.create(name="Core router", configuration_item=router, team=network)
    incident = log(end_user, configuration_items=[ConfigurationItemFactory(), router])
    assert incident.assignment_group == network


def test_equal_rules_are_ordered_and_inactive_ones_ignored(network, apps_team, hardware, end_user):
    RoutingRule.objects.create(
        name="Z first by order", order=1, category=hardware, team=apps_team, is_active=False
    )
    RoutingRule.objects.create(name="B", order=5, category=hardware, team=network)
    RoutingRule.objects.create(name="A", order=9, category=hardware, team=apps_team)
    assert log(end_user, category=hardware).assignment_group == network


def test_no_rule_leaves_the_incident_unrouted(hardware, end_user):
    incident = log(end_user, category=hardware)
    assert incident.assignment_group is None
    assert not AuditEvent.objects.filter(
        ticket_id=incident.pk, action=AuditAction.ASSIGNED
    ).exists()


def test_an_agent_choosing_a_team_bypasses_routing(network, apps_team, hardware):
    RoutingRule.objects.create(name="Hardware", category=hardware, team=network)
    agent = make_agent(apps_team)
    assert log(agent, category=hardware, assignment_group=apps_team).assignment_group == apps_team


def test_end_users_cannot_log_for_others_or_assign(network, end_user, other_end_user):
    with pytest.raises(NotPermitted):
        log(end_user, requester=other_end_user)
    with pytest.raises(NotPermitted):
        log(end_user, assignment_group=network)
    assert not Incident.objects.exists()


def test_round_robin_goes_around_and_skips_away_agents(network, hardware, end_user):
    anna, bob, cleo = (make_agent(network, username=n) for n in ("anna", "bob", "cleo"))
    RoutingRule.objects.create(
        name="Hardware", category=hardware, team=network, assignment=AssignmentMethod.ROUND_ROBIN
    )
    first = [log(end_user, category=hardware).assignee for _ in range(4)]
    assert first == [anna, bob, cleo, anna]
    bob.is_away = True
    bob.save()
    assert [log(end_user, category=hardware).assignee for _ in range(3)] == [cleo, anna, cleo]
    event = AuditEvent.objects.filter(action=AuditAction.ASSIGNED).last()
    assert event.note == (
        f"Routed to Network by rule “Hardware”. Assigned to {cleo.display_name} by round robin."
    )


def test_least_open_work_picks_the_least_busy_agent(network, hardware, end_user):
    anna, bob = make_agent(network, username="anna"), make_agent(network, username="bob")
    for _ in range(2):
        services.incident_create(by=anna, title="x", assignment_group=network, assignee=anna)
    services.incident_create(by=bob, title="x", assignment_group=network, assignee=bob)
    RoutingRule.objects.create(
        name="Hardware", category=hardware, team=network, assignment=AssignmentMethod.LEAST_OPEN
    )
    assert log(end_user, category=hardware).assignee == bob
    assert log(end_user, category=hardware).assignee == anna  # 2 each now: alphabetical


def test_no_eligible_agent_leaves_it_in_the_team_queue(network, hardware, end_user):
    make_agent(network, username="away", is_away=True)
    RoutingRule.objects.create(
        name="Hardware", category=hardware, team=network, assignment=AssignmentMethod.ROUND_ROBIN
    )
    incident = log(end_user, category=hardware)
    assert (incident.assignment_group, incident.assignee) == (network, None)


@pytest.mark.django_db(transaction=True)
def test_round_robin_stays_fair_under_concurrent_creation():
    network = TeamFactory(name="Network")
    hardware = Category.objects.create(name="Hardware")
    agents = [make_agent(network, username=f"agent{i}") for i in range(3)]
    requester = make_end_user()
    RoutingRule.objects.create(
        name="Hardware", category=hardware, team=network, assignment=AssignmentMethod.ROUND_ROBIN
    )
    barrier, errors = threading.Barrier(4), []

    def create_three():
        try:
            barrier.wait()
            for _ in range(3):
                services.incident_create(by=requester, title="x", category=hardware)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    counts = {a.username: Incident.objects.filter(assignee=a).count() for a in agents}
    assert counts == {"agent0": 4, "agent1": 4, "agent2": 4}
