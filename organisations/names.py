"""How a person's name is written: Chinese names family name first with no space (李财二),
other names as Django writes them (given name first)."""

import re

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def full_name(first_name: str, last_name: str) -> str:
    """李财二 for first_name 财二 and last_name 李; Ann Lee for Ann and Lee."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def user_full_name(user) -> str:
    """The user's name in the order their language writes it (blank when none is set)."""
    return full_name(user.first_name, user.last_name)


def display_name(user) -> str:
    """The user's name, else their login name: what the pages, stamps and log show."""
    return user_full_name(user) or user.get_username()
