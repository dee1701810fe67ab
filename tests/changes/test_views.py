"""The change pages: list, change page with transitions and votes, CAB queue, calendar, feed."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from changes import services
from changes.models import CABVote, CalendarFeedToken, Change
from tests.changes.factories import (
    PLANS,
    change_in,
    make_freeze,
    make_template,
    ready_change,
    window,
)
from tests.factories import ConfigurationItemFactory, ServiceFactory


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def change(agent, team, board):
    return ready_change(by=agent, assignment_group=team)


# --- list -----------------------------------------------------------------------------------


def test_the_list_shows_the_changes_the_user_may_see(agent, change, other_agent, end_user):
    response = signed_in(agent).get(reverse("changes:list"))
    assert response.status_code == 200
    assert [c.number for c in response.context["page"].object_list] == [change.number]
    assert f'href="/changes/{change.pk}/"' in response.content.decode()
    assert list(signed_in(other_agent).get(reverse("changes:list")).context["page"]) == []
    assert signed_in(end_user).get(reverse("changes:list")).status_code == 403


def test_a_cab_member_without_the_agent_role_sees_every_change(members, change):
    response = signed_in(members[0]).get(reverse("changes:list"))
    assert [c.number for c in response.context["page"].object_list] == [change.number]


def test_the_list_filters_sorts_and_pages(agent, team, change):
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    emergency = ready_change(
        by=agent, assignment_group=team, change_type="emergency", configuration_items=[gateway]
    )
    client = signed_in(agent)
    numbers = lambda q: [  # noqa: E731
        c.number for c in client.get(reverse("changes:list") + q).context["page"].object_list
    ]
    assert numbers("?change_type=emergency") == [emergency.number]
    assert numbers(f"?configuration_item={gateway.pk}") == [emergency.number]
    assert numbers("?ordering=number") == [change.number, emergency.number]
    assert numbers("?search=nothing-like-this") == []
    response = client.get(reverse("changes:list") + "?risk=enormous")
    assert response.status_code == 200
    assert "risk" in response.context["filter"].errors
    for _ in range(25):
        ready_change(by=agent, assignment_group=team)
    page2 = client.get(reverse("changes:list") + "?ordering=number&page=2").context["page"]
    assert (page2.number, len(page2.object_list), page2.paginator.count) == (2, 2, 27)


def test_the_list_page_costs_the_same_queries_at_any_length(agent, team):
    """Session, user, permissions (2), then the list's own: count, page, and the filter form's
    teams, services and CIs; the shared layout may add its own (a banner) on top."""
    client = signed_in(agent)
    ci = ConfigurationItemFactory()
    for _ in range(3):
        ready_change(by=agent, assignment_group=team, assignee=agent, configuration_items=[ci])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("changes:list")).status_code == 200
    for n in range(22):
        ready_change(
            by=agent,
            assignment_group=team,
            assignee=agent,
            configuration_items=[ConfigurationItemFactory()],
            services=[ServiceFactory(name=f"S{n}")],
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("changes:list"))
    assert len(response.context["page"].object_list) == 25
    assert len(many) == len(few)
    own = [q["sql"] for q in many if "changes_change" in q["sql"]]
    assert len(own) == LIST_QUERIES_ON_CHANGES
    assert len(many) >= LIST_QUERIES


# The list's own queries on the change table (the count and the page) and the least the
# whole page costs: session, user, permissions (2), those two, teams, services, CIs.
LIST_QUERIES_ON_CHANGES = 2
LIST_QUERIES = 9


# --- raising and editing ------------------------------------------------------------------


def test_an_agent_raises_a_change_from_the_form(agent, team):
    start, end = window()
    response = signed_in(agent).post(
        reverse("changes:create"),
        {
            "title": "Replace the core switch",
            "change_type": "normal",
            "impact": "2",
            "urgency": "2",
            "assess_risk": "on",
            "q_affects_critical_service": "on",
            "q_several_teams": "on",
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": end.strftime("%Y-%m-%dT%H:%M"),
            "assignment_group": str(team.pk),
            **PLANS,
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("changes:detail", args=[change.pk])
    assert (change.risk, change.risk_assessment["affects_critical_service"]) == ("medium", True)


def test_a_risk_set_by_hand_without_a_reason_is_a_form_error(agent):
    response = signed_in(agent).post(
        reverse("changes:create"),
        {"title": "x", "change_type": "normal", "impact": "2", "urgency": "2", "risk": "high"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "risk_reason": ["Say why the risk is set by hand, or answer the risk questionnaire."]
    }
    assert not Change.objects.exists()


def test_a_stale_edit_changes_nothing_and_says_so(agent, change):
    client = signed_in(agent)
    page = client.get(reverse("changes:edit", args=[change.pk]))
    assert page.status_code == 200
    services.change_update(change=change, by=agent, data={"title": "Edited meanwhile"})
    response = client.post(
        reverse("changes:edit", args=[change.pk]),
        {"version": "1", "title": "Mine", "change_type": "normal", "impact": "2", "urgency": "2"},
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "Someone changed this change since you opened it; nothing was saved. "
        "Here is its current state: check it and try again."
    ]
    assert Change.objects.get(pk=change.pk).title == "Edited meanwhile"


def test_a_standard_change_is_raised_from_its_template(agent, team):
    template = make_template(assignment_group=team)
    client = signed_in(agent)
    assert template.name in client.get(reverse("changes:create")).content.decode()
    start, _end = window()
    response = client.post(
        reverse("changes:from-template", args=[template.pk]),
        {"planned_start": start.strftime("%Y-%m-%dT%H:%M")},
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert (change.change_type, change.template, change.title) == (
        "standard",
        template,
        template.name,
    )


# --- the change page ------------------------------------------------------------------------


def test_the_page_offers_only_the_transitions_allowed_now(agent, change, other_agent):
    content = signed_in(agent).get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert sorted(re.findall(r'id="transition-(\w+)"', content)) == ["cancel", "submit"]
    assert f'name="submit-version" value="{change.version}"' in content
    assert (
        signed_in(other_agent).get(reverse("changes:detail", args=[change.pk])).status_code == 404
    )


def test_a_transition_button_runs_it(agent, change):
    response = signed_in(agent).post(
        reverse("changes:transition", args=[change.pk, "submit"]), {"submit-version": "1"}
    )
    assert response.status_code == 302
    assert messages_of(response) == [f"{change.number} is now assessment."]
    assert Change.objects.get(pk=change.pk).status == "assessment"


def test_a_stale_transition_changes_nothing_and_says_so(agent, change):
    services.change_update(change=change, by=agent, data={"title": "Edited meanwhile"})
    response = signed_in(agent).post(
        reverse("changes:transition", args=[change.pk, "submit"]), {"submit-version": "1"}
    )
    assert messages_of(response)[0].startswith("Someone changed this change since you opened it")
    assert Change.objects.get(pk=change.pk).status == "draft"


def test_refusals_are_shown_as_messages(agent, team):
    draft = services.change_create(by=agent, title="Half done", assignment_group=team)
    response = signed_in(agent).post(
        reverse("changes:transition", args=[draft.pk, "submit"]), {"submit-version": "1"}
    )
    assert messages_of(response)[0].startswith("The change is not ready to be submitted.")
    response = signed_in(agent).post(
        reverse("changes:transition", args=[draft.pk, "cancel"]), {"cancel-version": "1"}
    )
    assert messages_of(response) == ["Reason: This field is required."]


def test_board_members_vote_on_the_change_page(agent, change, members, manager):
    waiting = change_in("authorization", change=change, agent=agent)
    client = signed_in(members[0])
    page = client.get(reverse("changes:detail", args=[waiting.pk]))
    assert page.context["vote_form"] is not None
    assert "2 approvals needed of 4 voters." in page.content.decode()
    assert (
        signed_in(agent).get(reverse("changes:detail", args=[waiting.pk])).context["vote_form"]
        is None
    )
    url = reverse("changes:vote", args=[waiting.pk])
    version = str(waiting.version)
    client.post(url, {"version": version, "decision": "approve", "comment": "Fine."})
    response = signed_in(members[1]).post(
        url, {"version": version, "decision": "approve", "comment": "Also fine."}
    )
    assert messages_of(response) == [f"Your vote is recorded; {waiting.number} is scheduled."]
    page = signed_in(agent).get(reverse("changes:detail", args=[waiting.pk]))
    assert [(v.voter, v.decision) for v in page.context["votes"]] == [
        (members[0], "approve"),
        (members[1], "approve"),
    ]
    assert "Fine." in page.content.decode()


def test_a_vote_from_a_stale_page_is_refused(agent, change, members):
    waiting = change_in("authorization", change=change, agent=agent)
    response = signed_in(members[0]).post(
        reverse("changes:vote", args=[waiting.pk]),
        {"version": str(waiting.version - 1), "decision": "approve", "comment": "Fine."},
    )
    assert messages_of(response)[0].startswith("Someone changed this change")
    assert not CABVote.objects.exists()


# --- CAB queue -------------------------------------------------------------------------------


def test_the_cab_queue_lists_what_awaits_my_vote(agent, team, change, members, emergency_members):
    waiting = change_in("authorization", change=change, agent=agent)
    client = signed_in(members[0])
    page = client.get(reverse("changes:cab-queue"))
    assert ([c.number for c in page.context["awaiting"]], page.context["voted"]) == (
        [waiting.number],
        [],
    )
    services.change_vote(change=waiting, by=members[0], decision="approve", comment="ok")
    page = client.get(reverse("changes:cab-queue"))
    assert (page.context["awaiting"], [c.number for c in page.context["voted"]]) == (
        [],
        [waiting.number],
    )
    # Not on the emergency CAB's board, and not on the raiser's.
    assert (
        signed_in(emergency_members[0]).get(reverse("changes:cab-queue")).context["awaiting"] == []
    )
    assert signed_in(agent).get(reverse("changes:cab-queue")).context["awaiting"] == []


# --- calendar and feed -----------------------------------------------------------------------


@pytest.fixture
def scheduled(agent, team):
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    template = make_template(assignment_group=team, configuration_items=[gateway])
    start, _end = window(days=3)
    change = services.standard_change_create(template=template, by=agent, planned_start=start)
    return services.change_submit(change=change, by=agent)


def test_the_month_shows_scheduled_changes_and_freezes_on_their_days(agent, scheduled):
    freeze = make_freeze(
        scheduled.planned_end + timedelta(days=1), scheduled.planned_end + timedelta(days=2)
    )
    day = timezone.localtime(scheduled.planned_start).date()
    response = signed_in(agent).get(reverse("changes:calendar") + f"?date={day.isoformat()}")
    assert response.status_code == 200
    days = {d.date: d for week in response.context["weeks"] for d in week}
    assert [c.number for c in days[day].changes] == [scheduled.number]
    assert days[timezone.localtime(freeze.start).date()].freezes == [freeze]
    assert len(response.context["weeks"][0]) == 7


def test_the_week_view_and_the_ci_filter(agent, scheduled):
    day = timezone.localtime(scheduled.planned_start).date()
    client = signed_in(agent)
    week = client.get(reverse("changes:calendar") + f"?view=week&date={day.isoformat()}")
    assert len(week.context["weeks"]) == 1
    assert [c.number for c in week.context["changes"]] == [scheduled.number]
    other = ConfigurationItemFactory(name="sw-core-01")
    filtered = client.get(
        reverse("changes:calendar")
        + f"?view=week&date={day.isoformat()}&configuration_item={other.pk}"
    )
    assert filtered.context["changes"] == []


def test_the_ics_feed_round_trips_through_an_icalendar_parser(agent, scheduled, client):
    freeze = make_freeze(*window(days=20, hours=48), name="Year end")
    response = signed_in(agent).post(reverse("changes:feed-manage"), {"action": "issue"})
    feed_url = response.context["feed_url"]
    assert feed_url.startswith("http://testserver/changes/calendar/feed/")
    feed = Client().get(feed_url.removeprefix("http://testserver"))  # no session: the token
    assert feed.status_code == 200
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(feed.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"change-{scheduled.pk}@testserver", f"freeze-{freeze.pk}@testserver"}
    event = events[f"change-{scheduled.pk}@testserver"]
    assert str(event["SUMMARY"]) == f"{scheduled.number} {scheduled.title}"
    assert event.decoded("DTSTART") == scheduled.planned_start
    assert event.decoded("DTEND") == scheduled.planned_end
    assert str(event["URL"]) == f"http://testserver/changes/{scheduled.pk}/"
    assert str(events[f"freeze-{freeze.pk}@testserver"]["SUMMARY"]) == "Change freeze: Year end"
    token = CalendarFeedToken.objects.get(user=agent)
    assert feed_url.rsplit("/", 1)[1].removesuffix(".ics") not in token.token_hash  # hashed


def test_a_revoked_or_unknown_feed_token_is_404(agent, scheduled):
    client = signed_in(agent)
    feed_url = client.post(reverse("changes:feed-manage"), {"action": "issue"}).context["feed_url"]
    path = feed_url.removeprefix("http://testserver")
    new_url = client.post(reverse("changes:feed-manage"), {"action": "issue"}).context["feed_url"]
    assert Client().get(path).status_code == 404  # replaced by the new one
    new_path = new_url.removeprefix("http://testserver")
    assert Client().get(new_path).status_code == 200
    client.post(reverse("changes:feed-manage"), {"action": "revoke"})
    assert Client().get(new_path).status_code == 404
    assert Client().get("/changes/calendar/feed/nonsense.ics").status_code == 404


def test_the_feed_follows_the_users_scope(other_agent, scheduled):
    feed_url = (
        signed_in(other_agent)
        .post(reverse("changes:feed-manage"), {"action": "issue"})
        .context["feed_url"]
    )
    feed = Client().get(feed_url.removeprefix("http://testserver"))
    assert list(Calendar.from_ical(feed.content).walk("VEVENT")) == []


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "yesterday", ""])
def test_odd_calendar_dates_show_this_month(agent, value):
    response = signed_in(agent).get(reverse("changes:calendar") + f"?date={value}")
    assert response.status_code == 200
    assert response.context["anchor"] == timezone.localdate()
