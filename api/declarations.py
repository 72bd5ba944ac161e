"""Declarations: list, read, create, edit, submit, withdraw, urge, history, audit proof and
export."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
)
from rest_framework.response import Response

from api import serializers as s
from api.common import ID_LOOKUP, XLSX_RESPONSE
from api.pagination import KeysetPagination, Pagination
from audit.proofs import proof_bundle
from declarations import exports
from declarations.models import Declaration
from review import drafts, permissions, selectors, services
from review.filters import DeclarationFilter
from review.permissions import Action, access_declaration_by_id


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

    ORDERING = ("-updated_at", "-pk")

    def get_queryset(self):
        return selectors.declarations_visible_to(self.request.user).order_by(*self.ORDERING)

    @property
    def paginator(self):
        """Keyset pages for the list (api.pagination); the history keeps page numbers."""
        if not hasattr(self, "_paginator"):
            self._paginator = (
                KeysetPagination(self.ORDERING) if self.action == "list" else Pagination()
            )
        return self._paginator

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

    @extend_schema(responses={200: s.AuditProofSerializer}, filters=False)
    @action(detail=True, methods=["get"], url_path="audit-proof", filterset_class=None)
    def audit_proof(self, request, pk=None):
        """The declaration's audit proof bundle: its events with their inclusion proofs against
        the newest signed checkpoint. `python tools/verify_audit_bundle.py BUNDLE --public-key
        KEY.pem` checks it offline; events newer than the checkpoint are counted in `pending`."""
        declaration = self.get_object(Action.AUDIT_PROOF)
        return Response(proof_bundle(selectors.declaration_history(request.user, declaration)))

    @extend_schema(responses={(200, exports.XLSX): XLSX_RESPONSE}, filters=False)
    def export(self, request, pk=None):
        """The declaration as an Excel workbook."""
        declaration = self.get_object()
        filename = f"{declaration.fiscal_year}-{declaration.name or declaration.pk}.xlsx"
        return exports.xlsx_response(exports.declaration_workbook(declaration), filename)
