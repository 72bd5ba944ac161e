"""Every page carries a strict Content-Security-Policy and needs nothing it forbids.

The policy allows scripts and styles from our own origin only: no inline <script> (JSON data
islands aside), no event-handler attributes, no javascript: URLs, no style attributes or
<style> elements. Behaviour lives in web/static/approvals/app.js, driven by data
attributes, and the pages that need it load that file.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.views import defaults

from declarations.models import Declaration
from organisations.models import Organisation
from review import services as review
from review.models import ReviewTask
from review.services import declaration_submit
from tests.declarations.helpers import EZ_PROJECT, NY_GRID, PASSWORD
from tests.factories import DemoData

FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")
ROLES = [
    "ez_preparer",
    "ez_head",
    "ez_dept",
    "ez_finance",
    "ez_perf",
    "ny_preparer",
    "ny_head",
    "auditor",
    "admin",
]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block in a page, and the behaviour it asks app.js for."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.behaviours: list[tuple[str, str, dict]] = []  # (attribute, tag, attrs)
        self._forms_open = 0
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            if value.strip().lower().startswith("javascript:"):
                self.problems.append(f'<{tag} {name}="{value}">')
            if name in ("data-confirm", "data-print", "data-autosubmit", "data-formset-action"):
                self.behaviours.append((name, tag, {**attrs, "_in_form": self._forms_open > 0}))
        if tag == "form":
            self._forms_open += 1
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if "src" in attrs:
                self.scripts.append(attrs["src"])
                if not attrs["src"].startswith("/"):
                    self.problems.append(f"script from another origin: {attrs['src']}")
            elif attrs.get("type") != "application/json":
                self._in_inline_script = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._forms_open -= 1
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")


def read_page(html: str) -> InlineCode:
    reader = InlineCode()
    reader.feed(html)
    reader.close()
    return reader


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.status_code} response without a Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_policy(response) -> None:
    """The response carries the site's policy, with nothing that lets inline code run."""
    directives = csp_directives(response)
    for name, sources in directives.items():
        loose = [s for s in sources if s in FORBIDDEN_SOURCES]
        assert not loose, f"{name} allows {loose}"
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]


def assert_page_passes(html: str, where: str) -> None:
    """Nothing on the page is blocked by the policy, and its behaviour is wired to app.js."""
    page = read_page(html)
    assert not page.problems, f"{where}: {page.problems}"
    if page.behaviours:
        assert any(src.split("/")[-1].startswith("app.") for src in page.scripts), (
            f"{where} asks for {page.behaviours[0][0]} but does not load app.js"
        )
    for attribute, tag, attrs in page.behaviours:
        if attribute == "data-confirm":
            assert tag == "form", where
            assert attrs["data-confirm"], where
        if attribute == "data-autosubmit":
            assert tag == "select", where
            assert attrs["_in_form"], where
        if attribute == "data-print":
            assert tag == "button", where


@pytest.fixture
def walk(demo):
    """The demo with a declaration in review (stamped once) and another still a draft."""
    users = DemoData()
    ez_project = Declaration.objects.get(name=EZ_PROJECT)
    declaration_submit(actor=users.user("ez_preparer"), declaration_id=ez_project.pk)
    first = ReviewTask.objects.get(declaration=ez_project, stage="unit_head")
    review.task_approve(actor=users.user("ez_head"), task_id=first.pk, opinion="同意")
    task = ReviewTask.objects.filter(declaration=ez_project).order_by("-pk").first()
    return {
        "in_review": ez_project,
        "draft": Declaration.objects.get(name=NY_GRID),
        "task": task,
        "organisation": Organisation.objects.order_by("pk").first(),
    }


def pages(walk) -> dict[str, str | None]:
    """Every page of the site, with the role that must see it (None: everyone may)."""
    in_review, draft, task = walk["in_review"].pk, walk["draft"].pk, walk["task"].pk
    organisation = walk["organisation"].pk
    return {
        "/": None,
        "/declarations/": None,
        "/declarations/new/": "ez_preparer",
        f"/declarations/{in_review}/": "ez_preparer",
        f"/declarations/{draft}/": "ny_preparer",
        f"/declarations/{draft}/edit/": "ny_preparer",
        f"/declarations/{in_review}/print/": "ez_dept",
        f"/declarations/{in_review}/history/": "auditor",
        "/tasks/": "ez_dept",
        f"/tasks/{task}/": "ez_dept",
        "/audit/": "auditor",
        "/notifications/": "ez_dept",
        "/digest/": "ez_dept",
        "/notifications/preferences/": None,
        "/accounts/password_change/": None,
        "/admin/": "admin",
        "/admin/organisations/organisation/": "admin",
        f"/admin/organisations/organisation/{organisation}/change/": "admin",
        "/admin/audit/auditevent/": "admin",
        "/admin/django_celery_beat/periodictask/add/": "admin",
        "/api/docs/": None,
        "/no-such-page/": None,
    }


@pytest.mark.django_db
def test_every_page_of_every_role_passes_the_policy(client, walk):
    """Each demo role walks every page (refusals and 404s included): every response carries
    the strict policy, every page it must see is there, and no page needs inline code."""
    seen = 0
    for role in ROLES:
        client.logout()
        assert client.login(username=role, password=PASSWORD)
        for path, must_see in pages(walk).items():
            response = client.get(path)
            where = f"{path} as {role} ({response.status_code})"
            assert_strict_policy(response)
            if must_see in (None, role) and path != "/no-such-page/":
                assert response.status_code == 200, where
                seen += 1
            assert response.status_code in (200, 302, 403, 404), where
            if response.status_code != 302:
                assert_page_passes(response.content.decode(), where)
    assert seen > len(ROLES) * 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/password_reset/", "/admin/login/", "/api/docs/"]
)
def test_pages_for_visitors_pass_the_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_policy(response)
    assert_page_passes(response.content.decode(), path)


@pytest.mark.django_db
def test_api_docs_load_their_start_up_script_from_a_url(client):
    """Swagger UI starts from a script of its own URL (the split view), not an inline one."""
    page = read_page(client.get("/api/docs/").content.decode())
    start_up = [src for src in page.scripts if "script" in src.split("?")[-1]]
    assert start_up, page.scripts
    script = client.get(start_up[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


@pytest.mark.django_db
def test_redoc_is_not_served(client):
    """Redoc cannot run without inline styles, so the site does not offer it."""
    assert client.get("/api/redoc/").status_code == 404


@pytest.mark.django_db
def test_refusal_and_error_pages_pass_the_policy(client, demo):
    """The refusal page (403), a CSRF failure, a bad Host (400) and the 404/500 pages."""
    assert client.login(username="ez_preparer", password=PASSWORD)
    refused = client.get("/audit/", HTTP_REFERER="http://testserver/declarations/")
    assert refused.status_code == 403
    assert 'href="http://testserver/declarations/"' in refused.content.decode()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.login(username="ez_preparer", password=PASSWORD)
    csrf = csrf_client.post("/notifications/read-all/")
    assert csrf.status_code == 403
    assert "页面已过期" in csrf.content.decode()
    bad_host = client.get("/", HTTP_HOST="attacker.example")
    assert bad_host.status_code == 400
    assert "请求无效" in bad_host.content.decode()
    for response in (refused, csrf, bad_host, client.get("/no-such-page/")):
        assert_strict_policy(response)
        assert_page_passes(response.content.decode(), response.wsgi_request.path)


@pytest.mark.django_db
def test_error_handlers_render_without_inline_code(demo):
    """Django's own 400/403/500 handlers render our templates, which need no inline code."""
    request = RequestFactory().get("/")
    request.user = DemoData().user("ez_preparer")
    for response in (
        defaults.bad_request(request, Exception("x")),
        defaults.permission_denied(request, Exception("x")),
        defaults.server_error(request),
    ):
        html = response.content.decode()
        assert "<h1>" in html
        assert_page_passes(html, str(response.status_code))


def test_app_js_handles_every_behaviour_that_pages_ask_for():
    """The data attributes pages use instead of inline handlers are all handled by app.js."""
    script = Path(finders.find("approvals/app.js")).read_text(encoding="utf-8")
    for attribute in ("data-confirm", "data-autosubmit", "data-print", "data-formset-action"):
        assert attribute in script
    assert "window.confirm(" in script
    assert "window.print()" in script
    assert ".form.submit()" in script
