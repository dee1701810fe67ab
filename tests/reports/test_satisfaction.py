"""Satisfaction in the reports: exact figures on a small known set of ratings."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import metrics, tables
from reports.metrics import Period
from servicedesk.core.models import Ticket
from servicedesk.portal.models import SatisfactionRating
from tests.factories import ServiceFactory, make_change, make_incident, make_request

pytestmark = pytest.mark.django_db

PERIOD = Period(start=date(2026, 3, 1), end=date(2026, 3, 3))
QUERY = {"start": "2026-03-01", "end": "2026-03-03"}


def at(day, hour):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def rate(ticket, score, when):
    rating = SatisfactionRating.objects.create(
        ticket=ticket, rated_by=ticket.requester, score=score
    )
    SatisfactionRating.objects.filter(pk=rating.pk).update(created_at=when, updated_at=when)


@pytest.fixture
def ratings(team, other_team):
    """Five ratings in the period (2 fives, a 3, a 2, a 1), one after it, one ticket unrated."""
    email, vpn = ServiceFactory(name="Email"), ServiceFactory(name="VPN")
    i1 = make_incident(title="i1", assignment_group=team, service=email)
    i2 = make_incident(title="i2", assignment_group=team, service=email)
    i3 = make_incident(title="i3", service=vpn)  # no team yet
    r1 = make_request(title="r1", assignment_group=other_team)
    old = make_incident(title="old", assignment_group=team)  # created before, rated in it
    late = make_change(title="late", assignment_group=team)
    make_incident(title="unrated", assignment_group=team, service=email)
    Ticket.objects.filter(pk=old.pk).update(created_at=at(1, 0) - timedelta(days=20))
    rate(i1, 5, at(1, 12))
    rate(i2, 5, at(2, 9))
    rate(i3, 1, at(3, 20))
    rate(r1, 3, at(2, 10))
    rate(old, 2, at(1, 9))
    rate(late, 5, at(4, 1))
    return {"team": team}


def test_the_summary_counts_ratings_given_in_the_period(admin_user, ratings):
    assert metrics.satisfaction_summary(admin_user, PERIOD) == {
        "ratings": 5,
        "average": 3.2,
        "satisfied": 2,
        "satisfied_share": 40.0,
    }
    assert tables.satisfaction(admin_user, PERIOD).rows == [
        ["Ratings", 5],
        ["Mean score (1 to 5)", 3.2],
        ["Satisfied, 4 or 5 (%)", 40.0],
    ]


def test_the_distribution_has_every_score(admin_user, ratings):
    assert tables.satisfaction_by_score(admin_user, PERIOD).rows == [
        [1, 1, 20.0],
        [2, 1, 20.0],
        [3, 1, 20.0],
        [4, 0, 0.0],
        [5, 2, 40.0],
    ]


def test_satisfaction_by_practice_team_and_service(admin_user, ratings):
    assert tables.satisfaction_by_practice(admin_user, PERIOD).rows == [
        ["Incident", 4, 3.25],
        ["Service request", 1, 3.0],
    ]
    assert tables.satisfaction_by_team(admin_user, PERIOD).rows == [
        ["Service Desk", 3, 4.0],
        ["Network", 1, 3.0],
        ["No team", 1, 1.0],
    ]
    assert tables.satisfaction_by_service(admin_user, PERIOD).rows == [
        ["Email", 2, 5.0],
        ["No service", 2, 2.5],
        ["VPN", 1, 1.0],
    ]


def test_satisfaction_keeps_to_the_users_scope_and_the_team_filter(lead, ratings):
    # The lead sees the team's tickets and unrouted ones, not the other team's request.
    assert metrics.satisfaction_summary(lead, PERIOD)["ratings"] == 4
    assert metrics.satisfaction_summary(lead, PERIOD)["average"] == 3.25
    period = Period(start=PERIOD.start, end=PERIOD.end, team=ratings["team"])
    assert tables.satisfaction(lead, period).rows[:2] == [
        ["Ratings", 3],
        ["Mean score (1 to 5)", 4.0],
    ]


def test_no_ratings_gives_empty_figures_not_errors(admin_user, db):
    assert tables.satisfaction(admin_user, PERIOD).rows == [
        ["Ratings", 0],
        ["Mean score (1 to 5)", None],
        ["Satisfied, 4 or 5 (%)", None],
    ]
    assert [row[1] for row in tables.satisfaction_by_score(admin_user, PERIOD).rows] == [0] * 5
    assert tables.satisfaction_by_team(admin_user, PERIOD).rows == []


def test_each_satisfaction_table_is_one_query(admin_user, ratings):
    tables.satisfaction(admin_user, PERIOD)  # the user's permissions, read once and kept
    for name in (
        "satisfaction",
        "satisfaction-by-score",
        "satisfaction-by-practice",
        "satisfaction-by-team",
        "satisfaction-by-service",
    ):
        with CaptureQueriesContext(connection) as queries:
            tables.TABLES[name](admin_user, PERIOD)
        assert len(queries) == 1, name


def test_the_page_charts_satisfaction_with_its_table(client, admin_user, ratings):
    client.force_login(admin_user)

    response = client.get(reverse("reports:reports"), QUERY)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="satisfaction-by-score-chart"' in body
    assert 'id="satisfaction-by-score-title">Satisfaction: ratings per score</h2>' in body
    assert '<th scope="row">Service Desk</th><td>3</td><td>4.0</td>' in body


def test_a_satisfaction_table_downloads_as_csv(client, admin_user, ratings):
    client.force_login(admin_user)

    response = client.get(reverse("reports:report-csv", args=["satisfaction-by-team"]), QUERY)

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "Team,Ratings,Mean score",
        "Service Desk,3,4.0",
        "Network,1,3.0",
        "No team,1,1.0",
    ]
