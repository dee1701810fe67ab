"""Writes of the portal: the requester's satisfaction rating."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.core import services as core
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import NotPermitted, ValidationFailed
from servicedesk.core.models import Ticket

from .models import SatisfactionRating

# A rating is for a ticket whose work is done: resolved (or fulfilled) and closed ones.
RATEABLE_STATUSES = {"resolved", "closed", "fulfilled"}


def can_rate(user: Any, ticket: Ticket) -> bool:
    """Only the requester rates, and only once the work is done."""
    return ticket.requester_id == user.pk and ticket.status in RATEABLE_STATUSES


@transaction.atomic
def satisfaction_rate(
    *, ticket: Ticket, by: Any, score: int, comment: str = ""
) -> SatisfactionRating:
    """Record (or change) the requester's rating and put it on the ticket's timeline."""
    if not can_rate(by, ticket):
        raise NotPermitted(_("Only the requester can rate a ticket once it is resolved."))
    if score not in range(1, 6):
        raise ValidationFailed(fields={"score": [_("Choose from 1 to 5.")]})
    comment = (comment or "").strip()
    ticket = core.lock_ticket(ticket)
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    before = rating.score if rating else None
    if rating is None:
        rating = SatisfactionRating(ticket=ticket, rated_by=by, score=score, comment=comment)
    else:
        rating.rated_by, rating.score, rating.comment = by, score, comment
    rating.full_clean()
    rating.save()
    core.audit_record(
        ticket=ticket,
        actor=by,
        action=AuditAction.CHANGED,
        changes={"satisfaction": {"from": before, "to": score}},
        note=comment,
    )
    return rating
