from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.generic import RedirectView

from config.health import healthz
from declarations.ids import IdConverter

register_converter(IdConverter, "id")

# Admin pages of models that moved to another app keep answering at their old addresses.
MOVED_ADMIN_PAGES = [
    ("approvals", "organisations", "jurisdiction|organisation|membership"),
    ("approval_workflow", "audit", "auditevent|chainhead|auditcheckpoint"),
    ("notifications", "approval_workflow", "stagetimelimit|calendarday"),
]
moved_admin_urls = [
    re_path(
        rf"^admin/{old}/(?P<rest>(?:{models})/.*)$",
        RedirectView.as_view(url=f"/admin/{new}/%(rest)s", permanent=True, query_string=True),
    )
    for old, new, models in MOVED_ADMIN_PAGES
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *moved_admin_urls,
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("accounts/", include("web.accounts_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("web.workflow_urls")),
    path("", include("web.notification_urls")),
    path("", include("web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
