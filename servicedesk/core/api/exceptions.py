"""One JSON shape for every API error: ``{"status", "code", "detail", "errors"}``.

``errors`` maps a field (``"teams.0.team"`` for nested ones) to its messages; errors
that belong to no field sit under ``"non_field_errors"``; it is ``{}`` otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..errors import ApplicationError


class RequestTooLarge(exceptions.APIException):
    """The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


class BadRequest(exceptions.APIException):
    """A request Django finds suspicious (logged as such), answered like any other error."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The request is not valid.")
    default_code = "bad_request"


def _field_name(prefix: str, key: Any) -> str:
    key = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else str(key)
    return f"{prefix}.{key}" if prefix else key


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as one level: ``{"name": [...], "teams.0.team": [...]}``."""
    errors: dict[str, list[str]] = {}

    def add(name: str, messages: list[str]) -> None:
        errors.setdefault(name, []).extend(messages)

    if isinstance(detail, Mapping):
        for key, value in detail.items():
            for name, messages in flatten_errors(value, _field_name(prefix, key)).items():
                add(name, messages)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list | tuple):
                # One entry per item of a list field; valid items come back empty.
                for name, messages in flatten_errors(item, _field_name(prefix, index)).items():
                    add(name, messages)
            else:
                add(prefix or api_settings.NON_FIELD_ERRORS_KEY, [str(item)])
    elif detail is not None:
        add(prefix or api_settings.NON_FIELD_ERRORS_KEY, [str(detail)])
    return errors


def error_body(
    status: int, code: str, detail: str, errors: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"status": status, "code": code, "detail": detail, "errors": dict(errors or {})}


def _validation_message(errors: Mapping[str, list[str]]) -> str:
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if set(errors) == {non_field} and errors[non_field]:
        return errors[non_field][0]
    return _("Some fields are not valid.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain, Django and DRF errors to the one error shape (None: let Django answer 500)."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        errors = flatten_errors(exc.fields)
        return Response(
            error_body(exc.status_code, exc.code, exc.message, errors), status=exc.status_code
        )
    if isinstance(exc, OverflowError | DataError):
        # A number or a string the database cannot hold came from the request (e.g. a
        # 30-digit id in a body): that is bad input, not a server error.
        set_rollback()
        message = _("A value in the request is out of range.")
        return Response(
            error_body(status.HTTP_400_BAD_REQUEST, "out_of_range", message, {}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, SuspiciousOperation):
        # Django would log it to django.security.* and answer 400 in HTML; keep the log.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        exc = RequestTooLarge() if isinstance(exc, RequestDataTooBig) else BadRequest()
    if not isinstance(exc, exceptions.APIException):
        return None

    # DRF's handler sets the WWW-Authenticate and Retry-After headers and rolls back
    # the transaction; only the body is replaced here.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = error_body(
            response.status_code, "invalid", _validation_message(errors), errors
        )
        return response
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(detail, list | dict):
        errors = flatten_errors(detail)
        message = _validation_message(errors)
    else:
        errors = {}
        message = str(detail)
    response.data = error_body(response.status_code, str(code), message, errors)
    return response
