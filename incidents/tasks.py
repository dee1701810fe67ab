"""Celery tasks of the incident practice; each takes ids and calls a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils.translation import gettext as _

from servicedesk.core.roles import ROLE_GROUP_NAMES, Role

from . import services
from .models import Incident


@shared_task(acks_late=True, ignore_result=True)
def close_expired_resolutions() -> list[str]:
    """Close incidents whose reopen window ended (scheduled by beat)."""
    return services.close_expired_resolutions()


def major_incident_recipients(incident: Incident) -> list[str]:
    """Team leads of the incident's team and the service-desk admins, with an email address."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    leads = Q(memberships__is_lead=True, memberships__team_id=incident.assignment_group_id)
    admins = Q(groups__name=ROLE_GROUP_NAMES[Role.ADMIN]) | Q(is_superuser=True)
    return sorted(set(users.filter(leads | admins).values_list("email", flat=True)))


@shared_task(acks_late=True, ignore_result=True)
def notify_major_incident(incident_id: int) -> int:
    """Email the leads and admins that a major incident was declared; returns mails sent."""
    incident = Incident.objects.filter(pk=incident_id, is_major=True).first()
    if incident is None:
        return 0  # stood down before the message went out
    recipients = major_incident_recipients(incident)
    if not recipients:
        return 0
    subject = _("[%(number)s] Major incident: %(title)s") % {
        "number": incident.number,
        "title": incident.title,
    }
    body = _(
        "A major incident was declared.\n\n%(number)s %(title)s\nPriority: %(priority)s\n"
        "Team: %(team)s\n\n%(description)s\n"
    ) % {
        "number": incident.number,
        "title": incident.title,
        "priority": incident.priority_label,
        "team": incident.assignment_group or _("not routed yet"),
        "description": incident.description,
    }
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
