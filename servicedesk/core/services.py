"""Writes on the ticket core. Practice services build on these; nothing else saves a ticket."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

import filetype
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed
from django_fsm import can_proceed, has_transition_perm

from . import permissions, sla
from .choices import NUMBER_PREFIXES, AuditAction, CIStatus, Criticality, LinkKind, TeamKind
from .errors import (
    ApplicationError,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from .models import (
    Attachment,
    AuditEvent,
    CannedReply,
    Comment,
    ConfigurationItem,
    Membership,
    SavedFilter,
    Service,
    Team,
    Ticket,
    TicketLink,
    User,
    Watcher,
)
from .numbering import next_number
from .priority import priority_for
from .roles import ROLE_GROUP_NAMES, Role

TicketT = TypeVar("TicketT", bound=Ticket)

# Fields a plain edit may change; status, assignment and priority have services of their own.
EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "service")


# --- helpers ---------------------------------------------------------------------


def audit_value(value: Any) -> Any:
    """A JSON-safe form of a field value for the audit history."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return sorted(audit_value(v) for v in value)
    return value


def audit_record(
    *,
    ticket: Ticket,
    actor: User | None,
    action: str,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    note: str = "",
    transition: str = "",
    from_status: str = "",
    to_status: str = "",
    internal: bool = False,
) -> AuditEvent:
    """Append one event to the ticket's history, and its outbox event (same transaction)."""
    from notifications.outbox import record_audit_event

    return record_audit_event(
        AuditEvent.objects.create(
            ticket_id=ticket.pk,
            actor=actor,
            action=action,
            changes=dict(changes or {}),
            note=note,
            transition=transition,
            from_status=from_status,
            to_status=to_status,
            internal=internal,
        )
    )


def lock_ticket(ticket: TicketT) -> TicketT:
    """The ticket re-read with its row locked until the transaction ends."""
    return type(ticket)._default_manager.select_for_update().get(pk=ticket.pk)


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise StaleVersion(
            _("This ticket changed since you opened it (your version %(yours)s, now %(now)s).")
            % {"yours": expected_version, "now": ticket.version}
        )


def _save_changed(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def _model_errors(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed(
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        )
    return ValidationFailed("; ".join(exc.messages))


def validate_assignment(group: Team | None, assignee: User | None) -> None:
    """An agent can only be assigned within a team they belong to."""
    if assignee is None:
        return
    if group is None:
        raise ValidationFailed(fields={"assignee": [_("Choose the assignment group first.")]})
    if not assignee.is_active or not Membership.objects.filter(team=group, user=assignee).exists():
        raise ValidationFailed(
            fields={
                "assignee": [
                    _("%(user)s is not a member of %(team)s.") % {"user": assignee, "team": group}
                ]
            }
        )


# --- tickets ---------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    ticket: TicketT,
    by: User | None,
    configuration_items: Iterable[ConfigurationItem] = (),
    watchers: Iterable[User] = (),
) -> TicketT:
    """Number, prioritise and save a new ticket of any practice, with its creation event."""
    if not ticket._state.adding:
        raise ValueError("ticket_create() takes a ticket that is not saved yet.")
    validate_assignment(ticket.assignment_group, ticket.assignee)
    ticket.created_by = by
    try:
        ticket.full_clean(
            exclude=["number", "priority", "status"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise _model_errors(exc) from exc
    ticket.priority = priority_for(ticket.impact, ticket.urgency)
    sla.sla_start(ticket, at=timezone.now())
    # Last before saving: the number's counter row stays locked until commit.
    ticket.number = next_number(NUMBER_PREFIXES[ticket.practice])
    ticket.save(force_insert=True)
    cis = list(configuration_items)
    if cis:
        ticket.configuration_items.set(cis)
    for user in watchers:
        Watcher.objects.get_or_create(ticket=ticket, user=user, defaults={"added_by": by})
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.CREATED,
        to_status=ticket.status,
        changes={
            field: {"from": None, "to": audit_value(getattr(ticket, field))}
            for field in (
                "title",
                "impact",
                "urgency",
                "priority",
                "requester",
                "assignment_group",
                "assignee",
                "service",
            )
        }
        | ({"configuration_items": {"from": [], "to": audit_value(cis)}} if cis else {}),
    )
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: TicketT,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    editable: Iterable[str] = EDITABLE_FIELDS,
) -> TicketT:
    """Change the editable fields; derive priority again unless an override is in force.

    Practices pass ``editable`` to add fields of their own (e.g. an incident's category).
    """
    editable = tuple(editable)
    unknown = set(data) - {*editable, "configuration_items"}
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be changed here.")] for f in unknown}
        )
    ticket = lock_ticket(ticket)
    check_version(ticket, expected_version)
    changes: dict[str, dict[str, Any]] = {}
    for field in editable:
        if field in data and getattr(ticket, field) != data[field]:
            changes[field] = {
                "from": audit_value(getattr(ticket, field)),
                "to": audit_value(data[field]),
            }
            setattr(ticket, field, data[field])
    if ("impact" in changes or "urgency" in changes) and not ticket.is_priority_overridden:
        new_priority = priority_for(ticket.impact, ticket.urgency)
        if new_priority != ticket.priority:
            changes["priority"] = {"from": ticket.priority, "to": int(new_priority)}
            ticket.priority = new_priority
    cis_changed = False
    if "configuration_items" in data:
        old = set(ticket.configuration_items.values_list("pk", flat=True))
        new = {ci.pk for ci in data["configuration_items"]}
        if old != new:
            changes["configuration_items"] = {"from": sorted(old), "to": sorted(new)}
            cis_changed = True
    if not changes:
        return ticket
    try:
        ticket.full_clean(
            exclude=["number", "status"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise _model_errors(exc) from exc
    if cis_changed:
        ticket.configuration_items.set(data["configuration_items"])
    sla_fields = []
    if "priority" in changes or "service" in changes:
        sla_fields = sla.sla_priority_changed(ticket, at=timezone.now())
    _save_changed(ticket, [*(f for f in changes if f != "configuration_items"), *sla_fields])
    audit_record(ticket=ticket, actor=by, action=AuditAction.CHANGED, changes=changes)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: TicketT,
    by: User | None,
    group: Team | None,
    assignee: User | None,
    expected_version: int | None = None,
    note: str = "",
) -> TicketT:
    """Route the ticket to a team and optionally an agent of that team; reassignment is recorded."""
    ticket = lock_ticket(ticket)
    check_version(ticket, expected_version)
    validate_assignment(group, assignee)
    changes = {}
    if ticket.assignment_group_id != (group.pk if group else None):
        changes["assignment_group"] = {"from": ticket.assignment_group_id, "to": audit_value(group)}
    if ticket.assignee_id != (assignee.pk if assignee else None):
        changes["assignee"] = {"from": ticket.assignee_id, "to": audit_value(assignee)}
    if not changes:
        return ticket
    ticket.assignment_group = group
    ticket.assignee = assignee
    _save_changed(ticket, ["assignment_group", "assignee"])
    audit_record(ticket=ticket, actor=by, action=AuditAction.ASSIGNED, changes=changes, note=note)
    return ticket


def ticket_take(*, ticket: TicketT, by: User) -> TicketT:
    """Make an unassigned ticket the caller's, within its team (or the caller's first team).

    Someone who cannot be its assignee there (an admin working across teams, an agent of
    no team) leaves it unassigned rather than being refused the work.
    """
    if ticket.assignee_id is not None:
        return ticket
    group = (
        ticket.assignment_group
        or Team.objects.filter(memberships__user=by, is_active=True).order_by("name").first()
    )
    if group is None or not Membership.objects.filter(team=group, user=by).exists():
        return ticket
    return ticket_assign(ticket=ticket, by=by, group=group, assignee=by)


@transaction.atomic
def ticket_override_priority(
    *,
    ticket: TicketT,
    by: User,
    priority: int,
    reason: str,
    expected_version: int | None = None,
) -> TicketT:
    """Set a priority other than the derived one, with the reason on record."""
    if not by.has_perm("core.override_priority"):
        raise NotPermitted(_("You may not override priorities."))
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": [_("Say why the priority is overridden.")]})
    if priority not in range(1, 6):
        raise ValidationFailed(
            fields={"priority": [_("Priority is 1 (critical) to 5 (planning).")]}
        )
    ticket = lock_ticket(ticket)
    check_version(ticket, expected_version)
    changes = {"priority": {"from": ticket.priority, "to": priority}}
    ticket.priority = priority
    ticket.priority_override_reason = reason.strip()
    ticket.priority_overridden_by = by
    ticket.priority_overridden_at = timezone.now()
    _save_changed(
        ticket,
        [
            "priority",
            "priority_override_reason",
            "priority_overridden_by",
            "priority_overridden_at",
            *sla.sla_priority_changed(ticket, at=ticket.priority_overridden_at),
        ],
    )
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.PRIORITY_OVERRIDDEN,
        changes=changes,
        note=ticket.priority_override_reason,
    )
    return ticket


@transaction.atomic
def ticket_clear_priority_override(
    *, ticket: TicketT, by: User, expected_version: int | None = None
) -> TicketT:
    """Go back to the priority the matrix derives from impact and urgency."""
    if not by.has_perm("core.override_priority"):
        raise NotPermitted(_("You may not override priorities."))
    ticket = lock_ticket(ticket)
    check_version(ticket, expected_version)
    if not ticket.is_priority_overridden:
        return ticket
    derived = priority_for(ticket.impact, ticket.urgency)
    changes = {"priority": {"from": ticket.priority, "to": int(derived)}}
    ticket.priority = derived
    ticket.priority_override_reason = ""
    ticket.priority_overridden_by = None
    ticket.priority_overridden_at = None
    _save_changed(
        ticket,
        [
            "priority",
            "priority_override_reason",
            "priority_overridden_by",
            "priority_overridden_at",
            *sla.sla_priority_changed(ticket, at=timezone.now()),
        ],
    )
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.PRIORITY_OVERRIDDEN,
        changes=changes,
        note=_("Override removed; priority derived from impact and urgency again."),
    )
    return ticket


@transaction.atomic
def ticket_transition(
    *,
    ticket: TicketT,
    by: User | None,
    name: str,
    expected_version: int | None = None,
    note: str = "",
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    **arguments: Any,
) -> TicketT:
    """Run the FSM transition ``name`` on the locked ticket, save it and record it.

    ``by=None`` is the system itself (auto-close, approval routing): permission
    checks are for people. Practice services validate the transition's fields first.
    """
    ticket = lock_ticket(ticket)
    check_version(ticket, expected_version)
    method = getattr(ticket, name, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise TransitionNotAllowed(_("There is no transition called “%(name)s”.") % {"name": name})
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("“%(name)s” is not allowed while the ticket is %(status)s.")
            % {"name": name, "status": ticket.status}
        )
    if by is not None and not has_transition_perm(method, by):
        raise NotPermitted(_("You may not run “%(name)s” on this ticket.") % {"name": name})
    from_status = ticket.status
    try:
        method(**arguments)
    except FSMTransitionNotAllowed as exc:
        raise TransitionNotAllowed(str(exc)) from exc
    sla.sla_status_changed(
        ticket, from_status=from_status, to_status=ticket.status, at=timezone.now(), by=by
    )
    ticket.version += 1
    ticket.save()
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.TRANSITION,
        transition=name,
        from_status=from_status,
        to_status=ticket.status,
        changes=changes,
        note=note,
    )
    return ticket


def available_transitions(ticket: Ticket, user: User) -> list[str]:
    """Names of the transitions ``user`` may run on ``ticket`` now (buttons and API alike)."""
    if not permissions.can_work_ticket(user, ticket) and ticket.requester_id != user.pk:
        return []
    return [t.name for t in ticket.get_available_user_status_transitions(user)]


# --- comments, attachments, links, watchers -----------------------------------


@transaction.atomic
def comment_add(*, ticket: Ticket, by: User, body: str, internal: bool = False) -> Comment:
    """Add a public reply or an internal note; an agent's first public reply is the response."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": [_("Write something first.")]})
    agent = permissions.is_agent(by)
    if internal and not agent:
        raise NotPermitted(_("Only agents can write internal notes."))
    comment = Comment.objects.create(ticket=ticket, author=by, body=body, internal=internal)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    if agent and not internal and by.pk != ticket.requester_id and ticket.responded_at is None:
        sla.sla_responded(ticket, at=now)
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.COMMENTED,
        changes={"comment": {"from": None, "to": comment.pk}},
        internal=internal,
    )
    return comment


@transaction.atomic
def comment_with_files_add(
    *, ticket: Ticket, by: User, body: str, internal: bool, uploads: Iterable[UploadedFile]
) -> Comment:
    """A reply or note with its files, all or nothing: one refused file stores none of them.

    A refused file's error names it, under ``files``.
    """
    comment = comment_add(ticket=ticket, by=by, body=body, internal=internal)
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            try:
                stored.append(attachment_add(ticket=ticket, by=by, upload=upload, comment=comment))
            except ValidationFailed as exc:
                problems = [m for messages_ in exc.fields.values() for m in messages_]
                raise ValidationFailed(
                    fields={"files": [f"{upload.name}: {m}" for m in problems or [exc.message]]}
                ) from exc
    except ApplicationError:
        # The rows roll back with the transaction; the files already stored go too.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return comment


def clean_filename(name: str) -> str:
    """A file name safe to store and to send back in a header."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or "attachment"


def detect_content_type(filename: str, head: bytes) -> str:
    """The attachment's type from its bytes and its name; refuses a name that lies."""
    by_name = mimetypes.guess_type(filename, strict=False)[0]
    sniffed = filetype.guess(head)
    by_content = sniffed.mime if sniffed else None
    if by_content and by_content not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise ValidationFailed(
            fields={"file": [_("Files of type %(type)s are not accepted.") % {"type": by_content}]}
        )
    if by_content and by_name and by_content != by_name:
        raise ValidationFailed(
            fields={
                "file": [
                    _("The file's content (%(content)s) does not match its name.")
                    % {"content": by_content}
                ]
            }
        )
    content_type = by_content or by_name
    if content_type is None:
        raise ValidationFailed(fields={"file": [_("This kind of file is not accepted.")]})
    return content_type


@transaction.atomic
def attachment_add(
    *,
    ticket: Ticket,
    by: User,
    upload: UploadedFile,
    internal: bool = False,
    comment: Comment | None = None,
) -> Attachment:
    """Store a file on a ticket after checking its size and type."""
    if internal and not permissions.is_agent(by):
        raise NotPermitted(_("Only agents can add internal attachments."))
    if comment is not None:
        if comment.ticket_id != ticket.pk:
            raise ValidationFailed(fields={"comment": [_("That comment is on another ticket.")]})
        internal = internal or comment.internal
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    if upload.size > limit:
        raise ValidationFailed(
            fields={
                "file": [_("The file is larger than %(limit)s MB.") % {"limit": limit // 2**20}]
            }
        )
    filename = clean_filename(upload.name or "")
    upload.seek(0)
    head = upload.read(8192)
    content_type = detect_content_type(filename, head)
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise ValidationFailed(
            fields={
                "file": [_("Files of type %(type)s are not accepted.") % {"type": content_type}]
            }
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=filename,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        internal=internal,
        uploaded_by=by,
    )
    attachment.file.save(filename, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no row, no file
        raise
    audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.ATTACHMENT_ADDED,
        changes={"attachment": {"from": None, "to": attachment.pk}},
        note=filename,
        internal=internal,
    )
    return attachment


@transaction.atomic
def link_add(*, source: Ticket, target: Ticket, kind: str, by: User) -> TicketLink:
    """Link two tickets; the link shows in both tickets' history."""
    if source.pk == target.pk:
        raise ValidationFailed(fields={"target": [_("A ticket cannot be linked to itself.")]})
    if kind not in LinkKind.values:
        raise ValidationFailed(fields={"kind": [_("Unknown link kind.")]})
    link, created = TicketLink.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"created_by": by}
    )
    if created:
        for ticket in (source, target):
            audit_record(
                ticket=ticket,
                actor=by,
                action=AuditAction.LINKED,
                changes={
                    "link": {
                        "from": None,
                        "to": {"source": source.pk, "kind": kind, "target": target.pk},
                    }
                },
            )
    return link


@transaction.atomic
def link_remove(*, link: TicketLink, by: User) -> None:
    """Remove a link between two tickets, on both tickets' record."""
    described = {"source": link.source_id, "kind": link.kind, "target": link.target_id}
    for ticket_id in (link.source_id, link.target_id):
        AuditEvent.objects.create(
            ticket_id=ticket_id,
            actor=by,
            action=AuditAction.UNLINKED,
            changes={"link": {"from": described, "to": None}},
        )
    link.delete()


@transaction.atomic
def watcher_add(*, ticket: Ticket, user: User, by: User) -> Watcher:
    """Let ``user`` follow the ticket; only agents and the requester add watchers."""
    if not (permissions.is_agent(by) or by.pk == ticket.requester_id):
        raise NotPermitted(_("You may not add watchers to this ticket."))
    watcher, created = Watcher.objects.get_or_create(
        ticket=ticket, user=user, defaults={"added_by": by}
    )
    if created:
        audit_record(
            ticket=ticket,
            actor=by,
            action=AuditAction.WATCHER_ADDED,
            changes={"watcher": {"from": None, "to": user.pk}},
        )
    return watcher


@transaction.atomic
def watcher_remove(*, ticket: Ticket, user: User, by: User) -> None:
    """Stop ``user`` following the ticket (themselves, or anyone for agents and the requester)."""
    if not (permissions.is_agent(by) or by.pk in (ticket.requester_id, user.pk)):
        raise NotPermitted(_("You may not remove watchers from this ticket."))
    deleted, _rows = Watcher.objects.filter(ticket=ticket, user=user).delete()
    if deleted:
        audit_record(
            ticket=ticket,
            actor=by,
            action=AuditAction.WATCHER_REMOVED,
            changes={"watcher": {"from": user.pk, "to": None}},
        )


# --- people and teams --------------------------------------------------------------


def _grant_implied_roles(user: User) -> None:
    """Membership implies a minimum role: support team → agent, lead → team lead, CAB → member."""
    memberships = list(Membership.objects.filter(user=user).select_related("team"))
    implied = set()
    for membership in memberships:
        implied.add(Role.AGENT if membership.team.kind == TeamKind.SUPPORT else Role.CAB_MEMBER)
        if membership.is_lead:
            implied.add(Role.TEAM_LEAD)
    if implied:
        user.groups.add(*Group.objects.filter(name__in=[ROLE_GROUP_NAMES[r] for r in implied]))


def user_set_roles(*, user: User, roles: Iterable[str]) -> None:
    """Give the user exactly these roles (other, non-role groups stay); admins get staff access."""
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationFailed(
            fields={"roles": [_("Unknown role: %(role)s.") % {"role": r} for r in sorted(unknown)]}
        )
    role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    user.groups.remove(*role_groups)
    user.groups.add(*Group.objects.filter(name__in=[ROLE_GROUP_NAMES[r] for r in roles]))
    is_staff = Role.ADMIN in roles or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    _grant_implied_roles(user)
    _forget_cached_permissions(user)


def user_set_teams(*, user: User, teams: Mapping[Team, bool]) -> None:
    """Make the user a member of exactly these teams (team → is lead)."""
    Membership.objects.filter(user=user).exclude(team__in=list(teams)).delete()
    for team, is_lead in teams.items():
        Membership.objects.update_or_create(team=team, user=user, defaults={"is_lead": is_lead})
    _grant_implied_roles(user)
    _forget_cached_permissions(user)


def team_set_members(*, team: Team, members: Mapping[User, bool]) -> None:
    """Make these users exactly the team's members (user → is lead)."""
    Membership.objects.filter(team=team).exclude(user__in=list(members)).delete()
    for user, is_lead in members.items():
        Membership.objects.update_or_create(team=team, user=user, defaults={"is_lead": is_lead})
        _grant_implied_roles(user)


def _forget_cached_permissions(user: User) -> None:
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_team_ids_cache"):
        user.__dict__.pop(cache, None)


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    roles: Iterable[str] = (Role.END_USER,),
    teams: Mapping[Team, bool] | None = None,
    time_zone: str = "UTC",
    manager: User | None = None,
    is_active: bool = True,
    is_away: bool = False,
    phone: str = "",
) -> User:
    """Create a person with roles and teams, as an admin or an identity system would."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        manager=manager,
        is_active=is_active,
        is_away=is_away,
        phone=phone,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # signs in through another system, or a reset
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise _model_errors(exc) from exc
    user.save()
    user_set_roles(user=user, roles=roles)
    if teams:
        user_set_teams(user=user, teams=teams)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    data: Mapping[str, Any],
    roles: Iterable[str] | None = None,
    teams: Mapping[Team, bool] | None = None,
) -> User:
    """Change a person's profile fields, and optionally their roles and teams."""
    allowed = {
        "email",
        "first_name",
        "last_name",
        "time_zone",
        "manager",
        "is_active",
        "is_away",
        "phone",
        "password",
    }
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be changed here.")] for f in unknown}
        )
    if data.get("manager") is not None and data["manager"].pk == user.pk:
        raise ValidationFailed(fields={"manager": [_("Nobody is their own manager.")]})
    fields = []
    for field, value in data.items():
        if field == "password":
            user.set_password(value)
        else:
            setattr(user, field, value)
        fields.append(field)
    if fields:
        try:
            user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as exc:
            raise _model_errors(exc) from exc
        user.save(update_fields=fields)
    if roles is not None:
        user_set_roles(user=user, roles=roles)
    if teams is not None:
        user_set_teams(user=user, teams=teams)
    return user


# --- teams, services and configuration items ----------------------------------------

TEAM_FIELDS = ("name", "kind", "description", "email", "is_active")
SERVICE_FIELDS = ("name", "description", "owner_team", "criticality", "is_active")
CONFIGURATION_ITEM_FIELDS = (
    "name",
    "ci_type",
    "description",
    "status",
    "criticality",
    "owner_team",
)


def _clean_and_save(instance: models.Model, update_fields: list[str] | None = None) -> None:
    """Validate a reference-data row like a form would, then save it."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise _model_errors(exc) from exc
    if update_fields is None:
        instance.save()
    elif update_fields:
        instance.save(update_fields=[*update_fields, "updated_at"])


def _apply_fields(
    instance: models.Model, data: Mapping[str, Any], allowed: Iterable[str]
) -> list[str]:
    """Set ``data`` on ``instance``, refusing any field outside ``allowed``."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be changed here.")] for f in sorted(unknown)}
        )
    for field, value in data.items():
        setattr(instance, field, value)
    return list(data)


@transaction.atomic
def team_create(
    *,
    name: str,
    kind: str = TeamKind.SUPPORT,
    description: str = "",
    email: str = "",
    is_active: bool = True,
    members: Mapping[User, bool] | None = None,
) -> Team:
    """Create a team, optionally with its members (user → is lead)."""
    team = Team(name=name, kind=kind, description=description, email=email, is_active=is_active)
    _clean_and_save(team)
    if members:
        team_set_members(team=team, members=members)
    return team


@transaction.atomic
def team_update(
    *, team: Team, data: Mapping[str, Any], members: Mapping[User, bool] | None = None
) -> Team:
    """Change a team's fields and, if given, make ``members`` exactly its members."""
    _clean_and_save(team, _apply_fields(team, data, TEAM_FIELDS))
    if members is not None:
        team_set_members(team=team, members=members)
    return team


@transaction.atomic
def service_create(
    *,
    name: str,
    description: str = "",
    owner_team: Team | None = None,
    criticality: int = Criticality.MEDIUM,
    is_active: bool = True,
) -> Service:
    """Add a service to the service portfolio."""
    service = Service(
        name=name,
        description=description,
        owner_team=owner_team,
        criticality=criticality,
        is_active=is_active,
    )
    _clean_and_save(service)
    return service


@transaction.atomic
def service_update(*, service: Service, data: Mapping[str, Any]) -> Service:
    """Change a service's fields."""
    _clean_and_save(service, _apply_fields(service, data, SERVICE_FIELDS))
    return service


@transaction.atomic
def configuration_item_create(
    *,
    name: str,
    ci_type: str,
    description: str = "",
    status: str = CIStatus.ACTIVE,
    criticality: int = Criticality.MEDIUM,
    owner_team: Team | None = None,
    services: Iterable[Service] = (),
) -> ConfigurationItem:
    """Add a configuration item, optionally linked to the services it supports."""
    item = ConfigurationItem(
        name=name,
        ci_type=ci_type,
        description=description,
        status=status,
        criticality=criticality,
        owner_team=owner_team,
    )
    _clean_and_save(item)
    linked = list(services)
    if linked:
        item.services.set(linked)
    return item


@transaction.atomic
def configuration_item_update(
    *,
    configuration_item: ConfigurationItem,
    data: Mapping[str, Any],
    services: Iterable[Service] | None = None,
) -> ConfigurationItem:
    """Change a CI's fields and, if given, the services it supports."""
    _clean_and_save(
        configuration_item, _apply_fields(configuration_item, data, CONFIGURATION_ITEM_FIELDS)
    )
    if services is not None:
        configuration_item.services.set(list(services))
    return configuration_item


# --- saved filters and canned replies -----------------------------------------------

# Query parameters a saved filter never keeps: where the list was, not what it shows.
SAVED_FILTER_DROPPED_PARAMS = ("page", "csrfmiddlewaretoken")


def saved_filter_query(query: str) -> str:
    """A list's query string as a saved filter keeps it: no page number, no leading "?"."""
    from django.http import QueryDict

    params = QueryDict(query.lstrip("?"), mutable=True)
    for name in SAVED_FILTER_DROPPED_PARAMS:
        params.pop(name, None)
    for name in [key for key, values in params.lists() if not any(values)]:
        params.pop(name)  # empty fields of the filter form say nothing
    return params.urlencode()


@transaction.atomic
def saved_filter_save(*, user: User, list_name: str, name: str, query: str) -> SavedFilter:
    """Save the current query of a list under a name; the same name again replaces it."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the filter a name.")]})
    max_name = SavedFilter._meta.get_field("name").max_length
    if len(name) > max_name:
        raise ValidationFailed(
            fields={"name": [_("At most %(max)s characters.") % {"max": max_name}]}
        )
    query = saved_filter_query(query or "")
    if len(query) > SavedFilter._meta.get_field("query").max_length:
        raise ValidationFailed(fields={"query": [_("This filter is too long to save.")]})
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, list_name=list_name, name=name, defaults={"query": query}
    )
    return saved


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, by: User) -> None:
    """Delete a saved filter; only its owner may."""
    if saved_filter.user_id != by.pk:
        raise NotPermitted(_("This saved filter is not yours."))
    saved_filter.delete()


# {name} placeholders of a canned reply; anything else in braces stays as written.
CANNED_REPLY_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def canned_reply_values(ticket: Ticket, agent: User) -> dict[str, str]:
    """What each placeholder of a canned reply stands for on ``ticket``, written by ``agent``."""
    practice_ticket = ticket.as_practice()
    # Only incidents point at a problem; the problem's workaround arrives with that practice.
    problem = getattr(practice_ticket, "related_problem", None)
    workaround = getattr(problem, "workaround", "") if problem is not None else ""
    return {
        "requester_name": ticket.requester.display_name,
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "agent_name": agent.display_name,
        "workaround": str(workaround or ""),
    }


def canned_reply_render(reply: CannedReply, ticket: Ticket, agent: User) -> str:
    """The reply's body with its known placeholders filled in for this ticket and agent.

    A plain substitution of known names, never ``str.format``: a body may hold any braces
    (``{__class__}``, ``{0}``, JSON) and they come out exactly as written.
    """
    values = canned_reply_values(ticket, agent)
    return CANNED_REPLY_PLACEHOLDER.sub(
        lambda match: values.get(match.group(1), match.group(0)), reply.body
    )
