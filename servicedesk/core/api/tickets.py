"""The API every practice shares: ticket fields, ETags, transitions, and the ticket filter.

A practice's viewset subclasses ``TicketViewSet``, names its model, serializers and
``transitions`` (name → body serializer and service), and gets list, create,
retrieve, partial update, ``GET transitions/`` and one ``POST transitions/<name>/``
per transition, each documented in the schema on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import permissions, selectors
from ..errors import NotPermitted, StaleVersion
from ..idempotency import idempotent_create
from ..models import ConfigurationItem, Service, Team, Ticket, User
from ..services import available_transitions, check_version, lock_ticket
from .pagination import TicketPagination
from .schema import document_public_counterpart
from .serializers import StrictFieldsMixin
from .views import ReadCreateUpdateViewSet

# What every ticket representation holds, whatever its practice and whoever reads it.
PUBLIC_TICKET_FIELDS = [
    "id",
    "number",
    "practice",
    "title",
    "description",
    "status",
    "status_label",
    "impact",
    "urgency",
    "priority",
    "priority_label",
    "requester",
    "service",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "sla_state",
    "created_at",
    "updated_at",
    "version",
]
# What agents see besides.
AGENT_TICKET_FIELDS = [
    *PUBLIC_TICKET_FIELDS,
    "assignment_group",
    "assignee",
    "configuration_items",
    "priority_override_reason",
]
READ_ONLY_TICKET_FIELDS = [
    "id",
    "number",
    "practice",
    "status",
    "status_label",
    "priority",
    "priority_label",
    "priority_override_reason",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "sla_state",
    "created_at",
    "updated_at",
    "version",
]


class TicketSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Fields of the ticket core; practice serializers extend ``Meta.fields``."""

    status_label = serializers.SerializerMethodField()
    priority_label = serializers.CharField(read_only=True)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    configuration_items = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )

    class Meta:
        model = Ticket
        fields = AGENT_TICKET_FIELDS
        read_only_fields = READ_ONLY_TICKET_FIELDS

    def get_status_label(self, ticket: Ticket) -> str:
        return selectors.status_label(ticket.practice, ticket.status)


class TransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    """The body of a transition without fields: an empty object."""


class AvailableTransitionSerializer(serializers.Serializer):
    """A transition the caller may run now, and the fields its body takes."""

    name = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    required = serializers.ListField(child=serializers.CharField())


@dataclass(frozen=True)
class TransitionEndpoint:
    """How the API runs one transition: its body's serializer and the service to call."""

    serializer: type[serializers.Serializer]
    service: Callable[..., Ticket]
    summary: str


def parse_if_match(request: Request) -> list[int] | None:
    """The versions an ``If-Match`` header names (``"3"``, ``W/"3"``), None without one or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = []
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 9:
            raise ParseError(_('If-Match must name the ticket\'s version, e.g. "3".'))
        versions.append(int(tag))
    return versions


def etag_for(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


def describe_transitions(
    names: Iterable[str], endpoints: Mapping[str, TransitionEndpoint]
) -> list[dict[str, Any]]:
    """Each transition the caller may run, with the fields its body takes and requires."""
    data = []
    for name in names:
        if name not in endpoints:
            continue
        fields = endpoints[name].serializer().fields
        data.append(
            {
                "name": name,
                "fields": list(fields),
                "required": [f for f, field in fields.items() if field.required],
            }
        )
    return data


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(
        _(
            "Any unique string (e.g. a UUID): a retry with the same key and body returns the "
            "first answer instead of creating a duplicate; another body with it gets 422."
        )
    ),
)
IF_MATCH = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(_("The ticket's version as last seen (its ETag); a stale one gets 412.")),
)


class TicketViewSet(ReadCreateUpdateViewSet):
    """List, create, show, change and transition the tickets of one practice."""

    permission_classes = [IsAuthenticated]
    pagination_class = TicketPagination
    model: ClassVar[type[Ticket]]
    agent_serializer_class: ClassVar[type[TicketSerializer]]
    public_serializer_class: ClassVar[type[TicketSerializer]]
    transitions: ClassVar[dict[str, TransitionEndpoint]] = {}
    # The keyword the practice's services take the ticket by (``incident=``…).
    object_kwarg: ClassVar[str] = "ticket"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "agent_serializer_class") and hasattr(cls, "public_serializer_class"):
            document_public_counterpart(cls.agent_serializer_class, cls.public_serializer_class)
        for name, endpoint in cls.transitions.items():
            setattr(cls, f"transition_{name}", cls._transition_action(name, endpoint))

    @classmethod
    def _transition_action(cls, name: str, endpoint: TransitionEndpoint) -> Callable:
        def run(self: TicketViewSet, request: Request, pk: str | None = None) -> Response:
            return self.run_transition(request, name, endpoint)

        run.__name__ = f"transition_{name}"
        run.__doc__ = endpoint.summary
        run = action(
            detail=True,
            methods=["post"],
            url_path=f"transitions/{name}",
            url_name=f"transition-{name}",
            serializer_class=endpoint.serializer,
        )(run)
        # After @action, which would otherwise replace what extend_schema attached.
        return extend_schema(
            summary=endpoint.summary,
            request=endpoint.serializer,
            responses={200: cls.agent_serializer_class},
            parameters=[IF_MATCH],
            operation_id=f"{cls.basename_for_schema()}_transition_{name}",
        )(run)

    @classmethod
    def basename_for_schema(cls) -> str:
        return cls.model._meta.model_name

    # --- queryset and serializers ---------------------------------------------------

    def base_queryset(self) -> QuerySet[Ticket]:
        """The practice's rows with what the serializer reads, before scoping."""
        return self.model.objects.select_related(
            "requester", "assignment_group", "assignee", "service"
        ).prefetch_related("configuration_items")

    def get_queryset(self) -> QuerySet[Ticket]:
        return permissions.visible_tickets(self.request.user, self.base_queryset()).order_by(
            "-created_at", "-pk"
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("list", "retrieve", "create", "partial_update", None):
            # The schema documents the agents' (fuller) representation.
            if getattr(self, "swagger_fake_view", False) or permissions.is_agent(self.request.user):
                return self.agent_serializer_class
            return self.public_serializer_class
        return super().get_serializer_class()

    # --- ETag and If-Match ----------------------------------------------------------

    def expected_version(self, ticket: Ticket) -> int | None:
        """The version the client proved it saw (If-Match), checked under the row lock."""
        versions = parse_if_match(self.request)
        if versions is None:
            return None
        locked = lock_ticket(ticket)
        if locked.version not in versions:
            check_version(locked, versions[0])  # raises StaleVersion (412)
        return locked.version

    def respond(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        # Unscoped: a change may have just moved the ticket out of the caller's queues.
        shown = self.base_queryset().get(pk=ticket.pk)
        serializer_class = (
            self.agent_serializer_class
            if permissions.is_agent(self.request.user)
            else self.public_serializer_class
        )
        response = Response(
            serializer_class(shown, context=self.get_serializer_context()).data, status=code
        )
        response["ETag"] = etag_for(shown)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_object()
        response = Response(self.get_serializer(ticket).data)
        response["ETag"] = etag_for(ticket)
        return response

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def create_once() -> Response:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            ticket = self.create_object(dict(serializer.validated_data))
            return self.respond(ticket, status.HTTP_201_CREATED)

        return idempotent_create(request, create_once)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_object()
        if not permissions.is_agent(request.user):
            # Before the body is read: end users and CAB members edit no ticket's fields.
            raise NotPermitted()
        serializer = self.get_serializer(ticket, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            expected = self.expected_version(ticket)
            ticket = self.update_object(ticket, dict(serializer.validated_data), expected)
        return self.respond(ticket)

    def update_object(
        self, instance: Any, data: dict[str, Any], expected_version: int | None = None
    ) -> Any:
        """A PATCH: the fields, then the assignment (agents only; partial_update's transaction)."""
        if not permissions.is_agent(self.request.user):
            raise NotPermitted()
        ticket, _unchecked = self.update_fields_and_assignment(instance, data, expected_version)
        return ticket

    def update_fields_and_assignment(
        self, ticket: Ticket, data: dict[str, Any], expected_version: int | None
    ) -> tuple[Ticket, int | None]:
        """Save the fields through ``update_service``, then assign through ``assign_service``.

        The version is checked once, by the first change; each change then raises it. Returns
        the ticket and the version still to check (``None`` once a change checked it), for a
        practice that has more to change after these.
        """
        user = self.request.user
        assignment = {k: data.pop(k) for k in ("assignment_group", "assignee") if k in data}
        if data:
            ticket = self.update_service(
                **{self.object_kwarg: ticket}, by=user, data=data, expected_version=expected_version
            )
            expected_version = None
        if assignment:
            ticket = self.assign_service(
                **{self.object_kwarg: ticket},
                by=user,
                group=assignment.get("assignment_group", ticket.assignment_group),
                assignee=assignment.get("assignee", ticket.assignee),
                expected_version=expected_version,
            )
            expected_version = None
        return ticket, expected_version

    def update_service(self, **kwargs: Any) -> Ticket:
        """The practice's ``<ticket>_update`` service."""
        raise NotImplementedError

    def assign_service(self, **kwargs: Any) -> Ticket:
        """The practice's ``<ticket>_assign`` service."""
        raise NotImplementedError

    # --- transitions --------------------------------------------------------------

    @extend_schema(
        summary="Transitions the caller may run now",
        responses=AvailableTransitionSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="transitions",
        serializer_class=AvailableTransitionSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def available(self, request: Request, pk: str | None = None) -> Response:
        names = self.transition_names(self.get_object(), request.user)
        return Response(describe_transitions(names, self.transitions))

    def transition_names(self, ticket: Ticket, user: Any) -> list[str]:
        """The transitions ``user`` may run on ``ticket`` now; a practice may ask its own rules."""
        return list(available_transitions(ticket, user))

    def run_transition(self, request: Request, name: str, endpoint: TransitionEndpoint) -> Response:
        ticket = self.get_object()
        serializer = endpoint.serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            expected = self.expected_version(ticket)
            ticket = endpoint.service(
                **{self.object_kwarg: ticket},
                by=request.user,
                expected_version=expected,
                **serializer.validated_data,
            )
        return self.respond(ticket)


__all__ = ["StaleVersion", "TicketSerializer", "TicketViewSet", "TransitionEndpoint"]
