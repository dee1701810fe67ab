"""The world the access matrix runs in: one user per role and one ticket per practice.

Every ticket of the matrix belongs to team A; the incident and the request were asked
for by the end user E1 (problems and changes are raised by agents, who are their
requesters: here a team A agent who is none of the roles). Each carries a public reply,
an internal note and a public and an internal attachment. A second incident, team B's
and E2's, makes the lists tell scopes apart. The internal note's body and the internal
file's name hold ``SECRET``, which no end user may ever read by any route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Incident
from notifications.choices import InboundStatus
from notifications.models import InAppNotification, InboundMessage, OutboxEvent
from problems.models import Problem
from service_requests.models import FulfilmentTask, ServiceRequest
from servicedesk.core import services
from servicedesk.core.choices import TeamKind
from servicedesk.core.models import Attachment, CannedReply, Comment, Ticket, TicketLink, User
from servicedesk.portal.models import SatisfactionRating
from tests.changes.factories import make_cab_member, make_change_manager, ready_change
from tests.factories import TeamFactory, UserFactory, make_admin, make_agent, make_end_user
from tests.service_requests.factories import make_item, order

# The roles of the matrix, in the order of the rule table's columns.
ROLES = (
    "anon",  # not signed in
    "e1",  # end user, requester of the incident and the request
    "e2",  # another end user
    "agent_a",  # agent of team A, which owns every ticket of the matrix
    "agent_b",  # agent of team B
    "lead_a",  # team lead of team A
    "change_mgr",  # change manager (an agent of no team)
    "cab",  # CAB member
    "admin",  # service-desk admin role
    "superuser",  # Django superuser
)
END_USERS = ("anon", "e1", "e2")
# Written in every internal note and internal file: no end user may ever read it.
SECRET = "SECRET-7f3a9c"
PUBLIC_REPLY = "PUBLIC-REPLY-41b2"


@dataclass
class World:
    users: dict[str, User | None]
    tickets: dict[str, Ticket]
    public_comments: dict[str, Comment] = field(default_factory=dict)
    internal_notes: dict[str, Comment] = field(default_factory=dict)
    public_files: dict[str, Attachment] = field(default_factory=dict)
    internal_files: dict[str, Attachment] = field(default_factory=dict)
    task: FulfilmentTask | None = None
    link: TicketLink | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def ticket(self, key: str) -> Ticket:
        """The ticket as it is in the database now (earlier requests may have changed it)."""
        stored = self.tickets[key]
        return type(stored).objects.get(pk=stored.pk)

    def fresh_task(self) -> FulfilmentTask:
        assert self.task is not None
        return FulfilmentTask.objects.get(pk=self.task.pk)


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def build_world() -> World:
    team_a = TeamFactory(name="Team A")
    team_b = TeamFactory(name="Team B")
    cab_team = TeamFactory(name="CAB", kind=TeamKind.CAB)
    users: dict[str, User | None] = {
        "anon": None,
        "e1": make_end_user(username="e1"),
        "e2": make_end_user(username="e2"),
        "agent_a": make_agent(team_a, username="agent_a"),
        "agent_b": make_agent(team_b, username="agent_b"),
        "lead_a": make_agent(team_a, lead=True, username="lead_a"),
        "change_mgr": make_change_manager(username="change_mgr"),
        "cab": make_cab_member(cab_team, username="cab"),
        "admin": make_admin(username="admin"),
        "superuser": UserFactory(username="superuser", is_staff=True, is_superuser=True),
    }
    # Raises the problem and the change: a team A agent who is none of the roles.
    raiser = make_agent(team_a, username="raiser")
    e1, e2 = users["e1"], users["e2"]

    incident = services.ticket_create(
        ticket=Incident(
            title="Printer jammed", description="E-42", requester=e1, assignment_group=team_a
        ),
        by=e1,
    )
    problem = services.ticket_create(
        ticket=Problem(
            title="Printers jam", description="Often", requester=raiser, assignment_group=team_a
        ),
        by=raiser,
    )
    # Ready to submit: plans, risk and a window.
    change = ready_change(by=raiser, title="Replace the printer fleet", assignment_group=team_a)
    item = make_item(owner_team=team_a, name="Toner", form=[], tasks=[("Bring toner", team_a)])
    service_request = order(item, e1, answers={})
    service_request = ServiceRequest.objects.get(pk=service_request.pk)
    other = services.ticket_create(
        ticket=Incident(
            title="Router down", description="Floor 9", requester=e2, assignment_group=team_b
        ),
        by=e2,
    )
    tickets: dict[str, Ticket] = {
        "incident": incident,
        "problem": problem,
        "change": change,
        "request": service_request,
        "other": other,
    }
    world = World(users=users, tickets=tickets)
    author = users["agent_a"]
    for key in ("incident", "problem", "change", "request"):
        ticket = tickets[key]
        world.public_comments[key] = services.comment_add(
            ticket=ticket, by=author, body=f"{PUBLIC_REPLY} on {ticket.number}"
        )
        world.internal_notes[key] = services.comment_add(
            ticket=ticket, by=author, body=f"{SECRET} note on {ticket.number}", internal=True
        )
        world.public_files[key] = services.attachment_add(
            ticket=ticket, by=author, upload=_file("public.txt", b"public file\n")
        )
        world.internal_files[key] = services.attachment_add(
            ticket=ticket,
            by=author,
            upload=_file(f"{SECRET}.txt", f"{SECRET} file\n".encode()),
            internal=True,
        )
    world.task = FulfilmentTask.objects.get(request=service_request)
    world.link = services.link_add(source=incident, target=problem, kind="relates_to", by=author)
    # Someone besides the requester follows the incident (the watcher rows remove them).
    services.watcher_add(ticket=incident, user=raiser, by=author)
    # A rating, for the admin's page of ratings (the other incident's, as a plain row).
    SatisfactionRating.objects.create(ticket=other, rated_by=e2, score=4, comment="Fine.")
    # Back-office records of the incident: its first event, an in-app notice, a reply by mail.
    event = OutboxEvent.objects.filter(ticket=incident).order_by("pk").first()
    InAppNotification.objects.create(
        user=users["agent_a"], event=event, ticket=incident, title=incident.number
    )
    InboundMessage.objects.create(
        key="access-matrix", sender=e1.email, status=InboundStatus.REPLIED, ticket=incident
    )
    # A reply template for everyone, filled in with the ticket's number.
    reply = CannedReply.objects.create(title="Thanks", body="About {ticket_number}: thanks.")
    users_extra = {
        "reply": reply,
        "raiser": raiser,
        "team_a": team_a,
        "team_b": team_b,
        "item": item,
    }
    world.extra.update(users_extra)
    # Reload each ticket: the writes above raised versions and moved timestamps.
    for key, ticket in tickets.items():
        tickets[key] = type(ticket).objects.get(pk=ticket.pk)
    return world


def reload(user: User | None) -> User | None:
    """The user afresh, with no permission or team cache carried over between requests."""
    return None if user is None else User.objects.get(pk=user.pk)
