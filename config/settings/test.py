"""Test settings: the same code paths as production, with fast hashing and in-memory mail."""

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".test-media"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests that need a real broker start their own worker; everything else runs tasks eagerly.
TEST_BROKER_URL = CELERY_BROKER_URL if CELERY_BROKER_CONFIGURED else None
CELERY_TASK_ALWAYS_EAGER = True

# Serve static files straight from the apps; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Transactional tests flush tables with TRUNCATE; the audit log's trigger allows that only in
# sessions that say so (see workflow/migrations/0002_audit_append_only.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c audit.allow_truncate=on"
