"""Template helpers of the incident pages: Markdown, SLA countdowns. None of them queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import markdown as markdown_lib
import nh3
from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

# What rendered Markdown may contain; everything else (scripts, styles, event handlers,
# images that phone home) is removed by nh3.
MARKDOWN_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
MARKDOWN_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}
MARKDOWN_URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def render_markdown(text: str) -> SafeString:
    """Markdown as HTML that is safe to show: rendered, then sanitised by an allow-list."""
    html = markdown_lib.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes=MARKDOWN_ATTRIBUTES,
        url_schemes=MARKDOWN_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # sanitised by nh3 just above


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """``{{ comment.body|markdown }}``: rendered and sanitised."""
    return render_markdown(text)


def duration_text(delta: timedelta) -> str:
    """A short human duration: "3 d 4 h", "2 h 5 min", "12 min", "less than a minute"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [ngettext("%(n)s day", "%(n)s days", days) % {"n": days}]
        if hours:
            parts.append(_("%(n)s h") % {"n": hours})
    elif hours:
        parts = [_("%(n)s h") % {"n": hours}]
        if minutes:
            parts.append(_("%(n)s min") % {"n": minutes})
    elif minutes:
        parts = [_("%(n)s min") % {"n": minutes}]
    else:
        return _("less than a minute")
    return " ".join(parts)


def countdown_text(due: datetime, now: datetime | None = None) -> tuple[str, bool]:
    """("in 2 h 5 min", False) before ``due``, ("3 h overdue", True) after it."""
    delta = due - (now or timezone.now())
    if delta.total_seconds() >= 0:
        return _("in %(duration)s") % {"duration": duration_text(delta)}, False
    return _("%(duration)s overdue") % {"duration": duration_text(delta)}, True


@register.simple_tag
def countdown(due: datetime | None) -> SafeString:
    """A due time as a countdown, with the exact local time as its title."""
    if due is None:
        return format_html('<span class="muted">{}</span>', _("no target"))
    text, overdue = countdown_text(due)
    local = timezone.localtime(due)
    return format_html(
        '<time class="countdown{}" datetime="{}" title="{} {}">{}</time>',
        " countdown--overdue" if overdue else "",
        local.isoformat(),
        formats.date_format(local, "Y-m-d H:i"),
        local.tzname(),
        text,
    )
