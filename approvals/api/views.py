"""The JSON API: the same selectors and services as the pages, nothing of its own."""

from datetime import UTC

import django_filters
from django.contrib.auth import authenticate, get_user_model, logout
from django.db.models import Q
from django.utils import timezone
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

from approvals import api_tokens, exports, login_throttle, review, selectors, services
from approvals.api import serializers as s
from approvals.auth import login_attempt_for
from approvals.models import Declaration, DeclarationStatus, Organisation, Stage
from approvals.permissions import NotAllowed
from config.converters import ID_PATTERN, MAX_ID_DIGITS
from notifications import services as notification_services
from notifications.models import Notification
from workflow import selectors as task_selectors
from workflow.models import AuditAction, AuditEvent

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
MAX_ID = 10**MAX_ID_DIGITS - 1


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


class DeclarationFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(
        field_name="fiscal_year", help_text="年度", min_value=0, max_value=9999
    )
    unit = django_filters.NumberFilter(
        field_name="reporting_unit", help_text="填报单位编号", min_value=1, max_value=MAX_ID
    )
    status = django_filters.ChoiceFilter(choices=DeclarationStatus.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="名称")

    class Meta:
        model = Declaration
        fields = ["year", "unit", "status", "stage", "search"]


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

    def get_object(self):
        return selectors.declaration_for(self.request.user, self.kwargs["pk"])

    def _unit(self, unit_id) -> Organisation:
        units = selectors.units_prepared_by(self.request.user)
        if unit_id is None:
            if len(units) == 1:
                return units[0]
            if not units:
                raise NotAllowed("只有填报单位的填报人可以新建申报表。")
            raise serializers.ValidationError({"unit": ["您在多个单位任填报人，请指定 unit。"]})
        for unit in units:
            if unit.pk == unit_id:
                return unit
        raise NotAllowed("只有本单位的填报人可以为该单位填报申报表。")

    def create(self, request, *args, **kwargs):
        serializer = s.DeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = self._unit(serializer.validated_data.get("unit"))
        declaration = services.declaration_create(
            actor=request.user,
            unit=unit,
            fiscal_year=serializer.validated_data["year"],
            kind=serializer.validated_data["kind"],
        )
        content = serializer.merged_content(declaration)
        declaration = services.declaration_save(
            actor=request.user, declaration_id=declaration.pk, content=content
        )
        return Response(s.DeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED)

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
        declaration = services.declaration_save(
            actor=request.user,
            declaration_id=declaration.pk,
            content=serializer.merged_content(declaration),
            # Without a version from the client, the one read here: a concurrent save between
            # this read and the lock would otherwise be silently undone by the merge.
            expected_version=serializer.validated_data.get("version", declaration.version),
        )
        return Response(s.DeclarationSerializer(declaration).data)

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit (or resubmit after a return): validates every rule and enters review."""
        declaration = self.get_object()
        declaration = services.declaration_submit(actor=request.user, declaration_id=declaration.pk)
        return Response(s.DeclarationSerializer(declaration).data)

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw (撤回) while the first review stage has not acted."""
        declaration = review.declaration_withdraw(actor=request.user, declaration_id=pk)
        return Response(s.DeclarationSerializer(declaration).data)

    @extend_schema(request=None, responses={200: s.DetailSerializer})
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        """Urge (催办) the current stage; at most once per 24 hours."""
        notification_services.declaration_urge(actor=request.user, declaration_id=pk)
        return Response({"detail": "已催办。"})

    @extend_schema(responses={200: s.AuditEventSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def history(self, request, pk=None):
        """The declaration's history: every audit event, oldest first, with stamps' digests."""
        declaration = self.get_object()
        events = task_selectors.declaration_history(request.user, declaration).select_related(
            "actor"
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)

    @extend_schema(responses={(200, XLSX): XLSX_RESPONSE}, filters=False)
    def export(self, request, pk=None):
        """The declaration as an Excel workbook."""
        declaration = self.get_object()
        filename = f"{declaration.fiscal_year}-{declaration.name or declaration.pk}.xlsx"
        return exports.xlsx_response(exports.declaration_workbook(declaration), filename)


# --- Tasks ---------------------------------------------------------------------------------------


class TaskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", "待办"), ("done", "已办")],
        method="filter_status",
        help_text="open 或 done",
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="只看逾期（true）或未逾期（false）"
    )

    class Meta:
        model = task_selectors.ReviewTask
        fields = ["status", "overdue"]

    def filter_status(self, queryset, name, value):
        return queryset  # the view picks open or done tasks before filtering

    def filter_overdue(self, queryset, name, value):
        late = Q(due_at__lt=timezone.now(), status__in=("NEW", "ASSIGNED", "STARTED"))
        return queryset.filter(late) if value else queryset.exclude(late)


@extend_schema_view(
    list=extend_schema(responses={200: s.TaskSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.TaskSerializer}),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """My inbox: tasks assigned to me and tasks I may claim (status=done: what I handled)."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    queryset = task_selectors.ReviewTask.objects.none()

    def get_queryset(self):
        view = "done" if self.request.query_params.get("status") == "done" else "open"
        return task_selectors.tasks_for(self.request.user, view=view)

    def get_object(self):
        return task_selectors.task_for(self.request.user, self.kwargs["pk"])

    def _done(self, task_id):
        return Response(s.TaskSerializer(task_selectors.task_for(self.request.user, task_id)).data)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def claim(self, request, pk=None):
        """Claim a task from the shared queue."""
        review.task_claim(actor=request.user, task_id=pk)
        return self._done(pk)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def release(self, request, pk=None):
        """Put a claimed task back into the queue."""
        review.task_release(actor=request.user, task_id=pk)
        return self._done(pk)

    @extend_schema(request=s.OpinionSerializer, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        """Agree (同意) and stamp; the opinion defaults to 同意."""
        data = s.OpinionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review.task_approve(actor=request.user, task_id=pk, opinion=data.validated_data["opinion"])
        return self._done(pk)

    @extend_schema(request=s.ReturnSerializer, responses={200: s.TaskSerializer})
    @action(
        detail=True, methods=["post"], url_path="return", url_name="return", filterset_class=None
    )
    def return_(self, request, pk=None):
        """Return for revision (退回修改) to the preparer or the previous stage."""
        data = s.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review.task_return(actor=request.user, task_id=pk, **data.validated_data)
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
        review.task_reject(actor=request.user, task_id=pk, opinion=data.validated_data["opinion"])
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
        return self._move(request, pk, review.task_hand_over)

    @extend_schema(
        request=s.MoveTaskSerializer,
        responses={200: s.TaskSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reassign(self, request, pk=None):
        """An administrator reassigns a task (转交)."""
        return self._move(request, pk, review.task_reassign)


# --- Audit events --------------------------------------------------------------------------------


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time with any offset, compared in UTC (the database refuses odd offsets)."""

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


class AuditEventFilter(django_filters.FilterSet):
    declaration = django_filters.NumberFilter(
        field_name="declaration_id", min_value=1, max_value=MAX_ID
    )
    actor = django_filters.CharFilter(field_name="actor__username", help_text="操作人用户名")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte", help_text="起始时间（含）")
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lte", help_text="截止时间（含）")

    class Meta:
        model = AuditEvent
        fields = ["declaration", "actor", "action", "since", "until"]


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
        if not task_selectors.is_overseer(self.request.user):
            raise NotAllowed("只有审计人员和管理员可以查看审计日志。")
        return (
            task_selectors.audit_events_for(self.request.user)
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
