"""A ticket's timeline in words: comments, files and audit events, oldest first.

Shared by every practice's ticket page. Audit events refer to users, teams, services… by
id; ``Names`` fetches each kind of object once, so a page costs a fixed number of queries
however long its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions, selectors
from .choices import AuditAction, Impact, LinkKind, Priority, Urgency
from .models import (
    Attachment,
    AuditEvent,
    Comment,
    Team,
    Ticket,
    TicketLink,
    User,
)


@dataclass
class Change:
    """One field's change, in words."""

    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One item of the timeline: a comment, a file or an audit event."""

    kind: str
    at: datetime
    order: tuple
    actor: User | None = None
    comment: Comment | None = None
    attachment: Attachment | None = None
    event: AuditEvent | None = None
    attachments: list[Attachment] = field(default_factory=list)
    summary: str = ""
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    internal: bool = False


FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "impact": gettext_lazy("Impact"),
    "urgency": gettext_lazy("Urgency"),
    "priority": gettext_lazy("Priority"),
    "requester": gettext_lazy("Requester"),
    "assignment_group": gettext_lazy("Team"),
    "assignee": gettext_lazy("Assignee"),
    "service": gettext_lazy("Service"),
    "category": gettext_lazy("Category"),
    "configuration_items": gettext_lazy("Configuration items"),
    "is_major": gettext_lazy("Major incident"),
    "problem": gettext_lazy("Problem"),
    "root_cause": gettext_lazy("Root cause"),
    "workaround": gettext_lazy("Workaround"),
    "publication": gettext_lazy("Publication"),
    "affected_services": gettext_lazy("Affected services"),
}
TRANSITION_VERBS = {
    "start": gettext_lazy("%(actor)s started work"),
    "hold": gettext_lazy("%(actor)s put it on hold"),
    "resume": gettext_lazy("%(actor)s resumed work"),
    "resolve": gettext_lazy("%(actor)s resolved it"),
    "reopen": gettext_lazy("%(actor)s reopened it"),
    "close": gettext_lazy("%(actor)s closed it"),
    "cancel": gettext_lazy("%(actor)s cancelled it"),
    "investigate": gettext_lazy("%(actor)s started the investigation"),
    "mark_known_error": gettext_lazy("%(actor)s recorded it as a known error"),
}
USER_FIELDS = {"requester", "assignee", "watcher"}
# Audited names that are not the ticket model's own relation fields.
REFERENCES: dict[str, type] = {"assignment_group": Team, "problem": Ticket}
# Long texts are not repeated in the timeline; the page shows their current value.
LONG_TEXTS = {"description", "root_cause", "workaround", "resolution_notes"}


def reference_model(ticket_model: type, name: str) -> type | None:
    """The model an audited field's ids point to, if it is a relation."""
    if name in REFERENCES:
        return REFERENCES[name]
    try:
        model_field = ticket_model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return model_field.related_model if model_field.is_relation else None


class Names:
    """Names of the users, teams, services… that audit events refer to by id: one query each."""

    def __init__(self, events: Iterable[AuditEvent], ticket_model: type = Ticket) -> None:
        self.ticket_model = ticket_model
        wanted: dict[type, set[int]] = {}

        def want(model: type, value: Any) -> None:
            values = value if isinstance(value, list) else [value]
            wanted.setdefault(model, set()).update(v for v in values if isinstance(v, int))

        for event in events:
            for name, change in (event.changes or {}).items():
                if not isinstance(change, dict):
                    continue
                for side in ("from", "to"):
                    value = change.get(side)
                    if name in USER_FIELDS or name == "notified":
                        want(User, value)
                    elif (model := reference_model(ticket_model, name)) is not None:
                        want(model, value)
                    elif name == "link" and isinstance(value, dict):
                        want(Ticket, [value.get("source"), value.get("target")])
        self.rows: dict[type, dict[int, Any]] = {}
        for model, ids in wanted.items():
            ids.discard(None)  # type: ignore[arg-type]
            if not ids:
                continue
            queryset = model._default_manager.all()
            if any(f.name == "parent" and f.many_to_one for f in model._meta.fields):
                queryset = queryset.select_related("parent")  # a category's path
            if model is Ticket:
                queryset = queryset.only("pk", "number", "title", "practice")
            self.rows[model] = queryset.in_bulk(list(ids))

    def get(self, model: type, pk: Any) -> Any:
        return self.rows.get(model, {}).get(pk)

    def label(self, model: type, pk: Any) -> str:
        if pk is None:
            return "—"
        row = self.get(model, pk)
        if row is None:
            return _("#%(id)s (deleted)") % {"id": pk}
        if model is User:
            return row.display_name
        if model is Ticket:
            return row.number
        return str(row)


def value_text(name: str, value: Any, names: Names) -> str:
    """A field's audited value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if name in USER_FIELDS:
        return names.label(User, value)
    model = reference_model(names.ticket_model, name)
    if model is not None:
        if isinstance(value, list):
            return ", ".join(names.label(model, v) for v in value)
        return names.label(model, value)
    if name == "priority":
        return str(Priority(value).label) if value in Priority.values else str(value)
    if name == "impact":
        return str(Impact(value).label) if value in Impact.values else str(value)
    if name == "urgency":
        return str(Urgency(value).label) if value in Urgency.values else str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in LONG_TEXTS:
        return _("(text)")
    return str(value)


def actor_name(event: AuditEvent) -> str:
    return event.actor.display_name if event.actor_id else _("The system")


def describe_event(event: AuditEvent, ticket: Ticket, names: Names) -> Entry:
    """An audit event as a timeline entry: who did what, from what to what, in words."""
    actor = actor_name(event)
    entry = Entry(
        kind="event",
        at=event.created_at,
        order=(event.created_at, 2, event.pk),
        actor=event.actor,
        event=event,
        note=event.note,
        internal=event.internal,
    )
    changes = dict(event.changes or {})
    status = selectors.status_label
    if event.action == AuditAction.TRANSITION:
        verb = TRANSITION_VERBS.get(event.transition)
        entry.summary = (
            verb % {"actor": actor}
            if verb
            else _("%(actor)s ran “%(name)s”") % {"actor": actor, "name": event.transition}
        )
        entry.changes.append(
            Change(
                _("Status"),
                status(ticket.practice, event.from_status),
                status(ticket.practice, event.to_status),
            )
        )
        changes = {}
    elif event.action == AuditAction.CREATED:
        entry.summary = _("%(actor)s logged it") % {"actor": actor}
        changes = {}
    elif event.action == AuditAction.ASSIGNED:
        entry.summary = _("%(actor)s assigned it") % {"actor": actor}
    elif event.action == AuditAction.PRIORITY_OVERRIDDEN:
        entry.summary = _("%(actor)s overrode the priority") % {"actor": actor}
    elif event.action == AuditAction.CHANGED and set(changes) == {"is_major"}:
        declared = changes["is_major"].get("to")
        entry.summary = (
            _("%(actor)s declared a major incident")
            if declared
            else _("%(actor)s stood down the major incident")
        ) % {"actor": actor}
        changes = {}
    elif event.action == AuditAction.CHANGED:
        entry.summary = _("%(actor)s changed it") % {"actor": actor}
    elif event.action in (AuditAction.LINKED, AuditAction.UNLINKED):
        link = changes.get("link", {}).get("to" if event.action == AuditAction.LINKED else "from")
        link = link if isinstance(link, dict) else {}
        kind = LinkKind(link["kind"]).label if link.get("kind") in LinkKind.values else ""
        words = {
            "actor": actor,
            "source": names.label(Ticket, link.get("source")),
            "kind": kind,
            "target": names.label(Ticket, link.get("target")),
        }
        entry.summary = (
            _("%(actor)s linked %(source)s %(kind)s %(target)s")
            if event.action == AuditAction.LINKED
            else _("%(actor)s removed the link %(source)s %(kind)s %(target)s")
        ) % words
        changes = {}
    elif event.action in (AuditAction.WATCHER_ADDED, AuditAction.WATCHER_REMOVED):
        watcher = changes.get("watcher", {})
        who = names.label(User, watcher.get("to") or watcher.get("from"))
        entry.summary = (
            _("%(actor)s added %(user)s as a watcher")
            if event.action == AuditAction.WATCHER_ADDED
            else _("%(actor)s removed %(user)s from the watchers")
        ) % {"actor": actor, "user": who}
        changes = {}
    else:
        entry.summary = f"{actor}: {event.get_action_display()}"
    for name, change in changes.items():
        if name in FIELD_LABELS and isinstance(change, dict):
            entry.changes.append(
                Change(
                    str(FIELD_LABELS[name]),
                    value_text(name, change.get("from"), names),
                    value_text(name, change.get("to"), names),
                )
            )
    return entry


# Events whose own rows (the comment, the file) stand in the timeline instead.
SHOWN_AS_ROWS = {AuditAction.COMMENTED, AuditAction.ATTACHMENT_ADDED}


def timeline(ticket: Ticket, user: Any) -> tuple[list[Entry], int]:
    """Comments, files and audit events of the ticket, oldest first; and the latest event id.

    A fixed number of queries: comments, attachments, events, then one per kind of
    object the events name.
    """
    comments = list(
        permissions.visible_comments(user, Comment.objects.filter(ticket_id=ticket.pk))
        .select_related("author")
        .order_by("created_at", "pk")
    )
    attachments = Attachment.objects.filter(ticket_id=ticket.pk).select_related("uploaded_by")
    if not permissions.is_agent(user):
        attachments = attachments.filter(internal=False)
    by_comment: dict[int, list[Attachment]] = {}
    entries: list[Entry] = []
    for attachment in attachments.order_by("created_at", "pk"):
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
        else:
            entries.append(
                Entry(
                    kind="attachment",
                    at=attachment.created_at,
                    order=(attachment.created_at, 1, attachment.pk),
                    actor=attachment.uploaded_by,
                    attachment=attachment,
                    internal=attachment.internal,
                )
            )
    for comment in comments:
        entries.append(
            Entry(
                kind="comment",
                at=comment.created_at,
                order=(comment.created_at, 0, comment.pk),
                actor=comment.author,
                comment=comment,
                attachments=by_comment.get(comment.pk, []),
                internal=comment.internal,
            )
        )
    events = list(
        AuditEvent.objects.filter(ticket_id=ticket.pk)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    if not permissions.is_agent(user):
        events = [e for e in events if not e.internal]
    shown = [e for e in events if e.action not in SHOWN_AS_ROWS]
    # A creation's fields are the page itself; only later changes are told in words.
    names = Names((e for e in shown if e.action != AuditAction.CREATED), type(ticket))
    entries.extend(describe_event(event, ticket, names) for event in shown)
    entries.sort(key=lambda entry: entry.order)
    return entries, max((e.pk for e in events), default=0)


def changes_since(ticket: Ticket, *, version: int, seen: int | None) -> list[Entry]:
    """What happened to the ticket since its user opened it, to show next to a stale form.

    The form says which history event was the newest on the page it came from; without
    that, the events from the first change past ``version`` on are shown.
    """
    history = AuditEvent.objects.filter(ticket_id=ticket.pk).select_related("actor")
    if seen:
        newer = list(history.filter(pk__gt=seen).order_by("created_at", "pk"))
    else:
        missed = max(ticket.version - version, 1)
        latest_changes = list(
            history.exclude(
                action__in=SHOWN_AS_ROWS | {AuditAction.LINKED, AuditAction.UNLINKED}
            ).order_by("-created_at", "-pk")[:missed]
        )
        if not latest_changes:
            return []
        first = latest_changes[-1]
        newer = list(
            history.filter(
                Q(created_at__gt=first.created_at)
                | Q(created_at=first.created_at, pk__gte=first.pk)
            ).order_by("created_at", "pk")
        )
    names = Names(newer, type(ticket))
    entries = []
    for event in newer:
        if event.action == AuditAction.COMMENTED:
            entry = Entry(kind="event", at=event.created_at, order=(), actor=event.actor)
            entry.summary = (
                _("%(actor)s added an internal note") if event.internal else _("%(actor)s replied")
            ) % {"actor": actor_name(event)}
        elif event.action == AuditAction.ATTACHMENT_ADDED:
            entry = Entry(kind="event", at=event.created_at, order=(), actor=event.actor)
            entry.summary = _("%(actor)s attached %(file)s") % {
                "actor": actor_name(event),
                "file": event.note,
            }
        else:
            entry = describe_event(event, ticket, names)
        entries.append(entry)
    return entries


def ticket_links(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's links both ways, each with the ticket at the other end: one query."""
    links = (
        TicketLink.objects.filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk))
        .select_related("source", "target")
        .order_by("created_at", "pk")
    )
    shown = []
    for link in links:
        outgoing = link.source_id == ticket.pk
        shown.append(
            {
                "link": link,
                "other": link.target if outgoing else link.source,
                # Read from the other end, a link says it the other way round.
                "words": link.get_kind_display()
                if outgoing
                else _("%(kind)s (from)") % {"kind": link.get_kind_display()},
            }
        )
    return shown
