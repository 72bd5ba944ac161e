"""The audit log page goes back in time page by page without counting the whole log: each page
links to the older events after its last row, and back to the newest."""

import re

import pytest

from audit.models import AuditEvent
from web.views import tasks as task_views

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r"<tr>\s*<td>(\d+)</td>", response.content.decode())]


def test_older_links_walk_the_whole_log_once_newest_first(web, monkeypatch):
    """Three events a page: following 更早 from the first page lists every event the auditor
    reads exactly once, newest first; the last page has no 更早 link and each later page links
    to 最新."""
    monkeypatch.setattr(task_views, "AUDIT_PAGE", 3)
    client = web("auditor")
    response = client.get("/audit/")
    seen = _ids(response)
    assert "最新" not in response.content.decode()
    while match := re.search(r'href="\?(before=[^"]+)">更早', response.content.decode()):
        response = client.get("/audit/?" + match.group(1).replace("&amp;", "&"))
        assert response.status_code == 200
        assert "最新" in response.content.decode()
        seen += _ids(response)
    assert seen == list(AuditEvent.objects.order_by("-at", "-pk").values_list("pk", flat=True))


def test_a_mangled_cursor_shows_the_newest_events(web):
    """A cursor edited by hand is no error: the page starts from the newest event."""
    response = web("auditor").get("/audit/", {"before": "yesterday_abc"})
    assert response.status_code == 200
    assert _ids(response)[0] == AuditEvent.objects.order_by("-at", "-pk").first().pk
