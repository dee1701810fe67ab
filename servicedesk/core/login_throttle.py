"""Sign-in rate limiting: too many failed attempts lock a username (and an address) for a while.

Counters live in the cache (Redis in production), keyed by a hash of the username and
the client address, so guessing one account's password from many places, or many
accounts' from one place, both slow down. A successful sign-in clears the account's count.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("user", username), settings.LOGIN_FAILURES_PER_USER),
        (_key("address", address), settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def seconds_locked(username: str, address: str) -> int:
    """How long sign-in stays refused for this username or address (0: not locked)."""
    now = time.time()
    waits = []
    for key, limit in _keys(username, address):
        failures = cache.get(key) or []
        recent = [t for t in failures if t > now - settings.LOGIN_FAILURE_WINDOW_SECONDS]
        if len(recent) >= limit:
            waits.append(int(min(recent) + settings.LOGIN_FAILURE_WINDOW_SECONDS - now) + 1)
    return max(waits, default=0)


def record_failure(username: str, address: str) -> None:
    """Count a failed attempt against the username and the address."""
    now = time.time()
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _keys(username, address):
        failures = [t for t in cache.get(key) or [] if t > now - window]
        cache.set(key, [*failures, now][-100:], timeout=window)


def clear(username: str) -> None:
    """Forget the username's failures after a successful sign-in."""
    cache.delete(_key("user", username))
