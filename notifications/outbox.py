"""Writing domain events into the outbox, inside the transaction of the change.

Two ways in:

- ``record_audit_event`` — called by ``servicedesk.core.services.audit_record`` for
  every ticket change, so every audit event has exactly one outbox event.
- ``emit_event`` — for events that are not ticket changes (SLA warnings and
  breaches, approvals needed, changes scheduled…), called by the module that knows.

Either way the row commits or rolls back with the change, and its processing is
queued with ``transaction.on_commit``: nothing goes out for a rolled-back change.
If the broker cannot take the task at commit time the row stays pending and the
beat task ``notifications.tasks.redispatch_pending`` queues it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils.functional import Promise

from .events import event_type_for_audit, is_valid_event_type
from .models import OutboxEvent

if TYPE_CHECKING:
    from servicedesk.core.models import AuditEvent, Ticket, User

logger = logging.getLogger(__name__)

# Publishing must not hold a request for long when the broker is down: the sweep retries.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Promise):  # a lazy translation, e.g. a choice's label as a note
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return value


SNAPSHOT_FIELDS = (
    "id",
    "number",
    "practice",
    "title",
    "status",
    "priority",
    "impact",
    "urgency",
    "requester",
    "assignment_group",
    "assignee",
    "sla_state",
    "response_due_at",
    "resolution_due_at",
    "version",
)


def ticket_snapshot(ticket_id: int) -> dict[str, Any]:
    """The ticket as this transaction sees it now (one query): callers may hold a stale copy."""
    from servicedesk.core.models import Ticket

    row = Ticket.objects.filter(pk=ticket_id).values(*SNAPSHOT_FIELDS).first() or {}
    return {key: _json_safe(value) for key, value in row.items()}


def record_audit_event(audit: AuditEvent) -> AuditEvent:
    """Write the outbox event of an audit event (same transaction); returns the audit event."""
    payload: dict[str, Any] = {
        "audit": _json_safe(
            {
                "id": audit.pk,
                "action": audit.action,
                "transition": audit.transition,
                "from_status": audit.from_status,
                "to_status": audit.to_status,
                "changes": audit.changes,
                "note": audit.note,
            }
        )
    }
    payload["ticket"] = ticket_snapshot(audit.ticket_id)
    event = OutboxEvent.objects.create(
        event_type=event_type_for_audit(audit.action),
        ticket_id=audit.ticket_id,
        audit_event=audit,
        actor_id=audit.actor_id,
        internal=audit.internal,
        payload=payload,
    )
    queue_on_commit(event.pk)
    return audit


def emit_event(
    event_type: str,
    *,
    ticket: Ticket | None = None,
    actor: User | None = None,
    data: Mapping[str, Any] | None = None,
    recipients: Iterable[User | int] = (),
    internal: bool = False,
    dedupe_key: str = "",
) -> OutboxEvent:
    """Record a domain event that is not an audit event; call it inside your transaction.

    Use it for what other modules know and the ticket's history does not say by itself,
    e.g. ``"sla.warning"``, ``"sla.breached"``, ``"approval.needed"``,
    ``"change.scheduled"``::

        from notifications.outbox import emit_event

        with transaction.atomic():
            ...  # the change itself, its audit record
            emit_event(
                "sla.warning",
                ticket=ticket,
                data={"target": "resolution", "threshold": 75, "due_at": due.isoformat()},
                dedupe_key=f"sla.warning:{ticket.pk}:resolution:75",
            )

    - ``event_type``: dotted lower-case name; the known ones (their audiences, default
      preferences and email templates) are in ``notifications.events.EVENT_TYPES``.
      An unknown but well-formed type still reaches ``recipients`` (generic email) and
      the webhooks subscribed to it or to ``"*"``.
    - ``ticket``: the ticket it is about, if any; its current state goes into the payload
      and decides the default audiences (assignee, team, requester, watchers).
    - ``actor``: who caused it (``None``: the system); the actor is not told of their own act.
    - ``data``: JSON-safe details for templates and webhook payloads (models become ids,
      dates ISO strings). Keep internal-only text out of it unless ``internal=True``.
    - ``recipients``: users (or ids) who must hear of it, e.g. the approvers.
    - ``internal``: only agents hear of it (never the requester or end-user watchers), and
      only webhooks flagged ``include_internal`` receive it.
    - ``dedupe_key``: for emitters that may run twice (sweeps, retried tasks): a second
      event with the same key is not recorded and the first is returned.

    Delivery is queued on commit and is idempotent; this function sends nothing itself.
    """
    if not is_valid_event_type(event_type):
        raise ValueError(f"Not a valid event type: {event_type!r}")
    payload: dict[str, Any] = {"data": _json_safe(dict(data or {}))}
    if ticket is not None:
        payload["ticket"] = ticket_snapshot(ticket.pk)
    fields = {
        "event_type": event_type,
        "ticket_id": ticket.pk if ticket is not None else None,
        "actor_id": actor.pk if actor is not None else None,
        "internal": internal,
        "payload": payload,
        "recipient_ids": sorted({r if isinstance(r, int) else r.pk for r in recipients}),
        "dedupe_key": dedupe_key[:200],
    }
    if dedupe_key:
        existing = OutboxEvent.objects.filter(dedupe_key=fields["dedupe_key"]).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                event = OutboxEvent.objects.create(**fields)
        except IntegrityError:
            return OutboxEvent.objects.get(dedupe_key=fields["dedupe_key"])
    else:
        event = OutboxEvent.objects.create(**fields)
    queue_on_commit(event.pk)
    return event


def queue_on_commit(event_id: int) -> None:
    """Queue the event's processing once the surrounding transaction commits."""
    transaction.on_commit(lambda: dispatch(event_id))


def dispatch(event_id: int) -> bool:
    """Hand the event to Celery; if the broker is unavailable, leave it to the sweep."""
    from .tasks import process_outbox_event

    try:
        process_outbox_event.apply_async((event_id,), retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        if process_outbox_event.app.conf.task_always_eager:
            raise  # an error of the task itself, run in-process: let it show
        logger.warning(
            "Outbox event %s could not be queued; the re-dispatch sweep will pick it up.",
            event_id,
            exc_info=True,
        )
        return False
    return True
