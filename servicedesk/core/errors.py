"""Domain errors. The UI shows them as messages; the API maps them to one JSON shape."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    """Input breaks a business rule; ``fields`` names the offending fields."""

    status_code = 400
    code = "invalid"
    default_message = _("Some fields are not valid.")


class NotPermitted(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class TransitionNotAllowed(ApplicationError):
    status_code = 409
    code = "transition_not_allowed"
    default_message = _("This transition is not allowed from the ticket's current status.")


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_message = _("The request conflicts with the current state.")


class StaleVersion(ApplicationError):
    """The client saw an older version of the ticket than the one stored."""

    status_code = 412
    code = "stale_version"
    default_message = _("This ticket changed since you opened it.")


class IdempotencyKeyReused(ApplicationError):
    """The Idempotency-Key was first sent with another request."""

    status_code = 422
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used with a different request.")


def require_text(**values: str | None) -> None:
    """Refuse, naming each field, the values that are empty or only blanks."""
    missing = {
        name: [str(_("This field is required."))]
        for name, value in values.items()
        if not (value or "").strip()
    }
    if missing:
        raise ValidationFailed(fields=missing)
