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

# Transactional tests flush tables with TRUNCATE, which the audit log's trigger refuses; this
# backend lets a flush (and only a flush) run without triggers (see its docstring).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.test_postgresql"
# Tests connect as a superuser, the owner of every table they create; `migrate` must never
# follow a MIGRATION_DATABASE_URL from the environment to another database.
MIGRATION_DATABASE = None
