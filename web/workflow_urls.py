from django.urls import path, re_path

from web.views import tasks as views

app_name = "workflow"
urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/started/", views.started_list, name="started"),
    path("tasks/copied/", views.copied_list, name="copied"),
    path("tasks/batch-approve/", views.tasks_batch_approve_view, name="batch_approve"),
    path("tasks/<id:pk>/", views.task_detail, name="task_detail"),
    re_path(
        r"^tasks/(?P<pk>[0-9]{1,18})/(?P<action>claim|release|approve|return|reject|hand_over|reassign)/$",
        views.task_action,
        name="task_action",
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("phrases/", views.phrase_save, name="phrase_save"),
    path("phrases/<id:pk>/delete/", views.phrase_delete, name="phrase_delete"),
]
