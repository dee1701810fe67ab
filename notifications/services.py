"""Writes of the notifications app: fan-out of outbox events, sending, preferences, webhooks.

Every step is idempotent, so a task that runs twice (a retry, a duplicate message,
the re-dispatch sweep racing the on-commit dispatch) changes nothing the second time:

1. ``event_process`` locks the outbox event, and only while it is pending creates one
   ``Delivery`` per event × channel × recipient (a unique row), the in-app
   notifications and one ``WebhookDelivery`` per event × subscription; then marks it
   processed. The sends are queued on commit.
2. ``delivery_send_email`` and ``webhook_delivery_send`` first *claim* their row with a
   conditional update (pending and due → sending); a second task finds nothing to
   claim and sends nothing. Success is recorded with a conditional update as well.
3. Failures go back to pending with an exponential backoff; ``redispatch_pending``
   (beat, every minute) queues whatever is due: events the broker never got at commit
   time, retries whose message was lost, and claims left by a worker that died.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from servicedesk.core.errors import ValidationFailed
from servicedesk.core.models import Membership, User, Watcher

from . import webhooks
from .choices import (
    Audience,
    Channel,
    DeliveryStatus,
    OutboxStatus,
    WebhookDeliveryStatus,
)
from .events import ALL_EVENTS, event_type, is_valid_event_type, preference_types
from .models import (
    Delivery,
    InAppNotification,
    NotificationPreference,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from .rendering import describe, names_for, ticket_path

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send; it is retried (so a
# message is never lost; in that rare case it may go out twice).
CLAIM_TIMEOUT = timedelta(minutes=15)
# Events and retries younger than this are left to the on-commit dispatch.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500


def backoff(attempts: int, base: int, cap: int = 3600) -> int:
    """Seconds to wait after the ``attempts``-th failure: base, 2×base, 4×base… up to ``cap``."""
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


# --- who hears of an event -------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user: User
    audience: str
    agent: bool


def agent_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these users are active agents, in one query."""
    works = {
        "permissions__codename": "work_ticket",
        "permissions__content_type__app_label": "core",
    }
    perm = (
        Q(is_superuser=True)
        | Q(**{f"groups__{k}": v for k, v in works.items()})
        | Q(**{f"user_{k}": v for k, v in works.items()})
    )
    return set(
        User.objects.filter(perm, pk__in=list(user_ids), is_active=True)
        .values_list("pk", flat=True)
        .distinct()
    )


def recipients_for(event: OutboxEvent) -> list[Recipient]:
    """Everyone who should hear of the event, once each, in the event type's audience order.

    The actor is left out (unless the type tells them, e.g. a creation confirmation).
    Internal events reach agents only, and never the requester or a watcher: an end
    user does not learn that an internal note exists.
    """
    kind = event_type(event.event_type)
    ticket = (event.payload or {}).get("ticket") or {}
    chosen: dict[int, str] = {}

    def add(ids: Iterable[int | None], audience: str) -> None:
        for user_id in ids:
            if user_id and user_id not in chosen:
                chosen[user_id] = audience

    for audience in kind.audiences:
        if audience == Audience.RECIPIENT:
            add(event.recipient_ids or [], audience)
        elif audience == Audience.ASSIGNEE:
            add([ticket.get("assignee")], audience)
        elif audience == Audience.REQUESTER:
            add([ticket.get("requester")], audience)
        elif audience == Audience.TEAM and ticket.get("assignment_group"):
            if not ticket.get("assignee"):
                add(
                    Membership.objects.filter(
                        team_id=ticket["assignment_group"], team__is_active=True
                    )
                    .order_by("user_id")
                    .values_list("user_id", flat=True),
                    audience,
                )
        elif audience == Audience.WATCHER and ticket.get("id"):
            add(
                Watcher.objects.filter(ticket_id=ticket["id"])
                .order_by("created_at", "pk")
                .values_list("user_id", flat=True),
                audience,
            )
    if not chosen:
        return []
    users = {user.pk: user for user in User.objects.filter(pk__in=chosen, is_active=True)}
    agents = agent_ids(users)
    requester_id = ticket.get("requester")
    recipients = []
    for user_id, audience in chosen.items():
        user = users.get(user_id)
        if user is None:
            continue
        if user_id == event.actor_id and audience not in kind.tell_actor:
            continue
        if event.internal and (
            user_id not in agents
            or user_id == requester_id
            or audience in (Audience.REQUESTER, Audience.WATCHER)
        ):
            continue
        recipients.append(Recipient(user=user, audience=audience, agent=user_id in agents))
    return recipients


def preferences_of(user_ids: Iterable[int], name: str) -> dict[int, tuple[bool, bool]]:
    """(email, in-app) per user for one event type: their choice, else the type's default."""
    ids = list(user_ids)
    kind = event_type(name)
    chosen = {
        p.user_id: (p.email, p.in_app)
        for p in NotificationPreference.objects.filter(user_id__in=ids, event_type=name)
    }
    return {user_id: chosen.get(user_id, (kind.email, kind.in_app)) for user_id in ids}


# --- fan-out ----------------------------------------------------------------------------


def event_process(*, event_id: int) -> dict[str, int]:
    """Turn a pending outbox event into deliveries; a processed event is left alone."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != OutboxStatus.PENDING:
            return {}
        now = timezone.now()
        recipients = recipients_for(event)
        preferences = preferences_of([r.user.pk for r in recipients], event.event_type)
        title = ""
        if any(r.agent for r in recipients):
            users, teams = names_for(event)
            title = describe(event, users=users, teams=teams)[:300]
        deliveries, in_app = [], []
        for recipient in recipients:
            wants_email, wants_in_app = preferences[recipient.user.pk]
            if wants_email and recipient.user.email:
                deliveries.append(
                    Delivery(
                        event=event,
                        channel=Channel.EMAIL,
                        recipient=recipient.user,
                        audience=recipient.audience,
                        address=recipient.user.email,
                    )
                )
            if wants_in_app and recipient.agent:
                deliveries.append(
                    Delivery(
                        event=event,
                        channel=Channel.IN_APP,
                        recipient=recipient.user,
                        audience=recipient.audience,
                        status=DeliveryStatus.SENT,
                        attempts=1,
                        sent_at=now,
                    )
                )
                in_app.append(
                    InAppNotification(
                        user=recipient.user,
                        event=event,
                        ticket_id=event.ticket_id,
                        title=title,
                        url=ticket_path((event.payload or {}).get("ticket"), agent=True),
                    )
                )
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        InAppNotification.objects.bulk_create(in_app, ignore_conflicts=True)
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(subscription=subscription, event=event)
                for subscription in WebhookSubscription.objects.filter(is_active=True)
                if subscription.wants(event.event_type)
                and (subscription.include_internal or not event.internal)
            ],
            ignore_conflicts=True,
        )
        OutboxEvent.objects.filter(pk=event.pk).update(
            status=OutboxStatus.PROCESSED,
            processed_at=now,
            attempts=F("attempts") + 1,
            last_error="",
        )
        emails = list(
            Delivery.objects.filter(
                event=event, channel=Channel.EMAIL, status=DeliveryStatus.PENDING
            ).values_list("pk", flat=True)
        )
        hooks = list(
            WebhookDelivery.objects.filter(
                event=event, status=WebhookDeliveryStatus.PENDING
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: queue_sends(emails=emails, hooks=hooks))
    return {"emails": len(emails), "in_app": len(in_app), "webhooks": len(hooks)}


def queue_sends(
    *, emails: Iterable[int] = (), hooks: Iterable[int] = (), countdown: int = 0
) -> None:
    """Queue the send tasks; what the broker refuses stays pending for the sweep."""
    from . import tasks

    for task, ids in ((tasks.send_email_delivery, emails), (tasks.send_webhook_delivery, hooks)):
        for pk in ids:
            try:
                task.apply_async((pk,), countdown=countdown or None)
            except Exception:
                if task.app.conf.task_always_eager:
                    raise
                logger.warning("Could not queue %s(%s); the sweep will.", task.name, pk)


# --- email -------------------------------------------------------------------------------


def _claim(model: type[Delivery] | type[WebhookDelivery], pk: int, now: Any) -> bool:
    """Pending and due → sending, in one conditional update; False if someone else has it."""
    return bool(
        model.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            pk=pk,
            status="pending",
        ).update(status="sending", claimed_at=now, attempts=F("attempts") + 1)
    )


def delivery_send_email(*, delivery_id: int) -> str:
    """Send one email delivery at most once; returns its status afterwards."""
    from servicedesk.core import permissions

    from .emails import build_email

    now = timezone.now()
    if not _claim(Delivery, delivery_id, now):
        return "not-claimed"
    delivery = Delivery.objects.select_related("event", "recipient").get(pk=delivery_id)
    event, recipient = delivery.event, delivery.recipient
    requester = ((event.payload or {}).get("ticket") or {}).get("requester")
    if event.internal and (
        not permissions.is_agent(recipient)
        or recipient.pk == requester
        or delivery.audience in (Audience.REQUESTER, Audience.WATCHER)
    ):
        # Never reached through the fan-out; a last guard for internal content.
        return _finish(Delivery, delivery_id, DeliveryStatus.SKIPPED, error="internal")
    if not (recipient.is_active and (delivery.address or recipient.email)):
        return _finish(Delivery, delivery_id, DeliveryStatus.SKIPPED, error="no address")
    try:
        message = build_email(delivery)
        message.send()
    except Exception as exc:
        logger.warning("Email delivery %s failed: %s", delivery_id, exc, exc_info=True)
        return _failed(
            Delivery,
            delivery,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
            base=settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS,
            requeue=lambda delay: queue_sends(emails=[delivery_id], countdown=delay),
        )
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        message_id=message.extra_headers.get("Message-ID", ""),
        last_error="",
    )
    return DeliveryStatus.SENT


def _finish(model: type, pk: int, status: str, *, error: str = "") -> str:
    model.objects.filter(pk=pk, status="sending").update(status=status, last_error=error)
    return status


def _failed(
    model: type,
    row: Any,
    *,
    error: str,
    max_attempts: int,
    base: int,
    requeue: Any,
    **extra: Any,
) -> str:
    """Back to pending with a backoff, or failed for good after the last attempt."""
    error_field = "error" if model is WebhookDelivery else "last_error"
    if row.attempts >= max_attempts:
        model.objects.filter(pk=row.pk, status="sending").update(
            status="failed", **{error_field: error}, **extra
        )
        return "failed"
    delay = backoff(row.attempts, base)
    model.objects.filter(pk=row.pk, status="sending").update(
        status="pending",
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        **{error_field: error},
        **extra,
    )
    requeue(delay)
    return "pending"


# --- webhooks ----------------------------------------------------------------------------


def webhook_delivery_send(*, delivery_id: int) -> str:
    """POST one webhook delivery (one attempt); retry later, or disable a failing endpoint."""
    now = timezone.now()
    if not _claim(WebhookDelivery, delivery_id, now):
        return "not-claimed"
    delivery = WebhookDelivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    subscription, event = delivery.subscription, delivery.event
    if not subscription.is_active:
        return _finish_webhook(delivery, WebhookDeliveryStatus.FAILED, "subscription disabled")
    if event.internal and not subscription.include_internal:
        return _finish_webhook(delivery, WebhookDeliveryStatus.FAILED, "internal event")
    body = webhooks.encode(webhooks.event_payload(event, subscription))
    outcome = webhooks.post(subscription, event, body, timestamp=int(now.timestamp()))
    log = [
        *(delivery.attempt_log or []),
        {
            "at": now.isoformat(),
            "status_code": outcome.status_code,
            "error": outcome.error,
            "duration_ms": outcome.duration_ms,
        },
    ]
    recorded = {
        "status_code": outcome.status_code,
        "response_body": outcome.body,
        "duration_ms": outcome.duration_ms,
        "attempt_log": log,
        "last_attempt_at": now,
    }
    if outcome.ok:
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDeliveryStatus.SENDING).update(
            status=WebhookDeliveryStatus.SUCCEEDED,
            delivered_at=timezone.now(),
            error="",
            **recorded,
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return WebhookDeliveryStatus.SUCCEEDED
    disabled = _count_failure(subscription)
    if disabled:
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDeliveryStatus.SENDING).update(
            status=WebhookDeliveryStatus.FAILED, error=outcome.error, **recorded
        )
        return WebhookDeliveryStatus.FAILED
    return _failed(
        WebhookDelivery,
        delivery,
        error=outcome.error,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        base=settings.WEBHOOK_RETRY_BACKOFF_SECONDS,
        requeue=lambda delay: queue_sends(hooks=[delivery_id], countdown=delay),
        **recorded,
    )


def _finish_webhook(delivery: WebhookDelivery, status: str, error: str) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDeliveryStatus.SENDING).update(
        status=status, error=error
    )
    return status


def _count_failure(subscription: WebhookSubscription) -> bool:
    """Count one more failure in a row; at the limit, disable the subscription. True if so."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    disabled = WebhookSubscription.objects.filter(
        pk=subscription.pk, is_active=True, consecutive_failures__gte=limit
    ).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason=_("Disabled after %(n)s failed deliveries in a row.") % {"n": limit},
    )
    if disabled:
        logger.warning("Webhook subscription %s disabled after %s failures.", subscription, limit)
        WebhookDelivery.objects.filter(
            subscription_id=subscription.pk, status=WebhookDeliveryStatus.PENDING
        ).update(status=WebhookDeliveryStatus.FAILED, error="subscription disabled")
    return bool(disabled)


def webhook_subscription_create(
    *,
    by: User | None,
    name: str,
    url: str,
    event_types: Iterable[str],
    secret: str = "",
    is_active: bool = True,
    include_internal: bool = False,
) -> WebhookSubscription:
    """Subscribe an endpoint to event types; a secret is generated when none is given."""
    subscription = WebhookSubscription(
        name=name,
        url=url,
        event_types=_clean_event_types(event_types),
        secret=secret or new_secret(),
        is_active=is_active,
        include_internal=include_internal,
        created_by=by,
    )
    subscription.save()
    return subscription


def webhook_subscription_update(
    *, subscription: WebhookSubscription, data: dict[str, Any]
) -> WebhookSubscription:
    """Change a subscription; turning it on again forgets its failures."""
    allowed = {"name", "url", "event_types", "secret", "is_active", "include_internal"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be changed here.")] for f in sorted(unknown)}
        )
    if "event_types" in data:
        data = {**data, "event_types": _clean_event_types(data["event_types"])}
    if "secret" in data and not data["secret"]:
        data = {**data, "secret": new_secret()}
    for field, value in data.items():
        setattr(subscription, field, value)
    fields = list(data)
    if data.get("is_active") and subscription.disabled_at is not None:
        subscription.consecutive_failures = 0
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        fields += ["consecutive_failures", "disabled_at", "disabled_reason"]
    subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


def new_secret() -> str:
    return get_random_string(48)


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    cleaned = sorted({str(t).strip() for t in event_types})
    bad = [t for t in cleaned if t != ALL_EVENTS and not is_valid_event_type(t)]
    if bad or not cleaned:
        raise ValidationFailed(
            fields={
                "event_types": [_("“%(type)s” is not an event type.") % {"type": t} for t in bad]
                or [_("Name at least one event type, or “*” for all.")]
            }
        )
    return cleaned


# --- preferences and in-app notifications ----------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    event_type: str
    label: str
    email: bool
    in_app: bool


def preferences_list(user: User, *, agent: bool) -> list[PreferenceRow]:
    """Every event type the user may tune, with their current choice."""
    kinds = preference_types(agent=agent)
    chosen = {
        p.event_type: p
        for p in NotificationPreference.objects.filter(
            user=user, event_type__in=[k.name for k in kinds]
        )
    }
    return [
        PreferenceRow(
            event_type=kind.name,
            label=str(kind.label),
            email=chosen[kind.name].email if kind.name in chosen else kind.email,
            in_app=chosen[kind.name].in_app if kind.name in chosen else kind.in_app,
        )
        for kind in kinds
    ]


@transaction.atomic
def preferences_set(
    *, user: User, choices: Iterable[dict[str, Any]], agent: bool
) -> list[PreferenceRow]:
    """Save the user's choices (``{"event_type", "email", "in_app"}`` each)."""
    current = {row.event_type: row for row in preferences_list(user, agent=agent)}
    for choice in choices:
        name = choice["event_type"]
        if name not in current:
            raise ValidationFailed(
                fields={"event_type": [_("“%(type)s” cannot be set here.") % {"type": name}]}
            )
        # What is not named keeps its current value (the type's default if never chosen).
        NotificationPreference.objects.update_or_create(
            user=user,
            event_type=name,
            defaults={
                "email": bool(choice.get("email", current[name].email)),
                "in_app": bool(choice.get("in_app", current[name].in_app)),
            },
        )
    return preferences_list(user, agent=agent)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (these ids, or all); returns how many changed."""
    unread = InAppNotification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- the sweep -----------------------------------------------------------------------------


def redispatch_pending(*, grace: timedelta = SWEEP_GRACE) -> dict[str, int]:
    """Queue again what should have gone out by now (runs every minute on beat)."""
    from .outbox import dispatch

    now = timezone.now()
    events = list(
        OutboxEvent.objects.filter(status=OutboxStatus.PENDING, created_at__lte=now - grace)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for event_id in events:
        dispatch(event_id)
    counts = {"events": len(events)}
    for model, key, extra in (
        (Delivery, "emails", Q(channel=Channel.EMAIL)),
        (WebhookDelivery, "webhooks", Q()),
    ):
        # A worker that died holding a claim: give the row back.
        model.objects.filter(extra, status="sending", claimed_at__lte=now - CLAIM_TIMEOUT).update(
            status="pending", next_attempt_at=now
        )
        due = list(
            model.objects.filter(extra, status="pending")
            .filter(
                Q(next_attempt_at__isnull=True, created_at__lte=now - grace)
                | Q(next_attempt_at__lte=now)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        queue_sends(**{"emails" if key == "emails" else "hooks": due})
        counts[key] = len(due)
    return counts
