"""declaration_copy: last year's declaration becomes a continuing draft for the next (or a
chosen) year, once per year, whatever its status; one copy event."""

from datetime import date

import pytest

from audit.models import AuditAction
from declarations.content import content_of
from declarations.models import Declaration, DeclarationStatus
from organisations.models import Role
from review import drafts as services
from review.drafts import declaration_copy
from review.services import declaration_submit
from tests.audit.helpers import assert_event, only_new_event
from tests.declarations.helpers import EZ_PROJECT, change_content, edit_url, newest_declaration
from tests.pages import flash_messages
from tests.review.helpers import EZ, NY_MOVE, last_event_pk, login, seed, user


@pytest.mark.django_db
def test_copy_writes_one_copy_event(demo):
    source = seed(EZ_PROJECT)
    before = last_event_pk()
    copy = services.declaration_copy(actor=user(EZ.preparer), source_id=source.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.COPY,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=copy,
    )
    assert event.details["from"] == source.pk


def _copy(client, declaration, **data):
    return client.post(f"/declarations/{declaration.pk}/copy/", data)


@pytest.mark.django_db
def test_copying_last_years_declaration_makes_a_continuing_draft_for_next_year(
    client, ny_relocation, login
):
    """The copy is a draft for 2021 with the same funding lines, goals and indicators; 新增 becomes
    延续 and the period moves one year on; the preparer lands on its edit form."""
    source = content_of(ny_relocation)
    count = Declaration.objects.count()
    login("ny_preparer")

    response = _copy(client, ny_relocation)

    assert Declaration.objects.count() == count + 1
    copy = newest_declaration()
    assert response.status_code == 302
    assert response["Location"] == edit_url(copy)
    assert "已复制为2021年度的新草稿，请核对后修改。" in flash_messages(client.get(edit_url(copy)))
    assert copy.status == DeclarationStatus.DRAFT
    assert copy.fiscal_year == 2021
    assert copy.nature == "continuing"
    assert (copy.period_start, copy.period_end) == (date(2021, 1, 1), date(2021, 12, 31))
    assert copy.reporting_unit == ny_relocation.reporting_unit
    assert copy.copied_from == ny_relocation
    copied = content_of(copy)
    assert copied.funding_lines == source.funding_lines
    assert copied.indicators == source.indicators
    assert copied.long_term_goals == source.long_term_goals
    assert copied.annual_goals == source.annual_goals
    unchanged = {"fiscal_year", "nature", "period_start", "period_end"}
    assert {k: v for k, v in copied.fields.items() if k not in unchanged} == {
        k: v for k, v in source.fields.items() if k not in unchanged
    }
    # The original is untouched.
    assert content_of(ny_relocation) == source
    # The printed copy ticks 延续项目.
    printed = client.get(f"/declarations/{copy.pk}/print/").content.decode()
    assert "新增项目□" in printed
    assert "延续项目☑" in printed
    assert "2021年元月-12月" in printed


@pytest.mark.django_db
def test_a_continuing_project_stays_continuing(client, ez_project, login):
    """持续性项目 is copied as 持续性项目, to the next year."""
    login("ez_preparer")
    assert _copy(client, ez_project).status_code == 302
    copy = newest_declaration()
    assert (copy.name, copy.fiscal_year, copy.nature) == (EZ_PROJECT, 2024, "ongoing")
    assert copy.indicators.count() == 20


@pytest.mark.django_db
def test_a_second_copy_into_the_same_year_is_refused(client, ny_relocation, login):
    """Copying again into a year that already has the declaration is refused with a message, and
    no second copy is made."""
    login("ny_preparer")
    _copy(client, ny_relocation)
    count = Declaration.objects.count()

    response = _copy(client, ny_relocation)

    assert Declaration.objects.count() == count
    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{ny_relocation.pk}/"
    assert (
        "本单位2021年度已有同名申报表“区综治中心搬迁、网络租赁及综治中心日常维护经费”，未重复复制。"
        in flash_messages(client.get(response["Location"]))
    )


@pytest.mark.django_db
def test_copy_into_a_chosen_year(client, ny_grid, login):
    """A year given with the copy is used, and the period moves by as many years."""
    login("ny_preparer")
    assert _copy(client, ny_grid, fiscal_year="2022").status_code == 302
    copy = newest_declaration()
    assert copy.fiscal_year == 2022
    assert (copy.period_start, copy.period_end) == (date(2022, 1, 1), date(2022, 12, 31))


@pytest.mark.django_db
def test_a_period_ending_on_29_february_is_moved_to_28_february(demo, ny_grid):
    """2020-02-29 has no counterpart in 2021: the copy ends on 2021-02-28."""
    change_content(ny_grid, lambda c: c.fields.update(period_end=date(2020, 2, 29)))
    copy = declaration_copy(actor=demo.user("ny_preparer"), source_id=ny_grid.pk)
    assert copy.period_end == date(2021, 2, 28)


@pytest.mark.django_db
def test_a_submitted_declaration_can_be_copied(client, ny_grid, login, demo):
    """Last year's declaration is usually submitted or approved; copying it still gives a draft."""
    declaration_submit(actor=demo.user("ny_preparer"), declaration_id=ny_grid.pk)
    login("ny_preparer")
    assert _copy(client, ny_grid).status_code == 302
    copy = newest_declaration()
    assert copy.status == DeclarationStatus.DRAFT
    assert copy.is_editable
    ny_grid.refresh_from_db()
    assert ny_grid.status == DeclarationStatus.SUBMITTED


@pytest.mark.django_db
def test_copy_to_an_impossible_year_is_refused_with_a_message(client, demo):
    """Copying to year 99999 is refused in Chinese; no draft appears."""
    declaration = seed(NY_MOVE)
    login(client, "ny_preparer")
    response = client.post(
        f"/declarations/{declaration.pk}/copy/", {"fiscal_year": "99999"}, follow=True
    )
    assert "年度须在 2000 至 2100 之间。" in response.content.decode()
    assert not declaration.copies.exists()
