"""The request, fulfilment task and catalog API: check, parse, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.core.api.tickets import (
    IF_MATCH,
    AvailableTransitionSerializer,
    TicketViewSet,
    TransitionEndpoint,
    TransitionSerializer,
    describe_transitions,
    parse_if_match,
)
from servicedesk.core.api.views import ReadCreateUpdateViewSet

from .. import permissions, services
from ..filters import CatalogItemFilter, FulfilmentTaskFilter, ServiceRequestFilter
from ..models import Approval, CatalogItem, FormField, FulfilmentTask, ServiceRequest
from .serializers import (
    CatalogItemSerializer,
    FulfilmentTaskSerializer,
    PublicServiceRequestSerializer,
    RequestApproveSerializer,
    RequestCancelSerializer,
    RequestRejectSerializer,
    ServiceRequestSerializer,
    TaskCancelSerializer,
    TaskCompleteSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List service requests"),
    create=extend_schema(summary="Order a catalog item"),
    retrieve=extend_schema(summary="Show a service request"),
    partial_update=extend_schema(summary="Change or assign a service request"),
)
class ServiceRequestViewSet(TicketViewSet):
    """Service requests, scoped to what the caller may see (approvers see what they decide)."""

    model = ServiceRequest
    object_kwarg = "service_request"
    serializer_class = ServiceRequestSerializer
    agent_serializer_class = ServiceRequestSerializer
    public_serializer_class = PublicServiceRequestSerializer
    filterset_class = ServiceRequestFilter
    transitions = {
        "approve": TransitionEndpoint(
            RequestApproveSerializer, services.request_approve, "Approve the current step"
        ),
        "reject": TransitionEndpoint(
            RequestRejectSerializer, services.request_reject, "Reject at the current step"
        ),
        "cancel": TransitionEndpoint(RequestCancelSerializer, services.request_cancel, "Cancel"),
        "close": TransitionEndpoint(TransitionSerializer, services.request_close, "Close"),
        "fulfil": TransitionEndpoint(
            TransitionSerializer, services.request_fulfil, "Mark as fulfilled (no task open)"
        ),
        "start_fulfilment": TransitionEndpoint(
            TransitionSerializer,
            services.request_start_fulfilment,
            "Start fulfilment of a request logged outside the catalog",
        ),
    }

    @classmethod
    def basename_for_schema(cls) -> str:
        return "request"

    def base_queryset(self) -> QuerySet[ServiceRequest]:
        return (
            super()
            .base_queryset()
            .select_related("catalog_item")
            .prefetch_related(
                Prefetch(
                    "approvals",
                    Approval.objects.select_related("approver", "team").order_by("step"),
                )
            )
        )

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return permissions.visible_requests(self.request.user, self.base_queryset()).order_by(
            "-created_at", "-pk"
        )

    def create_object(self, data: dict[str, Any]) -> ServiceRequest:
        answers = data.pop("answers", {})
        return services.request_create(by=self.request.user, answers=answers, **data)

    def update_service(self, **kwargs: Any) -> ServiceRequest:
        return services.request_update(**kwargs)

    def assign_service(self, **kwargs: Any) -> ServiceRequest:
        return services.request_assign(**kwargs)

    def transition_names(self, ticket: ServiceRequest, user: Any) -> list[str]:
        return list(services.available_transitions(ticket, user))

    @extend_schema(
        summary="The request's fulfilment tasks", responses=FulfilmentTaskSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="tasks",
        serializer_class=FulfilmentTaskSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def tasks(self, request: Request, pk: str | None = None) -> Response:
        service_request = self.get_object()
        tasks = service_request.tasks.select_related("request").order_by("order", "id")
        return Response(FulfilmentTaskSerializer(tasks, many=True).data)


# --- fulfilment tasks -------------------------------------------------------------------------


TASK_TRANSITIONS = {
    "start": TransitionEndpoint(TransitionSerializer, services.task_start, "Start work on a task"),
    "complete": TransitionEndpoint(TaskCompleteSerializer, services.task_complete, "Complete"),
    "cancel": TransitionEndpoint(TaskCancelSerializer, services.task_cancel, "Cancel a task"),
}


def _task_transition_action(name: str, endpoint: TransitionEndpoint) -> Any:
    def run(self: FulfilmentTaskViewSet, request: Request, pk: str | None = None) -> Response:
        return self.run_transition(request, name, endpoint)

    run.__name__ = f"transition_{name}"
    run.__doc__ = endpoint.summary
    run = extend_schema(
        summary=endpoint.summary,
        request=endpoint.serializer,
        responses={200: FulfilmentTaskSerializer},
        parameters=[IF_MATCH],
        operation_id=f"fulfilment_task_transition_{name}",
    )(run)
    return action(
        detail=True,
        methods=["post"],
        url_path=f"transitions/{name}",
        url_name=f"transition-{name}",
        serializer_class=endpoint.serializer,
    )(run)


@extend_schema_view(
    list=extend_schema(summary="List fulfilment tasks"),
    retrieve=extend_schema(summary="Show a fulfilment task"),
)
class FulfilmentTaskViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Fulfilment tasks of the requests the caller may see, and of the caller's teams."""

    permission_classes = [IsAuthenticated]
    serializer_class = FulfilmentTaskSerializer
    filterset_class = FulfilmentTaskFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[FulfilmentTask]:
        queryset = FulfilmentTask.objects.select_related("request").order_by("created_at", "pk")
        return permissions.visible_tasks(self.request.user, queryset)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(self.get_object())

    def respond(self, task: FulfilmentTask) -> Response:
        task = FulfilmentTask.objects.select_related("request").get(pk=task.pk)
        response = Response(FulfilmentTaskSerializer(task).data)
        response["ETag"] = f'"{task.version}"'
        return response

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
        task = self.get_object()
        names = services.available_task_transitions(task, request.user)
        return Response(describe_transitions(names, TASK_TRANSITIONS))

    def run_transition(self, request: Request, name: str, endpoint: TransitionEndpoint) -> Response:
        task = self.get_object()
        serializer = endpoint.serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        versions = parse_if_match(request)
        expected = None
        if versions is not None:
            # The service checks it again under the row locks (request first, then task).
            expected = task.version if task.version in versions else versions[0]
        task = endpoint.service(
            task=task, by=request.user, expected_version=expected, **serializer.validated_data
        )
        return self.respond(task)

    transition_start = _task_transition_action("start", TASK_TRANSITIONS["start"])
    transition_complete = _task_transition_action("complete", TASK_TRANSITIONS["complete"])
    transition_cancel = _task_transition_action("cancel", TASK_TRANSITIONS["cancel"])


# --- the catalog ------------------------------------------------------------------------------


class CatalogPermission(BasePermission):
    """Anyone signed in reads the catalog; catalog admins create and change items."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or permissions.can_manage_catalog(request.user)


@extend_schema_view(
    list=extend_schema(summary="List catalog items with their order forms"),
    create=extend_schema(summary="Add a catalog item"),
    retrieve=extend_schema(summary="Show a catalog item and its order form"),
    partial_update=extend_schema(summary="Change a catalog item"),
)
class CatalogItemViewSet(ReadCreateUpdateViewSet):
    """The service catalog; people who cannot manage it see the active items only."""

    permission_classes = [CatalogPermission]
    serializer_class = CatalogItemSerializer
    filterset_class = CatalogItemFilter

    def get_queryset(self) -> QuerySet[CatalogItem]:
        queryset = CatalogItem.objects.select_related("category").prefetch_related(
            Prefetch("fields", FormField.objects.order_by("order", "id")),
            "approval_steps",
            "task_templates",
        )
        if not permissions.can_manage_catalog(self.request.user):
            queryset = queryset.filter(is_active=True, category__is_active=True)
        return queryset.order_by("category__order", "category__name", "order", "name", "pk")

    @staticmethod
    def _nested(data: dict[str, Any]) -> dict[str, Any]:
        nested = {}
        for key, name in (
            ("fields", "form"),
            ("approval_steps", "approval_steps"),
            ("task_templates", "task_templates"),
        ):
            if key in data:
                nested[name] = data.pop(key)
        return nested

    def create_object(self, data: dict[str, Any]) -> CatalogItem:
        nested = self._nested(data)
        return services.catalog_item_create(data=data, **nested)

    def update_object(self, instance: CatalogItem, data: dict[str, Any]) -> CatalogItem:
        nested = self._nested(data)
        return services.catalog_item_update(item=instance, data=data, **nested)
