"""Celery tasks of the change practice; each takes ids, reads fresh rows and is idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from servicedesk.core.models import User

from .cab import board_for
from .choices import CABDecision, ChangeStatus
from .models import Change


def _emails(user_ids: set[int]) -> list[str]:
    users = User.objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


@shared_task(acks_late=True, ignore_result=True)
def notify_board(change_id: int) -> int:
    """Ask the board members who have not voted yet to vote; returns mails sent."""
    change = Change.objects.filter(
        pk=change_id, status=ChangeStatus.AUTHORIZATION, cab_decision=CABDecision.PENDING
    ).first()
    if change is None:
        return 0  # decided or withdrawn before the message went out
    voted = set(change.votes.values_list("voter_id", flat=True))
    recipients = _emails(set(board_for(change).voter_ids) - voted)
    if not recipients:
        return 0
    subject = _("[%(number)s] Your vote is needed: %(title)s") % {
        "number": change.number,
        "title": change.title,
    }
    body = _(
        "%(number)s %(title)s awaits the board's authorization.\n\nType: %(type)s\n"
        "Risk: %(risk)s\nWindow: %(start)s – %(end)s\n\nVote in the CAB queue: /changes/cab/\n"
    ) % {
        "number": change.number,
        "title": change.title,
        "type": change.get_change_type_display(),
        "risk": change.get_risk_display(),
        "start": change.planned_start,
        "end": change.planned_end,
    }
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@shared_task(acks_late=True, ignore_result=True)
def notify_decision(change_id: int) -> int:
    """Tell the requester and the assignee what the board decided; returns mails sent."""
    change = Change.objects.filter(pk=change_id).exclude(cab_decision=CABDecision.PENDING).first()
    if change is None:
        return 0
    recipients = _emails({change.requester_id, change.assignee_id} - {None})
    if not recipients:
        return 0
    subject = _("[%(number)s] The CAB %(decision)s your change") % {
        "number": change.number,
        "decision": change.get_cab_decision_display().lower(),
    }
    body = _("%(number)s %(title)s is now %(status)s.\n") % {
        "number": change.number,
        "title": change.title,
        "status": change.get_status_display().lower(),
    }
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
