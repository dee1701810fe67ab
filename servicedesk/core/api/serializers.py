"""Serializers of the core API: they validate and shape data; services do the writing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from .. import permissions
from ..choices import TeamKind
from ..models import CIRelationship, ConfigurationItem, Service, Team, User
from ..roles import GROUP_ROLES, Role

PASSWORD_MAX_LENGTH = 4096


def roles_of(user: User) -> list[str]:
    """The user's roles in declaration order, from their (prefetched) groups."""
    held = {GROUP_ROLES[group.name] for group in user.groups.all() if group.name in GROUP_ROLES}
    return [role for role in Role.values if role in held]


class ErrorSerializer(serializers.Serializer):
    """The one shape of every API error."""

    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    code = serializers.CharField(help_text=_("A machine-readable error code."))
    detail = serializers.CharField(help_text=_("A human-readable message."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            "Messages per field (nested fields as `teams.0.team`); errors about no single "
            "field under `non_field_errors`. Empty when no field is at fault."
        ),
    )


class StrictFieldsMixin:
    """Refuse keys the serializer cannot write (unknown, read-only, create-only) with a 400."""

    create_only_fields: tuple[str, ...] = ()

    def _refused_fields(self, data: Any) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}  # DRF itself reports a body that is not an object
        refused = {}
        for name in data:
            field = self.fields.get(name)
            if field is None:
                refused[name] = [_("Unknown field.")]
            elif field.read_only:
                refused[name] = [_("This field is read-only.")]
            elif self.instance is not None and name in self.create_only_fields:
                refused[name] = [_("This field cannot be changed once set.")]
        return refused

    def to_internal_value(self, data: Any) -> Any:
        refused = self._refused_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **refused}) from exc
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


class WholeItemMixin:
    """A nested item validated in full even inside a PATCH, where DRF would skip missing fields."""

    def run_validation(self, data: Any = empty) -> Any:
        if self.root is not self and getattr(self.root, "partial", False):
            standalone = type(self)(data=data, context=self.context)
            standalone.is_valid(raise_exception=True)
            return standalone.validated_data
        return super().run_validation(data)


def _unique_by(items: list[Mapping[str, Any]], key: str, message: str) -> None:
    seen = [item[key].pk for item in items]
    if len(seen) != len(set(seen)):
        raise serializers.ValidationError(message)


# --- auth and profile -------------------------------------------------------------------


class TokenObtainSerializer(StrictFieldsMixin, serializers.Serializer):
    """A username and password in, an API token out."""

    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
    )
    token = serializers.CharField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                _("Unable to sign in with these credentials."), code="invalid_credentials"
            )
        return {"user": user}


class RolesField(serializers.ListField):
    """A user's roles: read from their groups, written as a list of role names."""

    child = serializers.ChoiceField(choices=Role.choices)

    def get_attribute(self, instance: User) -> list[str]:
        return roles_of(instance)


class MyTeamSerializer(serializers.Serializer):
    """A team the caller belongs to, read from their membership."""

    id = serializers.IntegerField(source="team_id", read_only=True)
    name = serializers.CharField(source="team.name", read_only=True)
    kind = serializers.ChoiceField(source="team.kind", choices=TeamKind.choices, read_only=True)
    is_lead = serializers.BooleanField(read_only=True)


class MeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The caller's own profile; only contact details, time zone and presence are writable."""

    display_name = serializers.CharField(read_only=True)
    roles = RolesField(read_only=True)
    teams = MyTeamSerializer(many=True, read_only=True, source="memberships")
    is_agent = serializers.SerializerMethodField()
    is_admin = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "time_zone",
            "is_away",
            "phone",
            "roles",
            "teams",
            "is_agent",
            "is_admin",
        ]
        read_only_fields = ["id", "username"]

    def get_is_agent(self, user: User) -> bool:
        return permissions.is_agent(user)

    def get_is_admin(self, user: User) -> bool:
        return permissions.is_service_desk_admin(user)


# --- users and teams --------------------------------------------------------------------


class UserTeamSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    """One of a user's teams, and whether they lead it."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    is_lead = serializers.BooleanField(default=False)


class UserSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A person as an admin or an identity system manages them."""

    create_only_fields = ("username",)

    roles = RolesField(
        required=False,
        help_text=_("Exactly the roles the user holds; membership of a team implies some."),
    )
    teams = UserTeamSerializer(
        many=True,
        required=False,
        source="memberships",
        help_text=_("Exactly the teams the user belongs to."),
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text=_("Without one the user cannot sign in with a password."),
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "time_zone",
            "manager",
            "is_active",
            "is_away",
            "phone",
            "roles",
            "teams",
            "password",
        ]
        extra_kwargs = {
            "username": {"help_text": _("Set once, when the user is created.")},
            "is_active": {"help_text": _("Users are never deleted: deactivate them instead.")},
        }

    def validate_roles(self, roles: list[str]) -> list[str]:
        return list(dict.fromkeys(roles))

    def validate_teams(self, teams: list[dict[str, Any]]) -> dict[Team, bool]:
        _unique_by(teams, "team", _("Each team may appear only once."))
        return {item["team"]: item["is_lead"] for item in teams}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        password = attrs.get("password")
        if password:
            names = ("username", "email", "first_name", "last_name")
            candidate = User(**{n: attrs.get(n, getattr(self.instance, n, "")) for n in names})
            try:
                password_validation.validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class TeamMemberSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    """A member of a team, and whether they lead it."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    is_lead = serializers.BooleanField(default=False)


class TeamSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An assignment group, CAB or emergency CAB, with its members."""

    members = TeamMemberSerializer(
        many=True,
        required=False,
        source="memberships",
        help_text=_("Exactly the team's members."),
    )

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "description", "email", "is_active", "members"]

    def validate_members(self, members: list[dict[str, Any]]) -> dict[User, bool]:
        _unique_by(members, "user", _("Each user may appear only once."))
        return {item["user"]: item["is_lead"] for item in members}


# --- services and configuration items -----------------------------------------------------


# "ITService", not "Service": its request body would be "ServiceRequest", the practice's name.
@extend_schema_serializer(component_name="ITService")
class ServiceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A business or technical service."""

    class Meta:
        model = Service
        fields = ["id", "name", "description", "owner_team", "criticality", "is_active"]


class CIRelationshipSerializer(serializers.ModelSerializer):
    """A relationship from this CI to another one."""

    class Meta:
        model = CIRelationship
        fields = ["kind", "target"]
        read_only_fields = fields


class ConfigurationItemSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A configuration item and the services it supports."""

    relationships = CIRelationshipSerializer(
        many=True, read_only=True, source="outgoing_relationships"
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "id",
            "name",
            "ci_type",
            "description",
            "status",
            "criticality",
            "owner_team",
            "services",
            "relationships",
        ]
        extra_kwargs = {"services": {"required": False}}
