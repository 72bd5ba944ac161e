from django.urls import path

from web.views import declarations as views

app_name = "approvals"
urlpatterns = [
    path("", views.home, name="home"),
    path("declarations/", views.declaration_list, name="declaration_list"),
    path("declarations/new/", views.declaration_new, name="declaration_new"),
    path("declarations/export.xlsx", views.declaration_list_export, name="declaration_list_export"),
    path("declarations/<id:pk>/", views.declaration_detail, name="declaration_detail"),
    path("declarations/<id:pk>/edit/", views.declaration_edit, name="declaration_edit"),
    path("declarations/<id:pk>/submit/", views.declaration_submit, name="declaration_submit"),
    path("declarations/<id:pk>/discard/", views.declaration_discard, name="declaration_discard"),
    path("declarations/<id:pk>/copy/", views.declaration_copy, name="declaration_copy"),
    path(
        "declarations/<id:pk>/withdraw/",
        views.declaration_withdraw_view,
        name="declaration_withdraw",
    ),
    path("declarations/<id:pk>/urge/", views.declaration_urge_view, name="declaration_urge"),
    path(
        "declarations/<id:pk>/comment/", views.declaration_comment_view, name="declaration_comment"
    ),
    path("declarations/<id:pk>/print/", views.declaration_print, name="declaration_print"),
    path("declarations/<id:pk>/export.xlsx", views.declaration_export, name="declaration_export"),
    path(
        "declarations/<id:pk>/history/", views.declaration_history_view, name="declaration_history"
    ),
    path("declarations/<id:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "declarations/<id:pk>/attachments/<id:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "declarations/<id:pk>/attachments/<id:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
]
