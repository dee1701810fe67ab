"""OpenAPI generation: drf-spectacular's, plus the error responses each operation can give."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": _("The input is not valid; `errors` names the fields at fault."),
    "401": _("No credentials, or credentials that are not valid."),
    "403": _("The caller may not do this."),
    "404": _("No such object, or no such page."),
    "409": _("The request conflicts with the current state."),
    "412": _("The object changed since the caller read it."),
    "413": _("The request body is too large."),
    "415": _("The body is not JSON."),
    "429": _("Too many requests; retry after the time in the Retry-After header."),
}
WRITE_METHODS = {"POST", "PUT", "PATCH"}

# Serializers the schema documents, each with the smaller one end users get in its place.
PUBLIC_COUNTERPARTS: dict[type[serializers.Serializer], type[serializers.Serializer]] = {}


def document_public_counterpart(
    agent: type[serializers.Serializer], public: type[serializers.Serializer]
) -> None:
    """Say that end users get ``public`` where the schema documents ``agent``.

    The schema shows the agents' fuller representation; the fields only agents get are
    then optional in its responses, so that an end user's answer conforms to it too.
    """
    PUBLIC_COUNTERPARTS[agent] = public


def _model_field_is_blank(field: serializers.Field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not isinstance(field.source, str) or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema that also documents the error shape per status code."""

    def error_status_codes(self) -> list[str]:
        codes = []
        writes = self.method in WRITE_METHODS
        if writes or self._is_list_view():
            codes.append("400")
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        if writes and "{" in self.path and hasattr(self.view, "expected_version"):
            # A ticket's change or transition: refused in its state, or If-Match is stale.
            codes += ["409", "412"]
        if writes:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _map_serializer_field(
        self, field: serializers.Field, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        # DRF drops allow_blank from read-only model fields, yet a blank choice (no
        # resolution code yet) is still answered as "": the enum must list it.
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and _model_field_is_blank(field)
        ):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        public = PUBLIC_COUNTERPARTS.get(type(force_instance(serializer)))
        if direction == "response" and public is not None and "required" in schema:
            shown_to_everyone = set(public().fields)
            schema["required"] = [n for n in schema["required"] if n in shown_to_everyone]
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self.error_status_codes():
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
