"""Outbound webhooks: the JSON payload, its HMAC-SHA256 signature, and the HTTP call.

Each delivery is a ``POST`` of a JSON body to the subscription's URL with::

    Content-Type: application/json
    X-Servicedesk-Event: ticket.commented
    X-Servicedesk-Delivery: <the event's UUID; the same on every retry>
    X-Servicedesk-Timestamp: 1767225600
    X-Servicedesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes,
compares in constant time, and refuses timestamps too far from its clock (replays);
``verify_signature`` below does exactly that. Any 2xx answer is a success; anything
else, a timeout or a connection error is retried with exponential backoff.

Internal events (internal notes, internal attachments) go only to subscriptions
flagged ``include_internal``; nothing else carries an internal note's text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from servicedesk.core.models import Attachment, Comment

from .models import OutboxEvent, WebhookSubscription

SIGNATURE_HEADER = "X-Servicedesk-Signature"
TIMESTAMP_HEADER = "X-Servicedesk-Timestamp"
EVENT_HEADER = "X-Servicedesk-Event"
DELIVERY_HEADER = "X-Servicedesk-Delivery"
USER_AGENT = "ServiceDesk-Webhooks/1.0"
# Kept of a receiver's answer in the delivery log.
RESPONSE_EXCERPT = 2000


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    *,
    secret: str,
    body: bytes,
    timestamp: str | int,
    signature: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is ours for this body and timestamp, and the timestamp is fresh.

    For receivers (and tests): constant-time comparison; a timestamp more than
    ``tolerance`` seconds away from ``now`` is refused, so a captured request cannot be
    replayed later.
    """
    try:
        sent_at = int(str(timestamp))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), str(signature).strip())


def event_payload(event: OutboxEvent, subscription: WebhookSubscription) -> dict[str, Any]:
    """The JSON document of one event for one subscription."""
    payload = event.payload or {}
    body: dict[str, Any] = {
        "id": str(event.uuid),
        "type": event.event_type,
        "created_at": event.created_at.isoformat(),
        "internal": event.internal,
        "actor": event.actor_id,
        "ticket": payload.get("ticket"),
        "data": dict(payload.get("data") or {}),
    }
    audit = payload.get("audit")
    if audit:
        body["data"].update(
            {
                key: audit[key]
                for key in ("action", "transition", "from_status", "to_status", "changes", "note")
            }
        )
        changes = audit.get("changes") or {}
        comment_id = (changes.get("comment") or {}).get("to")
        if event.event_type == "ticket.commented" and comment_id:
            body["data"]["comment"] = comment_payload(comment_id, subscription)
        attachment_id = (changes.get("attachment") or {}).get("to")
        if event.event_type == "ticket.attachment_added" and attachment_id:
            body["data"]["attachment"] = attachment_payload(attachment_id)
    if event.internal and not subscription.include_internal:
        # Never reached: such events are not queued for such subscriptions. Stay safe anyway.
        body["data"] = {}
    return body


def comment_payload(comment_id: int, subscription: WebhookSubscription) -> dict[str, Any] | None:
    comment = Comment.objects.filter(pk=comment_id).select_related("author").first()
    if comment is None:
        return None
    shown = {
        "id": comment.pk,
        "author": comment.author_id,
        "internal": comment.internal,
        "created_at": comment.created_at.isoformat(),
    }
    if not comment.internal or subscription.include_internal:
        shown["body"] = comment.body
    return shown


def attachment_payload(attachment_id: int) -> dict[str, Any] | None:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return None
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "internal": attachment.internal,
    }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(
        document, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt gave."""

    ok: bool
    status_code: int | None
    body: str
    error: str
    duration_ms: int


def post(
    subscription: WebhookSubscription, event: OutboxEvent, body: bytes, *, timestamp: int
) -> Outcome:
    """POST the signed body once; never raises for network trouble, reports it instead."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event.event_type,
        DELIVERY_HEADER: str(event.uuid),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
    }
    timeout = httpx.Timeout(
        settings.WEBHOOK_TIMEOUT_SECONDS, connect=min(3.0, settings.WEBHOOK_TIMEOUT_SECONDS)
    )
    started = time.monotonic()
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):
            excerpt = _read_excerpt(response)
    except httpx.HTTPError as exc:
        return Outcome(
            ok=False,
            status_code=None,
            body="",
            error=f"{type(exc).__name__}: {exc}"[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    return Outcome(
        ok=200 <= response.status_code < 300,
        status_code=response.status_code,
        body=excerpt,
        error="" if response.is_success else f"HTTP {response.status_code}",
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _read_excerpt(response: httpx.Response) -> str:
    """The start of the answer: a receiver cannot make us read megabytes."""
    kept, size = [], 0
    for chunk in response.iter_bytes():
        kept.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT:
            break
    return b"".join(kept)[:RESPONSE_EXCERPT].decode("utf-8", "replace")
