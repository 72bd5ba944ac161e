"""Throttling of failed logins, for the token endpoint and the login page alike: per account and
address, per address, and per account from unknown addresses — never locking the real user out
of an address they have logged in from, and never limiting successful logins."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.helpers import PASSWORD, assert_chinese

ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"
ELSEWHERE = "192.0.2.99"


@pytest.fixture
def limits(settings, demo):
    """Low limits so the tests stay short."""
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    settings.LOGIN_FAILURES_PER_ACCOUNT = 6
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    return settings


def token(address: str, username: str, password: str = PASSWORD, **headers):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **headers
    )


def page_login(address: str, username: str, password: str = PASSWORD):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response, client


def fail(address: str, username: str, times: int, **headers) -> None:
    for _ in range(times):
        response = token(address, username, "wrong-password", **headers)
        assert response.status_code == 400, response.content


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert "token" not in response.json()
    assert_chinese(response.json()["detail"])
    assert int(response["Retry-After"]) > 0


def test_failures_from_one_address_block_that_account_there(limits):
    """After LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS failures from one address, even the right
    password gets 429 from that address; other accounts from it are not affected."""
    fail(ATTACKER, "ny_preparer", 3)
    assert_throttled(token(ATTACKER, "ny_preparer"))
    assert_throttled(token(ATTACKER, "ny_preparer", "wrong-password"))
    assert token(ATTACKER, "ny_head").status_code == 200


def test_the_block_ends_with_the_window(limits):
    fail(ATTACKER, "ny_preparer", 3)
    assert_throttled(token(ATTACKER, "ny_preparer"))
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert token(ATTACKER, "ny_preparer").status_code == 200


def test_spelling_the_username_differently_does_not_escape_the_count(limits):
    """Case and surrounding spaces do not make a new account to count failures against."""
    fail(ATTACKER, "ny_preparer", 1)
    fail(ATTACKER, "NY_Preparer", 1)
    fail(ATTACKER, " ny_preparer ", 1)
    assert_throttled(token(ATTACKER, "ny_preparer"))


def test_forged_forwarded_for_does_not_escape_the_count(limits):
    """Without a trusted proxy, X-Forwarded-For is the client's word and is not believed."""
    for i in range(3):
        fail(ATTACKER, "ny_preparer", 1, HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    assert_throttled(token(ATTACKER, "ny_preparer", HTTP_X_FORWARDED_FOR="10.9.9.200"))


def test_real_user_is_not_locked_out_from_an_address_they_used(limits):
    """An attacker fails from their address and then from many addresses, past the per-account
    limit; the real user, from the address they logged in from before, still gets a token, while
    new addresses are throttled for that account."""
    assert token(HOME, "ny_preparer").status_code == 200
    fail(ATTACKER, "ny_preparer", 3)
    for i in range(8):
        response = token(f"203.0.113.{100 + i}", "ny_preparer", "wrong-password")
        assert response.status_code in (400, 429), response.content
    for _ in range(3):
        assert token(HOME, "ny_preparer").status_code == 200
    assert_throttled(token(ATTACKER, "ny_preparer"))
    assert_throttled(token(ELSEWHERE, "ny_preparer"))
    assert token(ELSEWHERE, "ny_head").status_code == 200


def test_one_address_trying_many_accounts_is_throttled(limits):
    """LOGIN_FAILURES_PER_ADDRESS failures over many accounts, real or not, block the address."""
    for username in ("ny_head", "ny_dept", "ez_head", "ez_dept", "nobody", "admin", "x", "y"):
        fail(ATTACKER, username, 1)
    assert_throttled(token(ATTACKER, "ny_finance"))
    assert token(HOME, "ny_finance").status_code == 200


def test_successful_logins_are_never_limited(limits):
    """Many successful logins from one address, by token and by the page, are all accepted."""
    for _ in range(25):
        assert token(ATTACKER, "ny_preparer").status_code == 200
    for _ in range(10):
        response, _client = page_login(ATTACKER, "ny_preparer")
        assert response.status_code == 302, response.status_code


def test_a_success_clears_the_account_and_address_count(limits):
    """Occasional typos between successful logins never add up to a block for that account
    (the per-address limit, which a success does not clear, is not reached here)."""
    for _ in range(3):
        fail(HOME, "ny_preparer", 2)
        assert token(HOME, "ny_preparer").status_code == 200


def test_login_page_is_throttled_the_same_way(limits):
    """The page /accounts/login/ counts failures like the token endpoint, shares the counts with
    it, and answers 429 without logging in even with the right password."""
    for _ in range(3):
        response, _client = page_login(ATTACKER, "ny_preparer", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    response, client = page_login(ATTACKER, "ny_preparer")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert_throttled(token(ATTACKER, "ny_preparer"))
    response, client = page_login(HOME, "ny_preparer")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_token_failures_throttle_the_login_page(limits):
    fail(ATTACKER, "ny_preparer", 3)
    response, client = page_login(ATTACKER, "ny_preparer")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
