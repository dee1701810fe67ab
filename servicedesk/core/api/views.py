"""API views of the core: check permission, parse with a serializer, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from servicedesk.core.converters import ID_REGEX

from .. import services
from ..filters import ConfigurationItemFilter, ServiceFilter, TeamFilter, UserFilter
from ..models import CIRelationship, ConfigurationItem, Membership, Service, Team, User
from .permissions import AgentsReadAdminsWrite, IsServiceDeskAdmin
from .serializers import (
    ConfigurationItemSerializer,
    MeSerializer,
    ServiceSerializer,
    TeamSerializer,
    TokenObtainSerializer,
    UserSerializer,
)


class TokenObtainView(GenericAPIView):
    """Exchange a username and password for the user's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token-obtain"
    serializer_class = TokenObtainSerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(auth=[], operation_id="auth_token_obtain")
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(GenericAPIView):
    """The caller's own profile."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer
    filter_backends: list = []
    pagination_class = None

    def get_object(self) -> User:
        return (
            User.objects.prefetch_related(
                "groups", Prefetch("memberships", Membership.objects.select_related("team"))
            )
            .filter(pk=self.request.user.pk)
            .get()
        )

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request: Request) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.user_update(user=serializer.instance, data=serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)


class NotFoundView(APIView):
    """Answers any path under /api/ that names nothing with the JSON 404."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None

    def not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound()

    get = post = put = patch = delete = head = options = trace = not_found


class ReadCreateUpdateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List, retrieve, create and partially update (no PUT, no DELETE), writing through services."""

    # Subclasses call a service in create_object/update_object and return the saved
    # object; the response shows it re-read as the list shows it.
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = ID_REGEX

    def create_object(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _shown(self, instance: Any) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=instance.pk)).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_object(dict(serializer.validated_data))
        return Response(self._shown(instance), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        instance = self.update_object(serializer.instance, dict(serializer.validated_data))
        return Response(self._shown(instance))


@extend_schema_view(
    list=extend_schema(summary="List users"),
    create=extend_schema(summary="Create a user with roles and teams"),
    retrieve=extend_schema(summary="Show a user"),
    partial_update=extend_schema(summary="Change a user, their roles or their teams"),
)
class UserViewSet(ReadCreateUpdateViewSet):
    """People, managed by service-desk admins as an HR or identity system would."""

    permission_classes = [IsServiceDeskAdmin]
    serializer_class = UserSerializer
    filterset_class = UserFilter
    queryset = User.objects.prefetch_related("groups", "memberships")

    def create_object(self, data: dict[str, Any]) -> User:
        teams = data.pop("memberships", None)
        return services.user_create(**data, teams=teams)

    def update_object(self, instance: User, data: dict[str, Any]) -> User:
        roles = data.pop("roles", None)
        teams = data.pop("memberships", None)
        return services.user_update(user=instance, data=data, roles=roles, teams=teams)


@extend_schema_view(
    list=extend_schema(summary="List teams"),
    create=extend_schema(summary="Create a team"),
    retrieve=extend_schema(summary="Show a team"),
    partial_update=extend_schema(summary="Change a team or its members"),
)
class TeamViewSet(ReadCreateUpdateViewSet):
    """Assignment groups and CABs with their members."""

    permission_classes = [AgentsReadAdminsWrite]
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    queryset = Team.objects.prefetch_related("memberships")

    def create_object(self, data: dict[str, Any]) -> Team:
        members = data.pop("memberships", None)
        return services.team_create(**data, members=members)

    def update_object(self, instance: Team, data: dict[str, Any]) -> Team:
        members = data.pop("memberships", None)
        return services.team_update(team=instance, data=data, members=members)


@extend_schema_view(
    list=extend_schema(summary="List services"),
    create=extend_schema(summary="Create a service"),
    retrieve=extend_schema(summary="Show a service"),
    partial_update=extend_schema(summary="Change a service"),
)
class ServiceViewSet(ReadCreateUpdateViewSet):
    """The service portfolio that tickets and changes refer to."""

    permission_classes = [AgentsReadAdminsWrite]
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.all()

    def create_object(self, data: dict[str, Any]) -> Service:
        return services.service_create(**data)

    def update_object(self, instance: Service, data: dict[str, Any]) -> Service:
        return services.service_update(service=instance, data=data)


@extend_schema_view(
    list=extend_schema(summary="List configuration items"),
    create=extend_schema(summary="Create a configuration item"),
    retrieve=extend_schema(summary="Show a configuration item"),
    partial_update=extend_schema(summary="Change a configuration item"),
)
class ConfigurationItemViewSet(ReadCreateUpdateViewSet):
    """Configuration items, the services they support and their relationships."""

    permission_classes = [AgentsReadAdminsWrite]
    serializer_class = ConfigurationItemSerializer
    filterset_class = ConfigurationItemFilter

    def get_queryset(self) -> QuerySet[ConfigurationItem]:
        return ConfigurationItem.objects.prefetch_related(
            "services",
            Prefetch(
                "outgoing_relationships",
                CIRelationship.objects.only("source", "kind", "target"),
            ),
        )

    def create_object(self, data: dict[str, Any]) -> ConfigurationItem:
        return services.configuration_item_create(**data)

    def update_object(self, instance: ConfigurationItem, data: dict[str, Any]) -> ConfigurationItem:
        linked = data.pop("services", None)
        return services.configuration_item_update(
            configuration_item=instance, data=data, services=linked
        )
