"""Housekeeping tasks of the core (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True, ignore_result=True)
def clear_expired_sessions() -> int:
    """Delete expired sign-in sessions; safe to run twice. Returns how many went."""
    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
