"""The README's production steps work: collectstatic with the manifest storage, pages that find
every static file in the manifest, and `check --deploy` with nothing to report."""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / app / "templates" for app in ("web", "notifications")]
PRODUCTION_HOST = "approvals.example.gov.cn"

# In a fresh interpreter with production settings: collect the static files, then serve pages
# through the whole middleware stack (WhiteNoise serving from STATIC_ROOT) on an in-memory
# database, and report what a browser would get.
RENDER_PAGES = """
import json, re, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

call_command("collectstatic", interactive=False, verbosity=0)
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="%(host)s", HTTP_X_FORWARDED_PROTO="https")
report = {"pages": {}, "missing": []}

def visit(path):
    response = client.get(path, secure=True)
    body = response.content.decode()
    report["pages"][path] = {
        "status": response.status_code,
        "csp": response.get("Content-Security-Policy", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
        "stylesheets": re.findall(r'<link rel="stylesheet" href="([^"]+)"', body),
        "scripts": re.findall(r'<script[^>]* src="([^"]+)"', body),
    }

for path in ["/accounts/login/", "/accounts/password_reset/", "/no-such-page/", "/admin/login/",
             "/api/docs/", "/api/schema/"]:
    visit(path)
admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
client.force_login(admin)
for path in ["/", "/declarations/", "/tasks/", "/notifications/", "/accounts/password_change/",
             "/admin/", "/admin/django_celery_beat/periodictask/add/"]:
    visit(path)
for name in sys.argv[1:]:
    try:
        staticfiles_storage.url(name)
    except ValueError:
        report["missing"].append(name)
stylesheet = report["pages"]["/accounts/login/"]["stylesheets"][0]
served = client.get(stylesheet, secure=True)
report["stylesheet"] = {"url": stylesheet, "status": served.status_code,
                        "type": served.get("Content-Type", "")}
print("REPORT" + json.dumps(report))
"""


def production_env(**extra: str) -> dict[str, str]:
    """The environment of the README's production steps, without the test run's settings."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "DATABASE_", "STATIC_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
        and not key.startswith("AUDIT_")
    }
    audit = Path(tempfile.gettempdir()) / "perf-approvals-production-test"
    return {
        **kept,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "AUDIT_SIGNING_KEY": str(audit / "audit-signing.pem"),
        "AUDIT_ANCHOR_DIR": str(audit / "anchors"),
        **extra,
    }


def static_references() -> list[str]:
    """Every file our templates name with {% static %}."""
    names = set()
    for directory in TEMPLATE_DIRS:
        for template in directory.rglob("*.html"):
            names.update(re.findall(r"{% static ['\"]([^'\"]+)['\"] %}", template.read_text()))
    return sorted(names)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """collectstatic into a fresh STATIC_ROOT and the pages served from it, in production."""
    static_root = tmp_path_factory.mktemp("static")
    env = production_env(STATIC_ROOT=str(static_root), DATABASE_URL="sqlite://:memory:")
    result = subprocess.run(
        [sys.executable, "-c", RENDER_PAGES % {"host": PRODUCTION_HOST}, *static_references()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = result.stdout.split("REPORT", 1)[1]
    return static_root, json.loads(report)


def test_collectstatic_succeeds_with_the_manifest_storage(production):
    """collectstatic post-processes every file (viewflow's CSS names fonts it does not ship,
    so viewflow's static files are left out) and writes the manifest."""
    static_root, _report = production
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    assert "approvals/app.css" in manifest
    assert "approvals/app.js" in manifest
    assert "admin/css/base.css" in manifest
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in manifest
    assert not any(name.startswith("viewflow/") for name in manifest)


def test_pages_render_under_the_manifest_storage(production):
    """Pages answer (no "Missing staticfiles manifest entry" 500) with hashed static URLs."""
    _static_root, report = production
    for path, page in report["pages"].items():
        expected = 404 if path == "/no-such-page/" else 200
        assert page["status"] == expected, (path, page)
        for url in page["stylesheets"] + page["scripts"]:
            if url.startswith("/static/"):
                assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), (path, url)
    login = report["pages"]["/accounts/login/"]
    assert login["stylesheets"]
    assert login["scripts"]


def test_every_static_file_a_template_names_is_in_the_manifest(production):
    _static_root, report = production
    assert static_references(), "no {% static %} found: the pattern is wrong"
    assert report["missing"] == []


def test_login_stylesheet_is_served_from_static_root(production):
    _static_root, report = production
    assert report["stylesheet"]["status"] == 200
    assert report["stylesheet"]["type"].startswith("text/css")


def test_production_sends_csp_and_hsts(production):
    """Every page: the strict CSP; over HTTPS (behind the proxy): HSTS for a year."""
    _static_root, report = production
    for path, page in report["pages"].items():
        assert "script-src 'self'" in page["csp"], path
        assert "unsafe" not in page["csp"], path
        assert page["hsts"] == "max-age=31536000; includeSubDomains", path


def test_check_deploy_reports_nothing_with_production_defaults():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output, output
    assert "ERRORS" not in output, output


def test_hsts_comes_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(SECURE_HSTS_SECONDS="600", SECURE_HSTS_INCLUDE_SUBDOMAINS="False"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", "False", "False"]


@pytest.mark.parametrize("missing", ["AUDIT_SIGNING_KEY", "AUDIT_ANCHOR_DIR"])
def test_production_refuses_to_start_without_the_audit_key_or_anchor_dir(missing):
    """Without the checkpoints' signing key or the anchor store outside the database,
    production settings stop with ImproperlyConfigured naming the missing setting."""
    env = production_env()
    del env[missing]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must" in result.stderr
