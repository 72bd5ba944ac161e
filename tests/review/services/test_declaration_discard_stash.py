"""declaration_discard_stash (放弃这些输入): the stashed input is dropped and the edit form
shows the last saved draft."""

import pytest

from tests.declarations.helpers import NY_RELOCATION, edit_fields, edit_url, post_edit
from tests.html import form_fields
from tests.pages import flash_messages


@pytest.mark.django_db
def test_input_waiting_for_a_fix_can_be_discarded(client, ny_relocation, login):
    """'放弃这些输入' drops the stashed input and the edit form shows the last saved draft."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    post_edit(client, ny_relocation, fields, action="save", budget="abc", name="改名后的专项")

    response = client.post(f"/declarations/{ny_relocation.pk}/discard/", follow=True)

    assert response.redirect_chain == [(edit_url(ny_relocation), 302)]
    assert "已放弃未保存的输入，显示上次保存的草稿。" in flash_messages(response)
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input is None
    shown = form_fields(response.content.decode(), "edit-form")
    assert shown["budget"] == ["10"]
    assert shown["name"] == [NY_RELOCATION]
