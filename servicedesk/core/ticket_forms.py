"""What every ticket page's forms share: the version they were made from, and one way to
run them so that a stale or refused form changes nothing and says why in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import permissions, services
from .errors import ApplicationError, StaleVersion
from .models import Ticket
from .timeline import Entry, changes_since

# The longest id a form may name: longer digit strings are no row's id (and overflow SQL).
MAX_ID_DIGITS = 18


class VersionedForm(forms.Form):
    """A form that proves which version of the ticket its user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def expected_version(self) -> int:
        return self.cleaned_data["version"]

    def service_arguments(self) -> dict[str, Any]:
        """The service's arguments besides the ticket, the user and the version."""
        return {}

    def rebind_options(self) -> dict[str, Any]:
        """The keyword arguments a copy of this form is built with, besides its data."""
        return {}

    def with_version(self, version: int) -> VersionedForm:
        """The user's input as they filled it in, now carrying the ticket's current version."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(version)
        return type(self)(data, auto_id=self.auto_id, **self.rebind_options())


def apply_service_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's error on the form: on its fields where the form has them, else on top."""
    placed = False
    for field, messages_ in exc.fields.items():
        target = field if field in form.fields else None
        for message in messages_:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def error_text(exc: ApplicationError) -> str:
    """A service error in one sentence: its field messages, or its message."""
    details = [message for messages_ in exc.fields.values() for message in messages_]
    return " ".join(details) if details else exc.message


def locked_at_version(ticket: Ticket, form: VersionedForm) -> Ticket:
    """The ticket locked for this transaction, refused if it changed since the form's version.

    For writes whose service takes no version (notes, links), so they too are refused
    when the user has not seen the latest state.
    """
    ticket = services.lock_ticket(ticket)
    services.check_version(ticket, form.expected_version())
    return ticket


class RenderPage(Protocol):
    def __call__(
        self,
        *,
        bound: dict[str, VersionedForm],
        failed: str,
        status: int,
        stale: list[Entry] | None = None,
    ) -> HttpResponse: ...


def run_ticket_form(
    request: HttpRequest,
    ticket: Ticket,
    *,
    key: str,
    form: VersionedForm,
    action: Callable[[Any, Any], str | HttpResponse],
    render_page: RenderPage,
    done_url: str,
    gone_url: str,
) -> HttpResponse:
    """Validate ``form`` and run ``action`` in one transaction; show what went wrong in place.

    ``action`` calls the services and returns the success message (or a response to send
    instead). A stale version re-renders the page with what changed since and the user's
    input kept; a domain error becomes a form error. Nothing is changed in either case. On
    success the user goes to ``done_url``, or to ``gone_url`` if the change took the ticket
    out of their sight.
    """
    if not form.is_valid():
        return render_page(bound={key: form}, failed=key, status=400)
    try:
        with transaction.atomic():
            result = action(ticket, form)
    except StaleVersion:
        current = type(ticket).objects.get(pk=ticket.pk)
        seen = request.POST.get("seen", "")
        stale = changes_since(
            current,
            version=form.expected_version(),
            seen=int(seen) if seen.isdigit() and len(seen) <= MAX_ID_DIGITS else None,
        )
        return render_page(
            bound={key: form.with_version(current.version)}, stale=stale, failed=key, status=409
        )
    except ApplicationError as exc:
        apply_service_error(form, exc)
        name = key.removeprefix("transition:")
        if key != name and name not in set(services.available_transitions(ticket, request.user)):
            # Its form is not on the page now: say why as a message.
            messages.error(request, error_text(exc))
        return render_page(bound={key: form}, failed=key, status=exc.status_code)
    if isinstance(result, HttpResponse):
        return result
    messages.success(request, result)
    still_visible = permissions.visible_tickets(
        request.user, type(ticket).objects.filter(pk=ticket.pk)
    )
    if not still_visible.exists():
        return redirect(gone_url)
    return redirect(done_url)
