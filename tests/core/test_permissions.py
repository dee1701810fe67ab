import pytest
from django.contrib.auth.models import AnonymousUser

from servicedesk.core import permissions, services
from servicedesk.core.models import Comment, Ticket
from tests.factories import make_admin, make_agent, make_end_user, make_incident, make_request


@pytest.fixture
def tickets(team, other_team, agent, other_agent, end_user, other_end_user):
    """One ticket in each corner of the scoping rules, keyed by what makes it visible."""
    return {
        "mine": make_incident(requester=end_user, assignment_group=team),
        "theirs": make_incident(requester=other_end_user, assignment_group=other_team),
        "unrouted": make_request(requester=other_end_user),
        "assigned_elsewhere": make_incident(
            requester=other_end_user, assignment_group=other_team, assignee=other_agent
        ),
    }


def visible(user):
    return set(permissions.visible_tickets(user).values_list("number", flat=True))


def numbers(tickets, *keys):
    return {tickets[k].number for k in keys}


def test_end_users_see_only_what_they_requested(tickets, end_user, other_end_user):
    assert visible(end_user) == numbers(tickets, "mine")
    assert visible(other_end_user) == numbers(tickets, "theirs", "unrouted", "assigned_elsewhere")


def test_end_users_also_see_what_they_watch(tickets, end_user, other_end_user):
    services.watcher_add(ticket=tickets["theirs"], user=end_user, by=other_end_user)
    assert visible(end_user) == numbers(tickets, "mine", "theirs")


def test_agents_see_their_teams_unrouted_and_their_own_tickets(tickets, agent, other_agent):
    assert visible(agent) == numbers(tickets, "mine", "unrouted")
    assert visible(other_agent) == numbers(tickets, "theirs", "unrouted", "assigned_elsewhere")


def test_a_lead_of_one_team_does_not_see_another_teams_tickets(tickets, lead):
    assert visible(lead) == numbers(tickets, "mine", "unrouted")


def test_admins_see_everything(tickets):
    assert visible(make_admin()) == numbers(tickets, *tickets)


def test_anonymous_and_inactive_users_see_nothing(tickets, end_user):
    assert visible(AnonymousUser()) == set()
    end_user.is_active = False
    end_user.save()
    assert visible(end_user) == set()


def test_scoping_applies_to_a_practice_queryset_too(tickets, end_user):
    from incidents.models import Incident

    scoped = permissions.visible_tickets(end_user, Incident.objects.all())
    assert [i.number for i in scoped] == [tickets["mine"].number]


def test_one_ticket_visible_through_two_routes_is_listed_once(tickets, end_user, agent, team):
    services.watcher_add(ticket=tickets["mine"], user=agent, by=agent)
    assert permissions.visible_tickets(agent).filter(pk=tickets["mine"].pk).count() == 1


def test_can_view_ticket_matches_the_scope(tickets, end_user):
    assert permissions.can_view_ticket(end_user, tickets["mine"])
    assert not permissions.can_view_ticket(end_user, tickets["theirs"])


def test_only_agents_of_the_right_team_work_a_ticket(tickets, agent, other_agent, end_user):
    assert permissions.can_work_ticket(agent, tickets["mine"])
    assert permissions.can_work_ticket(agent, tickets["unrouted"])
    assert not permissions.can_work_ticket(agent, tickets["theirs"])
    assert permissions.can_work_ticket(other_agent, tickets["assigned_elsewhere"])
    assert not permissions.can_work_ticket(end_user, tickets["mine"])
    assert permissions.can_work_ticket(make_admin(), tickets["theirs"])


def test_internal_notes_are_hidden_from_end_users(tickets, end_user, agent):
    ticket = tickets["mine"]
    services.comment_add(ticket=ticket, by=agent, body="public")
    services.comment_add(ticket=ticket, by=agent, body="internal", internal=True)
    ticket_comments = Comment.objects.filter(ticket=ticket)
    assert [c.body for c in permissions.visible_comments(end_user, ticket_comments)] == ["public"]
    assert [c.body for c in permissions.visible_comments(agent, ticket_comments)] == [
        "public",
        "internal",
    ]


def test_role_checks(team, admin_user):
    agent, end_user = make_agent(team), make_end_user()
    assert permissions.is_agent(agent)
    assert not permissions.is_agent(end_user)
    assert permissions.is_service_desk_admin(admin_user)
    assert not permissions.is_service_desk_admin(agent)
    assert not permissions.is_agent(AnonymousUser())


def test_the_scoped_list_costs_one_query(tickets, end_user, django_assert_num_queries):
    end_user = type(end_user).objects.get(pk=end_user.pk)
    permissions.is_agent(end_user)  # loads the permission cache, as a request's first check does
    with django_assert_num_queries(1):
        list(permissions.visible_tickets(end_user).select_related("requester"))
    assert Ticket.objects.count() == 4
