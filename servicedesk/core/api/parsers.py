"""The API's JSON parser: any body it cannot safely hand on is a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

# Nothing the API accepts is nested deeper; deeper documents only serve to exhaust the stack.
MAX_DEPTH = 32


def check_json_value(data: Any) -> None:
    """Refuse strings that cannot be stored (lone surrogates) and absurd nesting."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(_("JSON parse error - the document is nested too deeply."))
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise exceptions.ParseError(
            _("JSON parse error - a string holds an invalid Unicode escape.")
        ) from exc


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus checks for input a database or a serializer would choke on.

    The size limit is Django's DATA_UPLOAD_MAX_MEMORY_SIZE, checked as DRF reads the body.
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(
                _("JSON parse error - the document is nested too deeply.")
            ) from exc
        check_json_value(data)
        return data
