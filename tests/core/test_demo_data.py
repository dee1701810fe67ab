"""The demo data: complete, made through the services, and safe to load twice."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core.choices import AuditAction, LinkKind, TeamKind
from servicedesk.core.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    easter_sunday,
    french_public_holidays,
    load_demo_data,
)
from servicedesk.core.models import (
    AuditEvent,
    BusinessCalendar,
    CIRelationship,
    Comment,
    ConfigurationItem,
    Holiday,
    Membership,
    Service,
    SLAPolicy,
    Team,
    Ticket,
    TicketLink,
    User,
    Watcher,
    WorkingPeriod,
)
from servicedesk.core.roles import ROLE_GROUP_NAMES, Role

COUNTED = (
    User,
    Group,
    Team,
    Membership,
    Service,
    ConfigurationItem,
    CIRelationship,
    BusinessCalendar,
    WorkingPeriod,
    Holiday,
    Ticket,
    Comment,
    TicketLink,
    Watcher,
    AuditEvent,
)


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in COUNTED}


@pytest.fixture
def demo(db):
    load_demo_data()


def test_loading_twice_changes_nothing(demo):
    first = counts()
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    assert out.getvalue().splitlines()[0] == "Demo data loaded (0 new tickets)."
    assert counts() == first
    assert first == {
        "User": 15,
        "Group": 6,
        "Team": 6,
        "Membership": 15,
        "Service": 6,
        "ConfigurationItem": 12,
        "CIRelationship": 13,
        "BusinessCalendar": 2,
        "WorkingPeriod": 17,
        "Holiday": 22,
        "Ticket": 10,
        "Comment": 8,
        "TicketLink": 3,
        "Watcher": 3,
        "AuditEvent": 43,
    }


def test_every_practice_has_tickets_with_numbers(demo):
    assert sorted(Incident.objects.values_list("number", flat=True)) == [
        f"INC000000{n}" for n in range(1, 7)
    ]
    assert list(Problem.objects.values_list("number", flat=True)) == ["PRB0000001"]
    assert list(Change.objects.values_list("number", flat=True)) == ["CHG0000001"]
    assert sorted(ServiceRequest.objects.values_list("number", flat=True)) == [
        "REQ0000001",
        "REQ0000002",
    ]


def test_the_demo_problem_is_a_public_known_error_with_its_incidents(demo):
    problem = Problem.objects.get()
    assert (problem.status, problem.publication, problem.is_known_error) == (
        "known_error",
        "public",
        True,
    )
    assert "TCP 443" in problem.workaround
    assert sorted(problem.incidents.values_list("title", flat=True)) == [
        "Cannot stay connected to the VPN from the hotel",
        "VPN drops every ten minutes",
    ]


def test_every_ticket_has_its_creation_on_record(demo):
    created = AuditEvent.objects.filter(action=AuditAction.CREATED)
    assert sorted(created.values_list("ticket_id", flat=True)) == sorted(
        Ticket.objects.values_list("pk", flat=True)
    )


def test_tickets_are_discussed_linked_and_watched(demo):
    assert Comment.objects.filter(internal=True).count() == 4
    assert Comment.objects.filter(internal=False).count() == 4
    problem = Problem.objects.get()
    caused = TicketLink.objects.filter(kind=LinkKind.CAUSED_BY, target=problem)
    assert sorted(caused.values_list("source__title", flat=True)) == [
        "Cannot stay connected to the VPN from the hotel",
        "VPN drops every ten minutes",
    ]
    assert list(
        TicketLink.objects.filter(source=problem).values_list("kind", "target__practice")
    ) == [(LinkKind.RELATES_TO, "change")]
    mail = Incident.objects.get(title="Mail to external recipients is not delivered")
    assert (mail.priority, mail.assignment_group.name, mail.assignee.username) == (
        1,
        "Infrastructure",
        "ivan",
    )
    assert list(mail.watchers.values_list("username", flat=True)) == ["frank"]


def test_demo_people_have_the_roles_they_are_listed_with(demo):
    def roles(username: str) -> set[str]:
        user = User.objects.get(username=username)
        return set(user.groups.values_list("name", flat=True))

    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff) == (True, True)
    assert roles("admin") == {ROLE_GROUP_NAMES[Role.ADMIN]}
    assert roles("lena") == {ROLE_GROUP_NAMES[Role.AGENT], ROLE_GROUP_NAMES[Role.TEAM_LEAD]}
    assert roles("alice") == {ROLE_GROUP_NAMES[Role.AGENT]}
    assert roles("carol") == {
        ROLE_GROUP_NAMES[Role.AGENT],
        ROLE_GROUP_NAMES[Role.CHANGE_MANAGER],
        ROLE_GROUP_NAMES[Role.CAB_MEMBER],
        ROLE_GROUP_NAMES[Role.TEAM_LEAD],
    }
    assert roles("victor") == {ROLE_GROUP_NAMES[Role.END_USER], ROLE_GROUP_NAMES[Role.CAB_MEMBER]}
    assert roles("eve") == {ROLE_GROUP_NAMES[Role.END_USER]}
    assert User.objects.get(username="eve").manager.username == "mike"
    assert User.objects.get(username="frank").manager.username == "mike"
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_LOGINS)
    assert dict(Team.objects.values_list("name", "kind")) == {
        "Service Desk": TeamKind.SUPPORT,
        "Network": TeamKind.SUPPORT,
        "Applications": TeamKind.SUPPORT,
        "Infrastructure": TeamKind.SUPPORT,
        "CAB": TeamKind.CAB,
        "Emergency CAB": TeamKind.EMERGENCY_CAB,
    }
    leads = Membership.objects.filter(is_lead=True, team__kind=TeamKind.SUPPORT)
    assert sorted(leads.values_list("team__name", "user__username")) == [
        ("Applications", "anna"),
        ("Infrastructure", "iris"),
        ("Network", "nora"),
        ("Service Desk", "lena"),
    ]


@pytest.mark.parametrize("username", sorted(DEMO_LOGINS))
def test_every_demo_login_signs_in_with_the_demo_password(demo, username):
    assert Client().login(username=username, password=DEMO_PASSWORD) is True


def test_office_hours_are_paris_mornings_and_afternoons_on_weekdays(demo):
    office = BusinessCalendar.objects.get(name="Europe office hours")
    assert office.timezone == "Europe/Paris"
    assert list(office.working_periods.values_list("weekday", "start", "end")) == [
        (weekday, start, end)
        for weekday in range(5)
        for start, end in ((time(9), time(12, 30)), (time(13, 30), time(18)))
    ]
    round_the_clock = BusinessCalendar.objects.get(name="24x7")
    assert list(round_the_clock.working_periods.values_list("weekday", "start", "end")) == [
        (weekday, time(0), time(0)) for weekday in range(7)
    ]


def test_office_holidays_cover_this_year_and_the_next(demo):
    year = timezone.localdate().year
    office = BusinessCalendar.objects.get(name="Europe office hours")
    stored = dict(office.holidays.values_list("date", "name"))
    assert stored == french_public_holidays(year) | french_public_holidays(year + 1)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_french_holidays_of_2026():
    assert french_public_holidays(2026) == {
        date(2026, 1, 1): "Jour de l'an",
        date(2026, 4, 6): "Lundi de Pâques",
        date(2026, 5, 1): "Fête du Travail",
        date(2026, 5, 8): "Victoire 1945",
        date(2026, 5, 14): "Ascension",
        date(2026, 5, 25): "Lundi de Pentecôte",
        date(2026, 7, 14): "Fête nationale",
        date(2026, 8, 15): "Assomption",
        date(2026, 11, 1): "Toussaint",
        date(2026, 11, 11): "Armistice 1918",
        date(2026, 12, 25): "Noël",
    }


def test_incidents_and_requests_have_sla_policies_and_the_tickets_due_times(demo):
    assert sorted(SLAPolicy.objects.values_list("name", "calendar__name")) == [
        (f"{practice} P{priority}", "24x7" if priority <= 2 else "Europe office hours")
        for practice in ("Incident", "Service request")
        for priority in range(1, 6)
    ]
    urgent = SLAPolicy.objects.get(name="Incident P1")
    assert list(urgent.escalation_rules.values_list("target", "threshold", "action")) == [
        ("resolution", 75, "notify_assignee"),
        ("resolution", 90, "notify_team_lead"),
        ("response", 100, "notify_team_lead"),
    ]
    open_incidents = Incident.objects.filter(status__in=["new", "in_progress"])
    assert open_incidents.exists()
    assert not open_incidents.filter(resolution_due_at__isnull=True).exists()
    assert not open_incidents.filter(sla_policy__isnull=True).exists()
