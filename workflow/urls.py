from django.urls import path

from . import views

app_name = "workflow"
urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path(
        "tasks/<int:pk>/<str:action>/",
        views.task_action,
        name="task_action",
    ),
    path("audit/", views.audit_log, name="audit_log"),
]
