"""attachment_remove: deleting an attachment of a draft removes it and its stored file."""

from pathlib import Path

import pytest

from declarations.models import Attachment
from tests.declarations.helpers import PDF, post_attachment
from tests.pages import flash_messages


@pytest.mark.django_db
def test_an_attachment_can_be_removed_while_the_draft_is_edited(
    client, ny_relocation, login, django_capture_on_commit_callbacks
):
    """Deleting an attachment removes it from the declaration and its file from storage."""
    login("ny_preparer")
    post_attachment(client, ny_relocation, "立项依据.pdf", PDF)
    attachment = ny_relocation.attachments.get()
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == PDF

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/declarations/{ny_relocation.pk}/attachments/{attachment.pk}/delete/", follow=True
        )

    assert "附件已删除。" in flash_messages(response)
    assert not Attachment.objects.exists()
    assert not stored.exists()
    assert (
        client.get(f"/declarations/{ny_relocation.pk}/attachments/{attachment.pk}/").status_code
        == 404
    )
