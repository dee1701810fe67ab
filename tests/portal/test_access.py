"""No end user reaches another's ticket, and no internal note shows in any portal page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from servicedesk.core import services
from tests.factories import make_incident

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
NOTE = "INTERNAL-NOTE-4711"


@pytest.fixture
def others_incident(other_end_user, agent, team):
    incident = make_incident(title="Mallory's payroll", requester=other_end_user)
    services.attachment_add(
        ticket=incident,
        by=other_end_user,
        upload=SimpleUploadedFile("payslip.png", PNG, content_type="image/png"),
    )
    return incident


def routes(incident):
    attachment = incident.attachments.get()
    return [
        ("get", reverse("portal:incident", args=[incident.pk]), {}),
        (
            "post",
            reverse("portal:incident-reply", args=[incident.pk]),
            {"body": "hi", "version": 1},
        ),
        ("post", reverse("portal:incident-action", args=[incident.pk, "confirm"]), {"version": 1}),
        ("get", reverse("portal:attachment", args=[attachment.pk]), {}),
        ("get", f"/api/v1/tickets/{incident.pk}/", {}),
        ("get", f"/api/v1/incidents/{incident.pk}/", {}),
    ]


def test_an_end_user_gets_404_for_another_users_ticket_by_every_route(
    client, end_user, others_incident
):
    client.force_login(end_user)

    statuses = {
        url: getattr(client, method)(url, data).status_code
        for method, url, data in routes(others_incident)
    }

    assert statuses == {url: 404 for _, url, _ in routes(others_incident)}
    assert others_incident.comments.count() == 0


def test_the_owner_reaches_the_same_routes(client, other_end_user, others_incident):
    client.force_login(other_end_user)

    reads = [url for method, url, _ in routes(others_incident) if method == "get"]

    statuses = {}
    for url in reads:
        response = client.get(url)
        statuses[url] = response.status_code
        if response.streaming:  # read the download to the end, which closes the file
            b"".join(response.streaming_content)

    assert statuses == dict.fromkeys(reads, 200)


def test_no_internal_note_text_appears_in_any_portal_page(client, end_user, agent, team):
    incident = make_incident(title="Laptop slow", requester=end_user, assignment_group=team)
    services.comment_add(ticket=incident, by=agent, body=NOTE, internal=True)
    services.comment_add(ticket=incident, by=agent, body="A public answer")
    client.force_login(end_user)

    pages = [
        reverse("portal:home"),
        reverse("portal:tickets"),
        reverse("portal:report"),
        reverse("portal:incident", args=[incident.pk]),
        reverse("portal:suggestions") + "?title=laptop",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert NOTE not in response.content.decode(), url
    assert "A public answer" in client.get(pages[3]).content.decode()


def test_an_agent_on_the_portal_sees_no_internal_note_either(client, agent, team):
    incident = make_incident(title="My own laptop", requester=agent, assignment_group=team)
    services.comment_add(ticket=incident, by=agent, body=NOTE, internal=True)
    client.force_login(agent)

    content = client.get(reverse("portal:incident", args=[incident.pk])).content.decode()

    assert NOTE not in content
