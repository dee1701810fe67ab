"""``Idempotency-Key`` on POST creates: a retried request gets the first answer, not a duplicate.

The first successful answer is stored with the key, per user, for IDEMPOTENCY_KEY_TTL_HOURS,
in the same transaction as the object it created. A retry with the same key and the same
request replays it (``Idempotent-Replayed: true``); the same key with another request is a
422. Two identical requests racing each other: the second one's insert of the key fails on
the unique constraint, its own creation rolls back, and it replays the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import IdempotencyKeyReused
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_digest(request: Request) -> str:
    """A digest of what makes two requests the same: method, path and body."""
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        raise IdempotencyKeyReused()
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    if isinstance(record.response_body, dict) and "version" in record.response_body:
        response["ETag"] = f'"{record.response_body["version"]}"'
    return response


def idempotent_create(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` once per (user, key); replay its answer to retries."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        raise serializers.ValidationError(
            {HEADER: [_("Send 1 to 255 ASCII characters, e.g. a UUID.")]}
        )
    digest = request_digest(request)
    now = timezone.now()
    live = IdempotencyRecord.objects.filter(user=request.user, key=key, expires_at__gt=now)
    existing = live.first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                user=request.user, key=key, expires_at__lte=now
            ).delete()
            response = create()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=digest,
                    status_code=response.status_code,
                    response_body=response.data,
                    expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
                )
    except IntegrityError:
        # The same key won a race a moment ago: this attempt's creation rolled back.
        return _replay(live.get(), digest)
    return response


def purge_expired(now: timezone.datetime | None = None) -> int:
    """Forget answers past their expiry; returns how many."""
    deleted, _rows = IdempotencyRecord.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
