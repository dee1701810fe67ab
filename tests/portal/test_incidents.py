"""Portal pages for incidents: report, my tickets, one incident, replies, actions and files."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents import services as incident_services
from incidents.choices import ResolutionCode
from incidents.models import Incident
from problems import services as problem_services
from servicedesk.core import services
from servicedesk.core.models import Ticket
from tests.factories import ServiceFactory, TeamFactory, make_agent, make_incident

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def resolve(incident, agent):
    incident = incident_services.incident_start(incident=incident, by=agent)
    return incident_services.incident_resolve(
        incident=incident,
        by=agent,
        resolution_code=ResolutionCode.values[0],
        resolution_notes="Replaced the toner.",
    )


def test_reporting_a_problem_logs_an_incident_with_files_and_shows_it(client, end_user):
    service = ServiceFactory(name="Email")
    client.force_login(end_user)

    response = client.post(
        reverse("portal:report"),
        {
            "title": "Outlook will not start",
            "description": "It crashes **at once**.",
            "effect": "blocked",
            "service": service.pk,
            "files": [png()],
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:incident", args=[incident.pk])
    assert (incident.requester, incident.impact, incident.urgency, incident.service) == (
        end_user,
        2,
        1,
        service,
    )
    assert [a.filename for a in incident.attachments.all()] == ["screen.png"]
    page = client.get(response["Location"]).content.decode()
    assert "Outlook will not start" in page
    assert "<strong>at once</strong>" in page
    assert "screen.png" in page


def test_a_report_without_a_title_is_refused_with_the_form_again(client, end_user):
    client.force_login(end_user)

    response = client.post(reverse("portal:report"), {"title": "", "effect": "minor"})

    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "This field is required." in response.content.decode()


def test_a_file_of_a_refused_type_logs_nothing(client, end_user):
    client.force_login(end_user)
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60, content_type="text/plain")

    response = client.post(
        reverse("portal:report"), {"title": "Help", "effect": "minor", "files": [bad]}
    )

    assert response.status_code == 400
    assert Incident.objects.count() == 0


def test_suggestions_show_public_known_errors_with_their_workaround_only(
    client, end_user, agent, team
):
    def known(title, publication):
        problem = problem_services.problem_create(by=agent, title=title, assignment_group=team)
        problem = problem_services.problem_investigate(problem=problem, by=agent)
        return problem_services.problem_mark_known_error(
            problem=problem,
            by=agent,
            root_cause="A secret root cause",
            workaround="Reconnect to the guest network.",
            publication=publication,
        )

    known("VPN drops every hour", "public")
    known("VPN certificate expired", "internal")
    client.force_login(end_user)

    response = client.get(reverse("portal:suggestions"), {"title": "vpn drops"})

    content = response.content.decode()
    assert "VPN drops every hour" in content
    assert "Reconnect to the guest network." in content
    assert "VPN certificate expired" not in content
    assert "secret root cause" not in content
    assert client.get(reverse("portal:suggestions"), {"title": "zz"}).content.strip() == b""


def test_my_tickets_lists_own_and_watched_tickets_with_what_we_aim_for(
    client, end_user, other_end_user, agent
):
    mine = make_incident(title="Printer jams", requester=end_user)
    watched = make_incident(title="Projector broken", requester=other_end_user)
    services.watcher_add(ticket=watched, user=end_user, by=agent)
    make_incident(title="Mallory's secret", requester=other_end_user)
    end_user.time_zone = "Europe/Paris"
    end_user.save()
    Ticket.objects.filter(pk=mine.pk).update(response_due_at=datetime(2030, 1, 2, 9, 0, tzinfo=UTC))
    client.force_login(end_user)

    content = client.get(reverse("portal:tickets")).content.decode()

    assert "Printer jams" in content
    assert "Projector broken" in content
    assert "You follow this" in content
    assert "Mallory's secret" not in content
    assert "We aim to respond by" in content
    assert "2030-01-02 10:00" in content
    assert reverse("portal:incident", args=[mine.pk]) in content


def test_the_incident_page_shows_the_public_conversation_only(client, end_user):
    team = TeamFactory(name="Backroom Ops")
    agent = make_agent(team, username="olga")
    incident = make_incident(title="Laptop slow", requester=end_user, assignment_group=team)
    services.comment_add(ticket=incident, by=agent, body="We are *on it*.")
    note = services.comment_add(ticket=incident, by=agent, body="SECRET-NOTE", internal=True)
    services.attachment_add(ticket=incident, by=agent, upload=png("internal.png"), internal=True)
    services.attachment_add(ticket=incident, by=agent, upload=png("note.png"), comment=note)
    services.attachment_add(ticket=incident, by=agent, upload=png("public.png"))
    client.force_login(end_user)

    content = client.get(reverse("portal:incident", args=[incident.pk])).content.decode()

    assert "We are <em>on it</em>." in content
    assert "SECRET-NOTE" not in content
    assert "internal.png" not in content
    assert "note.png" not in content
    assert "public.png" in content
    assert "Backroom Ops" not in content


def test_markdown_in_comments_is_sanitised(client, end_user):
    incident = make_incident(requester=end_user)
    services.comment_add(
        ticket=incident, by=end_user, body="<script>alert(1)</script> [x](javascript:alert(2))"
    )
    client.force_login(end_user)

    content = client.get(reverse("portal:incident", args=[incident.pk])).content.decode()

    assert "<script>alert(1)" not in content
    assert "javascript:" not in content


def test_public_attachments_download_and_internal_ones_are_404(client, end_user, agent, team):
    incident = make_incident(requester=end_user, assignment_group=team)
    public = services.attachment_add(ticket=incident, by=agent, upload=png("public.png"))
    internal = services.attachment_add(
        ticket=incident, by=agent, upload=png("internal.png"), internal=True
    )
    client.force_login(end_user)

    response = client.get(reverse("portal:attachment", args=[public.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert 'attachment; filename="public.png"' in response["Content-Disposition"]
    assert client.get(reverse("portal:attachment", args=[internal.pk])).status_code == 404


def test_a_reply_with_a_file_is_added_to_the_conversation(client, end_user):
    incident = make_incident(requester=end_user)
    client.force_login(end_user)

    response = client.post(
        reverse("portal:incident-reply", args=[incident.pk]),
        {"version": incident.version, "body": "It still happens.", "files": [png("again.png")]},
    )

    assert response.status_code == 302
    comment = incident.comments.get()
    assert (comment.body, comment.internal) == ("It still happens.", False)
    assert comment.author == end_user
    assert [a.filename for a in comment.attachments.all()] == ["again.png"]


def test_a_reply_on_a_changed_ticket_says_so_and_keeps_the_text(client, end_user, agent, team):
    incident = make_incident(requester=end_user, assignment_group=team)
    seen = incident.version
    incident_services.incident_start(incident=incident, by=agent)
    client.force_login(end_user)

    response = client.post(
        reverse("portal:incident-reply", args=[incident.pk]),
        {"version": seen, "body": "My precious words"},
    )

    assert response.status_code == 412
    content = response.content.decode()
    assert "This ticket changed while you were looking at it." in content
    assert "My precious words" in content
    assert incident.comments.count() == 0


def test_the_requester_confirms_a_resolution(client, end_user, agent, team):
    incident = resolve(make_incident(requester=end_user, assignment_group=team), agent)
    client.force_login(end_user)
    page = client.get(reverse("portal:incident", args=[incident.pk])).content.decode()
    assert "Yes, it is solved" in page

    response = client.post(
        reverse("portal:incident-action", args=[incident.pk, "confirm"]),
        {"version": incident.version},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed"


def test_the_requester_reopens_with_a_reason(client, end_user, agent, team):
    incident = resolve(make_incident(requester=end_user, assignment_group=team), agent)
    client.force_login(end_user)

    refused = client.post(
        reverse("portal:incident-action", args=[incident.pk, "reopen"]),
        {"version": incident.version, "reason": ""},
    )
    assert refused.status_code == 400
    response = client.post(
        reverse("portal:incident-action", args=[incident.pk, "reopen"]),
        {"version": incident.version, "reason": "Jams again"},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "in_progress"


def test_the_requester_cancels_a_new_incident_but_a_stale_form_is_refused(
    client, end_user, agent, team
):
    incident = make_incident(requester=end_user, assignment_group=team)
    client.force_login(end_user)
    url = reverse("portal:incident-action", args=[incident.pk, "cancel"])

    stale = client.post(url, {"version": incident.version + 1, "reason": "Fixed itself"})
    assert stale.status_code == 412
    assert "This ticket changed while you were looking at it." in stale.content.decode()
    response = client.post(url, {"version": incident.version, "reason": "Fixed itself"})

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "cancelled"


def test_an_action_not_allowed_now_shows_a_message(client, end_user):
    incident = make_incident(requester=end_user)
    client.force_login(end_user)

    response = client.post(
        reverse("portal:incident-action", args=[incident.pk, "confirm"]),
        {"version": incident.version},
    )

    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.status == "new"


@pytest.mark.parametrize("action", ["confirm", "reopen", "cancel"])
def test_another_users_incident_actions_are_404(client, end_user, other_end_user, action):
    incident = make_incident(requester=other_end_user)
    client.force_login(end_user)

    response = client.post(
        reverse("portal:incident-action", args=[incident.pk, action]),
        {"version": incident.version, "reason": "x"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_my_tickets_costs_a_fixed_number_of_queries(
    client, end_user, django_assert_num_queries, count
):
    for number in range(count):
        make_incident(title=f"Issue {number}", requester=end_user)
    client.force_login(end_user)

    # session, user, the user's permissions (own and through groups), the tickets.
    with django_assert_num_queries(5):
        response = client.get(reverse("portal:tickets"))

    assert len(response.context["entries"]) == count


def test_the_home_page_links_incidents_to_their_portal_page(client, end_user):
    incident = make_incident(title="Laptop will not boot", requester=end_user)
    client.force_login(end_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert f'href="{reverse("portal:incident", args=[incident.pk])}"' in content
