"""What hangs off every ticket, whatever its practice: ``/api/v1/tickets/<id>/…``.

Comments, attachments, history, links and watchers share one ticket id space. Each
endpoint first finds the ticket among those the caller may see (else 404), then
shows only what the caller may read: never an internal note, internal attachment or
internal history event to an end user.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicedesk.core.converters import ID_REGEX

from .. import permissions, services
from ..choices import LinkKind
from ..errors import NotPermitted
from ..filters import AnyTicketFilter
from ..models import Attachment, AuditEvent, Comment, Ticket, TicketLink, User, Watcher
from .parsers import JSONParser
from .schema import document_public_counterpart
from .serializers import StrictFieldsMixin
from .tickets import AGENT_TICKET_FIELDS, PUBLIC_TICKET_FIELDS, TicketSerializer


class PublicTicketSerializer(TicketSerializer):
    """A ticket of any practice as an end user sees it."""

    class Meta(TicketSerializer.Meta):
        fields = PUBLIC_TICKET_FIELDS


class AgentTicketSerializer(TicketSerializer):
    """A ticket of any practice as an agent sees it."""

    class Meta(TicketSerializer.Meta):
        fields = AGENT_TICKET_FIELDS


document_public_counterpart(AgentTicketSerializer, PublicTicketSerializer)


class CommentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A public reply, or an internal note (agents only)."""

    author_name = serializers.CharField(source="author.display_name", read_only=True)
    body = serializers.CharField(max_length=50_000, help_text=_("Markdown."))
    internal = serializers.BooleanField(default=False)

    class Meta:
        model = Comment
        fields = ["id", "author", "author_name", "body", "internal", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A file on a ticket; upload it as multipart ``file`` (plus ``internal``, ``comment``)."""

    file = serializers.FileField(write_only=True)
    internal = serializers.BooleanField(default=False)
    comment = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.all(), required=False, allow_null=True
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "file",
            "filename",
            "content_type",
            "size",
            "sha256",
            "internal",
            "comment",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "created_at",
        ]

    def get_download_url(self, attachment: Attachment) -> str:
        return f"/api/v1/attachments/{attachment.pk}/download/"


class HistorySerializer(serializers.ModelSerializer):
    """One event of the ticket's audit history."""

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "action",
            "actor",
            "transition",
            "from_status",
            "to_status",
            "changes",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class LinkSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A typed link from this ticket to another; ``target`` is the other ticket's id."""

    kind = serializers.ChoiceField(choices=LinkKind.choices)
    target = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())
    target_number = serializers.CharField(source="target.number", read_only=True)
    source_number = serializers.CharField(source="source.number", read_only=True)

    class Meta:
        model = TicketLink
        fields = ["id", "source", "source_number", "kind", "target", "target_number", "created_at"]
        read_only_fields = ["id", "source", "created_at"]


class WatcherSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Someone who follows the ticket."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    display_name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = Watcher
        fields = ["user", "display_name", "created_at"]
        read_only_fields = ["created_at"]


@extend_schema_view(
    list=extend_schema(summary="List tickets of every practice"),
    retrieve=extend_schema(summary="Show a ticket of any practice"),
)
class TicketResourceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tickets of every practice, and what hangs off each of them."""

    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AnyTicketFilter
    lookup_value_regex = ID_REGEX
    serializer_class = AgentTicketSerializer

    def get_queryset(self) -> QuerySet[Ticket]:
        queryset = Ticket.objects.select_related(
            "requester", "assignment_group", "assignee", "service"
        ).prefetch_related("configuration_items")
        return permissions.visible_tickets(self.request.user, queryset).order_by(
            "-created_at", "-pk"
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("list", "retrieve"):
            if getattr(self, "swagger_fake_view", False) or permissions.is_agent(self.request.user):
                return AgentTicketSerializer
            return PublicTicketSerializer
        return super().get_serializer_class()

    def ticket(self) -> Ticket:
        """The ticket named in the URL, if the caller may see it (else 404)."""
        return get_object_or_404(
            permissions.visible_tickets(self.request.user, Ticket.objects.all()),
            pk=self.kwargs["pk"],
        )

    # --- comments --------------------------------------------------------------------

    @extend_schema(summary="List the ticket's comments", responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=CommentSerializer, filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        queryset = permissions.visible_comments(
            request.user, Comment.objects.filter(ticket=ticket).select_related("author")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(summary="Reply, or add an internal note", responses={201: CommentSerializer})
    @comments.mapping.post
    def add_comment(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    # --- attachments -------------------------------------------------------------------

    def visible_attachments(self, ticket: Ticket) -> QuerySet[Attachment]:
        queryset = Attachment.objects.filter(ticket=ticket)
        return (
            queryset if permissions.is_agent(self.request.user) else queryset.filter(internal=False)
        )

    @extend_schema(
        summary="List the ticket's attachments", responses=AttachmentSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=AttachmentSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        return Response(AttachmentSerializer(self.visible_attachments(ticket), many=True).data)

    @extend_schema(
        summary="Upload an attachment",
        request={"multipart/form-data": AttachmentSerializer},
        responses={201: AttachmentSerializer},
    )
    @attachments.mapping.post
    def add_attachment(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        serializer = AttachmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = data.get("comment")
        if comment is not None and comment.ticket_id != ticket.pk:
            raise serializers.ValidationError(
                {"comment": [_("That comment is on another ticket.")]}
            )
        if comment is not None and comment.internal and not permissions.is_agent(request.user):
            raise serializers.ValidationError(
                {"comment": [_("That comment is on another ticket.")]}
            )
        attachment = services.attachment_add(
            ticket=ticket,
            by=request.user,
            upload=data["file"],
            internal=data["internal"],
            comment=comment,
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    def get_parsers(self) -> list:
        # Uploads are multipart; everything else stays JSON only.
        if getattr(self, "action", None) == "add_attachment" or (
            self.request is not None
            and self.request.method == "POST"
            and self.request.path.endswith("/attachments/")
        ):
            return [parsers.MultiPartParser(), parsers.FormParser()]
        return [JSONParser()]

    # --- history --------------------------------------------------------------------

    @extend_schema(summary="The ticket's audit history", responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=HistorySerializer, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        queryset = AuditEvent.objects.filter(ticket=ticket).order_by("created_at", "id")
        if not permissions.is_agent(request.user):
            queryset = queryset.filter(internal=False)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    # --- links -----------------------------------------------------------------------

    @extend_schema(
        summary="The ticket's links to other tickets", responses=LinkSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=LinkSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def links(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        visible = permissions.visible_tickets(request.user, Ticket.objects.all()).values("pk")
        queryset = (
            TicketLink.objects.filter(source=ticket, target__in=visible)
            | TicketLink.objects.filter(target=ticket, source__in=visible)
        ).select_related("source", "target")
        return Response(LinkSerializer(queryset.order_by("created_at", "id"), many=True).data)

    @extend_schema(summary="Link the ticket to another", responses={201: LinkSerializer})
    @links.mapping.post
    def add_link(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        if not permissions.can_work_ticket(request.user, ticket):
            raise NotPermitted(_("Only agents who work this ticket can link it."))
        serializer = LinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data["target"]
        if not permissions.can_view_ticket(request.user, target):
            raise serializers.ValidationError({"target": [_("No such ticket.")]})
        link = services.link_add(
            source=ticket, target=target, kind=serializer.validated_data["kind"], by=request.user
        )
        link = TicketLink.objects.select_related("source", "target").get(pk=link.pk)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a link", request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=rf"links/(?P<link_id>{ID_REGEX})")
    def remove_link(self, request: Request, pk: str | None = None, link_id: str = "") -> Response:
        ticket = self.ticket()
        if not permissions.can_work_ticket(request.user, ticket):
            raise NotPermitted(_("Only agents who work this ticket can unlink it."))
        link = get_object_or_404(
            TicketLink.objects.filter(source=ticket) | TicketLink.objects.filter(target=ticket),
            pk=link_id,
        )
        services.link_remove(link=link, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- watchers ------------------------------------------------------------------

    @extend_schema(summary="Who follows the ticket", responses=WatcherSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        serializer_class=WatcherSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def watchers(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        queryset = Watcher.objects.filter(ticket=ticket).select_related("user")
        return Response(WatcherSerializer(queryset, many=True).data)

    @extend_schema(summary="Add a watcher", responses={201: WatcherSerializer})
    @watchers.mapping.post
    def add_watcher(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.ticket()
        serializer = WatcherSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        watcher = services.watcher_add(
            ticket=ticket, user=serializer.validated_data["user"], by=request.user
        )
        return Response(WatcherSerializer(watcher).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a watcher", request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=rf"watchers/(?P<user_id>{ID_REGEX})")
    def remove_watcher(
        self, request: Request, pk: str | None = None, user_id: str = ""
    ) -> Response:
        ticket = self.ticket()
        user = get_object_or_404(Watcher.objects.filter(ticket=ticket), user_id=user_id).user
        services.watcher_remove(ticket=ticket, user=user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(APIView):
    """The file itself, to those who may see it, sent so that no browser runs it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download an attachment", responses={(200, "application/octet-stream"): bytes}
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        visible = permissions.visible_tickets(request.user, Ticket.objects.all()).values("pk")
        attachments = Attachment.objects.filter(ticket__in=visible)
        if not permissions.is_agent(request.user):
            attachments = attachments.filter(internal=False)
        attachment = get_object_or_404(attachments, pk=pk)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
