import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from incidents.models import Incident
from servicedesk.core import services
from servicedesk.core.choices import AuditAction, LinkKind
from servicedesk.core.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.core.models import Attachment, AuditEvent, Comment, TicketLink, Watcher
from servicedesk.core.models.audit import AuditHistoryIsAppendOnly
from servicedesk.core.roles import Role
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_agent,
    make_end_user,
    make_incident,
    make_problem,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def history(ticket):
    return list(AuditEvent.objects.filter(ticket_id=ticket.pk).values_list("action", flat=True))


# --- creation ------------------------------------------------------------------


def test_creation_derives_priority_and_records_who_created_it(agent, end_user):
    service = ServiceFactory(name="Email")
    ci = ConfigurationItemFactory(name="mail-01")
    incident = make_incident(
        requester=end_user, by=agent, impact=1, urgency=3, service=service, configuration_items=[ci]
    )
    assert incident.priority == 3
    assert incident.created_by == agent
    assert incident.version == 1
    assert list(incident.configuration_items.all()) == [ci]
    created = AuditEvent.objects.get(ticket_id=incident.pk)
    assert created.action == AuditAction.CREATED
    assert created.actor == agent
    assert created.to_status == "new"
    assert created.changes["priority"] == {"from": None, "to": 3}
    assert created.changes["service"] == {"from": None, "to": service.pk}
    assert created.changes["configuration_items"] == {"from": [], "to": [ci.pk]}


def test_creation_refuses_an_assignee_outside_the_assignment_group(team, other_agent, end_user):
    with pytest.raises(ValidationFailed) as exc:
        make_incident(requester=end_user, assignment_group=team, assignee=other_agent)
    assert "assignee" in exc.value.fields
    assert not Incident.objects.exists()


def test_creation_reports_bad_fields_by_name(end_user):
    with pytest.raises(ValidationFailed) as exc:
        make_incident(requester=end_user, title="", impact=7)
    assert set(exc.value.fields) == {"title", "impact"}
    assert not Incident.objects.exists()


# --- updates -------------------------------------------------------------------


def test_update_records_each_changed_field_and_raises_the_version(agent):
    incident = make_incident(impact=2, urgency=2)
    updated = services.ticket_update(
        ticket=incident, by=agent, data={"title": "Mail is down", "urgency": 1}, expected_version=1
    )
    assert updated.version == 2
    assert updated.priority == 2
    event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
    assert event.action == AuditAction.CHANGED
    assert event.actor == agent
    assert event.changes == {
        "title": {"from": "Printer on floor 3 is jammed", "to": "Mail is down"},
        "urgency": {"from": 2, "to": 1},
        "priority": {"from": 3, "to": 2},
    }


def test_an_update_that_changes_nothing_writes_nothing(agent):
    incident = make_incident(title="Same")
    same = services.ticket_update(ticket=incident, by=agent, data={"title": "Same"})
    assert same.version == 1
    assert history(incident) == [AuditAction.CREATED]


def test_a_stale_version_is_refused_and_changes_nothing(agent):
    incident = make_incident(title="Original")
    services.ticket_update(ticket=incident, by=agent, data={"title": "First edit"})
    with pytest.raises(StaleVersion):
        services.ticket_update(
            ticket=incident, by=agent, data={"title": "Second edit"}, expected_version=1
        )
    incident.refresh_from_db()
    assert incident.title == "First edit"
    assert incident.version == 2


def test_update_refuses_fields_that_have_their_own_service(agent):
    incident = make_incident()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(ticket=incident, by=agent, data={"priority": 1, "status": "closed"})
    assert set(exc.value.fields) == {"priority", "status"}


def test_update_of_configuration_items_is_audited(agent):
    first, second = ConfigurationItemFactory(), ConfigurationItemFactory()
    incident = make_incident(configuration_items=[first])
    services.ticket_update(ticket=incident, by=agent, data={"configuration_items": [second]})
    assert list(incident.configuration_items.all()) == [second]
    event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
    assert event.changes == {"configuration_items": {"from": [first.pk], "to": [second.pk]}}


# --- priority override -----------------------------------------------------------


def test_a_team_lead_overrides_priority_with_a_reason_and_it_sticks(lead):
    incident = make_incident(impact=3, urgency=3)
    overridden = services.ticket_override_priority(
        ticket=incident, by=lead, priority=1, reason="CEO's laptop"
    )
    assert (overridden.priority, overridden.priority_override_reason) == (1, "CEO's laptop")
    assert overridden.priority_overridden_by == lead
    # Changing urgency no longer re-derives priority while the override is in force.
    services.ticket_update(ticket=incident, by=lead, data={"urgency": 2})
    incident.refresh_from_db()
    assert incident.priority == 1
    cleared = services.ticket_clear_priority_override(ticket=incident, by=lead)
    assert cleared.priority == 4
    assert not cleared.is_priority_overridden
    assert history(incident).count(AuditAction.PRIORITY_OVERRIDDEN) == 2


def test_an_agent_without_the_permission_cannot_override_priority(agent):
    incident = make_incident(impact=3, urgency=3)
    with pytest.raises(NotPermitted):
        services.ticket_override_priority(ticket=incident, by=agent, priority=1, reason="x")
    incident.refresh_from_db()
    assert incident.priority == 5


@pytest.mark.parametrize(
    ("priority", "reason", "field"), [(1, "  ", "reason"), (9, "ok", "priority")]
)
def test_override_needs_a_reason_and_a_valid_priority(lead, priority, reason, field):
    incident = make_incident()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_override_priority(
            ticket=incident, by=lead, priority=priority, reason=reason
        )
    assert list(exc.value.fields) == [field]


# --- assignment ------------------------------------------------------------------


def test_assignment_and_reassignment_are_recorded(team, agent, other_team, other_agent, lead):
    incident = make_incident()
    services.ticket_assign(ticket=incident, by=lead, group=team, assignee=agent)
    services.ticket_assign(ticket=incident, by=lead, group=other_team, assignee=other_agent)
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee) == (other_team, other_agent)
    assert incident.version == 3
    events = AuditEvent.objects.filter(ticket_id=incident.pk, action=AuditAction.ASSIGNED)
    assert [e.changes for e in events] == [
        {
            "assignment_group": {"from": None, "to": team.pk},
            "assignee": {"from": None, "to": agent.pk},
        },
        {
            "assignment_group": {"from": team.pk, "to": other_team.pk},
            "assignee": {"from": agent.pk, "to": other_agent.pk},
        },
    ]


def test_an_agent_can_only_be_assigned_within_their_team(team, other_agent, lead):
    incident = make_incident()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_assign(ticket=incident, by=lead, group=team, assignee=other_agent)
    assert list(exc.value.fields) == ["assignee"]
    incident.refresh_from_db()
    assert incident.assignment_group is None


def test_an_inactive_member_cannot_be_assigned(team, lead):
    gone = make_agent(team, is_active=False)
    with pytest.raises(ValidationFailed):
        services.ticket_assign(ticket=make_incident(), by=lead, group=team, assignee=gone)


# --- transitions -------------------------------------------------------------------


def test_an_unknown_transition_is_refused(agent):
    incident = make_incident()
    with pytest.raises(TransitionNotAllowed, match="no transition called"):
        services.ticket_transition(ticket=incident, by=agent, name="explode")
    with pytest.raises(TransitionNotAllowed):
        services.ticket_transition(ticket=incident, by=agent, name="save")
    incident.refresh_from_db()
    assert (incident.status, incident.version) == ("new", 1)


# --- comments --------------------------------------------------------------------


def test_an_agents_first_public_reply_is_the_response(agent, end_user):
    incident = make_incident(requester=end_user)
    services.comment_add(ticket=incident, by=end_user, body="Any news?")
    services.comment_add(ticket=incident, by=agent, body="Looking into it", internal=True)
    incident.refresh_from_db()
    assert incident.responded_at is None
    reply = services.comment_add(ticket=incident, by=agent, body="  We are on it.  ")
    incident.refresh_from_db()
    assert reply.body == "We are on it."
    first_response = incident.responded_at
    assert first_response is not None
    services.comment_add(ticket=incident, by=agent, body="Still on it.")
    incident.refresh_from_db()
    assert incident.responded_at == first_response
    internal_flags = list(
        AuditEvent.objects.filter(ticket_id=incident.pk, action=AuditAction.COMMENTED)
        .order_by("id")
        .values_list("internal", flat=True)
    )
    assert internal_flags == [False, True, False, False]


def test_end_users_cannot_write_internal_notes(end_user):
    incident = make_incident(requester=end_user)
    with pytest.raises(NotPermitted):
        services.comment_add(ticket=incident, by=end_user, body="psst", internal=True)
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused(agent):
    with pytest.raises(ValidationFailed) as exc:
        services.comment_add(ticket=make_incident(), by=agent, body="   ")
    assert list(exc.value.fields) == ["body"]


# --- attachments -------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_attachment_is_stored_with_its_checked_type_and_digest(media, end_user):
    incident = make_incident(requester=end_user)
    upload = SimpleUploadedFile("../../etc/screen\x00shot.png", PNG_BYTES, "text/html")
    attachment = services.attachment_add(ticket=incident, by=end_user, upload=upload)
    assert attachment.filename == "screenshot.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(PNG_BYTES)
    assert attachment.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert not attachment.internal
    with attachment.file.open("rb") as stored:
        assert stored.read() == PNG_BYTES
    assert "screenshot" not in attachment.file.name  # stored under a random name
    assert history(incident)[-1] == AuditAction.ATTACHMENT_ADDED


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_an_attachment_over_the_size_limit_is_refused(media, end_user):
    upload = SimpleUploadedFile("notes.txt", b"x" * 11, "text/plain")
    with pytest.raises(ValidationFailed, match="Some fields"):
        services.attachment_add(
            ticket=make_incident(requester=end_user), by=end_user, upload=upload
        )
    assert not Attachment.objects.exists()
    assert list(media.rglob("*.*")) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.png", PDF_BYTES, "does not match its name"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "not accepted"),
        ("tool.txt", b"MZ\x90\x00" + b"\x00" * 60, "not accepted"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("mystery", b"\x01\x02\x03", "not accepted"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_dangerous_or_mislabelled_files_are_refused(media, end_user, name, content, message):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationFailed) as exc:
        services.attachment_add(
            ticket=make_incident(requester=end_user), by=end_user, upload=upload
        )
    assert message in exc.value.fields["file"][0]
    assert not Attachment.objects.exists()


def test_an_attachment_on_an_internal_note_is_internal(media, agent):
    incident = make_incident()
    note = services.comment_add(ticket=incident, by=agent, body="log attached", internal=True)
    upload = SimpleUploadedFile("server.log.txt", b"stack trace", "text/plain")
    attachment = services.attachment_add(ticket=incident, by=agent, upload=upload, comment=note)
    assert attachment.internal
    assert AuditEvent.objects.filter(ticket_id=incident.pk).last().internal


def test_end_users_cannot_add_internal_attachments(media, end_user):
    upload = SimpleUploadedFile("a.txt", b"hello", "text/plain")
    with pytest.raises(NotPermitted):
        services.attachment_add(
            ticket=make_incident(requester=end_user), by=end_user, upload=upload, internal=True
        )


# --- links and watchers ------------------------------------------------------------


def test_linking_is_recorded_on_both_tickets_and_is_idempotent(agent):
    incident, problem = make_incident(), make_problem()
    link = services.link_add(source=incident, target=problem, kind=LinkKind.CAUSED_BY, by=agent)
    again = services.link_add(source=incident, target=problem, kind=LinkKind.CAUSED_BY, by=agent)
    assert link == again
    assert history(incident).count(AuditAction.LINKED) == 1
    assert history(problem).count(AuditAction.LINKED) == 1
    services.link_remove(link=link, by=agent)
    assert not TicketLink.objects.exists()
    assert history(incident)[-1] == AuditAction.UNLINKED
    assert history(problem)[-1] == AuditAction.UNLINKED


@pytest.mark.parametrize(
    ("kind", "field"), [("friends_with", "kind"), (LinkKind.RELATES_TO, "target")]
)
def test_bad_links_are_refused(agent, kind, field):
    incident = make_incident()
    target = incident if field == "target" else make_problem()
    with pytest.raises(ValidationFailed) as exc:
        services.link_add(source=incident, target=target, kind=kind, by=agent)
    assert list(exc.value.fields) == [field]


def test_the_requester_and_agents_add_watchers_but_strangers_cannot(
    end_user, other_end_user, agent
):
    incident = make_incident(requester=end_user)
    colleague = make_end_user()
    services.watcher_add(ticket=incident, user=colleague, by=end_user)
    services.watcher_add(ticket=incident, user=agent, by=agent)
    with pytest.raises(NotPermitted):
        services.watcher_add(ticket=incident, user=other_end_user, by=other_end_user)
    assert set(Watcher.objects.values_list("user__username", flat=True)) == {
        colleague.username,
        agent.username,
    }
    services.watcher_remove(ticket=incident, user=colleague, by=colleague)
    assert history(incident)[-1] == AuditAction.WATCHER_REMOVED
    assert list(incident.watchers.all()) == [agent]


# --- the audit history is append-only ------------------------------------------------


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(agent):
    event = AuditEvent.objects.get(ticket_id=make_incident().pk)
    event.note = "rewritten"
    with pytest.raises(AuditHistoryIsAppendOnly):
        event.save()
    with pytest.raises(AuditHistoryIsAppendOnly):
        event.delete()
    with pytest.raises(AuditHistoryIsAppendOnly):
        AuditEvent.objects.update(note="rewritten")
    with pytest.raises(AuditHistoryIsAppendOnly):
        AuditEvent.objects.all().delete()


def test_the_database_itself_refuses_to_rewrite_audit_history(agent):
    from django.db import DatabaseError, transaction

    event = AuditEvent.objects.get(ticket_id=make_incident().pk)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditevent SET note = 'x' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":  # SQLite's test flush needs DELETE (see migration)
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, note="").exists()


# --- people ----------------------------------------------------------------------


def test_team_membership_grants_the_roles_it_implies(db):
    support, cab = TeamFactory(name="Desk"), TeamFactory(name="CAB", kind="cab")
    user = services.user_create(username="nina", roles=[Role.END_USER], teams={support: True})
    services.team_set_members(team=cab, members={user: False})
    groups = set(user.groups.values_list("name", flat=True))
    assert groups == {"End users", "Agents", "Team leads", "CAB members"}
    assert user.has_perm("core.work_ticket")


def test_roles_are_set_exactly_and_admins_get_staff_access(db):
    user = services.user_create(username="olga", roles=[Role.AGENT])
    services.user_set_roles(user=user, roles=[Role.ADMIN])
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {"Service-desk admins"}
    assert user.is_staff
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_roles(user=user, roles=["overlord"])
    assert list(exc.value.fields) == ["roles"]


def test_user_creation_reports_bad_fields(db):
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(username="bad name!", email="not-an-email", time_zone="Mars/Base")
    assert set(exc.value.fields) == {"username", "email", "time_zone"}


def test_nobody_is_their_own_manager(end_user):
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(user=end_user, data={"manager": end_user})
    assert list(exc.value.fields) == ["manager"]
