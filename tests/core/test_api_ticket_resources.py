"""/api/v1/tickets/<id>/…: comments, attachments, history, links, watchers — and their scoping."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk.core import services
from servicedesk.core.models import Attachment, Comment, TicketLink, Watcher
from tests.factories import make_end_user, make_incident, make_problem, make_request

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(team, end_user):
    return make_incident(requester=end_user, assignment_group=team)


def url(ticket, suffix=""):
    return f"/api/v1/tickets/{ticket.pk}/{suffix}"


# --- the cross-practice list ---------------------------------------------------------


def test_the_ticket_list_spans_practices_within_scope(api_as, end_user, ticket):
    request = make_request(requester=end_user)
    make_problem()  # not the end user's
    body = api_as(end_user).get("/api/v1/tickets/").json()
    assert [(row["number"], row["practice"]) for row in body["results"]] == [
        (request.number, "request"),
        (ticket.number, "incident"),
    ]
    assert "assignee" not in body["results"][0]


def test_the_ticket_list_filters_by_practice_and_status(api_as, agent, ticket):
    make_request()
    client = api_as(agent)
    rows = client.get("/api/v1/tickets/?practice=incident&status=new").json()["results"]
    assert [row["number"] for row in rows] == [ticket.number]
    assert client.get("/api/v1/tickets/?practice=nonsense").status_code == 400


# --- comments --------------------------------------------------------------------------


def test_end_users_never_see_internal_notes(api_as, agent, end_user, ticket):
    services.comment_add(ticket=ticket, by=agent, body="We are on it")
    services.comment_add(ticket=ticket, by=agent, body="Caller is difficult", internal=True)
    as_user = api_as(end_user).get(url(ticket, "comments/")).json()["results"]
    assert [c["body"] for c in as_user] == ["We are on it"]
    as_agent = api_as(agent).get(url(ticket, "comments/")).json()["results"]
    assert [(c["body"], c["internal"]) for c in as_agent] == [
        ("We are on it", False),
        ("Caller is difficult", True),
    ]


def test_the_requester_replies_and_cannot_write_internal_notes(api_as, end_user, ticket):
    client = api_as(end_user)
    response = client.post(url(ticket, "comments/"), {"body": "Any news?"})
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["internal"]) == (end_user.pk, False)
    assert client.post(url(ticket, "comments/"), {"body": "x", "internal": True}).status_code == 403
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": 5, "extra": 1}])
def test_bad_comments_are_400(api_as, agent, ticket, body):
    assert api_as(agent).post(url(ticket, "comments/"), body).status_code == 400
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "suffix", ["", "comments/", "attachments/", "history/", "links/", "watchers/"]
)
def test_strangers_get_404_on_every_sub_resource(
    api_as, other_end_user, other_agent, ticket, suffix
):
    for stranger in (other_end_user, other_agent):
        assert api_as(stranger).get(url(ticket, suffix)).status_code == 404
    assert api_as(other_end_user).post(url(ticket, "comments/"), {"body": "hi"}).status_code == 404


# --- attachments --------------------------------------------------------------------------


def test_upload_list_and_download_with_safe_headers(api_as, end_user, ticket):
    client = api_as(end_user)
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    response = client.post(url(ticket, "attachments/"), {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["filename"], body["content_type"], body["size"]) == (
        "screen.png",
        "image/png",
        len(PNG),
    )
    listed = client.get(url(ticket, "attachments/")).json()
    assert [a["id"] for a in listed] == [body["id"]]
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    download.close()


def test_internal_attachments_are_hidden_from_end_users_everywhere(api_as, agent, end_user, ticket):
    upload = SimpleUploadedFile("log.txt", b"secret stack trace", content_type="text/plain")
    attachment = services.attachment_add(ticket=ticket, by=agent, upload=upload, internal=True)
    client = api_as(end_user)
    assert client.get(url(ticket, "attachments/")).json() == []
    assert client.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 404
    download = api_as(agent).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert b"".join(download.streaming_content) == b"secret stack trace"
    download.close()


def test_another_end_user_cannot_download(api_as, end_user, other_end_user, ticket):
    upload = SimpleUploadedFile("a.txt", b"mine", content_type="text/plain")
    attachment = services.attachment_add(ticket=ticket, by=end_user, upload=upload)
    assert (
        api_as(other_end_user).get(f"/api/v1/attachments/{attachment.pk}/download/").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("run.exe", b"MZ\x90\x00" + b"\x00" * 60), ("page.html", b"<script>alert(1)</script>")],
)
def test_refused_uploads_are_400_and_store_nothing(api_as, end_user, ticket, name, content):
    upload = SimpleUploadedFile(name, content)
    response = api_as(end_user).post(
        url(ticket, "attachments/"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert not Attachment.objects.exists()


def test_an_upload_without_a_file_is_400(api_as, end_user, ticket):
    response = api_as(end_user).post(url(ticket, "attachments/"), {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


# --- history ---------------------------------------------------------------------------


def test_history_hides_internal_events_from_end_users(api_as, agent, end_user, ticket):
    services.comment_add(ticket=ticket, by=agent, body="public")
    services.comment_add(ticket=ticket, by=agent, body="internal", internal=True)
    user_view = api_as(end_user).get(url(ticket, "history/")).json()["results"]
    agent_view = api_as(agent).get(url(ticket, "history/")).json()["results"]
    assert [e["action"] for e in user_view] == ["created", "commented"]
    assert [e["action"] for e in agent_view] == ["created", "commented", "commented"]


def test_history_is_read_only(api_as, admin_user, ticket):
    assert api_as(admin_user).post(url(ticket, "history/"), {}).status_code == 405


# --- links and watchers ------------------------------------------------------------------


def test_agents_link_and_unlink_tickets(api_as, agent, ticket):
    problem = make_problem()
    client = api_as(agent)
    response = client.post(url(ticket, "links/"), {"target": problem.pk, "kind": "caused_by"})
    assert response.status_code == 201
    assert response.json()["target_number"] == problem.number
    assert [link["kind"] for link in client.get(url(ticket, "links/")).json()] == ["caused_by"]
    link_id = response.json()["id"]
    assert client.delete(url(ticket, f"links/{link_id}/")).status_code == 204
    assert not TicketLink.objects.exists()


def test_end_users_cannot_link_and_do_not_see_links_to_tickets_they_cannot_see(
    api_as, agent, end_user, ticket
):
    problem = make_problem()
    services.link_add(source=ticket, target=problem, kind="caused_by", by=agent)
    client = api_as(end_user)
    assert client.get(url(ticket, "links/")).json() == []
    response = client.post(url(ticket, "links/"), {"target": problem.pk, "kind": "relates_to"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [({"target": 999999, "kind": "relates_to"}, "target"), ({"kind": "relates_to"}, "target")],
)
def test_bad_links_are_400(api_as, agent, ticket, body, field):
    response = api_as(agent).post(url(ticket, "links/"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_linking_to_a_ticket_the_agent_cannot_see_is_refused(api_as, agent, other_team, ticket):
    hidden = make_incident(assignment_group=other_team)
    response = api_as(agent).post(
        url(ticket, "links/"), {"target": hidden.pk, "kind": "relates_to"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"target": ["No such ticket."]}


def test_the_requester_adds_a_colleague_as_watcher_who_then_sees_the_ticket(
    api_as, end_user, ticket
):
    colleague = make_end_user(username="colleague")
    response = api_as(end_user).post(url(ticket, "watchers/"), {"user": colleague.pk})
    assert response.status_code == 201
    assert api_as(colleague).get(url(ticket)).status_code == 200
    assert api_as(colleague).delete(url(ticket, f"watchers/{colleague.pk}/")).status_code == 204
    assert not Watcher.objects.exists()
    assert api_as(colleague).get(url(ticket)).status_code == 404


def test_the_history_list_costs_the_same_queries_at_any_length(
    api_as, agent, ticket, django_assert_num_queries
):
    client = api_as(agent)
    client.get(url(ticket, "history/"))
    with django_assert_num_queries(3):
        client.get(url(ticket, "history/"))
    for n in range(10):
        services.comment_add(ticket=ticket, by=agent, body=f"note {n}")
    with django_assert_num_queries(3):
        assert client.get(url(ticket, "history/")).json()["count"] == 11


def test_the_ticket_list_costs_the_same_queries_at_any_length(
    api_with_token, agent, team, django_assert_num_queries
):
    """Token auth (1), the agent's permissions (2), their teams (1), count (1), page (1)."""
    client = api_with_token(agent)
    for practice in (make_incident, make_problem, make_request):
        practice(assignment_group=team)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 3
    for _ in range(7):
        for practice in (make_incident, make_problem, make_request):
            practice(assignment_group=team)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 24


def test_the_comment_list_costs_the_same_queries_at_any_length(
    api_with_token, agent, end_user, ticket, django_assert_num_queries
):
    """Token, permissions, the ticket, the count and one page of comments: six at any length."""
    client = api_with_token(agent)
    services.comment_add(ticket=ticket, by=end_user, body="first")
    with django_assert_num_queries(6):
        assert len(client.get(url(ticket, "comments/")).json()["results"]) == 1
    for n in range(12):
        services.comment_add(ticket=ticket, by=agent if n % 2 else end_user, body=f"reply {n}")
    with django_assert_num_queries(6):
        assert len(client.get(url(ticket, "comments/")).json()["results"]) == 13
