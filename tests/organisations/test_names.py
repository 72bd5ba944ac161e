"""Names are written as their language writes them: Chinese family name first, no space."""

import pytest

from organisations.names import display_name, full_name
from tests import factories


@pytest.mark.parametrize(
    ("first", "last", "written"),
    [
        ("财二", "李", "李财二"),
        ("晓红", "旷", "旷晓红"),
        ("旷晓红", "", "旷晓红"),
        ("", "李", "李"),
        ("Ann", "Lee", "Ann Lee"),
        ("Ann", "", "Ann"),
        ("", "", ""),
    ],
)
def test_full_name(first, last, written):
    assert full_name(first, last) == written


@pytest.mark.django_db
def test_the_user_model_writes_chinese_names_family_name_first():
    """Django's own get_full_name (the admin, e-mails, the audit log) follows the same rule."""
    user = factories.UserFactory(username="li", first_name="财二", last_name="李")
    assert user.get_full_name() == "李财二"
    assert display_name(user) == "李财二"
    assert display_name(factories.UserFactory(username="nobody", first_name="")) == "nobody"
