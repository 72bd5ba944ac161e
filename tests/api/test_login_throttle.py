"""Throttling of failed logins, for the login page and the token endpoint alike.

Brute force stays throttled (per account and address, per address, per account), but a correct
password from an address or a browser that the account has already used successfully is never
refused because of failures elsewhere: an attacker cannot lock a real user out.
"""

import math
import re
import socket
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from organisations.devices import COOKIE_NAME
from tests.api.helpers import PASSWORD, assert_chinese

ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"
OFFICE = "198.51.100.20"
ELSEWHERE = "192.0.2.99"
RETRY = re.compile(
    r"登录失败次数过多，请于 (?:(\d+)月(\d+)日 )?(\d{2}):(\d{2}) 后再试（约 (\d+) 分钟）。"
)


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


def page_login(address: str, username: str, password: str = PASSWORD, browser=None):
    """Log in through the page from an address, in a browser (a Client that keeps its cookies;
    a new one, without cookies, unless given)."""
    browser = browser or Client()
    response = browser.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response, browser


def close_session(browser) -> None:
    """End the browser's session as closing it would; its device cookie stays."""
    del browser.cookies[settings.SESSION_COOKIE_NAME]


def fail(address: str, username: str, times: int, **headers) -> None:
    for _ in range(times):
        response = token(address, username, "wrong-password", **headers)
        assert response.status_code == 400, response.content


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert "token" not in response.json()
    assert RETRY.fullmatch(response.json()["detail"]), response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def assert_page_throttled(response, browser) -> None:
    assert response.status_code == 429, response.status_code
    assert RETRY.search(response.content.decode()), response.content.decode()
    assert "_auth_user_id" not in browser.session


def assert_logged_in(response, browser) -> None:
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "_auth_user_id" in browser.session


# --- The two lockout attacks of the issue, with the default limits ----------------------------


def test_failures_spread_over_addresses_do_not_lock_the_real_user_out(demo):
    """5 wrong passwords from each of 6 addresses throttle ez_head's untrusted attempts, even with
    the right password; ez_head still gets in from an address they used before (page and token)
    and, from a new address, in the browser they logged in with before."""
    browser = Client()
    assert_logged_in(*page_login(HOME, "ez_head", browser=browser))
    for i in range(6):
        fail(f"203.0.113.{10 + i}", "ez_head", 5)

    assert_throttled(token("203.0.113.99", "ez_head"))
    assert_page_throttled(*page_login("203.0.113.99", "ez_head"))

    assert token(HOME, "ez_head").status_code == 200
    assert_logged_in(*page_login(HOME, "ez_head"))
    assert_logged_in(*page_login("192.0.2.200", "ez_head", browser=browser))


def test_made_up_names_from_one_address_do_not_lock_out_accounts_known_there(demo):
    """Behind a load balancer without forwarded-address trust every client has one address: 20
    failures with made-up names from it hold back untrusted attempts from it, but not accounts
    that have logged in from it."""
    assert token(OFFICE, "ez_head").status_code == 200
    for i in range(20):
        fail(OFFICE, f"nobody{i}", 1)

    assert token(OFFICE, "ez_head").status_code == 200
    assert_logged_in(*page_login(OFFICE, "ez_head"))
    assert_throttled(token(OFFICE, "ny_head"))
    assert_throttled(token(OFFICE, "nobody99", "guess"))
    assert token(HOME, "ny_head").status_code == 200


# --- Brute force is still throttled -------------------------------------------------------------


def test_brute_force_against_one_account_from_many_addresses_is_throttled(limits):
    """Past LOGIN_FAILURES_PER_ACCOUNT failures from unknown addresses, untrusted attempts on that
    account get 429 even with the right password, on the page and in the API, saying when to
    try again; other accounts are not affected."""
    for i in range(6):
        fail(f"203.0.113.{100 + i}", "ny_preparer", 1)
    assert_throttled(token(ELSEWHERE, "ny_preparer"))
    assert_page_throttled(*page_login(ELSEWHERE, "ny_preparer"))
    assert token(ELSEWHERE, "ny_head").status_code == 200


def test_failures_from_one_address_block_that_account_there(limits):
    """After LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS failures from one address, even the right
    password gets 429 from that address; other accounts from it are not affected."""
    fail(ATTACKER, "ny_preparer", 3)
    assert_throttled(token(ATTACKER, "ny_preparer"))
    assert_throttled(token(ATTACKER, "ny_preparer", "wrong-password"))
    assert token(ATTACKER, "ny_head").status_code == 200


def test_one_address_trying_many_accounts_is_throttled(limits):
    """LOGIN_FAILURES_PER_ADDRESS failures over many accounts, real or not, block untrusted
    attempts from that address; the same account from elsewhere is not affected."""
    for username in ("ny_head", "ny_dept", "ez_head", "ez_dept", "nobody", "admin", "x", "y"):
        fail(ATTACKER, username, 1)
    assert_throttled(token(ATTACKER, "ny_finance"))
    assert_page_throttled(*page_login(ATTACKER, "ny_finance"))
    assert token(HOME, "ny_finance").status_code == 200


def test_failures_from_a_known_address_end_its_trust_there_but_not_the_browsers(limits):
    """The one case where a known address is refused: LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS
    failures on the account from that very address (someone there is guessing). The owner's
    browser, with its device cookie, still gets in from there."""
    browser = Client()
    assert_logged_in(*page_login(HOME, "ny_preparer", browser=browser))
    fail(HOME, "ny_preparer", 3)
    assert_throttled(token(HOME, "ny_preparer"))
    assert_page_throttled(*page_login(HOME, "ny_preparer"))
    assert_logged_in(*page_login(HOME, "ny_preparer", browser=browser))


def test_a_browser_that_keeps_failing_loses_its_trust(limits):
    """Failures made with a device cookie count against that browser: after
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS of them it is an unknown browser again for the
    window, so a stolen cookie is no key to unlimited guessing."""
    browser = Client()
    assert_logged_in(*page_login(HOME, "ny_preparer", browser=browser))
    close_session(browser)
    for i in range(6):
        fail(f"203.0.113.{100 + i}", "ny_preparer", 1)
    for _ in range(3):
        response, _ = page_login(ELSEWHERE, "ny_preparer", "wrong-password", browser=browser)
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    assert_page_throttled(*page_login(ELSEWHERE, "ny_preparer", browser=browser))


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


def test_a_forged_or_foreign_device_cookie_earns_no_trust(limits):
    """A device cookie with a broken signature, or one issued to another account, does not let
    an attacker past the per-account limit."""
    browser = Client()
    assert_logged_in(*page_login(HOME, "ny_head", browser=browser))
    close_session(browser)
    for i in range(6):
        fail(f"203.0.113.{100 + i}", "ny_preparer", 1)
    assert_page_throttled(*page_login(ELSEWHERE, "ny_preparer", browser=browser))
    forged = Client()
    forged.cookies[COOKIE_NAME] = browser.cookies[COOKIE_NAME].value[:-2] + "xx"
    assert_page_throttled(*page_login(ELSEWHERE, "ny_preparer", browser=forged))


# --- The retry time, the device cookie, known addresses ------------------------------------------


def test_a_refusal_says_when_to_try_again(limits):
    """The page (429) and the API (429, Retry-After, detail) name the local time after which to try
    again and the minutes until then; trying then succeeds, a minute earlier does not."""
    start = datetime(2026, 6, 3, 14, 20, 30, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(start, tick=False):
        fail(ATTACKER, "ny_preparer", 3)
        response = token(ATTACKER, "ny_preparer")
        assert_throttled(response)
        wait = int(response["Retry-After"])
        assert 0 < wait <= 15 * 60
        *_, hour, minute, minutes = RETRY.fullmatch(response.json()["detail"]).groups()
        until = start + timedelta(seconds=wait)
        shown = until.replace(hour=int(hour), minute=int(minute), second=0)
        assert timedelta(0) <= shown - until < timedelta(minutes=1)
        assert int(minutes) == math.ceil(wait / 60)
        page, _ = page_login(ATTACKER, "ny_preparer")
        assert f"请于 {hour}:{minute} 后再试（约 {minutes} 分钟）" in page.content.decode()
    with time_machine.travel(until - timedelta(seconds=30), tick=False):
        assert_throttled(token(ATTACKER, "ny_preparer"))
    with time_machine.travel(shown, tick=False):
        assert token(ATTACKER, "ny_preparer").status_code == 200


def test_the_login_page_issues_a_long_lived_device_cookie(demo, settings):
    """Each successful login through the page sets a signed, HttpOnly, SameSite=Lax device cookie,
    Secure when session cookies are; one browser can vouch for several accounts."""
    settings.SESSION_COOKIE_SECURE = True
    response, browser = page_login(HOME, "ny_head")
    assert_logged_in(response, browser)
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 180 * 24 * 3600
    response, browser = page_login(HOME, "ny_preparer", browser=browser)
    assert_logged_in(response, browser)
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    for username in ("ny_head", "ny_preparer"):
        fail(ATTACKER, username, 1)
        fail("203.0.113.67", username, 1)
        assert_throttled(token(ELSEWHERE, username))
        assert_logged_in(*page_login(ELSEWHERE, username, browser=browser))


def test_known_addresses_outlive_the_cache(limits):
    """The addresses an account logged in from are kept in the database: clearing the cache does
    not make them unknown."""
    assert token(HOME, "ny_preparer").status_code == 200
    cache.clear()
    for i in range(6):
        fail(f"203.0.113.{100 + i}", "ny_preparer", 1)
    assert token(HOME, "ny_preparer").status_code == 200
    assert_throttled(token(ELSEWHERE, "ny_preparer"))


def test_an_address_unused_for_90_days_is_forgotten(limits):
    from organisations.models import KnownLoginAddress

    assert token(HOME, "ny_preparer").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert token(OFFICE, "ny_head").status_code == 200
        assert not KnownLoginAddress.objects.filter(address=HOME).exists()
        for i in range(6):
            fail(f"203.0.113.{100 + i}", "ny_preparer", 1)
        assert_throttled(token(HOME, "ny_preparer"))


# --- What is never limited ---------------------------------------------------------------------


def test_successful_logins_are_never_limited(limits):
    """Many successful logins from one address, by token and by the page, are all accepted."""
    for _ in range(25):
        assert token(ATTACKER, "ny_preparer").status_code == 200
    for _ in range(10):
        assert_logged_in(*page_login(ATTACKER, "ny_preparer"))


def test_a_success_clears_the_account_and_address_count(limits):
    """Occasional typos between successful logins never add up to a block for that account."""
    for _ in range(3):
        fail(HOME, "ny_preparer", 2)
        assert token(HOME, "ny_preparer").status_code == 200


def test_login_page_is_throttled_the_same_way(limits):
    """The page counts failures like the token endpoint, shares the counts with it, and answers
    429 without logging in even with the right password."""
    for _ in range(3):
        response, _browser = page_login(ATTACKER, "ny_preparer", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    assert_page_throttled(*page_login(ATTACKER, "ny_preparer"))
    assert_throttled(token(ATTACKER, "ny_preparer"))
    assert_logged_in(*page_login(HOME, "ny_preparer"))


def test_token_failures_throttle_the_login_page(limits):
    fail(ATTACKER, "ny_preparer", 3)
    assert_page_throttled(*page_login(ATTACKER, "ny_preparer"))


def test_refusals_are_chinese(limits):
    fail(ATTACKER, "ny_preparer", 3)
    assert_chinese(token(ATTACKER, "ny_preparer").json())


# --- The cache down ---------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback where nothing listens (bound, read back, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_cache(settings):
    """The Django cache pointed at a Redis port where nothing listens (until the test ends, so
    that the other fixtures clear the cache they set up)."""
    reachable = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    yield
    settings.CACHES = reachable


def test_with_the_cache_down_logins_still_work(limits, unreachable_cache, caplog):
    """Throttling degrades with a logged warning; the page and the token endpoint still let the
    right password in and refuse a wrong one as usual."""
    assert_logged_in(*page_login(HOME, "ny_preparer"))
    assert token(HOME, "ny_preparer").status_code == 200
    assert token(ELSEWHERE, "ny_head").status_code == 200
    fail(ATTACKER, "ny_head", 1)
    assert any("cache" in record.getMessage() for record in caplog.records)


def test_a_zero_window_is_no_server_error(limits):
    """LOGIN_FAILURE_WINDOW_SECONDS=0 (a typo in the environment) still answers logins."""
    limits.LOGIN_FAILURE_WINDOW_SECONDS = 0
    fail(ATTACKER, "ny_preparer", 1)
    assert token(ATTACKER, "ny_preparer").status_code == 200
