"""The managers' reports on a small known data set, with exact expected figures."""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import metrics, tables
from reports.metrics import Period
from servicedesk.core.models import Ticket
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    make_change,
    make_incident,
    make_problem,
    make_request,
)
from tests.service_requests.factories import make_item

pytestmark = pytest.mark.django_db

PERIOD = Period(start=date(2026, 3, 1), end=date(2026, 3, 3))
QUERY = {"start": "2026-03-01", "end": "2026-03-03"}


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def stamp(ticket, **fields):
    """Set a ticket's timestamps directly, for determinism."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


@pytest.fixture
def data(team, other_team):
    s1, s2 = ServiceFactory(name="Email"), ServiceFactory(name="VPN")
    ci = ConfigurationItemFactory(name="mx-01")
    i1 = make_incident(
        title="i1", impact=1, urgency=1, assignment_group=team, service=s1, configuration_items=[ci]
    )
    i2 = make_incident(title="i2", impact=3, urgency=3, assignment_group=team, service=s1)
    i3 = make_incident(title="i3", impact=1, urgency=1, service=s2, configuration_items=[ci])
    p1 = make_problem(title="p1", assignment_group=team)
    c1, c2, c3 = (make_change(title=f"c{i}") for i in (1, 2, 3))
    item = make_item(owner_team=team, name="Mouse")
    r1, r2 = make_request(title="r1"), make_request(title="r2")
    old = make_incident(title="before the period", assignment_group=team)
    Ticket.objects.update(
        response_due_at=None,
        resolution_due_at=None,
        responded_at=None,
        resolved_at=None,
        closed_at=None,
    )
    stamp(
        i1,
        created_at=at(1, 8),
        response_due_at=at(1, 9),
        responded_at=at(1, 8, 30),
        resolution_due_at=at(1, 12),
        resolved_at=at(1, 11),
        closed_at=at(2, 10),
    )
    stamp(
        i2,
        created_at=at(1, 10),
        response_due_at=at(1, 11),
        responded_at=at(1, 12),
        resolution_due_at=at(2, 10),
        resolved_at=at(2, 14),
        closed_at=at(3, 9),
    )
    stamp(i3, created_at=at(2, 9), response_due_at=at(2, 10))
    stamp(p1, created_at=at(2, 12))
    i1.__class__.objects.filter(pk__in=[i1.pk, i2.pk]).update(related_problem=p1)
    stamp(c1, created_at=at(3, 8))
    stamp(c2, created_at=at(3, 9))
    stamp(c3, created_at=at(3, 10))
    c1.__class__.objects.filter(pk=c1.pk).update(change_type="emergency", outcome="successful")
    c1.__class__.objects.filter(pk=c2.pk).update(outcome="failed")
    stamp(r1, created_at=at(1, 0), resolved_at=at(1, 6))
    stamp(r2, created_at=at(2, 0), resolved_at=at(2, 2))
    r1.__class__.objects.filter(pk__in=[r1.pk, r2.pk]).update(catalog_item=item)
    stamp(old, created_at=at(1, 0) - timedelta(days=10), closed_at=at(1, 0) - timedelta(days=9))
    return {"team": team}


def test_sla_compliance_by_practice(lead, data):
    assert tables.sla_by_practice(lead, PERIOD).rows == [
        ["Change", 0, 0, 0, 0],
        ["Incident", 1, 2, 1, 1],
        ["Problem", 0, 0, 0, 0],
        ["Service request", 0, 0, 0, 0],
    ]


def test_sla_compliance_by_priority_and_team(lead, data):
    rows = metrics.sla_compliance(lead, PERIOD, "priority")
    incidents = [
        (r["key"], r["response_met"], r["response_breached"], r["resolution_breached"])
        for r in rows
        if r["key"] in (1, 5)
    ]
    assert incidents == [(1, 1, 1, 0), (5, 0, 1, 1)]
    assert tables.sla_by_team(lead, PERIOD).rows == [
        ["Service Desk", 1, 1, 1, 1],
        ["No team", 0, 1, 0, 0],
    ]


def test_mean_times_to_acknowledge_and_resolve(lead, data):
    rows = {r["practice"]: r for r in metrics.mean_times(lead, PERIOD)}

    assert rows["incident"]["tickets"] == 3
    assert rows["incident"]["mtta"] == timedelta(minutes=75)
    assert rows["incident"]["mttr"] == timedelta(hours=15, minutes=30)
    assert tables.mean_times(lead, PERIOD).rows[1] == ["Incident", 3, 1.25, 15.5]


def test_backlog_opened_and_closed_per_day(lead, data):
    assert tables.backlog(lead, PERIOD).rows == [
        ["2026-03-01", 3, 0],
        ["2026-03-02", 3, 1],
        ["2026-03-03", 3, 1],
    ]


def test_incidents_per_service_and_ci(lead, data):
    assert tables.incidents_per_service(lead, PERIOD).rows == [["Email", 2], ["VPN", 1]]
    assert tables.incidents_per_ci(lead, PERIOD).rows == [["mx-01", 2]]


def test_problems_with_most_linked_incidents(lead, data):
    problem = Ticket.objects.get(title="p1")
    assert tables.top_problems(lead, PERIOD).rows == [[problem.number, "p1", 2]]


def test_change_success_rate_and_emergency_share(lead, data):
    assert metrics.change_outcomes(lead, PERIOD) == {
        "total": 3,
        "emergency": 1,
        "completed": 2,
        "successful": 1,
        "failed": 1,
        "backed_out": 0,
        "success_rate": 50.0,
        "emergency_share": 33.3,
    }


def test_fulfilment_time_per_catalog_item(lead, data):
    assert tables.fulfilment_times(lead, PERIOD).rows == [["Mouse", 2, 4.0]]


def test_team_filter_keeps_only_that_teams_tickets(lead, data):
    period = Period(start=PERIOD.start, end=PERIOD.end, team=data["team"])
    assert tables.backlog(lead, period).rows == [
        ["2026-03-01", 2, 0],
        ["2026-03-02", 1, 1],
        ["2026-03-03", 0, 1],
    ]


def test_reports_page_shows_every_table_in_bounded_queries(client, lead, data):
    client.force_login(lead)
    with CaptureQueriesContext(connection) as layout:
        client.get(reverse("reports:search"))
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("reports:reports"), QUERY)

    # Beyond what any agent page costs (session, user, permissions, layout): one grouped
    # query per table, two for the backlog, and the team choices; never one per ticket.
    assert len(page) - len(layout) == len(tables.TABLES) + 2

    assert response.status_code == 200
    body = response.content.decode()
    assert [t.name for t in response.context["tables"]] == list(tables.TABLES)
    assert 'id="backlog-chart"' in body
    assert "vendor/chartjs/chart.umd.js" in body


def test_a_table_downloads_as_csv(client, lead, data):
    client.force_login(lead)

    response = client.get(reverse("reports:report-csv", args=["backlog"]), QUERY)

    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == [
        "Day,Opened,Closed",
        "2026-03-01,3,0",
        "2026-03-02,3,1",
        "2026-03-03,3,1",
    ]


@pytest.mark.parametrize("who", ["end_user", "agent"])
def test_only_managers_may_read_reports(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("reports:reports")).status_code == 403
    assert client.get(reverse("reports:report-csv", args=["backlog"])).status_code == 403


def test_admins_read_reports(client, admin_user):
    client.force_login(admin_user)

    assert client.get(reverse("reports:reports")).status_code == 200


def test_a_reversed_range_is_a_400(client, lead):
    client.force_login(lead)

    response = client.get(reverse("reports:reports"), {"start": "2026-03-05", "end": "2026-03-01"})

    assert response.status_code == 400


def test_the_nav_links_reports_for_managers_only(client, lead, agent):
    client.force_login(lead)
    assert reverse("reports:reports") in client.get(reverse("dashboard")).content.decode()
    client.force_login(agent)
    assert reverse("reports:reports") not in client.get(reverse("dashboard")).content.decode()


def test_the_page_links_an_export_of_the_periods_tickets(client, lead, data):
    client.force_login(lead)
    page = client.get(reverse("reports:reports"), {**QUERY, "team": data["team"].pk})
    href = re.search(r'id="export-period" href="([^"]+)"', page.content.decode())[1]

    response = client.get(html.unescape(href))

    numbers = [
        line.split(",")[0] for line in b"".join(response.streaming_content).decode().splitlines()
    ]
    expected = Ticket.objects.filter(title__in=["i1", "i2", "p1"]).order_by("-created_at")
    assert numbers[1:] == [t.number for t in expected]
