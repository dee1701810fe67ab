"""Notification emails: templates per event type and audience, and threading headers.

Templates live in ``templates/notifications/email/<event_type with _ for .>/``:
``subject.txt`` and a body as ``<audience>.txt`` / ``.html``, else ``public.*`` (requester
and watchers) or ``agent.*`` (everyone else), else ``message.*``; event types without
a folder use ``notifications/email/generic/``.

Every email about a ticket has ``[INC0000123]`` in its subject and refers to the
ticket's root Message-ID ``<INC0000123@domain>`` in In-Reply-To and References, so
mail clients thread it, and a reply is matched back to the ticket by the inbound
mail handler (its own Message-ID ``<INC0000123.e<event>.d<delivery>@domain>`` carries
the number too).
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template
from django.utils import timezone, translation

from servicedesk.core import selectors
from servicedesk.core.models import Comment

from .choices import Audience
from .events import event_type
from .models import Delivery
from .rendering import (
    absolute,
    describe,
    markdown_html,
    names_for,
    priority_label,
    ticket_path,
)

# Replies are cut here by the inbound parser, so the quoted notification stays out.
REPLY_MARKER = "##- Please type your reply above this line -##"
PUBLIC_AUDIENCES = {Audience.REQUESTER, Audience.WATCHER}
# In the Message-ID of emails about internal events.
INTERNAL_TAG = "internal."


def message_id_domain() -> str:
    configured = getattr(settings, "NOTIFICATIONS_MESSAGE_ID_DOMAIN", "")
    if configured:
        return configured
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def ticket_root_message_id(number: str) -> str:
    """The Message-ID every email of a ticket refers to."""
    return f"<{number}@{message_id_domain()}>"


def delivery_message_id(delivery: Delivery, number: str = "") -> str:
    """Unique per delivery; holds the ticket number, and says so when the event is internal.

    A reply to an internal note's email is matched back by this id and stays internal.
    """
    prefix = f"{number}." if number else ""
    internal = INTERNAL_TAG if delivery.event.internal else ""
    return f"<{prefix}{internal}e{delivery.event_id}.d{delivery.pk}@{message_id_domain()}>"


def _template_dir(name: str) -> str:
    return "notifications/email/" + re.sub(r"[^a-z0-9_]", "_", name.replace(".", "_"))


def _body_templates(event_name: str, audience: str, extension: str) -> list[str]:
    folder = _template_dir(event_name)
    group = "public" if audience in PUBLIC_AUDIENCES else "agent"
    return [
        f"{folder}/{audience}.{extension}",
        f"{folder}/{group}.{extension}",
        f"{folder}/message.{extension}",
        f"notifications/email/generic/message.{extension}",
    ]


def email_context(delivery: Delivery) -> dict[str, Any]:
    """What the templates of one delivery may show, already cut to its audience."""
    event = delivery.event
    users, teams = names_for(event)
    payload = event.payload or {}
    ticket = dict(payload.get("ticket") or {})
    agent_view = delivery.audience not in PUBLIC_AUDIENCES
    if ticket:
        ticket["status_label"] = selectors.status_label(ticket["practice"], ticket["status"])
        ticket["priority_label"] = priority_label(ticket.get("priority"))
    audit = payload.get("audit") or {}
    comment = None
    comment_id = ((audit.get("changes") or {}).get("comment") or {}).get("to")
    if event.event_type == "ticket.commented" and comment_id:
        found = Comment.objects.filter(pk=comment_id).first()
        # Belt and braces: an internal note never reaches a public audience.
        if found is not None and (agent_view or not found.internal):
            comment = {
                "body": found.body,
                "html": markdown_html(found.body),
                "internal": found.internal,
            }
    return {
        "delivery": delivery,
        "audience": delivery.audience,
        "agent_view": agent_view,
        "recipient": delivery.recipient,
        "event": event,
        "event_label": event_type(event.event_type).label,
        "summary": describe(event, users=users, teams=teams),
        "actor_name": users.get(event.actor_id or 0, ""),
        "ticket": ticket,
        "audit": audit,
        "data": payload.get("data") or {},
        "comment": comment,
        "ticket_url": absolute(ticket_path(ticket or None, agent=agent_view)),
        "preferences_url": absolute(preferences_path(agent_view)),
        "replies_accepted": bool(ticket and settings.INBOUND_MAIL_URL),
        "reply_marker": REPLY_MARKER if ticket and settings.INBOUND_MAIL_URL else "",
        "site_name": settings.SERVICEDESK_SITE_NAME,
    }


def preferences_path(agent: bool) -> str:
    from django.urls import reverse

    return reverse("notifications:preferences" if agent else "notifications:portal-preferences")


def build_email(delivery: Delivery) -> EmailMultiAlternatives:
    """The email of one delivery, in the recipient's time zone, with threading headers."""
    event = delivery.event
    recipient = delivery.recipient
    with (
        timezone.override(recipient.time_zone or settings.TIME_ZONE),
        translation.override(settings.LANGUAGE_CODE),
    ):
        context = email_context(delivery)
        folder = _template_dir(event.event_type)
        subject_template = select_template(
            [f"{folder}/subject.txt", "notifications/email/generic/subject.txt"]
        )
        subject = " ".join(subject_template.render(context).split())
        text = select_template(_body_templates(event.event_type, delivery.audience, "txt"))
        html = select_template(_body_templates(event.event_type, delivery.audience, "html"))
        text_body = text.render(context)
        html_body = html.render(context)
    number = (context["ticket"] or {}).get("number", "")
    if number:
        subject = f"[{number}] {subject}"
    headers = {
        "Message-ID": delivery_message_id(delivery, number),
        # Our mail is automatic: auto-responders should not answer it (RFC 3834).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Servicedesk-Event": event.event_type,
    }
    if number:
        root = ticket_root_message_id(number)
        headers.update({"In-Reply-To": root, "References": root, "X-Servicedesk-Ticket": number})
    reply_to = [settings.NOTIFICATIONS_REPLY_TO] if settings.NOTIFICATIONS_REPLY_TO else None
    message = EmailMultiAlternatives(
        subject=subject[:250],
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address or recipient.email],
        headers=headers,
        reply_to=reply_to,
    )
    message.attach_alternative(html_body, "text/html")
    return message
