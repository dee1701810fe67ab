"""Tasks of the core: housekeeping and the SLA sweep (scheduled in CELERY_BEAT_SCHEDULE)."""

from smtplib import SMTPException

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from . import sla


@shared_task(acks_late=True, ignore_result=True)
def clear_expired_sessions() -> int:
    """Delete expired sign-in sessions; safe to run twice. Returns how many went."""
    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(acks_late=True, ignore_result=True)
def sla_sweep() -> int:
    """Fire the SLA warnings, breaches and escalations that fell due; safe to run twice at once."""
    return sla.sla_sweep()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    max_retries=8,
)
def send_sla_escalation_email(event_id: int) -> int:
    """Email the people an escalation notifies (from its audit event, so a retry sends the same)."""
    return sla.send_escalation_email(event_id)


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_records() -> int:
    """Forget expired Idempotency-Key answers (scheduled by beat); safe to run twice."""
    from .idempotency import purge_expired

    return purge_expired()
