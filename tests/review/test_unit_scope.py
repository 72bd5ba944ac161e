"""A preparer sees and changes only their own unit's declarations. Another unit's declaration
answers exactly like one that does not exist (404), on every page and action; lists and exports
never include it, nor another unit's attachments. A unit head can read their unit's
declarations but not edit them (403)."""

import pytest

from declarations.content import content_of
from declarations.models import Attachment, Declaration, DeclarationStatus
from review.drafts import attachment_add
from tests.declarations.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PDF,
    SEED_IDS,
    edit_fields,
    listed_in_export,
    post_attachment,
    upload,
)
from tests.html import post_data
from tests.pages import page_of


def _attach(declaration: Declaration, user) -> Attachment:
    return attachment_add(
        actor=user,
        declaration_id=declaration.pk,
        upload=upload("立项依据.pdf", PDF, "application/pdf"),
    )


def _requests(pk: int, attachment_id: int, edit_data: dict) -> list[tuple[str, str, dict]]:
    """Every page and action on one declaration: (method, url, data)."""
    base = f"/declarations/{pk}"
    return [
        ("get", f"{base}/", {}),
        ("get", f"{base}/edit/", {}),
        ("post", f"{base}/edit/", edit_data),
        ("post", f"{base}/edit/", {**edit_data, "action": "submit"}),
        ("get", f"{base}/print/", {}),
        ("get", f"{base}/export.xlsx", {}),
        ("get", f"{base}/history/", {}),
        ("post", f"{base}/submit/", {}),
        ("post", f"{base}/copy/", {}),
        ("post", f"{base}/copy/", {"fiscal_year": "2030"}),
        ("post", f"{base}/discard/", {}),
        ("post", f"{base}/comment/", {"text": "看看"}),
        ("post", f"{base}/withdraw/", {}),
        ("post", f"{base}/attachments/", {"file": upload("另一份.pdf", PDF, "application/pdf")}),
        ("get", f"{base}/attachments/{attachment_id}/", {}),
        ("post", f"{base}/attachments/{attachment_id}/delete/", {}),
    ]


def _snapshot():
    return {
        "declarations": sorted(
            (d.pk, d.name, d.version, d.status, d.fiscal_year) for d in Declaration.objects.all()
        ),
        "content": {d.pk: content_of(d) for d in Declaration.objects.all()},
        "attachments": sorted(Attachment.objects.values_list("pk", "declaration_id")),
        "pending": sorted(Declaration.objects.values_list("pk", "pending_input")),
    }


@pytest.fixture
def ny_attachment(ny_relocation, demo) -> Attachment:
    return _attach(ny_relocation, demo.user("ny_preparer"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", [NY_RELOCATION, NY_GRID], ids=SEED_IDS[1:])
def test_another_units_declaration_answers_404_everywhere(
    client, seeds, login, ny_attachment, name
):
    """ez_preparer guessing the ids of 南岳's declarations (and of their attachment) gets 404 on
    every page and action, the same page as for an id that does not exist, and changes nothing."""
    target = seeds[name]
    login("ny_preparer")
    edit_data = post_data(edit_fields(client, target), action="save", name="被篡改的名称")
    missing_pk = Declaration.objects.order_by("-pk").first().pk + 1000
    missing_attachment = ny_attachment.pk + 1000
    before = _snapshot()

    login("ez_preparer")
    not_found = client.get(f"/declarations/{missing_pk}/")
    assert not_found.status_code == 404
    for (method, url, data), (_, missing_url, missing_data) in zip(
        _requests(target.pk, ny_attachment.pk, edit_data),
        _requests(missing_pk, missing_attachment, edit_data),
        strict=True,
    ):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, f"{method} {url}"
        missing = getattr(client, method)(missing_url, missing_data)
        assert missing.status_code == 404, f"{method} {missing_url}"
        assert response.content == missing.content, f"{method} {url} tells that it exists"

    assert _snapshot() == before


@pytest.mark.django_db
def test_an_attachment_of_another_unit_is_not_reachable_through_an_own_declaration(
    client, ez_project, login, ny_attachment
):
    """Putting another unit's attachment id under one's own declaration gives 404 too."""
    login("ez_preparer")
    base = f"/declarations/{ez_project.pk}/attachments/{ny_attachment.pk}"
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f"{base}/delete/").status_code == 404
    assert Attachment.objects.filter(pk=ny_attachment.pk).exists()


def _listed_names(response) -> list[str]:
    assert response.status_code == 200
    table = page_of(response).find("table", cls="list")
    return [
        row.find("a").text for row in table.find("tbody").children_tagged("tr") if row.find_all("a")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "?year=2020", "?status=draft", "?q=网格", "?unit={ny_unit}", "?year=2020&status=draft"],
)
def test_the_list_shows_only_the_own_units_declarations(client, demo, seeds, login, query):
    """Whatever the filters (even naming the other unit), ez_preparer's list holds only 鄂州's."""
    query = query.format(ny_unit=demo.ny_unit.pk)
    login("ez_preparer")
    names = _listed_names(client.get(f"/declarations/{query}"))
    assert NY_RELOCATION not in names
    assert NY_GRID not in names
    assert set(names) <= {EZ_PROJECT}
    if not query:
        assert names == [EZ_PROJECT]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "?year=2020", "?status=draft", "?q=网格", "?unit={ny_unit}", "?year=2020&status=draft"],
)
def test_the_list_export_holds_only_the_own_units_declarations(client, demo, seeds, login, query):
    """The list export, with any filters, never includes another unit's declarations."""
    query = query.format(ny_unit=demo.ny_unit.pk)
    login("ez_preparer")
    names = listed_in_export(client.get(f"/declarations/export.xlsx{query}"))
    assert NY_RELOCATION not in names
    assert NY_GRID not in names
    assert set(names) <= {EZ_PROJECT}
    if not query:
        assert names == [EZ_PROJECT]


@pytest.mark.django_db
def test_the_nanyue_preparer_sees_only_nanyue(client, seeds, login):
    """The other way round: ny_preparer's list and export hold the two 南岳 declarations only,
    and 鄂州's declaration answers 404."""
    login("ny_preparer")
    assert sorted(_listed_names(client.get("/declarations/"))) == sorted([NY_RELOCATION, NY_GRID])
    names = listed_in_export(client.get("/declarations/export.xlsx"))
    assert sorted(names) == sorted([NY_RELOCATION, NY_GRID])
    assert client.get(f"/declarations/{seeds[EZ_PROJECT].pk}/").status_code == 404


@pytest.mark.django_db
def test_reviewers_do_not_see_drafts(client, ez_project, login):
    """A draft is the unit's own business: the competent department does not see it yet."""
    login("ez_dept")
    assert client.get(f"/declarations/{ez_project.pk}/").status_code == 404
    assert _listed_names(client.get("/declarations/")) == []


@pytest.mark.django_db
def test_a_unit_head_can_read_but_not_edit(client, ez_project, login, demo):
    """ez_head opens the detail, printed form, export and history of the unit's draft, but
    editing, submitting, copying and attachment changes answer 403 and change nothing."""
    attachment = _attach(ez_project, demo.user("ez_preparer"))
    login("ez_preparer")
    edit_data = post_data(edit_fields(client, ez_project), action="save", name="单位负责人改的")
    before = _snapshot()

    login("ez_head")
    base = f"/declarations/{ez_project.pk}"
    for url in (f"{base}/", f"{base}/print/", f"{base}/export.xlsx", f"{base}/history/"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{base}/attachments/{attachment.pk}/").status_code == 200
    detail = page_of(client.get(f"{base}/"))
    assert not detail.find_all("a", href=f"{base}/edit/"), "no edit link for the unit head"

    edit_page = client.get(f"{base}/edit/")
    assert edit_page.status_code == 403
    assert "只有本单位的填报人可以修改草稿或退回的申报表。" in edit_page.content.decode()
    for url, data in [
        (f"{base}/edit/", edit_data),
        (f"{base}/edit/", {**edit_data, "action": "submit"}),
        (f"{base}/submit/", {}),
        (f"{base}/copy/", {}),
        (f"{base}/attachments/", {"file": upload("另一份.pdf", PDF, "application/pdf")}),
        (f"{base}/attachments/{attachment.pk}/delete/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url

    assert _snapshot() == before
    ez_project.refresh_from_db()
    assert ez_project.status == DeclarationStatus.DRAFT


@pytest.mark.django_db
def test_a_unit_head_of_another_jurisdiction_gets_404(client, ez_project, login):
    """ny_head cannot tell that 鄂州's declaration exists."""
    login("ny_head")
    assert client.get(f"/declarations/{ez_project.pk}/").status_code == 404
    assert client.get(f"/declarations/{ez_project.pk}/print/").status_code == 404


@pytest.mark.django_db
def test_another_unit_cannot_reach_the_attachments(client, ny_relocation, login):
    """ez_preparer gets 404 for 南岳's attachment download, delete and upload; nothing changes."""
    login("ny_preparer")
    post_attachment(client, ny_relocation, "立项依据.pdf", PDF)
    attachment = ny_relocation.attachments.get()
    base = f"/declarations/{ny_relocation.pk}/attachments/"

    login("ez_preparer")
    assert client.get(f"{base}{attachment.pk}/").status_code == 404
    assert client.post(f"{base}{attachment.pk}/delete/").status_code == 404
    assert client.post(base, {"file": upload("另一份.pdf", PDF)}).status_code == 404
    assert list(Attachment.objects.values_list("pk", flat=True)) == [attachment.pk]
