"""Celery tasks of the incident practice; each takes ids and calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def close_expired_resolutions() -> list[str]:
    """Close incidents whose reopen window ended (scheduled by beat)."""
    return services.close_expired_resolutions()
