"""The login page, with failed attempts throttled (organisations.signin) and a device cookie
issued on success (organisations.devices)."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from organisations import devices as login_devices
from organisations import signin as login_throttle
from organisations.signin import login_attempt_for


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if not (username and self.cleaned_data.get("password")):
            return super().clean()  # the missing field says so; nothing to check yet
        try:
            attempt = login_attempt_for(self.request, username)
        except login_throttle.TooManyFailures as refusal:
            raise forms.ValidationError(refusal.message, code="throttled") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_throttle.login_failure_record(attempt=attempt)
            raise
        login_throttle.login_success_record(attempt=attempt, user_id=self.get_user().pk)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "approvals/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        login_devices.remember_login(response, request=self.request, user_id=form.get_user().pk)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
        return response
