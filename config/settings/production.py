"""Production: PostgreSQL, Redis, SMTP; refuses to start with a missing or default SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from .base import *

SECRET_KEY = env("SECRET_KEY", default="")
if (
    not SECRET_KEY
    or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a private random value in production "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )

DEBUG = False
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# HTTP Strict Transport Security: once seen, browsers use only HTTPS for this long.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    # SECURE_SSL_REDIRECT stays off by default: the site runs behind the TLS proxy described in
    # the README, which redirects HTTP to HTTPS itself and talks plain HTTP to gunicorn.
    "security.W008",
    # HSTS preload lists bind a whole domain and its subdomains for months; only the owner of
    # the domain can decide that, with SECURE_HSTS_PRELOAD=True.
    "security.W021",
]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The audit log's checkpoints are signed with a key of their own and anchored outside the
# database; without either the log cannot hold against the database's administrator.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="")
AUDIT_SIGNING_KEY_CREATE = False
AUDIT_ANCHOR_DIR = env("AUDIT_ANCHOR_DIR", default="")
if not AUDIT_SIGNING_KEY:
    raise ImproperlyConfigured(
        "AUDIT_SIGNING_KEY must name the audit log's Ed25519 signing key (a PEM file) in "
        "production; write one with `python manage.py audit_keygen PATH`."
    )
if not AUDIT_ANCHOR_DIR:
    raise ImproperlyConfigured(
        "AUDIT_ANCHOR_DIR must name the directory that keeps the audit log's signed checkpoints "
        "outside the database (a volume or host the database's administrator cannot write)."
    )
