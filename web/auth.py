"""Login for pages and API alike, with failed attempts throttled (approvals.login_throttle)."""

from django import forms
from django.contrib.auth import views as auth_views
from viewflow.contrib.auth import AuthenticationForm

from audit.context import client_ip
from organisations import signin as login_throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
        "throttled": "登录失败次数过多，请稍后再试。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_ip(self.request) or "unknown"
        try:
            login_throttle.check(username, address)
        except login_throttle.TooManyFailures:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled"
            ) from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_throttle.record_failure(username, address)
            raise
        login_throttle.record_success(username, address)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "approvals/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
        return response
