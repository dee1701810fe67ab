"""Celery tasks of the notifications app: each takes ids, calls a service and is idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def process_outbox_event(event_id: int) -> dict[str, int]:
    """Fan one outbox event out into email, in-app and webhook deliveries."""
    return services.event_process(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def send_email_delivery(delivery_id: int) -> str:
    """Send one notification email (claimed first, so never twice)."""
    return services.delivery_send_email(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def send_webhook_delivery(delivery_id: int) -> str:
    """Make one attempt at one webhook delivery."""
    return services.webhook_delivery_send(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def redispatch_pending(older_than_seconds: int | None = None) -> dict[str, int]:
    """Queue events and deliveries that are due but not on their way (beat, every minute)."""
    grace = (
        services.SWEEP_GRACE
        if older_than_seconds is None
        else timedelta(seconds=older_than_seconds)
    )
    return services.redispatch_pending(grace=grace)


@shared_task(acks_late=True, ignore_result=True)
def fetch_inbound_mail(limit: int | None = None) -> dict[str, int]:
    """Read the mailbox of INBOUND_MAIL_URL into tickets and replies (beat); off when unset."""
    from .inbound import fetch_mailbox

    return fetch_mailbox(limit=limit)
