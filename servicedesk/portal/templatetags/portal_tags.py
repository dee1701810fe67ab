"""Template helpers of the portal: plain words for end users."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe
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


# Markdown end users may see: formatting and links, nothing that runs or embeds.
MARKDOWN_TAGS = {
    "a", "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@register.filter
def markdown_safe(text: str | None) -> SafeString:
    """``{{ body|markdown_safe }}``: Markdown rendered to HTML and sanitised with nh3."""
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    cleaned = nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # sanitised by nh3 just above


@register.filter
def portal_url(ticket: Any) -> str:
    """``{{ ticket|portal_url }}``: the ticket's portal page, or "" if its practice has none."""
    from servicedesk.portal.views import ticket_link

    return ticket_link(ticket) or ""
