"""API tokens: they expire after a lifetime without use, are revoked by a password change and by
logging out, and their owner can list and revoke them; the token endpoint answers as before."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from organisations.tokens import check_tokens_revoked_on_password_change
from tests.api.conformance import CheckedClient, Conformance
from tests.api.helpers import PASSWORD, assert_chinese, expect

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r"[0-9a-f]{64}")


def new_token(username: str, address: str = "127.0.0.1") -> str:
    response = APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    """Whether the token authenticates (200) or is refused (401, in Chinese, with a challenge)."""
    response = with_token(token).get("/api/notifications/")
    if response.status_code == 401:
        assert_chinese(response.json())
        assert response["WWW-Authenticate"] == "Token"
        return False
    assert response.status_code == 200, response.content
    return True


def user(username: str):
    return get_user_model().objects.get(username=username)


# --- The token endpoint ------------------------------------------------------------------------


def test_the_token_endpoint_answers_as_before(demo):
    """POST /api/auth/token/ with username and password: 200 and {"token": ...}, which clients
    send as `Authorization: Token <token>`; each call issues a token of its own."""
    response = APIClient().post(
        "/api/auth/token/", {"username": "ny_head", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    first = response.json()["token"]
    assert TOKEN.fullmatch(first)
    second = new_token("ny_head")
    assert second != first
    assert works(first)
    assert works(second)


# --- Lifetime ----------------------------------------------------------------------------------


def test_a_token_unused_for_longer_than_its_lifetime_is_refused(demo):
    """Seven days without use and the token is refused (401); the other tokens are not affected."""
    token = new_token("ny_head")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        fresh = new_token("ny_head")
        assert not works(token)
        assert works(fresh)


def test_a_token_in_use_stays_valid(demo):
    """Used every few days, a token stays valid well past seven days; left unused for seven days
    after its last use, it is refused."""
    token = new_token("ny_head")
    start = timezone.now()
    for day in range(3, 31, 3):
        with time_machine.travel(start + timedelta(days=day)):
            assert works(token), day
    with time_machine.travel(start + timedelta(days=30 + 6)):
        assert works(token)
    with time_machine.travel(start + timedelta(days=36 + 7, minutes=1)):
        assert not works(token)


def test_the_lifetime_is_configurable(demo, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=1)}
    token = new_token("ny_head")
    with time_machine.travel(timezone.now() + timedelta(minutes=50)):
        assert works(token)
    with time_machine.travel(timezone.now() + timedelta(minutes=50 + 61)):
        assert not works(token)


def test_the_lifetime_comes_from_the_environment():
    """API_TOKEN_TTL_DAYS sets the lifetime; the expiry moves at most once an hour (or once a
    tenth of the lifetime, when that is shorter)."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "k = s.REST_KNOX; print(k['TOKEN_TTL'].total_seconds(), k['MIN_REFRESH_INTERVAL'], "
        "k['AUTO_REFRESH'], k['AUTH_HEADER_PREFIX'])"
    )
    outputs = {}
    for days in ("", "0.25"):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
        env.pop("API_TOKEN_TTL_DAYS", None)
        if days:
            env["API_TOKEN_TTL_DAYS"] = days
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        outputs[days] = result.stdout.split()
    assert outputs[""] == ["604800.0", "3600", "True", "Token"]
    assert outputs["0.25"] == ["21600.0", "2160", "True", "Token"]


def test_a_busy_client_does_not_write_on_every_request(demo):
    """Requests within the hour only read the token; the first one after an hour moves its expiry
    forward, once."""
    token = new_token("ny_head")
    start = timezone.now()

    def writes(minutes: int, requests: int) -> int:
        moment = time_machine.travel(start + timedelta(minutes=minutes))
        with moment, CaptureQueriesContext(connection) as queries:
            for _ in range(requests):
                assert works(token)
        return sum(
            1
            for query in queries
            if "knox_authtoken" in query["sql"] and query["sql"].startswith("UPDATE")
        )

    assert writes(10, 20) == 0
    assert writes(70, 20) == 1
    assert writes(75, 20) == 0


# --- Revocation --------------------------------------------------------------------------------


def test_set_password_then_save_revokes_every_token(demo):
    tokens = [new_token("ny_head"), new_token("ny_head")]
    other = new_token("ny_dept")
    head = user("ny_head")
    head.set_password("Another@2026")
    head.save()
    assert not any(works(token) for token in tokens)
    assert works(other)


def test_a_password_change_in_the_admin_revokes_every_token(demo):
    token = new_token("ny_head")
    admin = Client()
    admin.force_login(user("admin"))
    response = admin.post(
        f"/admin/auth/user/{user('ny_head').pk}/password/",
        {"password1": "Another@2026x", "password2": "Another@2026x", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert user("ny_head").check_password("Another@2026x")
    assert not works(token)


def test_a_login_that_rehashes_the_password_keeps_the_tokens(demo, settings):
    """Logging in with a password stored under an older hasher re-hashes it: that is no password
    change, and the tokens stay valid."""
    token = new_token("ny_head")
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert user("ny_head").password.startswith("md5$")
    new_token("ny_head")
    assert user("ny_head").password.startswith("pbkdf2_sha256$")
    assert works(token)


def test_the_revoker_must_stay_in_the_password_validators(settings):
    """A settings module that drops the revoker from AUTH_PASSWORD_VALIDATORS fails the checks."""
    assert check_tokens_revoked_on_password_change() == []
    settings.AUTH_PASSWORD_VALIDATORS = settings.AUTH_PASSWORD_VALIDATORS[:-1]
    assert [error.id for error in check_tokens_revoked_on_password_change()] == [
        "organisations.E001"
    ]


def test_logout_revokes_the_callers_token_and_no_other(demo):
    mine, other_device = new_token("ny_head"), new_token("ny_head")
    colleague = new_token("ny_dept")
    response = with_token(mine).post("/api/auth/logout/")
    assert response.status_code == 204
    assert not works(mine)
    assert works(other_device)
    assert works(colleague)


def test_logout_all_revokes_every_token_of_the_caller(demo):
    tokens = [new_token("ny_head") for _ in range(3)]
    colleague = new_token("ny_dept")
    body = expect(with_token(tokens[0]).post("/api/auth/logout-all/"), 200)
    assert body == {"revoked": 3}
    assert not any(works(token) for token in tokens)
    assert works(colleague)


def test_logout_with_a_session_ends_the_session(demo):
    browser = APIClient()
    browser.post("/accounts/login/", {"username": "ny_head", "password": PASSWORD})
    assert browser.get("/api/notifications/").status_code == 200
    assert browser.post("/api/auth/logout/").status_code == 204
    assert browser.get("/api/notifications/").status_code == 401


# --- Listing and revoking one's own tokens -----------------------------------------------------


def test_users_list_their_own_tokens(demo):
    """GET /api/auth/tokens/: the caller's unexpired tokens, newest first, by prefix, with when
    they were issued and expire, marking the one in use; never a token itself, nor anyone else's."""
    older = new_token("ny_head")
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        mine = new_token("ny_head")
        colleague = new_token("ny_dept")
        body = expect(with_token(mine).get("/api/auth/tokens/"), 200)
    assert body["count"] == 2
    listed = body["results"]
    assert [t["prefix"] for t in listed] == [mine[:15], older[:15]]
    assert [t["current"] for t in listed] == [True, False]
    for item in listed:
        assert set(item) == {"prefix", "created", "expiry", "current"}
        assert timedelta(days=6, hours=23) < (
            timezone.datetime.fromisoformat(item["expiry"])
            - timezone.datetime.fromisoformat(item["created"])
        )
    assert older not in str(body)
    assert colleague[:15] not in str(body)


def test_users_revoke_one_of_their_tokens(demo):
    mine, lost = new_token("ny_head"), new_token("ny_head")
    response = with_token(mine).delete(f"/api/auth/tokens/{lost[:15]}/")
    assert response.status_code == 204
    assert not works(lost)
    assert works(mine)
    listed = expect(with_token(mine).get("/api/auth/tokens/"), 200)["results"]
    assert [t["prefix"] for t in listed] == [mine[:15]]


@pytest.mark.parametrize("prefix", ["colleague", "0" * 15, "not-a-prefix", "ABCDEF"])
def test_another_users_or_an_unknown_prefix_is_404(demo, prefix):
    mine, colleague = new_token("ny_head"), new_token("ny_dept")
    prefix = colleague[:15] if prefix == "colleague" else prefix
    body = expect(with_token(mine).delete(f"/api/auth/tokens/{prefix}/"), 404)
    assert_chinese(body["detail"])
    assert works(colleague)
    assert works(mine)


def test_a_token_that_is_not_utf8_is_refused(demo):
    """A token of bytes that are not UTF-8 is an invalid token (401), not a server error."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token \xe9\xe9\xe9")
    response = client.get("/api/notifications/")
    assert response.status_code == 401
    assert_chinese(response.json())


# --- The command that replaces drf_create_token ------------------------------------------------


def test_create_api_token_prints_the_token_alone(demo):
    out = StringIO()
    call_command("create_api_token", "ny_preparer", stdout=out)
    assert re.fullmatch(r"[0-9a-f]{64}\n", out.getvalue())
    assert works(out.getvalue().strip())


@pytest.mark.parametrize("username", ["nobody", "inactive"])
def test_create_api_token_refuses_unknown_or_inactive_accounts(demo, username):
    if username == "inactive":
        get_user_model().objects.create_user("inactive", password=PASSWORD, is_active=False)
    with pytest.raises(CommandError) as refusal:
        call_command("create_api_token", username, stdout=StringIO())
    assert_chinese(str(refusal.value))


# --- The schema --------------------------------------------------------------------------------


def test_token_operations_answer_as_documented(demo):
    """The new operations are in the schema, and real answers (successes and errors) match it."""
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    for path, method in [
        ("/api/auth/tokens/", "get"),
        ("/api/auth/tokens/{prefix}/", "delete"),
        ("/api/auth/logout/", "post"),
        ("/api/auth/logout-all/", "post"),
    ]:
        assert method in schema["paths"][path], path
    conformance = Conformance(schema)
    head = CheckedClient(with_token(new_token("ny_head")), conformance)
    anon = CheckedClient(APIClient(), conformance)
    spare = new_token("ny_head")
    head.get("/api/auth/tokens/", status=200)
    head.delete(f"/api/auth/tokens/{spare[:15]}/", status=204)
    head.delete(f"/api/auth/tokens/{spare[:15]}/", status=404)
    anon.get("/api/auth/tokens/", status=401)
    anon.post("/api/auth/logout/", status=401)
    anon.post("/api/auth/logout-all/", status=401)
    CheckedClient(with_token(new_token("ny_head")), conformance).post(
        "/api/auth/logout/", status=204
    )
    head.post("/api/auth/logout-all/", status=200)
    head.get("/api/auth/tokens/", status=401)
    conformance.assert_clean()


def test_the_admin_has_no_english_token_pages(demo):
    """knox's own token admin (English, with a form to make tokens by hand) is not offered."""
    admin = Client()
    admin.force_login(user("admin"))
    assert admin.get("/admin/knox/authtoken/").status_code == 404
    assert "knox" not in admin.get("/admin/").content.decode().lower()
