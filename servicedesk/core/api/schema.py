"""OpenAPI generation: drf-spectacular's, plus the error responses each operation can give."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
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
        if writes:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self.error_status_codes():
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
