"""opinion_phrase_save: a person keeps an opinion to pick again (常用意见); their own only."""

import pytest

from audit.models import AuditEvent
from review import services as review
from review.errors import PhraseInvalid
from review.models import OpinionPhrase
from tests.review.helpers import user


@pytest.mark.django_db
def test_a_phrase_is_kept_once_for_its_owner(demo):
    before = AuditEvent.objects.count()
    first = review.opinion_phrase_save(actor=user("ny_head"), text="  同意，请按预算执行。 ")
    again = review.opinion_phrase_save(actor=user("ny_head"), text="同意，请按预算执行。")
    assert first.pk == again.pk
    assert first.text == "同意，请按预算执行。"
    assert list(OpinionPhrase.objects.values_list("user__username", flat=True)) == ["ny_head"]
    assert AuditEvent.objects.count() == before  # a person's shortcut, not the history


@pytest.mark.django_db
def test_two_people_keep_the_same_phrase_each(demo):
    review.opinion_phrase_save(actor=user("ny_head"), text="同意")
    review.opinion_phrase_save(actor=user("ny_dept"), text="同意")
    assert OpinionPhrase.objects.filter(text="同意").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"), [("   ", "常用意见不能为空。"), ("意" * 501, "常用意见最多 500 个字。")]
)
def test_an_empty_or_too_long_phrase_is_refused_in_chinese(demo, text, message):
    with pytest.raises(PhraseInvalid) as refused:
        review.opinion_phrase_save(actor=user("ny_head"), text=text)
    assert refused.value.message == message
    assert not OpinionPhrase.objects.exists()


@pytest.mark.django_db
def test_the_page_says_why_a_phrase_was_not_saved(client, demo):
    client.force_login(user("ny_head"))
    response = client.post("/phrases/", {"text": ""}, follow=True)
    assert response.status_code == 200
    assert "常用意见不能为空。" in response.content.decode()
