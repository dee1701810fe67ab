"""The back office: who gets in, what each page shows, and that writes go through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core import services
from servicedesk.core.choices import AuditAction, CIRelationshipKind, LinkKind
from servicedesk.core.models import (
    AuditEvent,
    BusinessCalendar,
    CannedReply,
    CIRelationship,
    Holiday,
    Membership,
    NumberSequence,
    SLAPolicy,
    Team,
    Ticket,
    User,
    WorkingPeriod,
)
from servicedesk.core.roles import ROLE_GROUP_NAMES, Role
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
    make_agent,
    make_change,
    make_end_user,
    make_incident,
    make_problem,
    make_request,
    make_sla_policy,
)

# What a role-based service-desk admin (not a superuser) may open and add.
ROLE_ADMIN_CAN_VIEW = {
    "auth.group",
    "authtoken.tokenproxy",
    "changes.change",
    "changes.freezeperiod",
    "changes.standardchangetemplate",
    "core.attachment",
    "core.auditevent",
    "core.businesscalendar",
    "core.cannedreply",
    "core.cirelationship",
    "core.comment",
    "core.configurationitem",
    "core.membership",
    "core.service",
    "core.slapolicy",
    "core.team",
    "core.ticket",
    "core.ticketlink",
    "core.user",
    "core.watcher",
    "knowledge.article",
    "knowledge.articlevote",
    "notifications.delivery",
    "notifications.outboxevent",
    "notifications.webhookdelivery",
    "notifications.webhooksubscription",
    "portal.satisfactionrating",
    "incidents.category",
    "incidents.incident",
    "incidents.routingrule",
    "problems.problem",
    "service_requests.catalogcategory",
    "service_requests.catalogitem",
    "service_requests.servicerequest",
}
ROLE_ADMIN_CAN_ADD = ROLE_ADMIN_CAN_VIEW - {
    "auth.group",
    "knowledge.articlevote",
    "notifications.delivery",
    "notifications.outboxevent",
    "notifications.webhookdelivery",
    "portal.satisfactionrating",
    "core.attachment",
    "core.auditevent",
    "core.ticket",
}
SUPERUSER_CANNOT_ADD = {
    "core.attachment",
    "core.auditevent",
    "core.numbersequence",
    "core.ticket",
    "knowledge.articlevote",
    "notifications.delivery",
    "notifications.inappnotification",
    "notifications.inboundmessage",
    "notifications.notificationpreference",
    "notifications.outboxevent",
    "notifications.webhookdelivery",
    "portal.satisfactionrating",
}
# People's own notifications and settings, and inbound mail: superusers only.
SUPERUSER_ONLY = {
    "core.numbersequence",
    "notifications.inappnotification",
    "notifications.inboundmessage",
    "notifications.notificationpreference",
}
REGISTERED = sorted(f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry)


def url(label: str, view: str, *args: Any) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def one_of_everything() -> dict[str, Any]:
    """A row of every model the admin shows, made through the services where they exist."""
    team = TeamFactory(name="Service Desk")
    agent = make_agent(team, username="alice")
    requester = make_end_user(username="eve")
    service = ServiceFactory(name="Email", owner_team=team)
    server = ConfigurationItemFactory(name="srv-mail-01")
    app = ConfigurationItemFactory(name="mail-gateway")
    app.services.add(service)
    CIRelationship.objects.create(source=app, kind=CIRelationshipKind.RUNS_ON, target=server)
    calendar = BusinessCalendar.objects.create(name="Office hours", timezone="Europe/Paris")
    WorkingPeriod.objects.create(calendar=calendar, weekday=0, start="09:00", end="18:00")
    Holiday.objects.create(calendar=calendar, date="2026-12-25", name="Christmas")
    make_sla_policy(
        calendar=calendar,
        rules=[("resolution", 100, "reassign", team), ("response", 75, "notify_assignee")],
    )
    incident = make_incident(requester=requester, service=service, configuration_items=[app])
    incident = services.ticket_assign(ticket=incident, by=agent, group=team, assignee=agent)
    problem = make_problem(requester=agent)
    make_change(requester=agent)
    make_request(requester=requester)
    services.comment_add(ticket=incident, by=agent, body="Looking into it.")
    services.comment_add(ticket=incident, by=agent, body="Gateway cert expired.", internal=True)
    services.link_add(source=incident, target=problem, kind=LinkKind.CAUSED_BY, by=agent)
    services.watcher_add(ticket=incident, user=make_end_user(username="frank"), by=agent)
    services.attachment_add(
        ticket=incident,
        by=agent,
        upload=SimpleUploadedFile("trace.txt", b"550 5.7.1 relay denied", "text/plain"),
    )
    return {"team": team, "agent": agent, "requester": requester, "incident": incident}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def records(db):
    return one_of_everything()


# --- who gets in ---------------------------------------------------------------------------


def test_every_model_of_the_project_is_registered():
    assert set(REGISTERED) == ROLE_ADMIN_CAN_VIEW | SUPERUSER_ONLY


@pytest.mark.parametrize("label", REGISTERED)
def test_a_superuser_opens_every_changelist_change_and_add_page(superuser, records, label):
    client = signed_in(superuser)
    assert client.get(url(label, "changelist")).status_code == 200
    first = apps.get_model(label)._default_manager.order_by("pk").first()
    if first is not None:
        assert client.get(url(label, "change", first.pk)).status_code == 200
    expected_add = 403 if label in SUPERUSER_CANNOT_ADD else 200
    assert client.get(url(label, "add")).status_code == expected_add


@pytest.mark.parametrize("label", REGISTERED)
def test_a_service_desk_admin_opens_the_pages_of_their_role(admin_user, records, label):
    client = signed_in(admin_user)
    assert client.get(url(label, "changelist")).status_code == (
        200 if label in ROLE_ADMIN_CAN_VIEW else 403
    )
    assert client.get(url(label, "add")).status_code == (
        200 if label in ROLE_ADMIN_CAN_ADD else 403
    )


def test_the_admin_index_lists_every_practice_for_a_service_desk_admin(admin_user):
    response = signed_in(admin_user).get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {app["app_label"] for app in response.context["app_list"]}
    assert listed == {
        "auth",
        "authtoken",
        "core",
        "incidents",
        "problems",
        "changes",
        "service_requests",
        "knowledge",
        "notifications",
        "portal",
    }


@pytest.mark.parametrize("path", ["/admin/", "/admin/incidents/incident/", "/admin/core/user/add/"])
def test_an_end_user_is_sent_to_the_admin_login(end_user, path):
    response = signed_in(end_user).get(path)
    assert response.status_code == 302
    assert response.url == f"/admin/login/?next={path}"


def test_an_agent_without_the_admin_role_is_sent_to_the_admin_login(agent):
    response = signed_in(agent).get("/admin/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"


def test_autocomplete_finds_requesters_for_the_incident_form(admin_user, end_user):
    # A name no generated user can have (Faker's names may contain "eve": Steven, Genevieve).
    end_user.last_name = "Qzxwy"
    end_user.save(update_fields=["last_name"])
    response = signed_in(admin_user).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "incidents",
            "model_name": "incident",
            "field_name": "requester",
            "term": "qzxw",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(end_user.pk), "text": str(end_user)}]


# --- tickets --------------------------------------------------------------------------------


def test_adding_an_incident_numbers_it_and_records_its_creation(admin_user, team, agent, end_user):
    service = ServiceFactory(name="VPN")
    ci = ConfigurationItemFactory(name="vpn-gw-01")
    response = signed_in(admin_user).post(
        url("incidents.incident", "add"),
        {
            "title": "VPN drops every ten minutes",
            "description": "Since this morning.",
            "impact": "1",
            "urgency": "2",
            "service": str(service.pk),
            "configuration_items": [str(ci.pk)],
            "requester": str(end_user.pk),
            "assignment_group": str(team.pk),
            "assignee": str(agent.pk),
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response.url == url("incidents.incident", "changelist")
    assert incident.number == "INC0000001"
    assert incident.status == "new"
    assert incident.priority == 2
    assert incident.created_by == admin_user
    assert list(incident.configuration_items.all()) == [ci]
    event = AuditEvent.objects.get(ticket_id=incident.pk)
    assert event.action == AuditAction.CREATED
    assert event.actor == admin_user
    assert event.to_status == "new"
    assert event.changes["assignee"] == {"from": None, "to": agent.pk}
    assert event.changes["configuration_items"] == {"from": [], "to": [ci.pk]}


@pytest.mark.parametrize(
    ("model", "label", "prefix"),
    [
        (Problem, "problems.problem", "PRB"),
        (Change, "changes.change", "CHG"),
        (ServiceRequest, "service_requests.servicerequest", "REQ"),
    ],
)
def test_adding_a_ticket_of_each_practice_numbers_it(admin_user, end_user, model, label, prefix):
    response = signed_in(admin_user).post(
        url(label, "add"),
        # publication: a problem's form preselects it, as a browser would send it.
        {
            "title": "Something",
            "impact": "3",
            "urgency": "3",
            "requester": str(end_user.pk),
            "publication": "internal",
        },
    )
    assert response.status_code == 302
    ticket = model.objects.get()
    assert ticket.number == f"{prefix}0000001"
    assert ticket.priority == 5
    assert list(
        AuditEvent.objects.filter(ticket_id=ticket.pk).values_list("action", flat=True)
    ) == [AuditAction.CREATED]


def test_an_assignee_outside_the_group_is_refused_on_the_form(admin_user, team, other_agent):
    response = signed_in(admin_user).post(
        url("incidents.incident", "add"),
        {
            "title": "Printer jammed",
            "impact": "3",
            "urgency": "3",
            "requester": str(other_agent.pk),
            "assignment_group": str(team.pk),
            "assignee": str(other_agent.pk),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assignee"] == [
        f"{other_agent} is not a member of {team}."
    ]
    assert Incident.objects.count() == 0


def changeform_data(response: Any) -> dict[str, Any]:
    """The POST a browser would send back for an admin change page, unchanged."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = field.prepare_value(form[name].value())
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def test_editing_an_incident_goes_through_update_and_assign(admin_user, team, agent, end_user):
    incident = make_incident(requester=end_user, impact=3, urgency=3)
    client = signed_in(admin_user)
    page = client.get(url("incidents.incident", "change", incident.pk))
    data = changeform_data(page)
    data.update(title="Printer on floor 3 is on fire", impact="1", urgency="1")
    data.update(assignment_group=str(team.pk), assignee=str(agent.pk))
    response = client.post(url("incidents.incident", "change", incident.pk), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.priority, incident.version) == (
        "Printer on floor 3 is on fire",
        1,
        3,
    )
    assert (incident.assignment_group, incident.assignee) == (team, agent)
    events = list(AuditEvent.objects.filter(ticket_id=incident.pk).order_by("id"))
    assert [e.action for e in events] == [
        AuditAction.CREATED,
        AuditAction.CHANGED,
        AuditAction.ASSIGNED,
    ]
    assert events[1].actor == admin_user
    assert events[1].changes == {
        "title": {"from": "Printer on floor 3 is jammed", "to": "Printer on floor 3 is on fire"},
        "impact": {"from": 3, "to": 1},
        "urgency": {"from": 3, "to": 1},
        "priority": {"from": 5, "to": 1},
    }
    assert events[2].changes == {
        "assignment_group": {"from": None, "to": team.pk},
        "assignee": {"from": None, "to": agent.pk},
    }


def test_a_stale_edit_is_refused_and_changes_nothing(admin_user, end_user):
    incident = make_incident(requester=end_user)
    client = signed_in(admin_user)
    data = changeform_data(client.get(url("incidents.incident", "change", incident.pk)))
    services.ticket_update(ticket=incident, by=admin_user, data={"title": "Changed meanwhile"})
    data["title"] = "My edit"
    response = client.post(url("incidents.incident", "change", incident.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This ticket changed since you opened it."
    ]
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Changed meanwhile", 2)


def test_status_number_priority_and_version_are_read_only(admin_user, end_user):
    incident = make_incident(requester=end_user)
    response = signed_in(admin_user).get(url("incidents.incident", "change", incident.pk))
    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields == {
        "title",
        "description",
        "impact",
        "urgency",
        "service",
        "configuration_items",
        "assignment_group",
        "assignee",
        "expected_version",
    }


@pytest.mark.parametrize(
    "label",
    [
        "core.ticket",
        "incidents.incident",
        "core.comment",
        "core.attachment",
        "core.auditevent",
    ],
)
def test_the_record_cannot_be_deleted_in_the_admin(superuser, records, label):
    model = apps.get_model(label)
    obj = model._default_manager.order_by("pk").first()
    client = signed_in(superuser)
    assert client.get(url(label, "delete", obj.pk)).status_code == 403
    assert client.post(url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_audit_events_cannot_be_added_changed_or_deleted(superuser, records):
    event = AuditEvent.objects.order_by("pk").first()
    count = AuditEvent.objects.count()
    client = signed_in(superuser)
    change_url = url("core.auditevent", "change", event.pk)
    page = client.get(change_url)
    assert page.status_code == 200
    assert page.context["title"] == "View audit event"
    assert client.post(change_url, {"action": "changed", "note": "forged"}).status_code == 403
    assert client.get(url("core.auditevent", "add")).status_code == 403
    bulk = client.post(
        url("core.auditevent", "changelist"),
        {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"},
    )
    # No actions at all, so no bulk delete either: the POST just shows the list again.
    assert bulk.status_code == 200
    assert bulk.context["action_form"] is None
    after = AuditEvent.objects.get(pk=event.pk)
    assert (after.action, after.note) == (event.action, event.note)
    assert AuditEvent.objects.count() == count


def test_a_comment_added_in_the_admin_is_on_the_record(admin_user, end_user):
    incident = make_incident(requester=end_user)
    response = signed_in(admin_user).post(
        url("core.comment", "add"),
        {"ticket": str(incident.pk), "body": "Restarted the spooler.", "internal": "on"},
    )
    assert response.status_code == 302
    comment = incident.comments.get()
    assert (comment.author, comment.body, comment.internal) == (
        admin_user,
        "Restarted the spooler.",
        True,
    )
    event = AuditEvent.objects.filter(ticket_id=incident.pk).latest("id")
    assert (event.action, event.internal) == (AuditAction.COMMENTED, True)


def test_a_link_added_and_removed_in_the_admin_is_on_both_records(superuser, end_user):
    incident = make_incident(requester=end_user)
    problem = make_problem(requester=end_user)
    client = signed_in(superuser)
    response = client.post(
        url("core.ticketlink", "add"),
        {"source": str(incident.pk), "kind": LinkKind.CAUSED_BY, "target": str(problem.pk)},
    )
    assert response.status_code == 302
    link = incident.links_out.get()
    response = client.post(url("core.ticketlink", "delete", link.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not incident.links_out.exists()
    for ticket in (incident, problem):
        actions = AuditEvent.objects.filter(ticket_id=ticket.pk).values_list("action", flat=True)
        assert list(actions.order_by("id")) == [
            AuditAction.CREATED,
            AuditAction.LINKED,
            AuditAction.UNLINKED,
        ]


def test_a_watcher_added_in_the_admin_is_on_the_record(admin_user, end_user, other_end_user):
    incident = make_incident(requester=end_user)
    response = signed_in(admin_user).post(
        url("core.watcher", "add"), {"ticket": str(incident.pk), "user": str(other_end_user.pk)}
    )
    assert response.status_code == 302
    assert list(incident.watchers.all()) == [other_end_user]
    event = AuditEvent.objects.filter(ticket_id=incident.pk).latest("id")
    assert event.action == AuditAction.WATCHER_ADDED


# --- people and teams ----------------------------------------------------------------------


def role_groups(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def test_team_members_added_in_the_admin_get_the_roles_membership_implies(admin_user):
    person = make_end_user(username="nick")
    response = signed_in(admin_user).post(
        url("core.team", "add"),
        {
            "name": "Network",
            "kind": "support",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(person.pk),
            "memberships-0-is_lead": "on",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Network")
    assert list(Membership.objects.filter(team=team).values_list("user", "is_lead")) == [
        (person.pk, True)
    ]
    assert role_groups(person) == {
        ROLE_GROUP_NAMES[Role.END_USER],
        ROLE_GROUP_NAMES[Role.AGENT],
        ROLE_GROUP_NAMES[Role.TEAM_LEAD],
    }


def test_a_membership_added_in_the_admin_grants_the_implied_role(admin_user):
    cab = TeamFactory(name="CAB", kind="cab")
    person = make_end_user(username="victor")
    response = signed_in(admin_user).post(
        url("core.membership", "add"), {"team": str(cab.pk), "user": str(person.pk)}
    )
    assert response.status_code == 302
    assert role_groups(person) == {
        ROLE_GROUP_NAMES[Role.END_USER],
        ROLE_GROUP_NAMES[Role.CAB_MEMBER],
    }


def test_roles_are_edited_as_role_groups_and_admin_gives_staff_access(admin_user):
    person = make_end_user(username="carol")
    client = signed_in(admin_user)
    data = changeform_data(client.get(url("core.user", "change", person.pk)))
    assert data["roles"] == [Role.END_USER]
    data["roles"] = [Role.CHANGE_MANAGER, Role.ADMIN]
    data.update(time_zone="Europe/Paris", is_away="on")
    response = client.post(url("core.user", "change", person.pk), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert role_groups(person) == {
        ROLE_GROUP_NAMES[Role.CHANGE_MANAGER],
        ROLE_GROUP_NAMES[Role.ADMIN],
    }
    assert (person.is_staff, person.time_zone, person.is_away) == (True, "Europe/Paris", True)


def test_a_user_added_in_the_admin_gets_roles_and_teams(admin_user, team):
    response = signed_in(admin_user).post(
        url("core.user", "add"),
        {
            "username": "sam",
            "usable_password": "true",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-battery",
            "email": "sam@example.com",
            "time_zone": "Europe/Paris",
            "roles": [Role.END_USER],
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-team": str(team.pk),
        },
    )
    assert response.status_code == 302
    sam = User.objects.get(username="sam")
    assert sam.check_password("correct-horse-battery")
    assert role_groups(sam) == {ROLE_GROUP_NAMES[Role.END_USER], ROLE_GROUP_NAMES[Role.AGENT]}
    assert sam.is_staff is False


def test_a_service_desk_admin_cannot_make_anyone_a_superuser(admin_user):
    client = signed_in(admin_user)
    data = changeform_data(client.get(url("core.user", "change", admin_user.pk)))
    data["is_superuser"] = "on"
    response = client.post(url("core.user", "change", admin_user.pk), data)
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.is_superuser is False


def test_a_service_desk_admin_cannot_change_a_superuser(admin_user, superuser):
    client = signed_in(admin_user)
    change_url = url("core.user", "change", superuser.pk)
    assert client.get(change_url).context["title"] == "View user"
    assert client.post(change_url, {"username": "taken-over"}).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert client.get(password_url).status_code == 403


# --- bounded queries ----------------------------------------------------------------------


def changelist_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "label",
    [
        "core.ticket",
        "incidents.incident",
        "problems.problem",
        "changes.change",
        "service_requests.servicerequest",
        "core.user",
        "core.team",
        "core.membership",
        "core.service",
        "core.configurationitem",
        "core.cirelationship",
        "core.comment",
        "core.attachment",
        "core.ticketlink",
        "core.watcher",
        "core.auditevent",
        "notifications.outboxevent",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(admin_user, label):
    client = signed_in(admin_user)
    path = url(label, "changelist")
    one_of_everything()
    with_few = changelist_queries(client, path)
    for n in range(3):
        team = TeamFactory(name=f"Team {n}")
        agent = make_agent(team, username=f"agent{n}")
        requester = make_end_user(username=f"requester{n}")
        service = ServiceFactory(name=f"Service {n}", owner_team=team)
        server = ConfigurationItemFactory(name=f"srv-{n}", owner_team=team)
        app = ConfigurationItemFactory(name=f"app-{n}", owner_team=team)
        CIRelationship.objects.create(source=app, kind=CIRelationshipKind.RUNS_ON, target=server)
        for make in (make_incident, make_problem, make_change, make_request):
            ticket = make(requester=requester, service=service)
            ticket = services.ticket_assign(ticket=ticket, by=agent, group=team, assignee=agent)
            services.comment_add(ticket=ticket, by=agent, body="On it.")
            services.watcher_add(ticket=ticket, user=make_end_user(), by=agent)
            services.attachment_add(
                ticket=ticket,
                by=agent,
                upload=SimpleUploadedFile("log.txt", b"some log lines", "text/plain"),
            )
        services.link_add(
            source=Incident.objects.filter(requester=requester).get(),
            target=Problem.objects.filter(requester=requester).get(),
            kind=LinkKind.CAUSED_BY,
            by=agent,
        )
    assert Ticket.objects.count() == 16
    assert changelist_queries(client, path) == with_few


def test_a_service_desk_admin_manages_the_canned_replies_agents_use(admin_user, team, agent):
    client = signed_in(admin_user)
    response = client.post(
        url("core.cannedreply", "add"),
        {"title": "Printer tips", "team": str(team.pk), "body": "Try tray 2.", "is_active": "on"},
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert [r.title for r in CannedReply.objects.for_agent(agent)] == ["Printer tips"]

    response = client.post(
        url("core.cannedreply", "change", reply.pk),
        {"title": "Printer tips", "team": str(team.pk), "body": "Try tray 3."},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.body, reply.is_active) == ("Try tray 3.", False)
    assert list(CannedReply.objects.for_agent(agent)) == []


def test_number_sequences_are_read_only(superuser):
    client = signed_in(superuser)
    sequence = NumberSequence.objects.get(prefix="INC")
    page = client.get(url("core.numbersequence", "change", sequence.pk))
    assert page.context["title"] == "View number sequence"
    assert client.post(url("core.numbersequence", "change", sequence.pk), {}).status_code == 403


def test_an_sla_policy_is_added_with_its_escalation_rules(admin_user, team):
    calendar = BusinessCalendar.objects.create(name="Office hours", timezone="Europe/Paris")
    response = signed_in(admin_user).post(
        url("core.slapolicy", "add"),
        {
            "name": "Incidents P1",
            "practice": "incident",
            "priority": "1",
            "calendar": str(calendar.pk),
            "response_minutes": "15",
            "resolution_minutes": "240",
            "warning_thresholds": "[50, 90]",
            "is_active": "on",
            "escalation_rules-TOTAL_FORMS": "1",
            "escalation_rules-INITIAL_FORMS": "0",
            "escalation_rules-0-target": "resolution",
            "escalation_rules-0-threshold": "100",
            "escalation_rules-0-action": "reassign",
            "escalation_rules-0-team": str(team.pk),
        },
    )
    assert response.status_code == 302, response.context["errors"]
    policy = SLAPolicy.objects.get()
    assert (policy.priority, policy.warning_thresholds) == (1, [50, 90])
    assert list(policy.escalation_rules.values_list("threshold", "action", "team")) == [
        (100, "reassign", team.pk)
    ]


def test_the_calendar_action_loads_public_holidays_of_this_year_and_the_next(admin_user):
    calendar = BusinessCalendar.objects.create(
        name="Paris", timezone="Europe/Paris", holiday_country="FR"
    )
    response = signed_in(admin_user).post(
        url("core.businesscalendar", "changelist"),
        {"action": "load_public_holidays", "_selected_action": [str(calendar.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Paris: 22 holidays added."]
    assert calendar.holidays.count() == 22
