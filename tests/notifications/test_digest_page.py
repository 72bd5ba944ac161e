"""The weekly digest on /digest/: readable by the reviewers and heads of the organisation, a
404 for anyone else's, nothing for a preparer."""

import pytest

from tests.notifications.helpers import EZ_DEPARTMENT, NY_DEPARTMENT, NY_UNIT, text_of

pytestmark = pytest.mark.django_db


def test_digest_page_shows_own_organisation(week, web):
    """ny_head reads the unit's digest on /digest/ with this week's numbers and stage times."""
    page = web("ny_head").get("/digest/")
    assert page.status_code == 200
    text = text_of(page)
    assert NY_UNIT in text
    assert "待审核 1 逾期 1 本周同意 1 本周退回 1" in text
    assert "单位负责人 2 60.0" in text
    assert NY_DEPARTMENT not in text
    assert EZ_DEPARTMENT not in text


def test_digest_page_of_another_organisation_is_404(week, web, demo):
    """Asking for an organisation the user may not read (another jurisdiction's department, or
    another organisation of the same jurisdiction) is 404; their own one is 200."""
    client = web("ny_head")
    assert client.get("/digest/", {"organisation": demo.org(EZ_DEPARTMENT).pk}).status_code == 404
    assert client.get("/digest/", {"organisation": demo.org(NY_DEPARTMENT).pk}).status_code == 404
    own = client.get("/digest/", {"organisation": demo.org(NY_UNIT).pk})
    assert own.status_code == 200
    assert NY_UNIT in text_of(own)


def test_department_reviewer_and_head_read_the_department_digest(week, web, demo):
    for username in ("ny_dept", "ny_dept_head"):
        text = text_of(web(username).get("/digest/"))
        assert NY_DEPARTMENT in text, username
        assert EZ_DEPARTMENT not in text, username
        assert NY_UNIT not in text, username


def test_preparer_has_no_digest(week, web, demo):
    page = web("ny_preparer").get("/digest/")
    assert page.status_code == 200
    assert "您没有可查看的周报" in text_of(page)
    other = web("ny_preparer").get("/digest/", {"organisation": demo.org(NY_UNIT).pk})
    assert other.status_code == 404
