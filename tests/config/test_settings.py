"""Every settings module loads; production refuses to start without a real SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


# What production needs besides the database: a real secret and the audit log's signing key and
# anchor store (settings only name them; nothing is read while loading).
PRODUCTION_ENV = {
    "SECRET_KEY": "a-real-secret-" + "x" * 40,
    "AUDIT_SIGNING_KEY": "/srv/keys/audit-signing.pem",
    "AUDIT_ANCHOR_DIR": "/srv/audit-anchors",
}


@pytest.mark.parametrize(
    ("module", "env"),
    [
        ("config.settings.local", {}),
        ("config.settings.test", {}),
        ("config.settings.production", PRODUCTION_ENV),
    ],
)
def test_every_environment_loads(module, env):
    result = load_settings(module, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Asia/Shanghai", "zh-hans"]


@pytest.mark.parametrize(
    "secret", ["", "django-insecure-local-development-only-do-not-deploy", "django-insecure-xyz"]
)
def test_production_refuses_missing_or_default_secret_key(secret):
    env = {**PRODUCTION_ENV, "SECRET_KEY": secret} if secret else {}
    result = load_settings("config.settings.production", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_come_from_the_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
            "s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": "postgres://u@db.example:5432/x",
            "REDIS_URL": "redis://cache.example:6379/1",
            "CELERY_BROKER_URL": "redis://broker.example:6379/0",
            "ALLOWED_HOSTS": "a.example,b.example",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django_redis.cache.RedisCache",
        "redis://broker.example:6379/0",
        "False",
        "['a.example',",
        "'b.example']",
    ]


def test_embedded_default_needs_no_services():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
            "s.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "memory://", "True"]


@pytest.mark.parametrize(
    ("module", "env"),
    [
        ("config.settings.local", {}),
        ("config.settings.test", {}),
        ("config.settings.production", PRODUCTION_ENV),
    ],
)
def test_every_environment_sends_the_strict_csp(module, env):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print('csp.middleware.CSPMiddleware' in s.MIDDLEWARE, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'], "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['style-src'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "[\"'self'\"]", "[\"'self'\"]"]
