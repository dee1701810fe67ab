"""Celery tasks of the service request practice; each takes ids and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from servicedesk.core.models import User

from .choices import ApprovalStatus, ApproverKind
from .models import Approval


def approver_emails(approval: Approval) -> list[str]:
    """Who decides the step, with an email address; never the requester themselves."""
    if approval.kind == ApproverKind.MANAGER:
        users = User.objects.filter(pk=approval.approver_id)
    else:
        users = User.objects.filter(memberships__team_id=approval.team_id)
    users = users.filter(is_active=True).exclude(email="").exclude(pk=approval.request.requester_id)
    return sorted(set(users.values_list("email", flat=True)))


@shared_task(acks_late=True, ignore_result=True)
def notify_approvers(approval_id: int) -> int:
    """Tell the approvers of a step that a request awaits their decision; returns mails sent."""
    approval = (
        Approval.objects.select_related("request__requester", "request__catalog_item")
        .filter(pk=approval_id, status=ApprovalStatus.PENDING)
        .first()
    )
    if approval is None:
        return 0  # decided, or the request withdrawn, before the message went out
    recipients = approver_emails(approval)
    if not recipients:
        return 0
    service_request = approval.request
    subject = _("[%(number)s] Approval needed: %(title)s") % {
        "number": service_request.number,
        "title": service_request.title,
    }
    body = _(
        "%(requester)s ordered “%(item)s” and it needs your approval.\n\n"
        "Approve or reject it here: %(url)s\n"
    ) % {
        "requester": service_request.requester.display_name,
        "item": service_request.catalog_item or service_request.title,
        "url": getattr(settings, "SERVICEDESK_BASE_URL", "").rstrip("/")
        + reverse("portal:request-detail", args=[service_request.pk]),
    }
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
