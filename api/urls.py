from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import audit, auth, declarations, notifications, tasks
from api.common import not_found

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON is the only format: suffixed routes (history.json) reached actions that take no `format`
# argument (a 500); without them such a path is one more unknown path, a JSON 404.
router.include_format_suffixes = False
router.register("declarations", declarations.DeclarationViewSet, basename="declaration")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("audit/events", audit.AuditEventViewSet, basename="audit-event")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("auth/tokens", auth.ApiTokenViewSet, basename="api-token")

app_name = "api"
urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="logout-all"),
    # Routed by hand: the router would add a trailing slash after the file name.
    path(
        "declarations/<id:pk>/export.xlsx",
        declarations.DeclarationViewSet.as_view({"get": "export"}, detail=True),
        name="declaration-export",
    ),
    path(
        "audit/events/export.xlsx",
        audit.AuditEventViewSet.as_view({"get": "export_xlsx"}),
        name="audit-event-export-xlsx",
    ),
    path(
        "audit/events/export.csv",
        audit.AuditEventViewSet.as_view({"get": "export_csv"}),
        name="audit-event-export-csv",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL of its own: the CSP forbids inline ones.
    # No Redoc page: Redoc cannot run without inline styles (styled-components), so it fails
    # under the CSP ("Something went wrong"); Swagger UI and the schema serve the same purpose.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
    # Anything else under /api/ is a JSON 404, as clients expect from an API.
    re_path(r"^[\s\S]*$", not_found, name="not-found"),
]
