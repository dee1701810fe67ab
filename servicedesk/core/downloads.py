"""A ticket's file sent to the browser: always a download, never rendered in the page."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from . import permissions
from .models import Attachment, Ticket


def attachment_response(user: Any, ticket: Ticket, attachment_pk: int) -> FileResponse:
    """A file of ``ticket`` (which the caller checked ``user`` sees); internal files for agents.

    Sent as a download under its cleaned stored name with its stored type.
    """
    attachments = Attachment.objects.filter(ticket_id=ticket.pk)
    if not permissions.is_agent(user):
        attachments = attachments.filter(internal=False)
    attachment = get_object_or_404(attachments, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
