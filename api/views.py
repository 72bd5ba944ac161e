"""The JSON API: the same selectors and services as the pages, nothing of its own."""

from django.contrib.auth import authenticate, get_user_model, logout
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from audit.models import AuditEvent
from declarations import exports
from declarations.ids import ID_PATTERN
from declarations.models import Declaration
from notifications import services as notification_services
from notifications.models import Notification
from organisations import signin as login_throttle
from organisations import tokens as api_tokens
from organisations.signin import login_attempt_for
from review import drafts, permissions, selectors, services
from review.filters import AuditEventFilter, DeclarationFilter, TaskFilter
from review.models import ReviewTask
from review.permissions import Action, NotAllowed, access_declaration_by_id, access_task_by_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="Excel 工作簿（.xlsx）")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
@authentication_classes([])
def not_found(request, *args, **kwargs):
    return Response(
        {"detail": "接口地址不存在，请核对请求的 URL。"}, status=status.HTTP_404_NOT_FOUND
    )


ID_LOOKUP = ID_PATTERN


# --- Authentication ----------------------------------------------------------------------------


class TokenView(APIView):
    """Exchange a username and password for an API token (failed attempts are throttled)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        form = s.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username = form.validated_data["username"]
        attempt = login_attempt_for(request, username)
        user = authenticate(request, username=username, password=form.validated_data["password"])
        if user is None or not user.is_active:
            login_throttle.login_failure_record(attempt=attempt)
            raise serializers.ValidationError({"non_field_errors": ["用户名或密码不正确。"]})
        login_throttle.login_success_record(attempt=attempt, user_id=user.pk)
        return Response({"token": api_tokens.api_token_create(user=user)})


TOKEN_PREFIX_PATTERN = f"[0-9a-f]{{{CONSTANTS.TOKEN_KEY_LENGTH}}}"


@extend_schema_view(
    list=extend_schema(
        description="The caller's own unexpired API tokens, newest first: prefix, when issued, "
        "when they expire, and which one this request used (never a token itself).",
        tags=["auth"],
    ),
    destroy=extend_schema(
        description="Revoke one of the caller's own API tokens by its prefix (404 for any other).",
        parameters=[
            OpenApiParameter(
                "prefix", str, OpenApiParameter.PATH, pattern=f"^{TOKEN_PREFIX_PATTERN}$"
            )
        ],
        tags=["auth"],
    ),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens, listed by prefix and revoked one by one."""

    serializer_class = s.ApiTokenSerializer
    queryset = AuthToken.objects.none()
    filterset_class = None
    lookup_field = "token_key"
    lookup_url_kwarg = "prefix"
    lookup_value_regex = TOKEN_PREFIX_PATTERN

    def get_queryset(self):
        return api_tokens.api_tokens_of(self.request.user)

    def destroy(self, request, *args, **kwargs):
        api_tokens.api_token_revoke(user=request.user, prefix=kwargs["prefix"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """Log out of the API: revoke the token of this request (with a session, end the session)."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, AuthToken):
            api_tokens.api_token_revoke(user=request.user, prefix=request.auth.token_key)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every API token of the caller, wherever it is used."""

    @extend_schema(request=None, responses={200: s.RevokedSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return Response({"revoked": api_tokens.api_tokens_revoke_all(user=request.user)})


# --- Declarations --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.DeclarationListSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.DeclarationSerializer}),
    create=extend_schema(responses={201: s.DeclarationSerializer}),
    update=extend_schema(responses={200: s.DeclarationSerializer}),
    partial_update=extend_schema(responses={200: s.DeclarationSerializer}),
)
class DeclarationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Declarations within the caller's scope; changes go through the declaration services."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.DeclarationSerializer
    filterset_class = DeclarationFilter
    queryset = Declaration.objects.none()

    def get_queryset(self):
        return selectors.declarations_visible_to(self.request.user).order_by("-updated_at", "-pk")

    def get_serializer_class(self):
        return s.DeclarationListSerializer if self.action == "list" else s.DeclarationSerializer

    def _represent(self, declaration: Declaration) -> dict:
        return s.DeclarationSerializer(declaration, context=self.get_serializer_context()).data

    def get_object(self, action: str = Action.VIEW):
        declaration, _grant = access_declaration_by_id(
            self.request.user, self.kwargs["pk"], action=action
        )
        return declaration

    def create(self, request, *args, **kwargs):
        serializer = s.DeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = permissions.unit_to_prepare_for(request.user, serializer.validated_data.get("unit"))
        declaration = drafts.declaration_create(
            actor=request.user,
            unit=unit,
            fiscal_year=serializer.validated_data["year"],
            kind=serializer.validated_data["kind"],
        )
        content = serializer.merged_content(declaration)
        declaration = drafts.declaration_save(
            actor=request.user, declaration_id=declaration.pk, content=content
        )
        return Response(self._represent(declaration), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        declaration = self.get_object()
        # PUT and PATCH alike keep what is not sent: a client never loses data by omission.
        serializer = s.DeclarationSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if (
            "kind" in serializer.validated_data
            and serializer.validated_data["kind"] != declaration.kind
        ):
            raise serializers.ValidationError({"kind": ["申报表类型不能修改。"]})
        declaration = drafts.declaration_save(
            actor=request.user,
            declaration_id=declaration.pk,
            content=serializer.merged_content(declaration),
            # Without a version from the client, the one read here: a concurrent save between
            # this read and the lock would otherwise be silently undone by the merge.
            expected_version=serializer.validated_data.get("version", declaration.version),
        )
        return Response(self._represent(declaration))

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit (or resubmit after a return): validates every rule and enters review."""
        declaration = services.declaration_submit(actor=request.user, declaration_id=pk)
        return Response(self._represent(declaration))

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw (撤回) while the first review stage has not acted."""
        declaration = services.declaration_withdraw(actor=request.user, declaration_id=pk)
        return Response(self._represent(declaration))

    @extend_schema(request=None, responses={200: s.DetailSerializer})
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        """Urge (催办) the current stage; at most once per 24 hours."""
        services.declaration_urge(actor=request.user, declaration_id=pk)
        return Response({"detail": "已催办。"})

    @extend_schema(responses={200: s.AuditEventSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def history(self, request, pk=None):
        """The declaration's history: every audit event, oldest first, with stamps' digests."""
        declaration = self.get_object()
        events = selectors.declaration_history(request.user, declaration).select_related("actor")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)

    @extend_schema(responses={(200, XLSX): XLSX_RESPONSE}, filters=False)
    def export(self, request, pk=None):
        """The declaration as an Excel workbook."""
        declaration = self.get_object()
        filename = f"{declaration.fiscal_year}-{declaration.name or declaration.pk}.xlsx"
        return exports.xlsx_response(exports.declaration_workbook(declaration), filename)


# --- Tasks ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.TaskSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.TaskSerializer}),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """My inbox: tasks assigned to me and tasks I may claim (status=done: what I handled)."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    queryset = ReviewTask.objects.none()

    def get_queryset(self):
        view = "done" if self.request.query_params.get("status") == "done" else "open"
        return selectors.tasks_for(self.request.user, view=view)

    def get_object(self):
        task, _grant = access_task_by_id(self.request.user, self.kwargs["pk"])
        return task

    def _done(self, task_id):
        task, _grant = access_task_by_id(self.request.user, task_id)
        return Response(s.TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def claim(self, request, pk=None):
        """Claim a task from the shared queue."""
        services.task_claim(actor=request.user, task_id=pk)
        return self._done(pk)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def release(self, request, pk=None):
        """Put a claimed task back into the queue."""
        services.task_release(actor=request.user, task_id=pk)
        return self._done(pk)

    @extend_schema(request=s.OpinionSerializer, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        """Agree (同意) and stamp; the opinion defaults to 同意."""
        data = s.OpinionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        opinion = data.validated_data["opinion"]
        services.task_approve(actor=request.user, task_id=pk, opinion=opinion)
        return self._done(pk)

    @extend_schema(request=s.ReturnSerializer, responses={200: s.TaskSerializer})
    @action(
        detail=True, methods=["post"], url_path="return", url_name="return", filterset_class=None
    )
    def return_(self, request, pk=None):
        """Return for revision (退回修改) to the preparer or the previous stage."""
        data = s.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_return(actor=request.user, task_id=pk, **data.validated_data)
        return self._done(pk)

    @extend_schema(
        request=s.RequiredOpinionSerializer,
        responses={200: s.TaskSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        """Reject (不予通过): the review ends."""
        data = s.RequiredOpinionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        opinion = data.validated_data["opinion"]
        services.task_reject(actor=request.user, task_id=pk, opinion=opinion)
        return self._done(pk)

    def _move(self, request, pk, service):
        data = s.MoveTaskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = (
            get_user_model()
            .objects.filter(username=data.validated_data["to_user"], is_active=True)
            .first()
        )
        if target is None:
            raise serializers.ValidationError({"to_user": ["找不到该用户。"]})
        service(
            actor=request.user,
            task_id=pk,
            to_user_id=target.pk,
            reason=data.validated_data["reason"],
        )
        return self._done(pk)

    @extend_schema(
        request=s.MoveTaskSerializer,
        responses={200: s.TaskSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="hand-over",
        url_name="hand-over",
        filterset_class=None,
    )
    def hand_over(self, request, pk=None):
        """Hand my task to a colleague with the same role and scope."""
        return self._move(request, pk, services.task_hand_over)

    @extend_schema(
        request=s.MoveTaskSerializer,
        responses={200: s.TaskSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reassign(self, request, pk=None):
        """An administrator reassigns a task (转交)."""
        return self._move(request, pk, services.task_reassign)


# --- Audit events --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.AuditEventSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.AuditEventSerializer}),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log, for auditors and administrators (read-only for everyone)."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.none()

    def get_queryset(self):
        if not permissions.is_overseer(self.request.user):
            raise NotAllowed("只有审计人员和管理员可以查看审计日志。")
        return (
            selectors.audit_events_for(self.request.user)
            .select_related("actor")
            .order_by("-at", "-pk")
        )


# --- Notifications -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.NotificationSerializer(many=True)}),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My notifications, newest first; `unread=true` for the unread ones."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.NotificationSerializer
    queryset = Notification.objects.none()
    filterset_class = None

    def get_queryset(self):
        notifications = Notification.objects.filter(user=self.request.user, show_in_app=True)
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="只看未读")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = notification_services.notification_mark_read(
            user=request.user, notification_id=pk
        )
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        """Mark all my notifications read."""
        return Response(
            {"marked": notification_services.notifications_mark_all_read(user=request.user)}
        )

    @extend_schema(
        responses={
            200: inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["get"], url_path="unread-count", url_name="unread-count")
    def unread_count(self, request):
        """How many unread notifications I have."""
        return Response(
            {
                "unread": Notification.objects.filter(
                    user=request.user, read_at__isnull=True, show_in_app=True
                ).count()
            }
        )
