"""Satisfaction ratings: the requester rates a resolved ticket; reports see the averages."""

import pytest
from django.urls import reverse

from incidents import services as incident_services
from servicedesk.core.errors import NotPermitted, ValidationFailed
from servicedesk.core.models import AuditEvent
from servicedesk.portal import selectors, services
from servicedesk.portal.models import SatisfactionRating
from tests.factories import TeamFactory, make_admin, make_agent, make_incident


def resolved(requester, agent, team, **fields):
    incident = make_incident(requester=requester, assignment_group=team, **fields)
    incident = incident_services.incident_start(incident=incident, by=agent)
    return incident_services.incident_resolve(
        incident=incident, by=agent, resolution_code="solved", resolution_notes="Fixed."
    )


def test_the_requester_rates_a_resolved_incident_and_it_is_on_the_timeline(
    client, end_user, agent, team
):
    incident = resolved(end_user, agent, team)
    client.force_login(end_user)
    assert (
        "Rate our help"
        in client.get(reverse("portal:incident", args=[incident.pk])).content.decode()
    )

    response = client.post(
        reverse("portal:incident-rate", args=[incident.pk]), {"score": 4, "comment": "Quick!"}
    )

    assert response.status_code == 302
    rating = SatisfactionRating.objects.get()
    assert (rating.ticket_id, rating.score, rating.comment, rating.rated_by) == (
        incident.pk,
        4,
        "Quick!",
        end_user,
    )
    event = AuditEvent.objects.filter(ticket_id=incident.pk).order_by("-pk").first()
    assert event.changes == {"satisfaction": {"from": None, "to": 4}}
    assert event.note == "Quick!"


def test_a_rating_can_be_changed_and_stays_one_per_ticket(end_user, agent, team):
    incident = resolved(end_user, agent, team)

    services.satisfaction_rate(ticket=incident, by=end_user, score=2)
    services.satisfaction_rate(ticket=incident, by=end_user, score=5, comment="Better now")

    assert list(SatisfactionRating.objects.values_list("score", "comment")) == [(5, "Better now")]


def test_only_the_requester_rates_and_only_after_resolution(end_user, other_end_user, agent, team):
    open_incident = make_incident(requester=end_user)
    done = resolved(end_user, agent, team)

    with pytest.raises(NotPermitted):
        services.satisfaction_rate(ticket=open_incident, by=end_user, score=3)
    with pytest.raises(NotPermitted):
        services.satisfaction_rate(ticket=done, by=other_end_user, score=3)
    with pytest.raises(ValidationFailed):
        services.satisfaction_rate(ticket=done, by=end_user, score=6)
    assert SatisfactionRating.objects.count() == 0


def test_an_open_incident_shows_no_rating_form_and_refuses_a_post(client, end_user):
    incident = make_incident(requester=end_user)
    client.force_login(end_user)

    assert (
        "Rate our help"
        not in client.get(reverse("portal:incident", args=[incident.pk])).content.decode()
    )
    response = client.post(reverse("portal:incident-rate", args=[incident.pk]), {"score": 5})
    assert response.status_code == 400


def test_the_summary_gives_average_and_count_by_team_and_practice(end_user, agent, team):
    network = TeamFactory(name="Network")
    net_agent = make_agent(network, username="nina")
    for score in (5, 4):
        services.satisfaction_rate(ticket=resolved(end_user, agent, team), by=end_user, score=score)
    services.satisfaction_rate(ticket=resolved(end_user, net_agent, network), by=end_user, score=1)
    admin = make_admin(username="root")

    assert selectors.satisfaction_summary(admin, by="team") == [
        {"group": "Network", "average": 1.0, "count": 1},
        {"group": "Service Desk", "average": 4.5, "count": 2},
    ]
    assert selectors.satisfaction_summary(admin, by="practice") == [
        {"group": "incident", "average": 3.33, "count": 3},
    ]
    assert selectors.satisfaction_summary(agent, by="team") == [
        {"group": "Service Desk", "average": 4.5, "count": 2},
    ]
