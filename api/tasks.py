"""Review tasks: my inbox and queue, and every decision on a task."""

from dataclasses import asdict

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import (
    action,
)
from rest_framework.response import Response

from api import serializers as s
from api.common import ID_LOOKUP
from api.pagination import Pagination, SortedKeysetPagination
from review import selectors, services
from review.filters import TaskFilter, task_sort
from review.models import ReviewTask
from review.permissions import access_task_by_id


def _sort_of(request) -> tuple[str, bool]:
    """The list's sort (`?sort=`, TaskFilter's names): by due time unless asked otherwise."""
    return task_sort(request.query_params.get("sort", "due"))


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
        tasks = selectors.tasks_for(self.request.user, view=view)
        return selectors.task_api_rows(tasks) if self.action == "list" else tasks

    @property
    def paginator(self):
        """Keyset pages in the list's sort order (api.pagination); `?page=N` still answers."""
        if not hasattr(self, "_paginator"):
            self._paginator = (
                SortedKeysetPagination(_sort_of) if self.action == "list" else Pagination()
            )
        return self._paginator

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

    @extend_schema(
        request=s.BatchApproveSerializer,
        responses={200: s.BatchApproveResultSerializer},
        description="批量同意：每项任务单独盖章、单独记录审计事件；未能同意的任务列出原因"
        "（代码与中文说明），其余照常通过。看不到的任务与不存在的任务一样报告为 not_found。",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="batch-approve",
        url_name="batch-approve",
        filterset_class=None,
        pagination_class=None,
    )
    def batch_approve(self, request):
        """Agree to several tasks with one opinion; each task's result is listed."""
        data = s.BatchApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcomes = services.tasks_batch_approve(
            user=request.user,
            task_ids=data.validated_data["tasks"],
            opinion=data.validated_data["opinion"],
        )
        return Response({"results": [asdict(outcome) for outcome in outcomes]})

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
