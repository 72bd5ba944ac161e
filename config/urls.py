from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, register_converter

from config.converters import IdConverter
from config.health import healthz

register_converter(IdConverter, "id")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("approvals.api.urls")),
    path("accounts/", include("approvals.accounts_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("workflow.urls")),
    path("", include("notifications.urls")),
    path("", include("approvals.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
