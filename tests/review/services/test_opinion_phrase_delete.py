"""opinion_phrase_delete: a person deletes their own phrase; another's is as missing as one
never saved (the rulebook's access_phrase_by_id)."""

import pytest

from review import services as review
from review.models import OpinionPhrase
from review.permissions import NotFound, access_phrase_by_id
from tests.review.helpers import user


@pytest.mark.django_db
def test_the_owner_deletes_their_phrase(demo):
    phrase = review.opinion_phrase_save(actor=user("ny_head"), text="同意")
    review.opinion_phrase_delete(actor=user("ny_head"), phrase_id=phrase.pk)
    assert not OpinionPhrase.objects.exists()


@pytest.mark.django_db
def test_another_persons_phrase_is_not_found(demo):
    phrase = review.opinion_phrase_save(actor=user("ny_head"), text="同意")
    with pytest.raises(NotFound):
        review.opinion_phrase_delete(actor=user("ny_dept"), phrase_id=phrase.pk)
    with pytest.raises(NotFound):
        access_phrase_by_id(user("ny_dept"), phrase.pk)
    assert access_phrase_by_id(user("ny_head"), phrase.pk) == phrase
    assert OpinionPhrase.objects.filter(pk=phrase.pk).exists()
