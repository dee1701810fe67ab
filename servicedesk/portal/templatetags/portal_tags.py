"""Template helpers of the portal: plain words for end users."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice

register = template.Library()

# What end users call each kind of ticket.
KIND_LABELS = {
    Practice.INCIDENT: _("Issue"),
    Practice.PROBLEM: _("Problem"),
    Practice.CHANGE: _("Change"),
    Practice.REQUEST: _("Request"),
}


@register.filter
def ticket_kind(ticket: Any) -> str:
    """``{{ ticket|ticket_kind }}``: "Issue", "Request"… rather than ITIL's names."""
    return str(KIND_LABELS.get(ticket.practice, ticket.get_practice_display()))
