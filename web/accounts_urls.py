"""Sign-in, sign-out and passwords: Django's own views on our own templates.

The paths and URL names are those of viewflow's AuthViewset, which served them before; its
Material templates need viewflow's frontend, which we neither use nor collect.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from web.auth import LoginView

TEMPLATES = "approvals/accounts"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(
            template_name=f"{TEMPLATES}/password_change_form.html"
        ),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name=f"{TEMPLATES}/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            template_name=f"{TEMPLATES}/password_reset_form.html",
            email_template_name=f"{TEMPLATES}/password_reset_email.txt",
            subject_template_name=f"{TEMPLATES}/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(
            template_name=f"{TEMPLATES}/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=f"{TEMPLATES}/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=f"{TEMPLATES}/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
